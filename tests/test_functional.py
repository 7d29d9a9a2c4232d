"""The functional API: symbolic tensors, Model(inputs, outputs), merge layers, shared layers."""

import numpy
import pytest

import microkeras as keras
from microkeras import Input, Model, Sequential, layers
from microkeras.layers.keras_tensor import KerasTensor
from microkeras.testing import check_layer


def two_input_model():
    a, b = Input((4,), name="a"), Input((3,), name="b")
    merged = layers.concatenate([layers.Dense(5, name="da")(a), layers.Dense(5, name="db")(b)])
    return Model(inputs=[a, b], outputs=layers.Dense(2, name="head")(merged), name="two")


# ------------------------------------------------------------- symbolic tensors
def test_input_is_a_symbolic_tensor_and_layers_state_their_output_shapes():
    inputs = Input(shape=(4,), name="features")
    assert isinstance(inputs, KerasTensor)
    assert (inputs.shape, inputs.dtype, inputs.name) == ((None, 4), "float32", "features")
    assert (inputs.ndim, inputs.sparse, inputs.ragged) == (2, False, False)
    assert repr(inputs) == "<KerasTensor shape=(None, 4), dtype=float32, sparse=False, ragged=False, name=features>"
    assert Input((5,), dtype="int32").dtype == "int32"
    dense = layers.Dense(8)
    outputs = dense(inputs)
    assert outputs.shape == (None, 8) and dense.built and dense.kernel.shape == (4, 8)
    assert dense.input is inputs and dense.output is outputs
    with pytest.raises(TypeError, match="symbolic"):
        numpy.asarray(outputs)


def test_a_shape_mismatch_raises_when_the_graph_is_built_naming_the_layer_and_shapes():
    a, b = Input((4,)), Input((3,))
    with pytest.raises(ValueError, match=r"Layer 'bad_add' \(Add\) cannot take inputs of shape "
                                         r"\[\(None, 4\), \(None, 3\)\]"):
        layers.Add(name="bad_add")([a, b])
    dense = layers.Dense(2)
    dense(Input((4,)))
    with pytest.raises(ValueError, match=r"cannot take inputs of shape \(None, 3\)"):
        dense(Input((3,)))


# -------------------------------------------------------------------- Model
def test_model_of_two_inputs_lists_its_parts_in_keras_order_and_runs_lists_and_dicts():
    model = two_input_model()
    assert [layer.name for layer in model.layers] == ["a", "b", "da", "db", "concatenate", "head"][:2] + \
        ["da", "db", model.layers[4].name, "head"]
    assert model.input_names == ["a", "b"] and model.output_names == ["head"]
    assert [t.shape for t in model.inputs] == [(None, 4), (None, 3)]
    assert model.get_layer("head").output is model.outputs[0]
    rng = numpy.random.default_rng(0)
    x_a, x_b = rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")
    da, db, head = (model.get_layer(name) for name in ("da", "db", "head"))
    expected = numpy.concatenate([x_a @ da.kernel.numpy() + da.bias.numpy(),
                                  x_b @ db.kernel.numpy() + db.bias.numpy()], axis=1) @ head.kernel.numpy()
    numpy.testing.assert_allclose(model([x_a, x_b]), expected + head.bias.numpy(), rtol=1e-5)
    numpy.testing.assert_allclose(model({"a": x_a, "b": x_b}), model([x_a, x_b]), rtol=1e-6)


def test_layers_come_deepest_first_as_keras_3_orders_them():
    # Keras 3.15.1 lists this model's layers as b, a, pre_b, shared, add, out_a, out_b: b is
    # four calls from the outputs, a and pre_b three (a met first walking back from out_a).
    model = shared_dict_model()
    assert [layer.name for layer in model.layers] == ["b", "a", "pre_b", "shared", "add", "out_a", "out_b"]
    assert [entry["name"] for entry in model.get_config()["layers"]] == [layer.name for layer in model.layers]


