"""Several inputs and outputs: fit, evaluate, predict and *_on_batch with lists and dicts.

Keras 3 facts these tests pin, checked on Keras 3.15.1 (JAX backend) with a
model of two inputs ``in_a``, ``in_b`` and two outputs ``out_a`` (Dense(1),
mse, metrics ``['mae']``) and ``out_b`` (Dense(3, softmax), categorical
crossentropy, metrics ``['accuracy']``):

- History keys, sorted: ``['loss', 'out_a_loss', 'out_a_mae', 'out_b_accuracy',
  'out_b_loss', 'val_loss', 'val_out_a_loss', 'val_out_a_mae',
  'val_out_b_accuracy', 'val_out_b_loss']``.  ``loss`` is the weighted sum of
  the outputs' losses plus the regularization losses; each ``<output>_loss`` is
  unweighted.
- ``evaluate`` returns ``[loss, out_a_loss, out_b_loss, out_a_mae,
  out_b_accuracy]``: the losses in output order, then the metrics sorted by
  name (outputs ``reg``/``cls`` with metrics ``{'cls': ['accuracy'], 'reg':
  ['mae']}`` give ``[loss, reg_loss, cls_loss, cls_accuracy, reg_mae]``).
  ``train_on_batch`` and ``test_on_batch`` use the same order.
- ``metrics=['mae']`` (a flat list shorter or longer than the outputs) is an
  error; a list with one entry per output gives each output its entry
  (``['mae', 'accuracy']`` -> ``out_a_mae``, ``out_b_accuracy``); so do a list of
  lists and a dict keyed by output names, which may leave outputs out.
- One loss (``loss='mse'``) applies to every output and still gives
  ``out_a_loss`` and ``out_b_loss``.  A loss dict must name every output
  (``Expected keys ['out_a', 'out_b'] in loss dict``); None gives an output no
  loss, and with a single loss left the History has only ``loss``.
- One ``sample_weight`` array weights every output's loss and weighted metrics;
  a list gives one array per output.  ``class_weight`` raises ``ValueError:
  `class_weight` is only supported for Models with a single output.``
- ``weighted_metrics`` are named like metrics and, when the name is taken,
  ``<output>_weighted_<metric>`` (``out_a_weighted_mae``); a repeated metric
  gets ``_1`` (``out_a_mae_1``).
- Outputs given as a dict are named by their keys (``score_loss``); ``predict``
  returns a list (or a dict) of arrays; a model whose outputs are a list of
  one behaves as a single-output model (its predictions are one array).
- ``model.metrics_names`` in Keras 3 is ``['loss', 'compile_metrics',
  'out_a_loss', 'out_b_loss']``, which does not line up with ``evaluate``'s
  list.  microkeras keeps its single-output rule instead -- ``metrics_names``
  are the names of ``evaluate``'s values, in order.

Where Keras 3 silently does something else, microkeras raises: a loss list
shorter than the outputs (Keras applies it to the first outputs only), one
number as ``loss_weights`` for several outputs (Keras: ``TypeError: object of
type 'float' has no len()``).
"""

import numpy
import pytest
from autograd.tracer import getval

import microkeras as keras
from microkeras import Input, Model, layers, metrics, ops, optimizers
from microkeras.testing import record_backward_dtypes
from microkeras.utils import Sequence, to_categorical

KERAS_HISTORY_KEYS = ["loss", "out_a_loss", "out_a_mae", "out_b_accuracy", "out_b_loss",
                      "val_loss", "val_out_a_loss", "val_out_a_mae", "val_out_b_accuracy", "val_out_b_loss"]


def data(n=20, seed=0):
    """``x_a (n, 4)``, ``x_b (n, 3)``, ``y_a (n, 1)`` and one-hot ``y_b (n, 3)``."""
    rng = numpy.random.default_rng(seed)
    x_a = rng.normal(size=(n, 4)).astype(numpy.float32)
    x_b = rng.normal(size=(n, 3)).astype(numpy.float32)
    y_a = rng.normal(size=(n, 1)).astype(numpy.float32)
    y_b = to_categorical(rng.integers(0, 3, n), 3)
    return x_a, x_b, y_a, y_b


