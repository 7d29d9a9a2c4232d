"""Operators and keras.ops on symbolic tensors: shapes, predictions, training, configs and .keras files."""

import copy

import numpy
import pytest

import microkeras as keras
from microkeras import Input, Model, layers, ops
from microkeras.layers.keras_tensor import KerasTensor
from microkeras.ops.symbolic import Operation
from microkeras.utils.naming import clear_session


class Gate(layers.Layer):
    """Takes two tensors as separate arguments: ``x * sigmoid(gate)``."""

    def call(self, x, gate):
        return x * ops.sigmoid(gate)


def _model():
    inputs = Input((4,))
    hidden = layers.Dense(6, activation="tanh", name="first")(inputs)
    summed = hidden + layers.Dense(6, name="second")(hidden)
    scaled = 1.0 - 0.5 * summed / 2.0
    joined = ops.concatenate([scaled, ops.square(inputs)], axis=-1)
    gated = Gate(name="gate")(joined, layers.Dense(10, name="gate_source")(joined))
    pooled = ops.mean(gated[:, 1:], axis=-1, keepdims=True) + gated[:, :1]
    outputs = layers.Dense(1, name="out")(gated) - pooled
    return Model(inputs, outputs)


def _eager(model, x):
    """The same computation as ``_model`` in numpy, from the model's weights."""
    w = {layer.name: layer.get_weights() for layer in model.layers if layer.weights}
    hidden = numpy.tanh(x @ w["first"][0] + w["first"][1])
    summed = hidden + hidden @ w["second"][0] + w["second"][1]
    joined = numpy.concatenate([1.0 - 0.5 * summed / 2.0, x ** 2], axis=-1)
    gated = joined / (1.0 + numpy.exp(-(joined @ w["gate_source"][0] + w["gate_source"][1])))
    pooled = gated[:, 1:].mean(axis=-1, keepdims=True) + gated[:, :1]
    return gated @ w["out"][0] + w["out"][1] - pooled


def _data(count=64):
    rng = numpy.random.default_rng(3)
    x = rng.normal(size=(count, 4)).astype("float32")
    return x, ((x ** 2).sum(axis=1, keepdims=True) - x[:, :1]).astype("float32")


def test_operators_give_keras_tensors_of_the_right_shapes_and_dtypes():
    x, y = Input((3, 4)), Input((4,))
    row = y[:, None, :]
    assert (x + row).shape == (None, 3, 4)
    assert (2.0 * x - row / 3).shape == (None, 3, 4)
    assert (x @ layers.Dense(4)(y)[:, :, None]).shape == (None, 3, 1)
    assert (x[:, 0] ** 2 // 1 % 3).shape == (None, 4)
    assert (-abs(x)).shape == (None, 3, 4)
    assert x[..., 1:3].shape == (None, 3, 2) and x[:, None].shape == (None, 1, 3, 4)
    comparisons = [x < row, x <= 1, x > row, x >= 0, x != row]
    assert all(t.shape == (None, 3, 4) and t.dtype == "bool" for t in comparisons)
    flags = x > 0
    assert ((flags & (row > 0)) | ~flags ^ flags).dtype == "bool"
    assert round(x).shape == (None, 3, 4)
    assert (numpy.ones(4, "float32") + y).shape == (None, 4)  # numpy defers to the reflected operator
    assert x.reshape((-1, 12)).shape == (None, 12)


def test_equality_stays_identity_so_tensors_hash_and_compare_as_objects():
    x = Input((2,))
    other = x + 1.0
    assert x == x and not (x == other) and len({x, other, x}) == 2
    assert isinstance(x != other, KerasTensor)


def test_keras_ops_on_keras_tensors_state_shapes_and_keep_unknown_dimensions():
    x, seq = Input((6,)), Input((None, 3))
    assert ops.concatenate([x, x], axis=-1).shape == (None, 12)
    assert ops.concatenate([x, x], axis=0).shape == (None, 6)  # the batch stays unknown
    assert ops.mean(x, axis=-1, keepdims=True).shape == (None, 1)
    assert ops.reshape(x, (-1, 2, 3)).shape == (None, 2, 3)
    assert ops.expand_dims(x, 1).shape == (None, 1, 6)
    assert ops.sum(seq, axis=1).shape == (None, 3) and ops.transpose(seq, (0, 2, 1)).shape == (None, 3, None)
    assert ops.relu(seq).shape == (None, None, 3) and ops.softmax(seq, axis=-1).shape == (None, None, 3)
    first, second = ops.split(x, 2, axis=-1)
    assert first.shape == second.shape == (None, 3)
    assert ops.argmax(x, axis=-1).dtype == "int32" and ops.argmax(x, axis=-1).shape == (None,)


def test_a_model_through_ops_predicts_as_the_same_computation_in_numpy():
    model = _model()
    x, _ = _data(8)
    assert model.output_shape == (None, 1)
    numpy.testing.assert_allclose(model.predict(x, verbose=0), _eager(model, x), rtol=1e-5, atol=1e-5)
    assert [layer.name for layer in model.layers if layer.weights] == ["first", "second", "gate_source", "out"]
    assert not any(isinstance(layer, Operation) for layer in model.layers)  # ops are nodes, not layers


def test_it_trains_and_gradients_reach_the_weights_behind_the_ops():
    keras.utils.set_random_seed(1)
    model = _model()
    x, y = _data()
    before = [w.copy() for w in model.get_layer("first").get_weights()]
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=20, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0], history
    after = model.get_layer("first").get_weights()  # reached only through +, *, / and concatenate
    assert all(not numpy.allclose(old, new) for old, new in zip(before, after))
    for layer in model.layers:
        assert all(w.dtype == numpy.float32 for w in layer.get_weights())


