"""The functional API side by side with real Keras 3, when it is installed (skipped otherwise).

Each model is written once as a function of the framework ``k`` (keras or
microkeras) and built in both; the tests compare what a user sees: the order
of ``model.layers``, the config (layout, ``inbound_nodes``, ``input_layers``,
``output_layers``), the summary table, a config read by the other framework,
and whole fits of multi-input, multi-output, shared-layer and nested models.
"""

import json
import os

import numpy
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import microkeras  # noqa: E402

FRAMEWORKS = {"keras": keras, "microkeras": microkeras}


# ----------------------------------------------------------------- the models
def shared_and_dict_outputs(k):
    a, b = k.Input((4,), name="a"), k.Input((3,), name="b")
    shared = k.layers.Dense(4, activation="relu", name="shared")
    merged = k.layers.add([shared(a), shared(k.layers.Dense(4, name="pre_b")(b))], name="add")
    return k.Model([a, b], {"oa": k.layers.Dense(2, name="out_a")(merged),
                            "ob": k.layers.Dense(1, activation="sigmoid", name="out_b")(merged)}, name="m1")


def nested_called_twice(k):
    x = k.Input((4,), name="x")
    inner = k.Model(x, k.layers.Dense(2, name="d_in")(x), name="inner")
    p, q = k.Input((4,), name="p"), k.Input((4,), name="q")
    return k.Model([p, q], k.layers.concatenate([inner(p), inner(q)], axis=-1, name="cat"), name="m2")


def nested_as_output(k):
    x = k.Input((4,), name="x")
    inner = k.Model(x, [k.layers.Dense(2, name="t1")(x), k.layers.Dense(3, name="t2")(x)], name="inner")
    p = k.Input((4,), name="p")
    first, second = inner(p)
    return k.Model(p, [first, k.layers.concatenate([first, second, p], name="cat")], name="m3")


def dict_inputs_and_dot(k):
    inputs = {"t": k.Input((5,), name="t"), "u": k.Input((5,), name="u")}
    return k.Model(inputs, k.layers.Dot(axes=1, normalize=True, name="dot")([inputs["t"], inputs["u"]]), name="m4")


def residual_with_a_call_argument(k):
    i = k.Input((6,), name="i")
    h = k.layers.Dropout(0.5, name="drop")(k.layers.Dense(6, name="h")(i), training=False)
    return k.Model(i, [k.layers.add([i, h], name="res")], name="m5")


def chain(k):
    x = k.Input((4,), name="x")
    return k.Model(x, k.layers.Dense(2, name="d2")(k.layers.Dense(3, name="d1")(x)), name="chain")


def dicts_out_of_key_order(k):
    inputs = {"u": k.Input((2,), name="u"), "t": k.Input((3,), name="t")}
    merged = k.layers.concatenate([inputs["t"], inputs["u"]], name="cat")
    return k.Model(inputs, {"z": k.layers.Dense(1, name="out_z")(merged),
                            "y": k.layers.Dense(4, name="out_y")(inputs["u"])}, name="m6")


MODELS = [shared_and_dict_outputs, nested_called_twice, nested_as_output, dict_inputs_and_dot,
          residual_with_a_call_argument, chain, dicts_out_of_key_order]


def layout(config):
    """A functional config without each layer's own config but its name (the layer parity tests
    compare those).

    Keras 3.15.1 also writes, and this drops: ``compile_config`` of a nested model (the compile
    arguments, a saving matter); ``mask: None`` among the kwargs of a call of a nested model
    (Keras passes every layer whose ``call`` takes ``mask`` its mask, None included); and
    ``build_config`` for layers without weights -- Keras writes it only for classes that define
    ``build``, microkeras for every built layer (neither reads it back for such layers).
    """
    entries = []
    for entry in config["layers"]:
        entry = {key: value for key, value in entry.items() if key != "compile_config"}
        if entry["class_name"] == "Functional":
            entry["config"] = layout(entry["config"])
        else:
            entry["config"] = {"name": entry["config"]["name"]}
        if entry["class_name"] == "Dropout":  # the one layer here whose class has no build of its own
            entry.pop("build_config", None)
        for node in entry["inbound_nodes"]:
            if node["kwargs"].get("mask", 0) is None:
                del node["kwargs"]["mask"]
        entries.append(entry)
    return json.loads(json.dumps({**config, "layers": entries}))


def summary_lines(model):
    lines = []
    model.summary(print_fn=lambda text, **kwargs: lines.extend(text.splitlines()))
    return [line.rstrip() for line in lines]