def test_input_and_output_are_the_structures_the_model_was_given():
    model = shared_dict_model()
    assert model.input == model.inputs and isinstance(model.input, list)
    assert sorted(model.output) == ["oa", "ob"] and model.output["ob"] is model.outputs[1]
    # As in Keras 3: shapes in the order of `inputs` and `outputs`, one shape for one tensor.
    assert model.input_shape == [(None, 4), (None, 3)] and model.output_shape == [(None, 2), (None, 1)]
    inputs = Input((4,))
    single = Model(inputs, layers.Dense(2)(inputs))
    assert single.input is inputs and single.input_shape == (None, 4) and single.output_shape == (None, 2)


def test_dict_inputs_and_outputs_keep_their_structure():
    a = Input((2,), name="a")
    model = Model(inputs={"a": a}, outputs={"double": layers.Lambda(lambda x: 2.0 * x)(a), "same": a})
    out = model({"a": numpy.ones((1, 2))})
    assert sorted(out) == ["double", "same"]
    numpy.testing.assert_array_equal(out["double"], [[2.0, 2.0]])


def test_a_disconnected_graph_and_an_unused_input_name_the_tensor():
    a, b = Input((4,), name="in_a"), Input((4,), name="in_b")
    out = layers.Dense(2)(a)
    with pytest.raises(ValueError, match="depends on the input 'in_a', which is not among the model's `inputs`"):
        Model(inputs=b, outputs=out)
    with pytest.raises(ValueError, match="the input 'in_b' does not reach any output"):
        Model(inputs=[a, b], outputs=out)
    with pytest.raises(TypeError, match="must hold symbolic tensors"):
        Model(inputs=a, outputs=numpy.ones(3))


def test_a_shared_layer_shares_its_weights_and_gets_the_gradient_of_both_uses():
    shared = layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")
    a, b = Input((2,)), Input((2,))
    model = Model(inputs=[a, b], outputs=layers.add([shared(a), shared(b)]))
    assert len(model.weights) == 2 and model.count_params() == 3
    x_a, x_b = numpy.ones((1, 2), "float32"), 2 * numpy.ones((1, 2), "float32")
    with keras.GradientTape() as tape:
        out = model([x_a, x_b])
        loss = keras.ops.mean(out * out)
    grad_kernel, grad_bias = tape.gradient(loss, [shared.kernel, shared.bias])
    # out = k.(xa + xb) + 2b = 6; d out^2 / d out = 12; d out / d k = xa + xb = (3, 3); d out / d b = 2.
    numpy.testing.assert_allclose(grad_kernel, 12 * 3 * numpy.ones((2, 1)), rtol=1e-6)
    numpy.testing.assert_allclose(grad_bias, [12 * 2], rtol=1e-6)


def test_a_shared_embedding_reads_sequences_of_two_lengths():
    # As in Keras 3: one table for a title of 5 ids and a body of 7; a Dense still refuses a second width.
    embed, pool = layers.Embedding(20, 4), layers.GlobalAveragePooling1D()
    title, body = Input((5,), dtype="int32"), Input((7,), dtype="int32")
    model = Model([title, body], layers.concatenate([pool(embed(title)), pool(embed(body))]))
    assert model.output_shape == (None, 8) and len(model.weights) == 1
    ids = numpy.arange(7)[None, :] % 20
    numpy.testing.assert_allclose(model([ids[:, :5], ids])[:, :4], embed(ids[:, :5]).mean(axis=1), rtol=1e-6)


