"""Variables users can name and update, state that training updates, add_loss, and `training`
reaching every sublayer."""

import autograd
import autograd.numpy as np
import numpy
import pytest

import microkeras
from microkeras import GradientTape, Input, Layer, Sequential, Variable
from microkeras.layers import Dense, Dropout
from microkeras.variables import VariableBox


class RunningMean(Layer):
    """Passes inputs through; while training, keeps a running mean of the batch means (momentum 0.9)."""

    def build(self, input_shape):
        self.mean = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False,
                                    name="mean")

    def call(self, inputs, training=False):
        if training:
            self.mean.assign(self.mean * 0.9 + np.sum(inputs, axis=0) / len(inputs) * 0.1)
        return inputs


class ScaledByState(Layer):
    """``(x @ kernel) * state``, then ``state += 1``: the backward pass must use the old state."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="ones", name="kernel")
        self.state = self.add_weight(shape=(), initializer="ones", trainable=False, name="state")

    def call(self, inputs):
        outputs = (inputs @ self.kernel) * self.state
        self.state.assign_add(1.0)
        self.seen_after_assign = float(numpy.asarray(self.state))
        return outputs


class Recorder(Layer):
    """Records the ``training`` value each call receives."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, training=None):
        self.seen.append(training)
        return inputs


class Penalized(Layer):
    """Adds ``weight * sum(outputs**2)`` as a loss in every call."""

    def __init__(self, weight=0.5, **kwargs):
        super().__init__(**kwargs)
        self.weight = weight
        self.dense = Dense(2, kernel_initializer="ones")

    def call(self, inputs):
        outputs = self.dense(inputs)
        self.add_loss(self.weight * np.sum(outputs ** 2))
        return outputs


# ---------------------------------------------------------------- Variable
def test_a_weight_is_a_variable_with_keras_name_path_shape_dtype_and_trainable():
    layer = Dense(3, name="proj")
    layer(numpy.ones((2, 4), numpy.float32))
    kernel = layer.kernel
    assert isinstance(kernel, Variable) and layer.weights[0] is kernel
    assert (kernel.name, kernel.path, kernel.shape) == ("kernel", "proj/kernel", (4, 3))
    assert kernel.dtype == "float32" and kernel.dtype == numpy.float32 and kernel.trainable
    assert repr(kernel).startswith("<Variable path=proj/kernel, shape=(4, 3), dtype=float32, value=[[")


def test_numpy_returns_a_copy_and_assign_writes_in_place():
    layer = Dense(2)
    layer(numpy.ones((1, 3), numpy.float32))
    storage = layer.kernel._array
    copy = layer.kernel.numpy()
    copy[...] = 7.0
    assert not numpy.any(layer.kernel.numpy() == 7.0)
    returned = layer.kernel.assign(numpy.ones((3, 2)))
    numpy.testing.assert_array_equal(returned, numpy.ones((3, 2)))
    layer.kernel.assign_add(numpy.full((3, 2), 2.0))
    layer.kernel.assign_sub(numpy.full((3, 2), 0.5))
    numpy.testing.assert_array_equal(layer.kernel.numpy(), numpy.full((3, 2), 2.5))
    assert layer.kernel._array is storage and storage.dtype == numpy.float32


def test_assigning_a_value_of_the_wrong_shape_names_both_shapes():
    variable = Variable(numpy.zeros((2, 3)), name="w")
    with pytest.raises(ValueError, match=r"'w' has shape \(2, 3\); cannot assign a value of shape \(3, 3\)"):
        variable.assign(numpy.zeros((3, 3)))


def test_a_variable_behaves_as_an_array_outside_a_pass():
    variable = Variable([[1.0, 2.0], [3.0, 4.0]], name="m")
    numpy.testing.assert_array_equal(variable * 2, [[2, 4], [6, 8]])
    numpy.testing.assert_array_equal(numpy.ones((1, 2)) @ variable, [[4, 6]])
    numpy.testing.assert_array_equal(-variable[0], [-1, -2])
    numpy.testing.assert_array_equal(numpy.asarray(variable), variable.numpy())
    assert len(variable) == 2 and (variable > 2).tolist() == [[False, False], [True, True]]