def test_the_config_has_keras_layout_for_op_nodes_and_rebuilds_the_model():
    model = _model()
    config = model.get_config()
    entries = {}  # by class, the first of each (op names count up over the session: add_3)
    for entry in config["layers"]:
        entries.setdefault(entry["class_name"], entry)
    add = entries["Add"]
    assert (add["module"], add["class_name"], add["registered_name"]) == ("keras.src.ops.numpy", "Add", "Add")
    assert [arg["config"]["keras_history"] for arg in add["inbound_nodes"][0]["args"]] == [
        ["first", 0, 0], ["second", 0, 0]]
    assert entries["Concatenate"]["config"] == {"name": entries["Concatenate"]["name"], "axis": -1}
    assert {k: v for k, v in entries["Mean"]["config"].items() if k != "name"} == {"axis": -1, "keepdims": True}
    keys = [entry["inbound_nodes"][0]["args"][1] for entry in config["layers"] if entry["class_name"] == "GetItem"]
    assert {"class_name": "__slice__", "config": {"start": 1, "stop": None, "step": None}} in [k[1] for k in keys]
    assert len(entries["Gate"]["inbound_nodes"][0]["args"]) == 2  # Gate()(joined, source): two arguments

    clone = Model.from_config(copy.deepcopy(config))
    clone.set_weights(model.get_weights())
    x, _ = _data(8)
    numpy.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert [entry["name"] for entry in clone.get_config()["layers"]] == [entry["name"] for entry in config["layers"]]


def test_a_keras_file_of_such_a_model_round_trips(tmp_path):
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    x, y = _data(16)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "ops.keras")
    loaded = keras.saving.load_model(tmp_path / "ops.keras", custom_objects={"Gate": Gate})
    numpy.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_a_layer_taking_two_tensors_is_called_with_both_and_builds_for_the_first():
    x, gate = Input((5,)), Input((5,))
    layer = Gate()
    out = layer(x, gate)
    assert out.shape == (None, 5) and layer._inbound_nodes[-1].inputs == [x, gate]
    model = Model([x, gate], out)
    a, b = numpy.ones((2, 5), "float32"), numpy.zeros((2, 5), "float32")
    numpy.testing.assert_allclose(model.predict([a, b], verbose=0), 0.5 * a)


def test_an_unknown_op_in_a_config_is_refused_by_name_and_nothing_is_imported():
    config = _model().get_config()
    for entry in config["layers"]:
        if entry["class_name"] == "Add":
            entry["class_name"] = entry["registered_name"] = "SystemCall"
    with pytest.raises(ValueError, match="unknown op 'SystemCall'"):
        Model.from_config(config)