def two_by_two(seed=None):
    """Inputs ``in_a (4,)``, ``in_b (3,)``; outputs ``out_a`` (Dense 1) and ``out_b`` (Dense 3, softmax)."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    a, b = Input((4,), name="in_a"), Input((3,), name="in_b")
    hidden = layers.Dense(5, activation="relu", name="hidden")(layers.concatenate([a, b]))
    return Model([a, b], [layers.Dense(1, name="out_a")(hidden),
                          layers.Dense(3, activation="softmax", name="out_b")(hidden)])


def compiled(learning_rate=0.1, seed=0, **kwargs):
    model = two_by_two(seed)
    options = {"loss": ["mse", "categorical_crossentropy"], **kwargs}
    model.compile(optimizers.SGD(learning_rate), **options)
    return model


# ------------------------------------------------------------------ names
def test_history_keys_are_keras_3s_per_output_names_with_val_variants():
    x_a, x_b, y_a, y_b = data()
    model = compiled(metrics={"out_a": ["mae"], "out_b": ["accuracy"]})
    history = model.fit([x_a, x_b], [y_a, y_b], epochs=2, validation_split=0.25, verbose=0)
    assert list(history.history) == KERAS_HISTORY_KEYS
    assert all(len(values) == 2 and all(type(v) is float for v in values) for values in history.history.values())


def test_evaluate_returns_the_losses_in_output_order_then_the_metrics_by_name():
    x_a, x_b, y_a, y_b = data()
    model = compiled(metrics=[["mae"], ["mse", "accuracy"]])
    logs = model.evaluate([x_a, x_b], [y_a, y_b], verbose=0, return_dict=True)
    values = model.evaluate([x_a, x_b], [y_a, y_b], verbose=0)
    order = ["loss", "out_a_loss", "out_b_loss", "out_a_mae", "out_b_accuracy", "out_b_mse"]
    assert model.metrics_names == order
    assert values == [logs[name] for name in order]
    assert model.test_on_batch([x_a, x_b], [y_a, y_b]) == pytest.approx(values, rel=1e-6)

    # Metrics sort by name, not by output: Keras 3 gives [loss, reg_loss, cls_loss, cls_accuracy, reg_mae].
    inputs = Input((4,), name="x")
    model = Model(inputs, [layers.Dense(1, name="reg")(inputs), layers.Dense(3, activation="softmax", name="cls")(inputs)])
    model.compile("sgd", {"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  metrics={"cls": ["accuracy"], "reg": ["mae"]})
    labels = numpy.arange(20) % 3
    logs = model.evaluate(x_a, {"reg": y_a, "cls": labels}, verbose=0, return_dict=True)
    assert model.metrics_names == ["loss", "reg_loss", "cls_loss", "cls_accuracy", "reg_mae"]
    assert model.evaluate(x_a, {"reg": y_a, "cls": labels}, verbose=0) == [logs[n] for n in model.metrics_names]


def test_a_list_with_one_metric_per_output_gives_each_output_its_metric():
    x_a, x_b, y_a, y_b = data()
    model = compiled(metrics=["mae", "accuracy"])  # Keras 3: one entry per output, not both on each
    assert sorted(model.evaluate([x_a, x_b], [y_a, y_b], verbose=0, return_dict=True)) == \
        ["loss", "out_a_loss", "out_a_mae", "out_b_accuracy", "out_b_loss"]


def test_weighted_and_repeated_metrics_are_named_as_keras_3_names_them():
    x_a, x_b, y_a, y_b = data()
    mine = metrics.MeanAbsoluteError(name="m1")
    model = compiled(metrics=[["mae", "mae", mine], None], weighted_metrics={"out_a": ["mae"], "out_b": ["accuracy"]})
    logs = model.evaluate([x_a, x_b], [y_a, y_b], verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "out_a_loss", "out_a_m1", "out_a_mae", "out_a_mae_1", "out_a_weighted_mae",
                            "out_b_accuracy", "out_b_loss"]
    assert mine.name == "m1"  # the instance keeps its name; the History prefixes it
    assert logs["out_a_m1"] == logs["out_a_mae"]


def test_one_loss_applies_to_every_output():
    x_a, x_b, y_a, y_b = data()
    model = compiled(learning_rate=0.0, loss="mse")
    logs = model.evaluate([x_a, x_b], [y_a, y_b], verbose=0, return_dict=True)
    pred_a, pred_b = model.predict([x_a, x_b], verbose=0)
    assert logs["out_a_loss"] == pytest.approx(float(numpy.mean((pred_a - y_a) ** 2)), rel=1e-5)
    assert logs["out_b_loss"] == pytest.approx(float(numpy.mean((pred_b - y_b) ** 2)), rel=1e-5)
    assert logs["loss"] == pytest.approx(logs["out_a_loss"] + logs["out_b_loss"], rel=1e-6)


def test_an_output_without_a_loss_is_left_out_and_needs_no_labels():
    x_a, x_b, y_a, y_b = data()
    model = compiled(learning_rate=0.0, loss=[None, "categorical_crossentropy"])
    expected = model.evaluate([x_a, x_b], [y_a, y_b], verbose=0, return_dict=True)
    assert list(expected) == ["loss"]  # one loss left: no per-output keys (Keras 3)
    _, pred_b = model.predict([x_a, x_b], verbose=0)
    assert expected["loss"] == pytest.approx(float(numpy.mean(-(y_b * numpy.log(pred_b)).sum(axis=1))), rel=1e-5)
    # Labels only for the outputs that have a loss: a dict without it, or a list of just those (Keras 3).
    assert model.evaluate([x_a, x_b], {"out_b": y_b}, verbose=0, return_dict=True) == expected
    assert model.evaluate([x_a, x_b], [y_b], verbose=0, return_dict=True) == expected
    model.compile("sgd", {"out_a": None, "out_b": "categorical_crossentropy"})
    with pytest.warns(UserWarning, match="Gradients do not exist"):  # out_a's layer: no loss reaches it
        assert model.fit([x_a, x_b], [None, y_b], verbose=0).history["loss"]


def test_outputs_given_as_a_dict_are_named_by_their_keys():
    x_a, x_b, y_a, y_b = data()
    a, b = Input((4,), name="in_a"), Input((3,), name="in_b")
    merged = layers.concatenate([a, b])
    model = Model({"in_a": a, "in_b": b}, {"score": layers.Dense(1, name="out_a")(merged),
                                           "klass": layers.Dense(3, activation="softmax", name="out_b")(merged)})
    model.compile("sgd", {"score": "mse", "klass": "categorical_crossentropy"},
                  metrics={"score": "mae", "klass": ["accuracy"]})
    history = model.fit({"in_a": x_a, "in_b": x_b}, {"score": y_a, "klass": y_b}, verbose=0)
    assert sorted(history.history) == ["klass_accuracy", "klass_loss", "loss", "score_loss", "score_mae"]
    predictions = model.predict({"in_a": x_a, "in_b": x_b}, verbose=0)
    # Keras 3 flattens a dict by sorted key: outputs, output_names and predictions come as klass, score.
    assert list(predictions) == ["klass", "score"] and predictions["klass"].shape == (20, 3)
    assert list(model.predict_on_batch({"in_a": x_a, "in_b": x_b})) == ["klass", "score"]
    assert model.output_names == ["out_b", "out_a"]


# --------------------------------------------------------------- numbers
def softmax(z):
    e = numpy.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_per_output_losses_and_weights_follow_a_numpy_reference_over_three_steps():
    # out_a = [x_a, x_b] @ Wa + ba with mse and per-sample weights w; out_b = softmax(x_a @ Wb + bb) with
    # categorical crossentropy; loss_weights (0.5, 2.0); an l2(0.01) penalty on Wa.  With N samples:
    #   loss = 0.5 * sum_i w_i (pa_i - ya_i)^2 / N  +  2.0 * sum_i -sum_k yb_ik log pb_ik / N  +  0.01 sum Wa^2
    # ("sum_over_batch_size": divided by N, not by sum(w)).  Its gradients:
    #   d/dpa_i = 0.5 * 2 w_i (pa_i - ya_i) / N,   d/dz_b = 2.0 (pb - yb) / N   (softmax + crossentropy),
    #   dWa = [x_a, x_b]^T d/dpa + 0.02 Wa,  dba = sum_i d/dpa_i,  dWb = x_a^T d/dz_b,  dbb = sum_i d/dz_b,
    # and SGD subtracts 0.1 times each.  One batch per epoch, so each History entry is the loss of
    # the weights before that step; out_a_loss / out_b_loss are the unweighted terms.
    x_a, x_b, y_a, y_b = data(n=12, seed=3)
    w = numpy.random.default_rng(4).uniform(0.5, 2.0, 12).astype(numpy.float32)
    keras.utils.set_random_seed(1)
    a, b = Input((4,), name="in_a"), Input((3,), name="in_b")
    out_a = layers.Dense(1, name="out_a", kernel_regularizer="l2")(layers.concatenate([a, b]))
    out_b = layers.Dense(3, activation="softmax", name="out_b")(a)
    model = Model([a, b], [out_a, out_b])
    model.compile(optimizers.SGD(0.1), ["mse", "categorical_crossentropy"], loss_weights={"out_a": 0.5, "out_b": 2.0})
    wa, ba, wb, bb = (numpy.array(v, numpy.float64) for v in (
        model.get_layer("out_a").kernel.numpy(), model.get_layer("out_a").bias.numpy(),
        model.get_layer("out_b").kernel.numpy(), model.get_layer("out_b").bias.numpy()))

    history = model.fit([x_a, x_b], [y_a, y_b], sample_weight=[w, None], batch_size=12, epochs=3,
                        shuffle=False, verbose=0).history

    features, n = numpy.concatenate([x_a, x_b], axis=1).astype(numpy.float64), 12
    expected = {"loss": [], "out_a_loss": [], "out_b_loss": []}
    for _ in range(3):
        pa, pb = features @ wa + ba, softmax(x_a @ wb + bb)
        loss_a = float(numpy.sum(w * (pa - y_a)[:, 0] ** 2) / n)
        loss_b = float(numpy.sum(-(y_b * numpy.log(pb)).sum(axis=1)) / n)
        expected["out_a_loss"].append(loss_a)
        expected["out_b_loss"].append(loss_b)
        expected["loss"].append(0.5 * loss_a + 2.0 * loss_b + 0.01 * float(numpy.sum(wa ** 2)))
        grad_a = 0.5 * 2 * w[:, None] * (pa - y_a) / n
        grad_b = 2.0 * (pb - y_b) / n
        wa, ba = wa - 0.1 * (features.T @ grad_a + 0.02 * wa), ba - 0.1 * grad_a.sum(axis=0)
        wb, bb = wb - 0.1 * (x_a.T @ grad_b), bb - 0.1 * grad_b.sum(axis=0)
    for key, values in expected.items():
        numpy.testing.assert_allclose(history[key], values, rtol=1e-5)
    for layer, (kernel, bias) in (("out_a", (wa, ba)), ("out_b", (wb, bb))):
        numpy.testing.assert_allclose(model.get_layer(layer).kernel.numpy(), kernel, rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(model.get_layer(layer).bias.numpy(), bias, rtol=1e-5, atol=1e-6)


def test_one_sample_weight_array_weights_every_output_and_weighted_metrics():
    x_a, x_b, y_a, y_b = data()
    w = numpy.linspace(0.0, 2.0, 20).astype(numpy.float32)
    model = compiled(learning_rate=0.0, weighted_metrics=[["mae"], ["mae"]])
    logs = model.evaluate([x_a, x_b], [y_a, y_b], sample_weight=w, verbose=0, return_dict=True)
    pred_a, pred_b = (p.astype(numpy.float64) for p in model.predict([x_a, x_b], verbose=0))
    crossentropy = -(y_b * numpy.log(pred_b)).sum(axis=1)
    # Losses: sum(w * per-sample loss) / N; weighted metrics: sum(w * value) / sum(w).
    assert logs["out_a_loss"] == pytest.approx(float(numpy.sum(w * (pred_a - y_a)[:, 0] ** 2) / 20), rel=1e-5)
    assert logs["out_b_loss"] == pytest.approx(float(numpy.sum(w * crossentropy) / 20), rel=1e-5)
    assert logs["out_b_mae"] == pytest.approx(float(numpy.sum(w * numpy.abs(pred_b - y_b).mean(1)) / w.sum()),
                                              rel=1e-5)
    assert model.evaluate([x_a, x_b], [y_a, y_b], sample_weight=[w, w], verbose=0, return_dict=True) == \
        pytest.approx(logs)
    per_output = model.evaluate([x_a, x_b], [y_a, y_b], sample_weight={"out_a": w, "out_b": None}, verbose=0,
                                return_dict=True)
    assert per_output["out_a_loss"] == pytest.approx(logs["out_a_loss"])
    assert per_output["out_b_loss"] == pytest.approx(float(numpy.mean(crossentropy)), rel=1e-5)


def test_loss_weights_scale_the_total_but_not_the_per_output_losses():
    x_a, x_b, y_a, y_b = data()
    plain = compiled(learning_rate=0.0).evaluate([x_a, x_b], [y_a, y_b], verbose=0, return_dict=True)
    weighted = compiled(learning_rate=0.0, loss_weights=[3.0, 0.25])
    logs = weighted.evaluate([x_a, x_b], [y_a, y_b], verbose=0, return_dict=True)
    assert logs["out_a_loss"] == plain["out_a_loss"] and logs["out_b_loss"] == plain["out_b_loss"]
    assert logs["loss"] == pytest.approx(3.0 * plain["out_a_loss"] + 0.25 * plain["out_b_loss"], rel=1e-6)


def test_list_and_dict_forms_train_identically():
    x_a, x_b, y_a, y_b = data()
    w = numpy.linspace(0.5, 1.5, 20).astype(numpy.float32)
    as_lists = compiled(loss=["mse", "categorical_crossentropy"], loss_weights=[2.0, 1.0],
                        metrics=[["mae"], ["accuracy"]])
    as_dicts = compiled(loss={"out_b": "categorical_crossentropy", "out_a": "mse"},
                        loss_weights={"out_b": 1.0, "out_a": 2.0}, metrics={"out_b": ["accuracy"], "out_a": ["mae"]})
    first = as_lists.fit([x_a, x_b], [y_a, y_b], sample_weight=[w, w], batch_size=8, epochs=2, shuffle=False,
                         verbose=0)
    second = as_dicts.fit({"in_b": x_b, "in_a": x_a}, {"out_b": y_b, "out_a": y_a},
                          sample_weight={"out_b": w, "out_a": w}, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert first.history == second.history
    for mine, theirs in zip(as_lists.get_weights(), as_dicts.get_weights()):
        numpy.testing.assert_array_equal(mine, theirs)


def test_on_batch_methods_take_lists_and_dicts():
    x_a, x_b, y_a, y_b = data()
    model = compiled(metrics={"out_b": ["accuracy"]})
    logs = model.train_on_batch({"in_a": x_a, "in_b": x_b}, {"out_a": y_a, "out_b": y_b}, return_dict=True)
    assert sorted(logs) == ["loss", "out_a_loss", "out_b_accuracy", "out_b_loss"]
    values = model.test_on_batch([x_a, x_b], [y_a, y_b])
    assert len(values) == 4 and values[0] == pytest.approx(values[1] + values[2], rel=1e-6)
    outputs = model.predict_on_batch([x_a, x_b])
    assert isinstance(outputs, list) and [o.shape for o in outputs] == [(20, 1), (20, 3)]
    numpy.testing.assert_allclose(outputs[1], model([x_a, x_b])[1], rtol=1e-6)


def test_predict_returns_one_array_per_output_and_batches_them():
    x_a, x_b, _, _ = data(n=50)
    model = compiled()
    outputs = model.predict([x_a, x_b], batch_size=16, verbose=0)
    expected = model([x_a, x_b])
    assert isinstance(outputs, list) and [o.dtype for o in outputs] == [numpy.float32, numpy.float32]
    for mine, reference in zip(outputs, expected):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-7)
    generated = model.predict(iter([([x_a[:30], x_b[:30]],), ([x_a[30:], x_b[30:]],)]), verbose=0)
    for mine, reference in zip(generated, expected):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-7)


def test_a_model_whose_outputs_are_a_list_of_one_is_a_single_output_model():
    x_a, _, y_a, _ = data()
    inputs = Input((4,), name="in_a")
    model = Model([inputs], [layers.Dense(3, activation="softmax", name="probs")(inputs)])
    model.compile("sgd", ["categorical_crossentropy"], metrics=[["accuracy"]], loss_weights=[2.0])
    labels = (numpy.arange(20) % 3)
    history = model.fit(x_a, to_categorical(labels, 3), class_weight={0: 2.0}, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert isinstance(model.predict(x_a, verbose=0), numpy.ndarray)
    assert isinstance(model(x_a), numpy.ndarray)


def test_softmax_crossentropy_is_fused_for_each_output_and_stays_float32(monkeypatch):
    x_a, x_b, y_a, y_b = data(n=8)
    model = two_by_two(seed=0)
    a, b = model.inputs
    both = Model([a, b], [model.outputs[1], layers.Dense(3, activation="softmax", name="out_c")(a)])
    both.compile("sgd", "categorical_crossentropy")
    calls = []
    fused = ops.softmax_cross_entropy
    monkeypatch.setattr(ops, "softmax_cross_entropy", lambda *args, **kw: calls.append(1) or fused(*args, **kw))
    seen = {}
    compute_loss = both.compute_loss

    def recording_compute_loss(x, y, y_pred, sample_weight=None, training=True):
        loss = compute_loss(x, y, y_pred, sample_weight, training)
        seen["loss"] = getval(loss).dtype
        return loss

    both.compute_loss = recording_compute_loss
    with record_backward_dtypes() as records:
        both.train_step(([x_a, x_b], [y_b, y_b]))
    assert len(calls) == 2  # one fused softmax-crossentropy per output
    assert records and not [r for r in records if "float64" in repr(r)]
    assert seen["loss"] == numpy.float32
    assert all(w.dtype == numpy.float32 for w in both.get_weights())


# ------------------------------------------------------------------ data
def indexed_data(n=16):
    """Arrays whose first column is the sample's index, so that a batch shows which samples it holds."""
    index = numpy.arange(n, dtype=numpy.float32)
    x_a = numpy.tile(index[:, None], (1, 4))
    x_b = numpy.tile(index[:, None], (1, 3))
    y_a = index[:, None].copy()
    y_b = numpy.zeros((n, 3), numpy.float32)
    y_b[:, 0] = index
    return x_a, x_b, y_a, y_b, index + 100  # sample weights: 100 + index