def test_a_standalone_variable_takes_an_initializer_with_a_shape_and_refuses_float64():
    variable = Variable("ones", shape=(3,), name="scale")
    assert variable.numpy().tolist() == [1.0, 1.0, 1.0] and variable.dtype == numpy.float32
    counter = Variable(0, dtype="int32", trainable=False, name="count")
    assert counter.dtype == numpy.int32
    with pytest.raises(ValueError, match="`shape` is required"):
        Variable("zeros")
    with pytest.raises(ValueError, match="dtype"):
        Variable(numpy.zeros(2), dtype="float64")


def test_inside_a_traced_call_the_weight_is_a_traced_array_that_answers_the_variable_api():
    seen = {}

    class Probe(Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 1), name="w")

        def call(self, x):
            seen["type"], seen["path"], seen["shape"] = type(self.w), self.w.path, self.w.shape
            return x @ self.w

    layer = Probe()
    x = numpy.ones((2, 3), numpy.float32)
    layer(x)
    with GradientTape() as tape:
        loss = np.sum(layer(x))
    grad = tape.gradient(loss, layer.w)
    assert seen == {"type": VariableBox, "path": f"{layer.name}/w", "shape": (3, 1)}
    numpy.testing.assert_array_equal(grad, numpy.full((3, 1), 2.0))
    assert type(layer.w) is Variable  # the variable is back in its attribute