@pytest.fixture
def eighty_columns(monkeypatch):
    """Keras sizes its table to the terminal: the one microkeras copies is 80 columns wide."""
    monkeypatch.setenv("COLUMNS", "80")


@pytest.mark.parametrize("build", MODELS, ids=[build.__name__ for build in MODELS])
def test_layers_config_summary_and_shapes_match_keras(build, eighty_columns):
    theirs, ours = build(keras), build(microkeras)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert ours.output_names == theirs.output_names
    assert ours.input_shape == theirs.input_shape and ours.output_shape == theirs.output_shape
    # Both flatten a dict of inputs or outputs by sorted key, whatever order it was written in.
    assert [t.shape for t in ours.inputs] == [tuple(t.shape) for t in theirs.inputs]
    assert [t.shape for t in ours.outputs] == [tuple(t.shape) for t in theirs.outputs]
    their_config, our_config = theirs.get_config(), ours.get_config()
    assert layout(our_config) == layout(their_config)
    # What Keras left out above is all it writes that microkeras does not (and the other way round).
    for ours_entry, their_entry in zip(our_config["layers"], their_config["layers"]):
        assert set(ours_entry) <= set(their_entry) | {"build_config"}
    assert summary_lines(ours) == summary_lines(theirs)


# Each framework reading the other's layer entries (Keras's module paths, an InputLayer's `ragged`,
# a DTypePolicy...) is the work of microkeras.saving.config_compat; the graph layout is this file's.
@pytest.mark.parametrize("build", MODELS, ids=[build.__name__ for build in MODELS])
def test_keras_reads_our_config_and_predicts_the_same(build):
    pytest.importorskip("microkeras.saving.config_compat")
    ours = build(microkeras)
    from_us = keras.Model.from_config(json.loads(json.dumps(ours.get_config())))
    from_us.set_weights(ours.get_weights())
    assert [layer.name for layer in from_us.layers] == [layer.name for layer in ours.layers]
    assert_same_predictions(ours, from_us)


@pytest.mark.parametrize("build", MODELS, ids=[build.__name__ for build in MODELS])
def test_we_read_keras_config_and_predict_the_same(build):
    pytest.importorskip("microkeras.saving.config_compat")
    theirs = build(keras)
    from_keras = microkeras.Model.from_config(json.loads(json.dumps(theirs.get_config())))
    from_keras.set_weights(theirs.get_weights())
    assert [layer.name for layer in from_keras.layers] == [layer.name for layer in theirs.layers]
    assert_same_predictions(from_keras, theirs)


def test_json_moves_both_ways_for_a_shared_nested_multi_output_model():
    pytest.importorskip("microkeras.saving.config_compat")

    def build(k):
        model = shared_and_dict_outputs(k)
        merged = model.get_layer("add").output
        x = k.Input((4,), name="x")
        inner = k.Model(x, k.layers.Dense(3, name="d_in")(x), name="inner")
        out = k.layers.concatenate([inner(merged), merged], name="cat")
        return k.Model(model.inputs, {"oa": model.output["oa"], "oc": k.layers.Dense(2, name="out_c")(out)})

    theirs, ours = build(keras), build(microkeras)
    from_keras = microkeras.models.model_from_json(theirs.to_json())
    from_us = keras.models.model_from_json(ours.to_json())
    for rebuilt, original in ((from_keras, theirs), (from_us, ours)):
        assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in original.layers]
        rebuilt.set_weights(original.get_weights())
        assert_same_predictions(rebuilt, original)


def assert_same_predictions(mine, reference):
    rng = numpy.random.default_rng(0)
    data = [rng.normal(size=(3,) + tuple(t.shape[1:])).astype("float32") for t in mine.inputs]
    if isinstance(mine.input, dict):
        data = dict(zip(sorted(mine.input), data))  # mine.inputs: sorted by key
    got, expected = as_list(mine(data)), as_list(reference(data))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        numpy.testing.assert_allclose(a, numpy.asarray(b), rtol=1e-5, atol=1e-6)


def as_list(outputs):
    """A model's outputs as a list of arrays (a dict's in key order)."""
    if isinstance(outputs, dict):
        return [outputs[key] for key in sorted(outputs)]
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