def test_validation_split_and_shuffle_cut_every_array_at_the_same_samples():
    x_a, x_b, y_a, y_b, w = indexed_data()
    model = compiled(loss="mse")
    seen = {"train": [], "test": []}
    train_step, test_step = model.train_step, model.test_step

    def record(kind, step):
        def recording(data):
            (xa, xb), (ya, yb), (wa, wb) = data
            rows = [xa[:, 0], xa[:, 3], xb[:, 2], ya[:, 0], yb[:, 0], wa - 100, wb - 100]
            assert all(numpy.array_equal(rows[0], row) for row in rows), rows
            seen[kind].append(rows[0].copy())
            return step(data)
        return recording

    model.train_step, model.test_step = record("train", train_step), record("test", test_step)
    model.fit({"in_a": x_a, "in_b": x_b}, [y_a, y_b], sample_weight=[w, w], validation_split=0.25, batch_size=4,
              epochs=2, verbose=0)
    first_epoch = numpy.concatenate(seen["train"][:3])
    assert sorted(first_epoch) == list(range(12)) and list(first_epoch) != list(range(12))  # shuffled head
    assert numpy.concatenate(seen["test"]).tolist() == [12, 13, 14, 15] * 2  # the tail validates, in order


def test_memory_maps_and_in_memory_arrays_train_identically(tmp_path):
    x_a, x_b, y_a, y_b = data(n=40)
    for name, array in (("x_a", x_a), ("x_b", x_b), ("y_a", y_a), ("y_b", y_b)):
        numpy.save(tmp_path / f"{name}.npy", array)
    mapped = {name: numpy.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in ("x_a", "x_b", "y_a", "y_b")}
    results = []
    for x, y in (([x_a, x_b], [y_a, y_b]), ([mapped["x_a"], mapped["x_b"]], {"out_a": mapped["y_a"],
                                                                            "out_b": mapped["y_b"]})):
        model = compiled()
        keras.utils.set_random_seed(5)  # the same shuffles
        history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.2, verbose=0)
        results.append((history.history, model.get_weights()))
    assert results[0][0] == results[1][0]
    for mine, theirs in zip(results[0][1], results[1][1]):
        numpy.testing.assert_array_equal(mine, theirs)