# ------------------------------------------------------------- state updates
def test_state_updated_with_assign_in_call_follows_keras_running_mean_in_fit_only():
    x = numpy.arange(24, dtype=numpy.float32).reshape(8, 3)
    layer = RunningMean()
    model = Sequential([Input((3,)), layer, Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, numpy.zeros((8, 1), numpy.float32), batch_size=4, shuffle=False, epochs=2, verbose=0)
    expected = numpy.zeros(3)
    for _ in range(2):
        for start in (0, 4):
            expected = expected * 0.9 + x[start:start + 4].mean(axis=0) * 0.1
    numpy.testing.assert_allclose(layer.mean.numpy(), expected, rtol=1e-6)
    after_fit = layer.mean.numpy()
    model.predict(x, verbose=0)
    model.evaluate(x, numpy.zeros((8, 1), numpy.float32), verbose=0)
    numpy.testing.assert_array_equal(layer.mean.numpy(), after_fit)


def test_an_update_is_written_after_the_backward_pass_which_sees_the_forward_values():
    layer = ScaledByState()
    x = numpy.array([[1.0, 2.0]], numpy.float32)
    layer(x)  # an eager call updates too: state 1 -> 2
    assert float(layer.state.numpy()) == 2.0 and layer.seen_after_assign == 2.0
    with GradientTape() as tape:
        loss = np.sum(layer(x))
    assert float(layer.state.numpy()) == 2.0  # recorded, not written mid-trace
    assert layer.seen_after_assign == 3.0  # reads later in the same pass see the new value
    grad = tape.gradient(loss, layer.kernel)
    # d/dkernel sum(x @ kernel * state) = x^T * state, with the state the forward pass used (2).
    numpy.testing.assert_array_equal(grad, numpy.array([[2.0, 2.0], [4.0, 4.0]]))
    assert float(layer.state.numpy()) == 3.0  # written once the backward pass is done


def test_stateless_call_returns_the_updated_state_and_leaves_the_layer_untouched():
    layer = RunningMean()
    x = numpy.ones((4, 2), numpy.float32)
    layer(x)
    storage = layer.mean._array.copy()
    outputs, (new_mean,) = layer.stateless_call([], [numpy.full(2, 10.0, numpy.float32)], x, training=True)
    numpy.testing.assert_allclose(new_mean, numpy.full(2, 10.0 * 0.9 + 0.1), rtol=1e-6)
    numpy.testing.assert_array_equal(layer.mean.numpy(), storage)
    numpy.testing.assert_array_equal(outputs, x)


def test_training_reaches_every_sublayer_through_the_call_context():
    recorder = Recorder()

    class Wrapper(Layer):
        def __init__(self):
            super().__init__()
            self.inner = recorder

        def call(self, x):  # no `training` argument: the value still reaches the recorder
            return self.inner(x)

    model = Sequential([Input((2,)), Wrapper(), Dense(1)])
    model.compile("sgd", "mse")
    recorder.seen.clear()  # building ran the layer once on zeros to find its output shape
    x, y = numpy.ones((4, 2), numpy.float32), numpy.zeros((4, 1), numpy.float32)
    model.fit(x, y, batch_size=4, verbose=0)
    model.predict(x, verbose=0)
    model(x, training=True)
    assert recorder.seen == [True, False, True]


def test_dropout_inside_a_composite_layer_is_active_in_fit_only():
    class Noisy(Layer):
        def __init__(self):
            super().__init__()
            self.drop = Dropout(0.5, seed=1)

        def call(self, x):
            return self.drop(x)

    layer = Noisy()
    x = numpy.ones((50, 40), numpy.float32)
    assert numpy.array_equal(layer(x), x)
    trained = layer(x, training=True)
    assert 0.3 < numpy.mean(trained == 0) < 0.7 and set(numpy.unique(trained)) <= {0.0, 2.0}


# ------------------------------------------------------------------ add_loss
def test_add_loss_at_any_depth_lists_the_last_pass_only_and_adds_to_the_training_loss():
    model = Sequential([Input((3,)), Sequential([Input((3,)), Penalized(0.5)])])
    x = numpy.ones((2, 3), numpy.float32)
    model(x)
    # Dense(2) with a ones kernel and zero bias maps (1, 1, 1) to (3, 3): 0.5 * 4 * 3**2 = 18.
    assert [float(loss) for loss in model.losses] == [18.0]
    model(x * 2)
    assert [float(loss) for loss in model.losses] == [72.0]  # replaced, not accumulated
    model.compile("sgd", "mse")
    loss = model.test_on_batch(x, numpy.zeros((2, 2), numpy.float32))
    assert loss == pytest.approx(9.0 + 18.0)  # mse of 3s is 9
    model.train_on_batch(x, numpy.zeros((2, 2), numpy.float32))
    assert all(type(loss) is not VariableBox and numpy.ndim(loss) == 0 for loss in model.losses)


def test_add_loss_outside_a_call_is_kept_until_the_next_pass():
    layer = Penalized()
    layer.add_loss(numpy.float32(1.5))
    assert [float(loss) for loss in layer.losses] == [1.5]
    layer(numpy.zeros((1, 2), numpy.float32))
    assert [float(loss) for loss in layer.losses] == [0.0]


def test_stateless_call_computes_penalties_from_the_values_passed_in():
    layer = Dense(2, kernel_regularizer=microkeras.regularizers.L2(0.1))
    x = numpy.ones((3, 4), numpy.float32)
    layer(x)
    bias = numpy.zeros(2, numpy.float32)

    def penalty(kernel):
        _, _, losses = layer.stateless_call([kernel, bias], [], x, return_losses=True)
        return losses[0]

    kernel = numpy.full((4, 2), 3.0, numpy.float32)
    assert float(penalty(kernel)) == pytest.approx(0.1 * 9 * 8)
    # d/dk 0.1 * sum(k**2) = 0.2 k: the penalty is a function of the value given, not of the layer's own.
    numpy.testing.assert_allclose(autograd.grad(penalty)(kernel), 0.2 * kernel, rtol=1e-6)
