"""Core layers and the Layer base: every layer goes through ``check_layer``, then its own semantics."""

import math

import autograd.numpy as np
import numpy
import pytest

from microkeras import activations, constraints, regularizers
from microkeras.layers import Activation, Dense, Dropout, Flatten, Input, InputLayer, Lambda, Layer, Reshape
from microkeras.saving import register_keras_serializable
from microkeras.models.sequential import Sequential
from microkeras.utils import set_random_seed
from microkeras.testing import assert_stateless_call_restores_weights, check_layer, random_input

# Every Keras 3 activation name microkeras accepts, aliases included.
ACTIVATION_NAMES = ["relu", "leaky_relu", "relu6", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish",
                    "tanh", "softmax", "log_softmax", "elu", "selu", "softplus", "softsign", "silu",
                    "swish", "gelu", "mish", "exponential", "linear"]


# ------------------------------------------------------------- custom layers
class Linear(Layer):
    """The Keras subclassing guide's ``Linear`` layer, with its serialization-guide ``get_config``."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return np.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class GatedKernels(Layer):
    """Keeps its two kernels in a list attribute: ``(x @ k0) * tanh(x @ k1)``."""

    def build(self, input_shape):
        self.kernels = [self.add_weight(shape=(input_shape[-1], 3), name=f"kernel_{i}") for i in range(2)]

    def call(self, inputs):
        return np.dot(inputs, self.kernels[0]) * np.tanh(np.dot(inputs, self.kernels[1]))


class TupleHeldWeight(Layer):
    """Hides its weight in a tuple, where binding cannot reach it."""

    def build(self, input_shape):
        self.held = (self.add_weight(shape=(input_shape[-1],), name="scale"),)

    def call(self, inputs):
        return inputs * self.held[0]


class FailsOnDemand(Layer):
    """Reads its kernel, then raises once ``fail`` is set."""

    fail = False

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, inputs):
        outputs = np.dot(inputs, self.kernel)
        if self.fail:
            raise RuntimeError("call failed on purpose")
        return outputs


@register_keras_serializable(package="tests")
def scaled_square(x, scale=1.0):
    return scale * x * x


@register_keras_serializable(package="tests")
def flatten_sample(x):
    return np.reshape(x, (x.shape[0], -1))


def first_half(x):
    return x[:, : x.shape[1] // 2]


# ---------------------------------------------------------------------- Dense
def test_dense_with_bias_passes_layer_checks_and_computes_x_kernel_plus_bias():
    layer = check_layer(lambda: Dense(4, bias_initializer="ones"), (3, 5), (3, 4), 2)
    x = random_input((3, 5))
    numpy.testing.assert_allclose(layer(x), x @ layer.kernel + layer.bias, rtol=1e-6)


def test_dense_without_bias_has_only_a_kernel():
    layer = check_layer(lambda: Dense(4, use_bias=False), (3, 5), (3, 4), 1)
    x = random_input((3, 5))
    numpy.testing.assert_allclose(layer(x), x @ layer.kernel, rtol=1e-6)
    assert layer.count_params() == 5 * 4


def test_dense_kernel_has_keras_shape_input_dim_by_units_and_comes_first():
    layer = Dense(4)
    layer(numpy.zeros((2, 3), numpy.float32))
    assert layer.kernel.shape == (3, 4) and layer.bias.shape == (4,)
    assert layer.weights[0] is layer.kernel and layer.weights[1] is layer.bias
    assert layer.count_params() == 3 * 4 + 4


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_dense_applies_every_stock_activation(name):
    layer = check_layer(lambda: Dense(4, activation=name), (3, 5), (3, 4), 2)
    x = random_input((3, 5))
    expected = activations.get(name)(x @ layer.kernel + layer.bias)
    numpy.testing.assert_allclose(layer(x), expected, rtol=1e-6, atol=1e-7)


def test_dense_multiplies_the_last_axis_of_rank3_inputs():
    layer = check_layer(lambda: Dense(4), (2, 3, 5), (2, 3, 4), 2)
    x = random_input((2, 3, 5))
    per_step = numpy.stack([x[:, t] @ layer.kernel + layer.bias for t in range(3)], axis=1)
    numpy.testing.assert_allclose(layer(x), per_step, rtol=1e-6)


def test_dense_stores_regularizers_and_constraints_on_its_weights():
    layer = Dense(4, kernel_regularizer=regularizers.L2(0.1), bias_regularizer="l1",
                  kernel_constraint="max_norm", bias_constraint=constraints.NonNeg())
    layer(numpy.zeros((2, 3), numpy.float32))
    # The model's losses and the optimizer read each weight's penalty and constraint from the variable.
    assert isinstance(layer.kernel.regularizer, regularizers.L2) and layer.kernel.regularizer.l2 == 0.1
    assert isinstance(layer.bias.regularizer, regularizers.L1)
    assert isinstance(layer.kernel.constraint, constraints.MaxNorm)
    assert isinstance(layer.bias.constraint, constraints.NonNeg)
    config = layer.get_config()
    assert config["kernel_regularizer"]["class_name"] == "L2"
    assert config["kernel_regularizer"]["config"] == {"l2": 0.1}
    assert config["bias_constraint"]["class_name"] == "NonNeg"
    check_layer(lambda: Dense(4, kernel_regularizer="l2", kernel_constraint="non_neg"), (3, 5), (3, 4), 2)


@pytest.mark.parametrize("units", [0, -3, 2.5, "4", True, None])
def test_dense_rejects_invalid_units_naming_the_argument(units):
    with pytest.raises(ValueError, match="units"):
        Dense(units)


def test_trainable_false_moves_weights_to_non_trainable_weights():
    layer = check_layer(lambda: Dense(4, trainable=False), (3, 5), (3, 4), 0, 2)
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights[0] is layer.kernel and layer.non_trainable_weights[1] is layer.bias


# ----------------------------------------------------------------- Activation
@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_layer_applies_every_activation_name(name):
    layer = check_layer(lambda: Activation(name), (3, 5), (3, 5))
    x = random_input((3, 5))
    numpy.testing.assert_allclose(layer(x), activations.get(name)(x), rtol=1e-6, atol=1e-7)


# -------------------------------------------------------------------- Dropout
def test_dropout_is_the_identity_at_inference():
    layer = check_layer(lambda: Dropout(0.5, seed=1), (4, 6), (4, 6))
    x = random_input((4, 6))
    numpy.testing.assert_array_equal(layer(x), x)
    numpy.testing.assert_array_equal(layer(x, training=False), x)


def test_dropout_passes_layer_checks_while_training():
    check_layer(lambda: Dropout(0.5, seed=1), (4, 6), (4, 6), training=True)


def test_dropout_drops_about_rate_and_scales_survivors_by_inverse_keep_probability():
    x = numpy.ones((200, 500), numpy.float32)
    out = Dropout(0.3, seed=0)(x, training=True)
    assert out.dtype == numpy.float32
    # 100,000 Bernoulli(0.3) draws: standard deviation of the dropped fraction is about 0.0015.
    assert abs(numpy.mean(out == 0) - 0.3) < 0.01
    assert set(numpy.unique(out)) == {0.0, numpy.float32(1.0 / (1.0 - 0.3))}


def test_dropout_noise_shape_broadcasts_one_mask_over_unit_axes():
    x = numpy.ones((3, 5, 4), numpy.float32)
    out = Dropout(0.5, noise_shape=(None, 1, 4), seed=0)(x, training=True)
    numpy.testing.assert_array_equal(out, numpy.broadcast_to(out[:, :1, :], out.shape))
    assert 0 < numpy.mean(out == 0) < 1


def test_dropout_same_seed_gives_same_mask_and_successive_calls_differ():
    x = numpy.ones((10, 10), numpy.float32)
    first, twin, other = Dropout(0.5, seed=42), Dropout(0.5, seed=42), Dropout(0.5, seed=43)
    mask = first(x, training=True)
    numpy.testing.assert_array_equal(mask, twin(x, training=True))
    assert not numpy.array_equal(mask, other(x, training=True))
    assert not numpy.array_equal(mask, first(x, training=True))


def test_dropout_masks_are_reproducible_after_set_random_seed():
    x = numpy.ones((10, 10), numpy.float32)
    set_random_seed(7)
    mask = Dropout(0.5)(x, training=True)
    set_random_seed(7)
    numpy.testing.assert_array_equal(Dropout(0.5)(x, training=True), mask)


@pytest.mark.parametrize("rate", [-0.1, 1.5, "0.5", None])
def test_dropout_rejects_invalid_rate_naming_the_argument(rate):
    with pytest.raises(ValueError, match="rate"):
        Dropout(rate)


# ------------------------------------------------------------ Flatten, Reshape
def test_flatten_keeps_the_batch_axis_and_flattens_the_rest():
    layer = check_layer(Flatten, (2, 3, 4), (2, 12))
    x = random_input((2, 3, 4))
    numpy.testing.assert_array_equal(layer(x), x.reshape(2, 12))
    assert layer.compute_output_shape((None, 3, 4)) == (None, 12)


def test_flatten_channels_first_flattens_in_channels_last_order():
    x = random_input((2, 3, 4))
    numpy.testing.assert_array_equal(Flatten(data_format="channels_first")(x),
                                     numpy.moveaxis(x, 1, -1).reshape(2, 12))


def test_reshape_infers_the_minus_one_dimension():
    layer = check_layer(lambda: Reshape((3, -1)), (2, 12), (2, 3, 4))
    assert layer.compute_output_shape((None, 12)) == (None, 3, 4)


@pytest.mark.parametrize("target_shape", [(-1, -1), (0, 4), (2.5, 4)])
def test_reshape_rejects_invalid_target_shape_naming_the_argument(target_shape):
    with pytest.raises(ValueError, match="target_shape"):
        Reshape(target_shape)


def test_reshape_rejects_a_target_of_another_size():
    with pytest.raises(ValueError, match="target_shape"):
        Reshape((5,)).compute_output_shape((None, 12))
    with pytest.raises(ValueError):
        Reshape((5,))(numpy.zeros((2, 12), numpy.float32))


# --------------------------------------------------------------------- Lambda
def test_lambda_applies_its_function_with_arguments_and_rebuilds_it_from_config():
    layer = check_layer(lambda: Lambda(scaled_square, arguments={"scale": 3.0}), (2, 5), (2, 5))
    x = random_input((2, 5))
    numpy.testing.assert_allclose(layer(x), 3.0 * x * x, rtol=1e-6)
    config = layer.get_config()
    assert config["function"] == {"module": "tests.test_layers", "class_name": "function",
                                  "config": "scaled_square", "registered_name": "tests>scaled_square"}
    assert Lambda.from_config(config).function is scaled_square


def test_lambda_output_shape_given_as_tuple_callable_or_inferred():
    check_layer(lambda: Lambda(flatten_sample, output_shape=(6,)), (2, 2, 3), (2, 6))
    assert Lambda(flatten_sample, output_shape=(6,)).compute_output_shape((None, 2, 3)) == (None, 6)
    by_callable = Lambda(flatten_sample, output_shape=lambda s: (s[0], s[1] * s[2]))
    assert by_callable.compute_output_shape((None, 2, 3)) == (None, 6)
    assert Lambda(first_half).compute_output_shape((None, 8)) == (None, 4)


def test_lambda_wrapping_a_lambda_is_saved_as_bytecode_that_only_unsafe_mode_loads():
    layer = Lambda(lambda x: x + 1.0)
    numpy.testing.assert_array_equal(layer(numpy.zeros((1, 2), numpy.float32)), [[1.0, 1.0]])
    config = layer.get_config()
    assert config["function"]["class_name"] == "__lambda__"  # Keras 3's form
    with pytest.raises(ValueError, match="safe_mode=False"):
        Lambda.from_config(config)
    rebuilt = Lambda.from_config(config, safe_mode=False)
    numpy.testing.assert_array_equal(rebuilt(numpy.ones((1, 2), numpy.float32)), [[2.0, 2.0]])


# ---------------------------------------------------------- InputLayer, Input
def test_input_gives_the_batch_shape_with_a_none_batch_axis():
    assert Input((784,)).shape == (None, 784)
    assert Input(shape=(3,), batch_size=8).shape == (8, 3)
    assert InputLayer(batch_shape=(None, 2, 3)).shape == (None, 2, 3)
    assert InputLayer(input_shape=(4,)).shape == (None, 4)  # Keras 2 spelling
    with pytest.raises(ValueError, match="shape"):
        InputLayer()


def test_input_layer_passes_inputs_through_and_starts_a_sequential_model():
    check_layer(lambda: InputLayer(shape=(4,)), (2, 4), (2, 4))
    model = Sequential([Input((4,)), Dense(2)])
    assert model.built and len(model.layers) == 1
    assert model.count_params() == 4 * 2 + 2


# -------------------------------------------------------------- custom layers
def test_custom_layer_written_like_the_keras_guide_passes_layer_checks():
    layer = check_layer(lambda: Linear(4), (3, 5), (3, 4), 2)
    assert layer.w.shape == (5, 4) and layer.b.shape == (4,)
    assert layer.weights[0] is layer.w


def test_custom_layer_keeping_weights_in_a_list_binds_them():
    layer = check_layer(GatedKernels, (3, 5), (3, 3), 2)
    assert all(w is k for w, k in zip(layer.weights, layer.kernels))


def test_weight_not_stored_on_the_layer_fails_at_build_naming_it():
    with pytest.raises(AttributeError, match="'scale' is not stored on the layer"):
        TupleHeldWeight()(numpy.ones((2, 3), numpy.float32))


def test_stateless_call_restores_weights_when_call_raises():
    layer = FailsOnDemand()
    x = random_input((2, 3))
    layer(x)
    layer.fail = True
    kernel = layer.kernel
    assert_stateless_call_restores_weights(layer, x, raises=RuntimeError)
    assert layer.kernel is kernel


# ------------------------------------------------------------ the Layer base
def test_add_weight_accepts_keras2_order_name_then_shape():
    layer = Layer()
    kernel = layer.add_weight("kernel", (3, 4))
    assert kernel.shape == (3, 4) and kernel.dtype == numpy.float32
    # No initializer: glorot_uniform, limit sqrt(6 / (fan_in + fan_out)).
    assert 0 < numpy.abs(kernel).max() <= math.sqrt(6.0 / (3 + 4))
    with pytest.raises(ValueError, match="already has a weight named 'kernel'"):
        layer.add_weight(shape=(2,), name="kernel")


def test_add_weight_without_initializer_is_glorot_uniform_for_1d_shapes():
    vector = Layer().add_weight(shape=(12,))
    # Keras compute_fans: a 1-D shape (n,) has fan_in = fan_out = n, so limit = sqrt(6 / 2n).
    assert 0 < numpy.abs(vector).max() <= math.sqrt(6.0 / (2 * 12))


def test_add_weight_rejects_a_duplicate_name():
    layer = Layer()
    layer.add_weight(shape=(2,), name="scale")
    with pytest.raises(ValueError, match="'scale'"):
        layer.add_weight(shape=(3,), name="scale")


def test_count_params_before_build_raises():
    with pytest.raises(ValueError, match="not built"):
        Dense(3).count_params()


def test_set_weights_rejects_a_shape_mismatch_naming_both_shapes():
    layer = Dense(4)
    layer(numpy.zeros((2, 3), numpy.float32))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4, 3\)"):
        layer.set_weights([numpy.zeros((4, 3)), numpy.zeros(4)])
    with pytest.raises(ValueError, match="expects 2 weights"):
        layer.set_weights([numpy.zeros((3, 4))])


def test_set_weights_checks_every_array_before_writing_any():
    layer = Dense(2)
    layer(numpy.zeros((1, 3), numpy.float32))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"weight 1 \(dense_\d+/bias\) must be numbers"):
        layer.set_weights([numpy.ones((3, 2)), numpy.array(["a", "b"])])
    for got, want in zip(layer.get_weights(), before):
        numpy.testing.assert_array_equal(got, want)


def test_an_input_with_a_zero_sized_dimension_is_refused_naming_the_shape():
    with pytest.raises(ValueError, match=r"must be positive or None; received shape \(0,\)"):
        Input((0,))


def test_set_weights_writes_into_the_existing_arrays():
    layer = Dense(4)
    layer(numpy.zeros((2, 3), numpy.float32))
    kernel, bias = layer.kernel, layer.bias
    new_kernel = numpy.arange(12.0).reshape(3, 4)
    layer.set_weights([new_kernel, numpy.ones(4)])
    assert layer.kernel is kernel and layer.bias is bias
    assert kernel.dtype == numpy.float32
    numpy.testing.assert_array_equal(kernel, new_kernel)
    numpy.testing.assert_array_equal(layer.get_weights()[1], numpy.ones(4))


def test_unknown_constructor_keyword_raises_type_error_naming_it():
    with pytest.raises(TypeError, match="kernal_initializer"):
        Dense(4, kernal_initializer="zeros")
    with pytest.raises(TypeError, match="frobnicate"):
        Flatten(frobnicate=True)


@pytest.mark.parametrize("dtype", ["float64", "float16", "int32", numpy.float64])
def test_dtype_other_than_float32_is_rejected_naming_the_argument(dtype):
    with pytest.raises(ValueError, match="dtype"):
        Dense(4, dtype=dtype)
    assert Dense(4, dtype="float32").dtype == "float32"


def test_keras_dtype_policy_name_is_rejected_naming_the_argument():
    with pytest.raises(ValueError, match="dtype"):
        Dense(4, dtype="mixed_float16")


def test_stateless_call_has_keras_3_signature_and_returns():
    layer = Dense(2, input_shape=(3,), activity_regularizer="l2")
    x = numpy.ones((4, 3), numpy.float32)
    layer(x)
    kernel, bias = [numpy.ones_like(w) for w in layer.trainable_weights]
    outputs, non_trainable = layer.stateless_call([kernel, bias], [], x)
    numpy.testing.assert_array_equal(outputs, numpy.full((4, 2), 4.0))  # 3 * 1 + 1
    assert non_trainable == []
    _, _, losses = layer.stateless_call([kernel, bias], [], x, return_losses=True)
    # Keras 3.15: l2 = 0.01 * sum(4.0 ** 2) over 8 outputs, divided by the batch size 4.
    assert float(losses[0]) == pytest.approx(0.01 * 16.0 * 8 / 4)
    assert layer.kernel is not kernel  # the layer's own arrays are back
    with pytest.raises(ValueError, match="needs 2 trainable"):
        layer.stateless_call([kernel], [], x)