class Batches(Sequence):
    """Batches of dicts: ``({'in_a', 'in_b'}, {'out_a', 'out_b'}, {'out_a', 'out_b'})``."""

    def __init__(self, x_a, x_b, y_a, y_b, w, batch_size):
        super().__init__()
        self.arrays, self.batch_size = (x_a, x_b, y_a, y_b, w), batch_size

    def __len__(self):
        return -(-len(self.arrays[0]) // self.batch_size)

    def __getitem__(self, index):
        x_a, x_b, y_a, y_b, w = (a[index * self.batch_size:(index + 1) * self.batch_size] for a in self.arrays)
        return {"in_a": x_a, "in_b": x_b}, {"out_a": y_a, "out_b": y_b}, {"out_a": w, "out_b": None}


def test_generators_and_sequences_may_yield_lists_and_dicts():
    x_a, x_b, y_a, y_b = data(n=24)
    w = numpy.linspace(0.5, 1.5, 24).astype(numpy.float32)
    reference = compiled(metrics=[["mae"], ["accuracy"]])
    expected = reference.fit([x_a, x_b], [y_a, y_b], sample_weight=[w, None], batch_size=8, epochs=2,
                             shuffle=False, verbose=0).history

    def generator():
        while True:
            for start in range(0, 24, 8):
                part = slice(start, start + 8)
                yield (x_a[part], x_b[part]), [y_a[part], y_b[part]], [w[part], None]

    from_generator = compiled(metrics=[["mae"], ["accuracy"]])
    history = from_generator.fit(generator(), steps_per_epoch=3, epochs=2, verbose=0).history
    from_sequence = compiled(metrics=[["mae"], ["accuracy"]])
    sequence_history = from_sequence.fit(Batches(x_a, x_b, y_a, y_b, w, 8), epochs=2, shuffle=False,
                                         verbose=0).history
    for result in (history, sequence_history):
        assert sorted(result) == sorted(expected)
        for key in expected:
            numpy.testing.assert_allclose(result[key], expected[key], rtol=1e-6)
    for mine, theirs in zip(from_sequence.get_weights(), reference.get_weights()):
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-6)
    assert from_sequence.evaluate(Batches(x_a, x_b, y_a, y_b, w, 8), verbose=0) == \
        pytest.approx(from_sequence.evaluate([x_a, x_b], [y_a, y_b], sample_weight=[w, None], verbose=0))


