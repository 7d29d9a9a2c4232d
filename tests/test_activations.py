"""Activations: Keras 3 values, finite-difference gradients, float32 backward, stability."""

import math

import autograd
import autograd.numpy as np
import numpy
import pytest

from microkeras import activations
from microkeras.testing import assert_float32_backward, check_gradient

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
erf = numpy.vectorize(math.erf)


def ref_sigmoid(x):
    return 1.0 / (1.0 + numpy.exp(-x))


def ref_hard_sigmoid(x):
    # Keras 3: relu6(x + 3) / 6, i.e. clip(x / 6 + 1/2, 0, 1) (Keras 2 used 0.2 * x + 0.5).
    return numpy.clip(x / 6.0 + 0.5, 0.0, 1.0)


def ref_softmax(x):
    e = numpy.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def ref_elu(x, alpha=1.0):
    return numpy.where(x > 0, x, alpha * (numpy.exp(x) - 1.0))


def ref_softplus(x):
    return numpy.log(numpy.exp(x) + 1.0)


# Float64 references written straight from the formulas in Keras 3's
# keras/src/activations/activations.py docstrings (defaults: leaky_relu slope 0.2,
# elu alpha 1.0, gelu approximate=False).
REFERENCES = {
    "relu": lambda x: numpy.maximum(x, 0.0),
    "leaky_relu": lambda x: numpy.where(x > 0, x, 0.2 * x),
    "relu6": lambda x: numpy.minimum(numpy.maximum(x, 0.0), 6.0),
    "sigmoid": ref_sigmoid,
    "hard_sigmoid": ref_hard_sigmoid,
    "hard_silu": lambda x: x * ref_hard_sigmoid(x),
    "hard_swish": lambda x: x * ref_hard_sigmoid(x),
    "tanh": numpy.tanh,
    "softmax": ref_softmax,
    "log_softmax": lambda x: numpy.log(ref_softmax(x)),
    "elu": ref_elu,
    "selu": lambda x: SELU_SCALE * ref_elu(x, SELU_ALPHA),
    "softplus": ref_softplus,
    "softsign": lambda x: x / (numpy.abs(x) + 1.0),
    "silu": lambda x: x * ref_sigmoid(x),
    "swish": lambda x: x * ref_sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))),
    "mish": lambda x: x * numpy.tanh(ref_softplus(x)),
    "exponential": numpy.exp,
    "linear": lambda x: x,
}
NAMES = sorted(REFERENCES)

# Away from every kink (0, +-3, 6) by more than the finite-difference step.
X = numpy.array(
    [[-4.7, -2.6, -1.3, -0.45, 0.35, 1.1],
     [2.4, 3.8, 5.2, 6.9, -0.8, 0.6],
     [-3.4, 4.5, -5.9, 2.9, -0.15, 0.2]]
)
PROBE = numpy.random.default_rng(1).normal(size=X.shape).astype(numpy.float32)


def test_get_knows_every_keras_activation_name():
    for name in NAMES:
        assert callable(activations.get(name)), name


