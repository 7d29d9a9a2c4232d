"""The hand-written gradients in microkeras.ops: numeric checks and float32 checks."""

import math

import autograd
import autograd.numpy as anp
import numpy
import pytest

from microkeras import ops
from microkeras.testing import assert_float32_backward, check_gradient, numeric_gradient


def keras_categorical_crossentropy(targets, logits):
    """Keras's formula on probabilities, in float64: p = softmax(z), clip to [1e-7, 1 - 1e-7], -sum(y log p)."""
    z = numpy.asarray(logits, numpy.float64)
    p = numpy.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return -(targets * numpy.log(numpy.clip(p, 1e-7, 1 - 1e-7))).sum(-1)


def test_softmax_cross_entropy_gradient_matches_finite_differences():
    rng = numpy.random.default_rng(0)
    targets = rng.dirichlet(numpy.ones(5), size=4)
    logits = rng.normal(size=(4, 5))
    check_gradient(lambda z: ops.softmax_cross_entropy(z, targets), logits)


def test_softmax_cross_entropy_matches_keras_clipped_formula():
    rng = numpy.random.default_rng(1)
    logits = rng.normal(scale=3, size=(6, 4)).astype(numpy.float32)
    targets = numpy.eye(4, dtype=numpy.float32)[rng.integers(0, 4, 6)]
    numpy.testing.assert_allclose(ops.softmax_cross_entropy(logits, targets),
                                  keras_categorical_crossentropy(targets, logits), rtol=1e-5)


def test_softmax_cross_entropy_saturated_value_is_keras_clip_and_gradient_stays_alive():
    # A true-class probability of ~e^-100 is clipped by Keras to 1e-7: loss = -log(1e-7) = 16.118.
    logits = numpy.array([[0.0, 100.0]], numpy.float32)
    targets = numpy.array([[1.0, 0.0]], numpy.float32)
    assert float(ops.softmax_cross_entropy(logits, targets)[0]) == pytest.approx(-math.log(1e-7), rel=1e-5)
    grad = autograd.grad(lambda z: anp.sum(ops.softmax_cross_entropy(z, targets)))(logits)
    numpy.testing.assert_allclose(grad, [[-1.0, 1.0]], atol=1e-6)  # softmax - y, not 0


def test_softmax_cross_entropy_is_float32_forward_and_backward():
    rng = numpy.random.default_rng(2)
    logits = rng.normal(size=(3, 5)).astype(numpy.float32)
    targets = numpy.eye(5, dtype=numpy.float32)[[0, 2, 4]]
    assert ops.softmax_cross_entropy(logits, targets).dtype == numpy.float32
    assert_float32_backward(lambda z: anp.sum(ops.softmax_cross_entropy(z, targets)) / 3, logits)


def test_stop_gradient_blocks_the_gradient():
    x = numpy.array([1.0, 2.0], numpy.float32)
    grad = autograd.grad(lambda v: anp.sum(v * ops.stop_gradient(v)))(x)
    numpy.testing.assert_allclose(grad, x)  # d/dv (v * c) = c, not 2v


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "erf"])
def test_elementwise_primitives_gradients_and_float32(name):
    fn = getattr(ops, name)
    # Off the grid point 0.5, where erf switches formulas (a jump below 3e-8 that a
    # finite difference would magnify).
    x = numpy.linspace(-2.9, 3.1, 13).reshape(13, 1)
    check_gradient(fn, x)
    assert fn(x.astype(numpy.float32)).dtype == numpy.float32
    assert_float32_backward(lambda v: anp.sum(fn(v)), x.astype(numpy.float32))


def test_erf_is_within_2e_7_of_math_erf():
    x = numpy.linspace(-6, 6, 4001)
    numpy.testing.assert_allclose(ops.erf(x), [math.erf(v) for v in x], rtol=0, atol=2e-7)


def test_sigmoid_and_tanh_saturate_without_warnings():
    x = numpy.array([-1000.0, -50.0, 50.0, 1000.0], numpy.float32)
    with numpy.errstate(over="raise", invalid="raise", divide="raise"):
        numpy.testing.assert_allclose(ops.sigmoid(x), [0, 0, 1, 1], atol=1e-20)
        g = autograd.grad(lambda v: anp.sum(ops.tanh(v)))(x)
    numpy.testing.assert_array_equal(g, 0)


def test_softmax_cross_entropy_mean_is_the_average_and_its_gradient():
    rng = numpy.random.default_rng(3)
    logits = rng.normal(size=(5, 4))
    targets = numpy.eye(4)[rng.integers(0, 4, 5)]
    per_sample = ops.softmax_cross_entropy(logits, targets)
    assert ops.softmax_cross_entropy(logits, targets, mean=True) == pytest.approx(per_sample.mean())
    check_gradient(lambda z: ops.softmax_cross_entropy(z, targets, mean=True), logits)
    assert_float32_backward(lambda z: ops.softmax_cross_entropy(z, targets.astype(numpy.float32), mean=True),
                            logits.astype(numpy.float32))