# ----------------------------------------------------------------- training
def ticket_model(k):
    """The keras.io guide's ticket model, small: title and body ids through one shared embedding,
    tags as a vector; a priority (sigmoid) and a department (softmax) output."""
    title, body = k.Input((None,), dtype="int32", name="title"), k.Input((None,), dtype="int32", name="body")
    tags = k.Input((3,), name="tags")
    embed = k.layers.Embedding(20, 4, name="embed")
    pool = k.layers.GlobalAveragePooling1D(name="pool")
    features = k.layers.concatenate([pool(embed(title)), pool(embed(body)), tags], name="features")
    return k.Model([title, body, tags], [k.layers.Dense(1, activation="sigmoid", name="priority")(features),
                                         k.layers.Dense(4, activation="softmax", name="department")(features)])


def ticket_data(samples=24):
    rng = numpy.random.default_rng(1)
    x = [rng.integers(0, 20, (samples, 5)).astype("int32"), rng.integers(0, 20, (samples, 7)).astype("int32"),
         rng.integers(0, 2, (samples, 3)).astype("float32")]
    y = [rng.random((samples, 1)).astype("float32"), numpy.eye(4, dtype="float32")[rng.integers(0, 4, samples)]]
    return x, y


def test_a_multi_input_multi_output_fit_matches_keras_history_weights_and_evaluate():
    # Keras 3.15.1's History for this compile: loss, department_accuracy, department_loss,
    # priority_loss, priority_mae and their val_ variants -- per-output names from the output
    # layers, each <output>_loss unweighted, `loss` the weighted sum.
    theirs, ours = ticket_model(keras), ticket_model(microkeras)
    ours.set_weights(theirs.get_weights())
    x, y = ticket_data()
    x_val, y_val = ticket_data(8)
    histories = []
    for k, model in (("keras", theirs), ("microkeras", ours)):
        framework = FRAMEWORKS[k]
        model.compile(framework.optimizers.SGD(0.1, momentum=0.5),
                      loss={"priority": "binary_crossentropy", "department": "categorical_crossentropy"},
                      loss_weights={"priority": 2.0, "department": 0.5},
                      metrics={"priority": ["mae"], "department": ["accuracy"]})
        histories.append(model.fit({"title": x[0], "body": x[1], "tags": x[2]}, y, batch_size=8, epochs=3,
                                   shuffle=False, validation_data=(x_val, y_val), verbose=0).history)
    their_history, our_history = histories
    assert sorted(our_history) == sorted(their_history) == [
        "department_accuracy", "department_loss", "loss", "priority_loss", "priority_mae", "val_department_accuracy",
        "val_department_loss", "val_loss", "val_priority_loss", "val_priority_mae"]
    for key in their_history:
        numpy.testing.assert_allclose(our_history[key], their_history[key], rtol=2e-5, atol=1e-6, err_msg=key)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)
    numpy.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=2e-5)
    for mine, reference in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)


def test_shared_layers_and_a_nested_model_train_like_keras():
    def siamese(k):
        x = k.Input((4,), name="x")
        encoder = k.Model(x, k.layers.Dense(3, activation="tanh", name="code")(x), name="encoder")
        left, right = k.Input((4,), name="left"), k.Input((4,), name="right")
        shared = k.layers.Dense(3, name="shared")
        joined = k.layers.concatenate([shared(encoder(left)), shared(encoder(right)),
                                       k.layers.subtract([left, right])], name="joined")
        return k.Model([left, right], k.layers.Dense(1, name="score")(joined))

    theirs, ours = siamese(keras), siamese(microkeras)
    ours.set_weights(theirs.get_weights())
    rng = numpy.random.default_rng(2)
    x = [rng.normal(size=(32, 4)).astype("float32") for _ in range(2)]
    y = rng.normal(size=(32, 1)).astype("float32")
    for k, model in (("keras", theirs), ("microkeras", ours)):
        model.compile(FRAMEWORKS[k].optimizers.Adam(0.01), "mse")
    their_loss = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    our_loss = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    numpy.testing.assert_allclose(our_loss, their_loss, rtol=1e-5)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)


def test_clone_model_keeps_names_and_structure_with_fresh_weights_like_keras():
    theirs, ours = nested_called_twice(keras), nested_called_twice(microkeras)
    their_clone, our_clone = keras.models.clone_model(theirs), microkeras.models.clone_model(ours)
    assert [layer.name for layer in our_clone.layers] == [layer.name for layer in their_clone.layers]
    assert layout(our_clone.get_config()) == layout(their_clone.get_config())
    assert not any(numpy.array_equal(a, b) for a, b in zip(our_clone.get_weights(), ours.get_weights())
                   if a.any())
