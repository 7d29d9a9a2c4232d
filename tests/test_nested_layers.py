"""Layers that hold layers: tracking at any depth, Keras 3's weight order, freezing, summaries,
and training that reaches every weight (the two reproductions of silently wrong training)."""

import io

import numpy
import pytest

from microkeras import Input, Layer, Model, Sequential, optimizers
from microkeras.layers import Dense, Dropout


class Block(Layer):
    """The keras.io MLPBlock pattern: sublayers assigned in __init__, used in call."""

    def __init__(self, units=(3, 2), **kwargs):
        super().__init__(**kwargs)
        self.d1, self.d2 = Dense(units[0]), Dense(units[1])

    def call(self, x):
        return self.d2(self.d1(x))


class Holder(Layer):
    """Own weights (one non-trainable, created first) plus sublayers in a list, a dict and a tuple."""

    def build(self, input_shape):
        self.moving = self.add_weight(shape=(2,), initializer="zeros", trainable=False, name="moving")
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.stack = [Dense(3), Dense(3)]
        self.heads = {"a": Dense(2)}
        self.pair = (Dense(2),)

    def call(self, x):
        h = self.stack[1](self.stack[0](x * self.scale))
        return self.heads["a"](h) + self.pair[0](h)


def reproduction_data():
    x = numpy.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = numpy.random.default_rng(1).normal(size=(16, 2)).astype("float32")
    kernel1 = (numpy.arange(12).reshape(4, 3) / 10 - 0.5).astype("float32")
    kernel2 = (numpy.arange(6).reshape(3, 2) / 5 - 0.4).astype("float32")
    weights = [kernel1, numpy.array([0.1, -0.2, 0.3], "float32"), kernel2, numpy.array([0.05, -0.05], "float32")]
    return x, y, weights


def reference_fit(weights, x, y, epochs, batch_size, learning_rate=0.01, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """Dense(3) -> Dense(2), mean squared error and Keras 3's Adam, in float64 by hand.

    Keras's MSE is the mean over the output axis, then the mean over the batch, so
    d loss / d y_pred = 2 (y_pred - y) / (B * D).  Keras 3's Adam (keras/src/optimizers/adam.py):
    m += (g - m)(1 - beta_1), v += (g^2 - v)(1 - beta_2), and
    w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + eps).
    The epoch loss is the batch-size-weighted mean of the batch losses before each update.
    """
    k1, b1, k2, b2 = [numpy.array(w, numpy.float64) for w in weights]
    params = [k1, b1, k2, b2]
    m = [numpy.zeros_like(p) for p in params]
    v = [numpy.zeros_like(p) for p in params]
    history, step = [], 0
    for _ in range(epochs):
        total = 0.0
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size].astype(numpy.float64), y[start:start + batch_size]
            h = xb @ k1 + b1
            p = h @ k2 + b2
            total += numpy.mean((p - yb) ** 2) * len(xb)
            gp = 2 * (p - yb) / p.size
            gh = gp @ k2.T
            grads = [xb.T @ gh, gh.sum(0), h.T @ gp, gp.sum(0)]
            step += 1
            alpha = learning_rate * numpy.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
            for param, grad, mi, vi in zip(params, grads, m, v):
                mi += (grad - mi) * (1 - beta_1)
                vi += (grad * grad - vi) * (1 - beta_2)
                param -= alpha * mi / (numpy.sqrt(vi) + eps)
        history.append(total / len(x))
    return history, params


def assert_trains_like_keras(model):
    """Fit the issue's reproduction and compare with the by-hand Keras computation."""
    x, y, weights = reproduction_data()
    model.compile(optimizers.Adam(0.01), "mse")
    model.set_weights(weights)
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    expected_history, expected_weights = reference_fit(weights, x, y, epochs=3, batch_size=8)
    # Keras 3.15.1 (JAX) itself printed loss [0.9501371, 0.8834151, 0.8267459] for this run.
    numpy.testing.assert_allclose(history.history["loss"], expected_history, rtol=1e-5)
    for ours, theirs in zip(model.get_weights(), expected_weights):
        numpy.testing.assert_allclose(ours, theirs, atol=2e-6)


# ------------------------------------------------------------ the reproductions
def test_a_sequential_inside_a_sequential_trains_every_weight_as_keras_does():
    inner = Sequential([Input((4,)), Dense(3)])
    outer = Sequential([Input((4,)), inner, Dense(2)])
    assert len(outer.trainable_weights) == 4
    assert_trains_like_keras(outer)