def test_a_keras_only_op_option_that_is_on_is_refused():
    config = _model().get_config()
    for entry in config["layers"]:
        if entry["class_name"] == "Concatenate":
            entry["config"]["sparse_output"] = True
    with pytest.raises(ValueError, match="sparse_output"):
        Model.from_config(config)


def test_bad_uses_raise_clear_errors():
    x, y = Input((3,)), Input((4,))
    shapes = r"\[\(None, 3\), \(None, 4\)\]"
    with pytest.raises(ValueError, match="ops.matmul cannot take symbolic inputs of shapes " + shapes):
        ops.matmul(x, y)
    with pytest.raises(ValueError, match="ops.add"):
        x + y
    with pytest.raises(TypeError, match="`x_min` must be a constant"):
        ops.clip(x, x, 1.0)
    assert ops.shape(x) == (None, 3)  # a query, answered from the shape as in Keras
    with pytest.raises(TypeError, match="truth value"):
        bool(x > 0)
    with pytest.raises(TypeError, match="iterated"):
        list(x)
    with pytest.raises(TypeError, match="ops.mean"):
        ops.mean(x, axis=-1, bogus=1)


def test_ops_return_arrays_on_arrays_and_plain_models_record_no_operations():
    assert isinstance(ops.add(numpy.ones(2, "float32"), 1.0), numpy.ndarray)
    inputs = Input((3,))
    model = Model(inputs, layers.Dense(2)(layers.Dense(4)(inputs)))
    assert all(not isinstance(operation, Operation) for operation in model._operations)


def test_an_autograd_primitive_op_splits_its_arguments_by_its_raw_signature():
    # ops.softmax is an autograd primitive (its wrapper takes *args): a positional axis is still
    # Keras's constructor argument, written in the op's config, not a second tensor.
    inputs = Input((5,))
    model = Model(inputs, ops.softmax(layers.Dense(5)(inputs), -1))
    (entry,) = [entry for entry in model.get_config()["layers"] if entry["class_name"] == "Softmax"]
    assert entry["config"]["axis"] == -1 and len(entry["inbound_nodes"][0]["args"]) == 1
    x = numpy.random.default_rng(0).random((3, 5)).astype("float32")
    clone = Model.from_config(copy.deepcopy(model.get_config()))
    clone.set_weights(model.get_weights())
    numpy.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_summary_lists_op_nodes_as_keras_3_does(monkeypatch):
    # The table Keras 3.15.1 prints for this model at 80 columns (its ops are rows named by Keras's class).
    monkeypatch.setenv("COLUMNS", "80")
    clear_session()
    i = Input((4,), name="i")
    h = layers.Dense(3, name="d")(i)
    model = Model(i, layers.Dense(1, name="out")(ops.concatenate([h * 2.0, i], axis=-1)))
    lines = []
    model.summary(print_fn=lines.append)
    rows = [line for line in lines if line.startswith("│")]
    assert rows[2:] == ["│ multiply (Multiply) │ (None, 3)         │          0 │ d[0][0]           │",
                         "│ concatenate         │ (None, 7)         │          0 │ multiply[0][0],   │",
                         "│ (Concatenate)       │                   │            │ i[0][0]           │",
                         "│ out (Dense)         │ (None, 1)         │          8 │ concatenate[0][0] │"]
    assert lines[-3] == " Total params: 23 (92.00 B)"


def test_training_goes_through_autograd_primitive_ops():
    # relu and softmax are autograd primitives: traced only when their tensors come by position.
    inputs = Input((4,))
    first = layers.Dense(5, name="first")
    model = Model(inputs, layers.Dense(1)(ops.softmax(ops.relu(first(inputs)), -1)))
    model.compile("sgd", "mse")
    before = first.get_weights()[0].copy()
    x = numpy.random.default_rng(1).random((16, 4)).astype("float32")
    model.fit(x, numpy.ones((16, 1), "float32"), epochs=2, verbose=0)
    assert numpy.abs(first.get_weights()[0] - before).max() > 0