def test_fit_updates_a_shared_layer_once_with_the_gradient_of_both_calls():
    # out = (x_a + x_b) @ k + 2 c for a Dense(1) (k, c) called on both inputs; mse over N samples:
    # d loss / d out = 2 (out - y) / N, dk = (x_a + x_b)^T d out, dc = 2 sum(d out); SGD subtracts 0.1 x.
    rng = numpy.random.default_rng(6)
    x_a, x_b = rng.normal(size=(10, 2)).astype("float32"), rng.normal(size=(10, 2)).astype("float32")
    y = rng.normal(size=(10, 1)).astype("float32")
    shared = layers.Dense(1, bias_initializer="ones")
    a, b = Input((2,)), Input((2,))
    model = Model([a, b], layers.add([shared(a), shared(b)]))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    k, c = (numpy.array(v, numpy.float64) for v in shared.get_weights())
    losses = model.fit([x_a, x_b], y, batch_size=10, epochs=2, shuffle=False, verbose=0).history["loss"]
    expected = []
    for _ in range(2):
        out = (x_a + x_b) @ k + 2 * c
        expected.append(float(numpy.mean((out - y) ** 2)))
        grad = 2 * (out - y) / 10
        k, c = k - 0.1 * (x_a + x_b).T @ grad, c - 0.1 * 2 * grad.sum(axis=0)
    numpy.testing.assert_allclose(losses, expected, rtol=1e-5)
    numpy.testing.assert_allclose(shared.kernel.numpy(), k, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(shared.bias.numpy(), c, rtol=1e-5, atol=1e-6)


def test_a_functional_model_is_usable_as_a_layer_of_another_model():
    inner = two_input_model()
    a, b = Input((4,)), Input((3,))
    outer = Model(inputs=[a, b], outputs=layers.Dense(1)(inner([a, b])))
    assert len(outer.weights) == len(inner.weights) + 2
    x = [numpy.ones((2, 4), "float32"), numpy.ones((2, 3), "float32")]
    assert outer(x).shape == (2, 1)


def test_features_of_a_trained_sequential_come_out_of_a_model_of_its_layers():
    seq = Sequential([Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])
    extractor = Model(inputs=seq.inputs, outputs=[layer.output for layer in seq.layers])
    x = numpy.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    hidden, final = extractor(x)
    numpy.testing.assert_allclose(hidden, seq.layers[0](x), rtol=1e-6)
    numpy.testing.assert_allclose(final, seq(x), rtol=1e-6)
    assert extractor.weights[0] is seq.weights[0]  # shared, not copied


def test_a_sequential_built_without_an_input_has_inputs_and_layer_outputs_as_in_keras():
    # Keras 3 starts a Sequential's graph when it is built: by build(shape), or by a first call
    # on data (whose batch size its input then keeps).
    seq = Sequential([layers.Dense(3, name="t1"), layers.Dense(2, name="t2")])
    with pytest.raises(AttributeError, match="has no input yet"):
        seq.inputs
    seq.build((None, 5))
    assert seq.inputs[0].shape == (None, 5) and seq.layers[0].output.shape == (None, 3)
    extractor = Model(seq.inputs, [layer.output for layer in seq.layers])
    x = numpy.ones((4, 5), "float32")
    numpy.testing.assert_allclose(extractor(x)[1], seq(x), rtol=1e-6)
    called = Sequential([layers.Dense(3)])
    called(numpy.ones((2, 5), "float32"))
    assert called.inputs[0].shape == (2, 5) and called.outputs[0].shape == (2, 3)


def test_a_functional_mlp_trains_exactly_like_the_sequential_one():
    rng = numpy.random.default_rng(2)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    seq = Sequential([Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2)])
    inputs = Input((4,))
    func = Model(inputs, layers.Dense(2)(layers.Dense(8, activation="relu")(inputs)))
    func.set_weights(seq.get_weights())
    histories = []
    for model in (seq, func):
        model.compile("adam", "mse")
        histories.append(model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"])
    numpy.testing.assert_allclose(histories[0], histories[1], rtol=1e-6)
    for a, b in zip(seq.get_weights(), func.get_weights()):
        numpy.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_residual_block_trains():
    inputs = Input((6,))
    hidden = layers.Dense(6, activation="relu")(inputs)
    outputs = layers.Dense(1)(layers.add([inputs, hidden]))
    model = Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    x = numpy.random.default_rng(3).normal(size=(64, 6)).astype("float32")
    history = model.fit(x, x.sum(axis=1, keepdims=True), epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_callbacks_see_each_outputs_logs_of_a_multi_input_model(tmp_path):
    # Keras 3.15.1 on this model: EarlyStopping(monitor="val_out_b_loss") needs mode="min" (in "auto"
    # it knows only `loss` and compiled metrics); it stops after epoch 1; CSVLogger's columns are epoch
    # and the sorted History keys.
    rng = numpy.random.default_rng(7)
    x = [rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 3)).astype("float32")]
    y = [rng.normal(size=(32, 1)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")]
    a, b = Input((4,), name="a"), Input((3,), name="b")
    merged = layers.concatenate([a, b])
    model = Model([a, b], [layers.Dense(1, name="out_a")(merged), layers.Dense(2, name="out_b")(merged)])
    model.compile(keras.optimizers.SGD(0.0), "mse")  # no progress: the watched loss never improves
    stop = keras.callbacks.EarlyStopping(monitor="val_out_b_loss", patience=1, mode="min")
    with pytest.raises(ValueError, match="Pass mode='max'"):
        model.fit(x, y, epochs=2, validation_split=0.25, verbose=0,
                  callbacks=[keras.callbacks.EarlyStopping(monitor="val_out_b_loss")])
    log = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=5, validation_split=0.25, verbose=0,
                        callbacks=[stop, keras.callbacks.CSVLogger(str(log))])
    assert len(history.history["val_out_b_loss"]) == 2 and stop.stopped_epoch == 1
    assert log.read_text().splitlines()[0].split(",") == [
        "epoch", "loss", "out_a_loss", "out_b_loss", "val_loss", "val_out_a_loss", "val_out_b_loss"]


# -------------------------------------------------------------- merge layers
@pytest.mark.parametrize("layer, reference", [
    (layers.Add, lambda a, b: a + b), (layers.Subtract, lambda a, b: a - b),
    (layers.Multiply, lambda a, b: a * b), (layers.Average, lambda a, b: (a + b) / 2),
    (layers.Maximum, numpy.maximum), (layers.Minimum, numpy.minimum),
])
def test_elementwise_merge_layers_pass_the_kit_and_match_numpy(layer, reference):
    checked = check_layer(layer(), [(3, 4), (3, 4)], (3, 4))
    rng = numpy.random.default_rng(4)
    a, b = rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")
    numpy.testing.assert_allclose(checked([a, b]), reference(a, b), rtol=1e-6)


def test_maximum_gives_the_whole_gradient_to_the_first_input_on_a_tie():
    import autograd
    import autograd.numpy as np

    a = numpy.array([[1.0, 2.0]], "float32")
    grad = autograd.grad(lambda x: np.sum(layers.Maximum()([x, a])))(a.copy())
    numpy.testing.assert_array_equal(grad, [[1.0, 1.0]])


def test_concatenate_and_dot_pass_the_kit_and_match_numpy():
    check_layer(layers.Concatenate(axis=1), [(3, 4), (3, 2)], (3, 6))
    check_layer(layers.Dot(axes=1), [(3, 4), (3, 4)], (3, 1))
    check_layer(layers.Dot(axes=1, normalize=True), [(3, 4), (3, 4)], (3, 1))
    check_layer(layers.Dot(axes=(2, 2)), [(3, 5, 4), (3, 6, 4)], (3, 5, 6))
    rng = numpy.random.default_rng(5)
    a, b = rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")
    cosine = (a * b).sum(1) / numpy.linalg.norm(a, axis=1) / numpy.linalg.norm(b, axis=1)
    numpy.testing.assert_allclose(layers.dot([a, b], axes=1, normalize=True)[:, 0], cosine, rtol=1e-5)
    x, y = rng.normal(size=(2, 5, 4)).astype("float32"), rng.normal(size=(2, 6, 4)).astype("float32")
    numpy.testing.assert_allclose(layers.Dot(axes=(2, 2))([x, y]), numpy.einsum("bik,bjk->bij", x, y), rtol=1e-5)


def test_merge_layers_check_their_inputs():
    a = Input((4,))
    with pytest.raises(ValueError, match="takes a list of inputs"):
        layers.Add()(a)
    with pytest.raises(ValueError, match="takes 2 inputs; received 3"):
        layers.Subtract()([a, a, a])
    with pytest.raises(ValueError, match="match except along axis"):
        layers.Concatenate(axis=-1)([Input((2, 3)), Input((4, 3))])


def test_summary_of_a_functional_model_is_keras_3_table_with_connected_to():
    a, b = Input((4,), name="a"), Input((3,), name="b")
    merged = layers.add([layers.Dense(5, name="d1")(a), layers.Dense(5, name="d2")(b)])
    model = Model([a, b], [layers.Dense(2, name="out_a")(merged), layers.Dense(1, name="out_b")(merged)], name="m")
    lines = []
    model.summary(print_fn=lines.append)
    # Keras 3.15.1 printed this table for the same model (the add layer's name aside).
    add_name = model.layers[4].name
    expected = f"""Model: "m"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ b (InputLayer)      │ (None, 3)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ d1 (Dense)          │ (None, 5)         │         25 │ a[0][0]           │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ d2 (Dense)          │ (None, 5)         │         20 │ b[0][0]           │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ {f"{add_name} (Add)":<19} │ (None, 5)         │          0 │ d1[0][0],         │
│                     │                   │            │ d2[0][0]          │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ out_a (Dense)       │ (None, 2)         │         12 │ {f"{add_name}[0][0]":<17} │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ out_b (Dense)       │ (None, 1)         │          6 │ {f"{add_name}[0][0]":<17} │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 63 (252.00 B)
 Trainable params: 63 (252.00 B)
 Non-trainable params: 0 (0.00 B)"""
    assert "\n".join(lines) == expected


def summary_of(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def test_summary_lists_a_shared_layer_once_with_the_tensors_of_all_its_calls():
    # Keras 3.15.1's table for the same model (one row per layer; a row's text wraps at spaces).
    a, b = Input((4,), name="a"), Input((3,), name="b")
    shared = layers.Dense(4, name="shared")
    merged = layers.add([shared(a), shared(layers.Dense(4, name="pre_b")(b))], name="add")
    model = Model([a, b], [layers.Dense(2, name="out_a")(merged), layers.Dense(1, name="out_b")(merged)], name="m1")
    assert summary_of(model) == """Model: "m1"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ b (InputLayer)      │ (None, 3)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ a (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ pre_b (Dense)       │ (None, 4)         │         16 │ b[0][0]           │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ shared (Dense)      │ (None, 4)         │         20 │ a[0][0],          │
│                     │                   │            │ pre_b[0][0]       │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ add (Add)           │ (None, 4)         │          0 │ shared[0][0],     │
│                     │                   │            │ shared[1][0]      │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ out_a (Dense)       │ (None, 2)         │         10 │ add[0][0]         │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ out_b (Dense)       │ (None, 1)         │          5 │ add[0][0]         │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 51 (204.00 B)
 Trainable params: 51 (204.00 B)
 Non-trainable params: 0 (0.00 B)"""


def test_summary_of_a_chain_is_a_stack_and_a_nested_model_shows_all_its_outputs():
    # Keras 3.15.1 prints a functional chain without "Connected to", and a layer with two
    # outputs as a list of shapes; short connections share a line.
    x = Input((4,), name="x")
    chain = Model(x, layers.Dense(2, name="d2")(layers.Dense(3, name="d1")(x)), name="chain")
    assert summary_of(chain) == """Model: "chain"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ x (InputLayer)                  │ (None, 4)              │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ d1 (Dense)                      │ (None, 3)              │            15 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ d2 (Dense)                      │ (None, 2)              │             8 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 23 (92.00 B)
 Trainable params: 23 (92.00 B)
 Non-trainable params: 0 (0.00 B)"""
    two = Model(x, [layers.Dense(2, name="t1")(x), layers.Dense(3, name="t2")(x)], name="two")
    p = Input((4,), name="p")
    first, second = two(p)
    outer = Model(p, layers.concatenate([first, second, p], name="cat"), name="mm")
    assert summary_of(outer).splitlines()[4:12] == [
        "│ p (InputLayer)      │ (None, 4)         │          0 │ -                 │",
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
        "│ two (Functional)    │ [(None, 2),       │         25 │ p[0][0]           │",
        "│                     │ (None, 3)]        │            │                   │",
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
        "│ cat (Concatenate)   │ (None, 9)         │          0 │ two[0][0],        │",
        "│                     │                   │            │ two[0][1],        │",
        "│                     │                   │            │ p[0][0]           │"]


# ------------------------------------------------------------------ configs
def shared_dict_model():
    a, b = Input((4,), name="a"), Input((3,), name="b")
    shared = layers.Dense(4, name="shared")
    merged = layers.add([shared(a), shared(layers.Dense(4, name="pre_b")(b))], name="add")
    return Model(inputs=[a, b], outputs={"oa": layers.Dense(2, name="out_a")(merged),
                                         "ob": layers.Dense(1, name="out_b")(merged)}, name="m")


def test_the_config_is_keras_3_functional_layout_and_round_trips_through_json():
    model = shared_dict_model()
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == {"oa": ["out_a", 0, 0], "ob": ["out_b", 0, 0]}
    entries = {entry["name"]: entry for entry in config["layers"]}
    assert entries["a"]["inbound_nodes"] == [] and len(entries["shared"]["inbound_nodes"]) == 2
    # As Keras writes a call: its positional args, tensors as references [layer, node, tensor].
    assert entries["shared"]["inbound_nodes"][1]["args"] == [{"class_name": "__keras_tensor__", "config": {
        "shape": [None, 4], "dtype": "float32", "keras_history": ["pre_b", 0, 0]}}]
    rebuilt = keras.models.model_from_json(model.to_json())
    assert rebuilt.get_config() == config
    rebuilt.set_weights(model.get_weights())
    x = [numpy.ones((2, 4), "float32"), numpy.ones((2, 3), "float32")]
    numpy.testing.assert_allclose(rebuilt(x)["ob"], model(x)["ob"], rtol=1e-6)


def test_model_from_config_rebuilds_a_functional_model_and_counts_nested_calls_from_one():
    x = Input((4,), name="x")
    inner = Model(x, layers.Dense(2, name="d_in")(x), name="inner")
    p = Input((4,), name="p")
    model = Model(p, inner(p), name="m3")
    config = model.get_config()
    # Keras 3 writes a nested functional model's first call as node 1 in `output_layers` (its
    # Functional starts with a node of its own), and 0 in the arguments of the calls that take it.
    assert config["output_layers"] == ["inner", 1, 0]
    entry = next(entry for entry in config["layers"] if entry["name"] == "inner")
    assert entry["registered_name"] == "Functional" and entry["build_config"] == {"input_shape": None}
    rebuilt = Model.from_config(config)
    assert type(rebuilt) is keras.models.Functional and rebuilt.get_config() == config
    rebuilt.set_weights(model.get_weights())
    x_data = numpy.ones((2, 4), "float32")
    numpy.testing.assert_allclose(rebuilt(x_data), model(x_data), rtol=1e-6)


def test_clone_model_copies_the_architecture_with_fresh_weights():
    model = shared_dict_model()
    clone = keras.models.clone_model(model)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert clone.count_params() == model.count_params()
    assert all(a is not b for a, b in zip(clone.weights, model.weights))
    seq = Sequential([Input((3,)), layers.Dense(2)])
    assert type(keras.models.clone_model(seq)) is Sequential


def test_a_config_with_a_dangling_reference_raises_naming_the_call():
    config = shared_dict_model().get_config()
    entry = next(e for e in config["layers"] if e["name"] == "out_b")
    entry["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["out_b", 0, 0]
    with pytest.raises(ValueError, match=r"inbound_nodes\[0\] takes a tensor that no call of the config produces"):
        keras.models.Functional.from_config(config)