def test_a_layer_holding_dense_layers_trains_every_weight_as_keras_does():
    model = Sequential([Input((4,)), Block()])
    assert [w.name for w in model.weights] == ["kernel", "bias", "kernel", "bias"]
    assert_trains_like_keras(model)


def test_a_subclassed_model_trains_every_weight_as_keras_does():
    class Stack(Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first, self.second = Dense(3), Dense(2)

        def call(self, x):
            return self.second(self.first(x))

    model = Stack()
    model.build((None, 4))
    assert_trains_like_keras(model)


# ---------------------------------------------------------------- tracking
def test_sublayers_are_found_in_attributes_lists_dicts_and_tuples_in_keras_weight_order():
    layer = Holder()
    layer(numpy.ones((2, 4), numpy.float32))
    paths = [w.path for w in layer.weights]
    # Keras 3: own trainable weights, own non-trainable, then each sublayer's in attribute order.
    assert paths[:2] == [f"{layer.name}/scale", f"{layer.name}/moving"]
    sublayers = [layer.stack[0], layer.stack[1], layer.heads["a"], layer.pair[0]]
    assert layer.weights[2:] == [w for sub in sublayers for w in (sub.kernel, sub.bias)]
    assert [w.path for w in layer.non_trainable_weights] == [f"{layer.name}/moving"]
    assert len(layer.trainable_weights) == 9
    assert layer.count_params() == 2 + 4 + (4 * 3 + 3) + (3 * 3 + 3) + 2 * (3 * 2 + 2)


def test_a_layer_used_twice_and_a_tied_weight_are_counted_once():
    shared = Dense(4)

    class Twice(Layer):
        def __init__(self):
            super().__init__()
            self.a, self.b = shared, shared

        def call(self, x):
            return self.b(self.a(x))

    class Tied(Layer):
        def __init__(self, dense):
            super().__init__()
            self.dense = dense

        def build(self, input_shape):
            self.kernel = self.dense.kernel  # weight tying: the transpose shares the kernel

        def call(self, x):
            return x @ self.kernel.T

    model = Sequential([Input((4,)), Twice()])
    assert len(model.weights) == 2
    tied = Sequential([Input((4,)), shared, Tied(shared)])
    assert len(tied.weights) == 2 and tied.weights[0] is shared.kernel
    tied.compile("sgd", "mse")
    before = shared.kernel.numpy()
    tied.fit(numpy.ones((8, 4), "float32"), numpy.zeros((8, 4), "float32"), verbose=0)
    assert not numpy.allclose(before, shared.kernel.numpy())  # gradients of both uses reached it


def test_weights_of_nested_models_carry_keras_paths_and_names():
    inner = Sequential([Input((4,)), Dense(3)], name="inner")
    outer = Sequential([Input((4,)), inner, Block(name="block")], name="outer")
    # Keras 3.15: a path is fixed when the weight is created; the inner model was built first.
    assert [w.path for w in outer.weights] == [
        "inner/" + inner.layers[0].name + "/kernel", "inner/" + inner.layers[0].name + "/bias",
        "outer/block/" + outer.layers[1].d1.name + "/kernel", "outer/block/" + outer.layers[1].d1.name + "/bias",
        "outer/block/" + outer.layers[1].d2.name + "/kernel", "outer/block/" + outer.layers[1].d2.name + "/bias"]


def test_get_and_set_weights_reach_every_depth_in_place():
    model = Sequential([Input((4,)), Sequential([Input((4,)), Dense(3)]), Block()])
    arrays = [numpy.full(w.shape, i, numpy.float32) for i, w in enumerate(model.weights)]
    storages = [w._array for w in model.weights]
    model.set_weights(arrays)
    assert all(w._array is s for w, s in zip(model.weights, storages))
    for got, want in zip(model.get_weights(), arrays):
        numpy.testing.assert_array_equal(got, want)


def test_a_shape_mismatch_in_set_weights_changes_no_weight():
    model = Sequential([Input((4,)), Block()])
    before = model.get_weights()
    bad = [numpy.zeros(w.shape, numpy.float32) for w in model.weights]
    bad[-1] = numpy.zeros(5, numpy.float32)
    with pytest.raises(ValueError, match=r"weight 3 .* has shape \(2,\).*\(5,\)"):
        model.set_weights(bad)
    for got, want in zip(model.get_weights(), before):
        numpy.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ freezing
def test_freezing_a_sublayer_freezes_exactly_its_subtree_in_fit_and_summary():
    inner = Sequential([Input((4,)), Dense(3)])
    outer = Sequential([Input((4,)), inner, Dense(2)])
    inner.trainable = False
    assert [w.path for w in outer.trainable_weights] == [w.path for w in outer.layers[1].weights]
    frozen = inner.get_weights()
    outer.compile("adam", "mse")
    x, y, _ = reproduction_data()
    outer.fit(x, y, epochs=2, verbose=0)
    for got, want in zip(inner.get_weights(), frozen):
        numpy.testing.assert_array_equal(got, want)
    lines = io.StringIO()
    outer.summary(print_fn=lambda line: lines.write(line + "\n"))
    # Keras 3.15 prints these totals for the same model (4*3+3 frozen, 3*2+2 trainable).
    assert " Trainable params: 8 (32.00 B)" in lines.getvalue()
    assert " Non-trainable params: 15 (60.00 B)" in lines.getvalue()


def test_the_trainable_flag_propagates_down_as_in_keras():
    inner = Sequential([Input((4,)), Dense(3)])
    outer = Sequential([Input((4,)), inner, Dense(2)])
    outer.trainable = False
    inner.trainable = True
    assert outer.trainable_weights == [] and len(outer.non_trainable_weights) == 4
    assert len(inner.trainable_weights) == 2
    outer.trainable = True  # resets every sublayer, as Keras 3 does
    assert inner.trainable and len(outer.trainable_weights) == 4


def test_a_non_trainable_weight_stays_non_trainable_when_its_layer_is_unfrozen():
    layer = Holder()
    layer(numpy.ones((2, 4), numpy.float32))
    layer.trainable = False
    layer.trainable = True
    assert [w.name for w in layer.non_trainable_weights] == ["moving"]


# ------------------------------------------------------------------- summary
def test_summary_shows_a_nested_model_as_one_row_with_its_parameter_count():
    inner = Sequential([Input((4,)), Dense(3)], name="inner")
    outer = Sequential([Input((4,)), inner, Dense(2, name="head")], name="outer")
    lines = []
    outer.summary(print_fn=lines.append)
    assert any("inner (Sequential)" in line and "(None, 3)" in line and "15" in line for line in lines)
    assert any("head (Dense)" in line and "(None, 2)" in line and "8" in line for line in lines)
    assert " Total params: 23 (92.00 B)" in lines


def test_summary_of_a_subclassed_model_lists_its_layers_with_their_shapes():
    class Net(Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden, self.drop, self.out = Dense(8, name="hidden"), Dropout(0.5), Dense(2, name="out")

        def call(self, x, training=False):
            return self.out(self.drop(self.hidden(x), training=training))

    model = Net()
    lines = []
    model.summary(print_fn=lines.append)
    assert any("hidden (Dense)" in line and "?" in line and "0 (unbuilt)" in line for line in lines)
    model.build((None, 4))
    lines.clear()
    model.summary(print_fn=lines.append)
    assert [layer.name for layer in model.layers] == ["hidden", model.drop.name, "out"]
    assert any("hidden (Dense)" in line and "(None, 8)" in line and "40" in line for line in lines)
    assert " Total params: 58 (232.00 B)" in lines


class ScaledDense(Dense):
    """A subclass whose build extends its parent's through super().build."""

    def build(self, input_shape):
        super().build(input_shape)
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, x):
        return super().call(x) * self.scale


@pytest.mark.parametrize("make", [lambda: Dense(3), lambda: ScaledDense(3), Holder],
                         ids=["Dense", "super-build", "sublayers"])
def test_calling_build_directly_leaves_the_layer_built_as_in_keras(make):
    # Keras 3 wraps build: afterwards `built` is True, weights are named under the layer, and the
    # first call uses them instead of building again (sublayers made in build still build on it).
    layer = make()
    layer.build((None, 4))
    assert layer.built
    before = [id(w) for w in layer.weights]
    assert all(w.path.startswith(layer.name + "/") for w in layer.weights)
    out = layer(numpy.ones((2, 4), "float32"))
    assert out.shape[0] == 2 and set(before) <= {id(w) for w in layer.weights}


def test_an_activity_regularizer_applies_to_each_output_divided_by_its_batch_size():
    # Keras 3 (layers/layer.py __call__): every output leaf gets the penalty, normalized by its own
    # batch size; an LSTM with return_state returns three (batch, units) arrays.
    from microkeras.layers import LSTM

    x = numpy.random.default_rng(0).normal(size=(4, 3, 2)).astype("float32")
    layer = LSTM(5, return_state=True, activity_regularizer="l2")
    outputs = layer(x)
    expected = sum(0.01 * float(numpy.sum(numpy.square(o))) / 4 for o in outputs)
    assert float(sum(layer.losses)) == pytest.approx(expected, rel=1e-5)