def test_validation_data_takes_lists_and_dicts():
    x_a, x_b, y_a, y_b = data()
    model = compiled(metrics={"out_a": ["mae"]})
    history = model.fit([x_a, x_b], [y_a, y_b], validation_data=({"in_a": x_a, "in_b": x_b}, {"out_a": y_a, "out_b": y_b},
                                                                 numpy.ones(20)), verbose=0)
    assert sorted(history.history) == ["loss", "out_a_loss", "out_a_mae", "out_b_loss", "val_loss",
                                       "val_out_a_loss", "val_out_a_mae", "val_out_b_loss"]
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate([x_a, x_b], [y_a, y_b], verbose=0)[0])


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(loss=["mse"]), ValueError, r"`loss` must have one entry per output, 2 for \['out_a', 'out_b'\]; "
                                     r"received 1"),
    (dict(loss={"out_a": "mse"}), ValueError, r"`loss` as a dict must name every output; it lacks \['out_b'\]"),
    (dict(loss={"out_a": "mse", "out_b": "mse", "out_c": "mse"}), ValueError,
     r"`loss` has the key\(s\) \['out_c'\], which name no output"),
    (dict(loss="mse", loss_weights=2.0), TypeError, r"`loss_weights` must be a list or a dict with one weight per "
                                                    r"output"),
    (dict(loss="mse", loss_weights=[1.0]), ValueError, r"`loss_weights` must have one entry per output"),
    (dict(loss="mse", loss_weights={"out_a": 2.0}), ValueError, r"`loss_weights` .* lacks \['out_b'\]"),
    (dict(loss="mse", loss_weights=[1.0, "2"]), TypeError, r"`loss_weights` must hold numbers"),
    (dict(loss="mse", metrics=["mae"]), ValueError, r"`metrics` must have one entry per output, 2 .*received 1\. "
                                                    r"With several outputs, Keras 3 takes"),
    (dict(loss="mse", metrics={"out_z": ["mae"]}), ValueError, r"`metrics` has the key\(s\) \['out_z'\]"),
    (dict(loss="mse", weighted_metrics="mae"), TypeError, r"`weighted_metrics` must be a list with one entry per "
                                                          r"output"),
    (dict(loss="mse", metrics=[["mae"], ["acuracy"]]), ValueError, r"Unknown metric in `metrics`: 'acuracy'"),
])
def test_bad_compile_arguments_for_several_outputs_name_the_argument(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        two_by_two().compile("sgd", **kwargs)


def _bad_data_cases():
    x_a, x_b, y_a, y_b = data()
    x, y = [x_a, x_b], [y_a, y_b]
    return [
        (dict(x=x, y=[y_a]), r"`y` must hold one array per output, in order; the model has 2 outputs "
                             r"\['out_a', 'out_b'\], and `y` holds 1"),
        (dict(x=x, y={"out_a": y_a}), r"`y` has no array for the output\(s\) \['out_b'\] \(it has a loss or metrics\)"),
        (dict(x=x, y={"out_a": y_a, "out_b": y_b, "extra": y_a}), r"`y` has the key\(s\) \['extra'\], which name no "
                                                                  r"output"),
        (dict(x=x, y=y_b), r"`y` is one array, but the model has 2 outputs \['out_a', 'out_b'\]: pass a list of 2"),
        (dict(x=x_a, y=y), r"`x` is one array, but the model has 2 inputs \['in_a', 'in_b'\]"),
        (dict(x={"in_a": x_a}, y=y), r"`x` has no array for the input\(s\) \['in_b'\]"),
        (dict(x={"in_a": x_a, "in_b": x_b, "in_c": x_b}, y=y), r"`x` has the key\(s\) \['in_c'\]"),
        (dict(x=[x_a, x_b[:, :2]], y=y), r"`x\['in_b'\]` has shape \(20, 2\), but the model expects inputs of shape "
                                         r"\(None, 3\)"),
        (dict(x=x, y=[y_a, y_a]), r"`y\['out_b'\]` has shape \(20, 1\), but the model's output has shape \(None, 3\)"),
        (dict(x=[x_a, x_b[:10]], y=y), r"x\['in_a'\] has 20, x\['in_b'\] has 10"),
        (dict(x=x, y=[y_a, numpy.where(y_b == 1, numpy.nan, y_b)]), r"`y\['out_b'\]` contains NaN"),
        (dict(x=x, y=y, sample_weight=[numpy.ones(20)]), r"`sample_weight` must hold one array \(or None\) per output"),
        (dict(x=x, y=y, sample_weight={"out_a": numpy.ones(20), "zz": None}), r"`sample_weight` has the key\(s\) "
                                                                              r"\['zz'\]"),
        (dict(x=x, y=y, sample_weight={"out_a": numpy.ones(20)}), r"`sample_weight` has no entry for the output\(s\) "
                                                                  r"\['out_b'\]"),
        (dict(x=x, y=y, sample_weight=[numpy.ones(20), numpy.ones(19)]), r"sample_weight\['out_b'\] has 19"),
        (dict(x=x, y=y, class_weight={0: 1.0}), r"`class_weight` is only supported for models with a single output"),
        (dict(x=x, y=y, validation_data=(x, [y_a])), r"`validation_data: y` must hold one array per output"),
    ]


@pytest.mark.parametrize("kwargs, pattern", _bad_data_cases())
def test_bad_data_for_several_inputs_and_outputs_is_refused_before_any_weight_changes(kwargs, pattern):
    model = compiled(metrics=[["mae"], None])
    before = model.get_weights()
    with pytest.raises(ValueError, match=pattern):
        model.fit(**{"verbose": 0, **kwargs})
    for mine, theirs in zip(before, model.get_weights()):
        numpy.testing.assert_array_equal(mine, theirs)
    assert model.optimizer.iterations == 0


def test_a_bad_generator_batch_names_the_source_and_the_output():
    x_a, x_b, y_a, y_b = data()
    model = compiled()
    with pytest.raises(ValueError, match=r"In a batch yielded by `x`: `y` has no array for the output\(s\) "
                                         r"\['out_b'\]"):
        model.fit(iter([([x_a, x_b], {"out_a": y_a})]), steps_per_epoch=1, verbose=0)