@pytest.mark.parametrize("with_rank3", [False, True])
def test_affine_gradients_match_finite_differences(with_rank3):
    rng = numpy.random.default_rng(4)
    x = rng.normal(size=(3, 2, 4) if with_rank3 else (3, 4))
    kernel, bias = rng.normal(size=(4, 5)), rng.normal(size=5)
    check_gradient(lambda v: ops.affine(v, kernel, bias), x)
    check_gradient(lambda k: ops.affine(x, k, bias), kernel)
    check_gradient(lambda b: ops.affine(x, kernel, b), bias)
    x32, k32, b32 = (a.astype(numpy.float32) for a in (x, kernel, bias))
    assert ops.affine(x32, k32, b32).dtype == numpy.float32
    assert_float32_backward(lambda v: anp.sum(ops.affine(v, k32, b32) ** 2), x32)
    assert_float32_backward(lambda k: anp.sum(ops.affine(x32, k, b32) ** 2), k32)
    assert_float32_backward(lambda b: anp.sum(ops.affine(x32, k32, b) ** 2), b32)


@pytest.mark.parametrize("with_rank3", [False, True])
def test_affine_relu_is_relu_of_affine_with_checked_gradients(with_rank3):
    from microkeras.ops.nn import affine_relu

    rng = numpy.random.default_rng(5)
    x = rng.normal(size=(3, 2, 4) if with_rank3 else (3, 4))
    kernel, bias = rng.normal(size=(4, 5)), rng.normal(size=5)
    numpy.testing.assert_array_equal(affine_relu(x, kernel, bias), numpy.maximum(x @ kernel + bias, 0))
    check_gradient(lambda v: affine_relu(v, kernel, bias), x)
    check_gradient(lambda k: affine_relu(x, k, bias), kernel)
    check_gradient(lambda b: affine_relu(x, kernel, b), bias)
    # All three at once: one masked cotangent serves the three gradients.
    both = autograd.grad(lambda k, b: anp.sum(affine_relu(x, k, b) ** 2), argnum=(0, 1))(kernel, bias)
    separate = (autograd.grad(lambda k: anp.sum(affine_relu(x, k, bias) ** 2))(kernel),
                autograd.grad(lambda b: anp.sum(affine_relu(x, kernel, b) ** 2))(bias))
    for joint, alone in zip(both, separate):
        numpy.testing.assert_allclose(joint, alone)
    x32, k32, b32 = (a.astype(numpy.float32) for a in (x, kernel, bias))
    assert affine_relu(x32, k32, b32).dtype == numpy.float32
    assert_float32_backward(lambda v: anp.sum(affine_relu(v, k32, b32) ** 2), x32)
    assert_float32_backward(lambda k: anp.sum(affine_relu(x32, k, b32) ** 2), k32)
    assert_float32_backward(lambda b: anp.sum(affine_relu(x32, k32, b) ** 2), b32)


def test_relu_and_mean_primitives():
    x = numpy.array([[-1.5, 0.5], [2.0, -0.25]])
    check_gradient(ops.relu, x)
    check_gradient(ops.mean, x)
    x32 = x.astype(numpy.float32)
    assert ops.relu(x32).dtype == numpy.float32 and ops.mean(x32).dtype == numpy.float32
    assert_float32_backward(lambda v: ops.mean(ops.relu(v)), x32)
    grad = autograd.grad(lambda v: anp.sum(ops.relu(v)))(numpy.array([0.0, 1.0]))
    numpy.testing.assert_array_equal(grad, [0.0, 1.0])  # Keras: relu'(0) = 0


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_primitive_gradient_and_float32(axis):
    x = numpy.random.default_rng(6).normal(size=(3, 4))
    check_gradient(lambda v: ops.softmax(v, axis), x)
    numpy.testing.assert_allclose(ops.softmax(x, axis).sum(axis=axis), 1.0)
    x32 = x.astype(numpy.float32)
    probe = numpy.random.default_rng(7).normal(size=x.shape).astype(numpy.float32)
    assert_float32_backward(lambda v: anp.sum(ops.softmax(v, axis) * probe), x32)


def test_numeric_gradient_perturbs_arrays_of_any_memory_layout():
    # A transposed (Fortran-ordered) array: the finite differences must still reach f.
    x = numpy.arange(6, dtype=numpy.float64).reshape(2, 3).T
    weights = numpy.arange(1.0, 7.0).reshape(3, 2)
    numpy.testing.assert_allclose(numeric_gradient(lambda v: (v * weights).sum(), x), weights, rtol=1e-6)