@pytest.mark.parametrize("name", NAMES)
def test_activation_matches_keras_formula(name):
    fn = activations.get(name)
    # ops.erf (behind gelu) is a numpy-only approximation good to 2e-7, the others are exact.
    tolerance = 2e-7 if name == "gelu" else 1e-12
    numpy.testing.assert_allclose(fn(X), REFERENCES[name](X), rtol=tolerance, atol=tolerance)
    out32 = fn(X.astype(numpy.float32))
    assert out32.dtype == numpy.float32
    numpy.testing.assert_allclose(out32, REFERENCES[name](X), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("name", NAMES)
def test_activation_gradient_matches_finite_differences(name):
    check_gradient(activations.get(name), X)


@pytest.mark.parametrize("name", NAMES)
def test_activation_backward_pass_stays_float32(name):
    fn = activations.get(name)
    grad = assert_float32_backward(lambda v: np.sum(fn(v) * PROBE), X.astype(numpy.float32))
    assert grad.shape == X.shape


def test_gelu_tanh_approximation_matches_formula_and_stays_float32():
    # gelu(x, approximate=True) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    expected = 0.5 * X * (1.0 + numpy.tanh(math.sqrt(2.0 / math.pi) * (X + 0.044715 * X**3)))
    gelu_tanh = lambda v: activations.gelu(v, approximate=True)  # noqa: E731
    numpy.testing.assert_allclose(gelu_tanh(X), expected, rtol=1e-12)
    check_gradient(gelu_tanh, X)
    assert_float32_backward(lambda v: np.sum(gelu_tanh(v) * PROBE), X.astype(numpy.float32))


def test_relu_gradient_is_zero_at_zero_and_output_has_no_negative_zero():
    x = numpy.array([-2.0, 0.0, 3.0], dtype=numpy.float32)
    grad = autograd.grad(lambda v: np.sum(activations.relu(v)))(x)
    numpy.testing.assert_array_equal(grad, [0.0, 0.0, 1.0])
    assert not numpy.signbit(activations.relu(x)).any()


def test_relu_options_match_keras_docstring_examples():
    x = numpy.array([-10.0, -5.0, 0.0, 5.0, 10.0], dtype=numpy.float32)
    relu = activations.relu
    numpy.testing.assert_array_equal(relu(x), [0, 0, 0, 5, 10])
    numpy.testing.assert_array_equal(relu(x, negative_slope=0.5), [-5, -2.5, 0, 5, 10])
    numpy.testing.assert_array_equal(relu(x, max_value=5.0), [0, 0, 0, 5, 5])
    numpy.testing.assert_array_equal(relu(x, threshold=5.0), [0, 0, 0, 0, 10])
    # All three: x * (x > 1) clipped to [0, 6], minus 0.1 * relu(1 - x).
    numpy.testing.assert_allclose(
        relu(x, negative_slope=0.1, max_value=6.0, threshold=1.0), [-1.1, -0.6, -0.1, 5, 6], rtol=1e-6
    )


def test_parameters_of_leaky_relu_elu_and_softmax_axis():
    x = numpy.array([[-2.0, 1.0], [0.5, -1.0]], dtype=numpy.float32)
    numpy.testing.assert_allclose(activations.leaky_relu(x, negative_slope=0.1), [[-0.2, 1.0], [0.5, -0.1]])
    numpy.testing.assert_allclose(activations.elu(x, alpha=2.0), ref_elu(x.astype(float), 2.0), rtol=1e-6)
    numpy.testing.assert_allclose(activations.softmax(x, axis=0).sum(axis=0), [1.0, 1.0], rtol=1e-6)
    numpy.testing.assert_allclose(
        activations.log_softmax(x, axis=0), numpy.log(ref_softmax(x.T.astype(float)).T), rtol=1e-6
    )


def test_hard_sigmoid_is_keras3_relu6_form_not_keras2_slope():
    x = numpy.array([-3.5, -3.0, 1.5, 3.0, 4.0], dtype=numpy.float32)
    # relu6(x + 3) / 6: 1.5 -> 4.5 / 6 = 0.75 (Keras 2's 0.2 * x + 0.5 would give 0.8).
    numpy.testing.assert_allclose(activations.hard_sigmoid(x), [0.0, 0.0, 0.75, 1.0, 1.0])


# Underflow (exp(-1000) -> 0) is the correct answer and is allowed; overflow,
# invalid operations and division by zero are not.
STRICT = dict(over="raise", invalid="raise", divide="raise")
HUGE = numpy.array([[-1000.0, 0.0, 1000.0]], dtype=numpy.float32)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("sigmoid", [0.0, 0.5, 1.0]),
        ("softplus", [0.0, math.log(2.0), 1000.0]),
        ("elu", [-1.0, 0.0, 1000.0]),
        ("selu", [-SELU_SCALE * SELU_ALPHA, 0.0, SELU_SCALE * 1000.0]),
        ("softmax", [0.0, 0.0, 1.0]),
        ("log_softmax", [-2000.0, -1000.0, 0.0]),
        ("silu", [0.0, 0.0, 1000.0]),
        ("gelu", [0.0, 0.0, 1000.0]),
        ("hard_sigmoid", [0.0, 0.5, 1.0]),
        ("relu6", [0.0, 0.0, 6.0]),
    ],
)
def test_activation_is_finite_and_exact_for_huge_inputs(name, expected):
    fn = activations.get(name)
    with numpy.errstate(**STRICT):
        out = fn(HUGE)
        grad = autograd.grad(lambda v: np.sum(fn(v) * numpy.float32(0.5)))(HUGE)
    numpy.testing.assert_allclose(out[0], expected, rtol=1e-6)
    assert numpy.isfinite(grad).all()


def test_sigmoid_and_softplus_gradients_saturate_correctly():
    with numpy.errstate(**STRICT):
        sig_grad = autograd.grad(lambda v: np.sum(activations.sigmoid(v)))(HUGE)
        softplus_grad = autograd.grad(lambda v: np.sum(activations.softplus(v)))(HUGE)
    numpy.testing.assert_allclose(sig_grad[0], [0.0, 0.25, 0.0])
    numpy.testing.assert_allclose(softplus_grad[0], [0.0, 0.5, 1.0])


def test_get_resolves_none_names_aliases_and_callables():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    custom = lambda x: 2 * x  # noqa: E731
    assert activations.get(custom) is custom


def test_get_rejects_unknown_names_and_wrong_types():
    with pytest.raises(ValueError, match=r"activation.*'relu'"):
        activations.get("rellu")
    with pytest.raises(TypeError, match="activation"):
        activations.get(3)


def test_serialize_round_trips_through_keras_names():
    for name in NAMES:
        fn = activations.get(name)
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
    assert activations.deserialize({"class_name": "function", "config": "tanh"}) is activations.tanh

    def my_activation(x):
        return x

    assert activations.serialize(my_activation) == "my_activation"
