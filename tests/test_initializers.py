"""Initializers, regularizers and constraints: Keras 3 formulas, dtypes, seeds, identifiers."""

import math

import autograd
import autograd.numpy as np
import numpy
import pytest

from microkeras import config, constraints, initializers, regularizers
from microkeras.testing import assert_float32_backward, check_gradient

INITIALIZER_NAMES = [
    "zeros", "zero", "ones", "one", "constant", "identity", "random_normal", "normal",
    "truncated_normal", "random_uniform", "uniform", "variance_scaling", "glorot_uniform",
    "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "orthogonal",
]


# ---------------------------------------------------------------- initializers


@pytest.mark.parametrize("name", INITIALIZER_NAMES)
def test_initializer_returns_float32_array_of_requested_shape(name):
    values = initializers.get(name)((5, 4))
    assert isinstance(values, numpy.ndarray)
    assert values.dtype == numpy.float32
    assert values.shape == (5, 4)


def test_compute_fans_uses_receptive_field_for_conv_kernels():
    assert initializers.compute_fans((5, 4)) == (5, 4)
    # Conv2D kernel (kh, kw, in, out): receptive field 3 * 3 = 9.
    assert initializers.compute_fans((3, 3, 16, 32)) == (9 * 16, 9 * 32)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans(()) == (1, 1)


def test_glorot_uniform_respects_keras_bound_and_variance():
    values = initializers.GlorotUniform(seed=0)((400, 300))
    limit = math.sqrt(6.0 / (400 + 300))
    assert numpy.abs(values).max() <= limit
    assert numpy.abs(values).max() > 0.99 * limit
    # U(-L, L) has standard deviation L / sqrt(3) = sqrt(2 / (fan_in + fan_out)).
    assert values.std() == pytest.approx(limit / math.sqrt(3.0), rel=0.02)


@pytest.mark.parametrize(
    "cls, fan_scale, uniform",
    [
        (initializers.HeUniform, 2.0, True),
        (initializers.HeNormal, 2.0, False),
        (initializers.LecunUniform, 1.0, True),
        (initializers.LecunNormal, 1.0, False),
        (initializers.GlorotNormal, None, False),
    ],
)
def test_variance_scaling_presets_have_keras_spread(cls, fan_scale, uniform):
    shape = (3, 3, 40, 60)  # fan_in = 9 * 40 = 360, fan_out = 9 * 60 = 540
    values = cls(seed=1)(shape)
    # Target standard deviation sqrt(scale / n): n = fan_in for He/Lecun, (fan_in + fan_out) / 2 for Glorot.
    std = math.sqrt(fan_scale / 360) if fan_scale else math.sqrt(1.0 / 450)
    assert values.std() == pytest.approx(std, rel=0.03)
    if uniform:  # U(-L, L) with L = sqrt(3) * std
        assert numpy.abs(values).max() <= math.sqrt(3.0) * std
    else:  # truncated at 2 stddev of the pre-truncation normal, std / 0.87962566
        assert numpy.abs(values).max() <= 2.0 * std / 0.87962566103423978


def test_truncated_normal_stays_within_two_stddev_of_mean():
    values = initializers.TruncatedNormal(mean=1.0, stddev=0.5, seed=2)((20000,))
    assert values.min() >= 0.0 and values.max() <= 2.0
    assert values.mean() == pytest.approx(1.0, abs=0.01)
    # A normal truncated at +-2 sigma keeps 0.8796 of its standard deviation.
    assert values.std() == pytest.approx(0.5 * 0.87962566, rel=0.02)


def test_random_normal_and_uniform_use_keras_defaults():
    normal = initializers.get("random_normal")((20000,))
    uniform = initializers.get("random_uniform")((20000,))
    assert normal.std() == pytest.approx(0.05, rel=0.03)
    assert uniform.min() >= -0.05 and uniform.max() <= 0.05
    assert uniform.std() == pytest.approx(0.1 / math.sqrt(12.0), rel=0.03)


def test_set_random_seed_makes_unseeded_draws_reproducible():
    config.set_random_seed(0)
    first = initializers.GlorotUniform()((4, 4))
    second = initializers.GlorotUniform()((4, 4))
    config.set_random_seed(0)
    numpy.testing.assert_array_equal(initializers.GlorotUniform()((4, 4)), first)
    assert not numpy.array_equal(first, second)


def test_explicit_seed_gives_same_values_on_every_call():
    init = initializers.HeNormal(seed=7)
    numpy.testing.assert_array_equal(init((3, 5)), init((3, 5)))
    config.set_random_seed(123)  # the global seed does not affect a seeded initializer
    numpy.testing.assert_array_equal(initializers.HeNormal(seed=7)((3, 5)), init((3, 5)))
    assert not numpy.array_equal(initializers.HeNormal(seed=8)((3, 5)), init((3, 5)))


@pytest.mark.parametrize("shape", [(6, 4), (3, 5), (3, 3, 4, 8)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain(shape):
    values = initializers.Orthogonal(gain=2.0, seed=3)(shape)
    assert values.shape == shape and values.dtype == numpy.float32
    matrix = values.reshape(-1, shape[-1])
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    numpy.testing.assert_allclose(gram, 4.0 * numpy.eye(len(gram)), atol=1e-5)


def test_constant_and_identity_values():
    numpy.testing.assert_array_equal(initializers.Constant(3.5)((2, 2)), numpy.full((2, 2), 3.5))
    numpy.testing.assert_array_equal(initializers.Identity(gain=2.0)((2, 3)), 2.0 * numpy.eye(2, 3))
    with pytest.raises(ValueError, match="2-D"):
        initializers.Identity()((2, 2, 2))


def test_invalid_arguments_are_named():
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="seed"):
        initializers.RandomNormal(seed="abc")


def test_initializer_get_accepts_keras_identifiers():
    get = initializers.get
    assert get(None) is None
    assert type(get("zero")) is initializers.Zeros
    assert type(get("one")) is initializers.Ones
    assert type(get("normal")) is initializers.RandomNormal
    assert type(get("uniform")) is initializers.RandomUniform
    assert type(get("GlorotUniform")) is initializers.GlorotUniform
    assert type(get("OrthogonalInitializer")) is initializers.Orthogonal
    assert type(get(initializers.HeNormal)) is initializers.HeNormal
    instance = initializers.Constant(2.0)
    assert get(instance) is instance
    assert get(numpy.zeros) is numpy.zeros  # any f(shape, dtype=None) callable
    with pytest.raises(ValueError, match=r"initializer.*'glorot_uniform'"):
        get("glorot")
    with pytest.raises(TypeError, match="initializer"):
        get(5)


def test_initializer_serialize_round_trip():
    assert initializers.serialize(initializers.GlorotUniform(seed=3)) == {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": 3},
        "registered_name": None,
    }
    for init in [
        initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=4),
        initializers.RandomUniform(minval=-1.0, maxval=2.0),
        initializers.TruncatedNormal(mean=0.5, stddev=0.1, seed=1),
        initializers.Constant(0.25),
        initializers.Orthogonal(gain=0.5, seed=9),
        initializers.Zeros(),
    ]:
        rebuilt = initializers.deserialize(initializers.serialize(init))
        assert type(rebuilt) is type(init)
        assert rebuilt.get_config() == init.get_config()


# ---------------------------------------------------------------- regularizers

W = numpy.array([[1.0, -2.0], [3.0, -4.0]], dtype=numpy.float32)


def test_l1_l2_penalties_match_keras_formulas():
    # sum|w| = 10, sum w^2 = 30; Keras's L2 has no factor 1/2.
    assert regularizers.L1(0.01)(W) == pytest.approx(0.1)
    assert regularizers.L2(0.01)(W) == pytest.approx(0.3)
    assert regularizers.L1L2(l1=0.1, l2=0.2)(W) == pytest.approx(0.1 * 10 + 0.2 * 30)
    assert regularizers.L2(2.0)(numpy.ones((5, 5), numpy.float32)) == pytest.approx(50.0)  # Keras docstring
    assert regularizers.L1L2()(W) == 0.0
    for reg in [regularizers.L1(), regularizers.L2(), regularizers.L1L2(0.1, 0.1), regularizers.L1L2()]:
        assert numpy.asarray(reg(W)).dtype == numpy.float32
        assert numpy.ndim(reg(W)) == 0


def test_regularizer_strings_use_keras_defaults():
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get("l2").get_config() == {"l2": 0.01}
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.l2(0.5).get_config() == {"l2": 0.5}  # Keras 2 spelling


def test_orthogonal_regularizer_is_mean_absolute_cosine_between_rows():
    reg = regularizers.OrthogonalRegularizer(factor=0.1)
    assert reg(numpy.eye(3, dtype=numpy.float32)) == pytest.approx(0.0)
    # Two parallel rows: one pair with |cos| = 1 -> 0.1 * 0.5 * (1 + 1) / 1 = 0.1.
    parallel = numpy.array([[1.0, 0.0], [2.0, 0.0]], dtype=numpy.float32)
    assert reg(parallel) == pytest.approx(0.1)
    columns = regularizers.OrthogonalRegularizer(factor=0.1, mode="columns")
    assert columns(parallel.T) == pytest.approx(0.1)


@pytest.mark.parametrize(
    "reg",
    [regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.4),
     regularizers.OrthogonalRegularizer(0.5), regularizers.OrthogonalRegularizer(0.5, mode="columns")],
    ids=["l1", "l2", "l1_l2", "orthogonal_rows", "orthogonal_columns"],
)
def test_regularizer_gradient_is_correct_and_float32(reg):
    x = numpy.array([[0.7, -1.3, 0.4], [-0.2, 0.9, 1.6]])
    check_gradient(reg, x)
    assert_float32_backward(reg, x.astype(numpy.float32))


def test_l1_gradient_at_zero_is_zero_and_float32():
    x = numpy.array([0.0, -2.0, 3.0], dtype=numpy.float32)
    grad = assert_float32_backward(regularizers.L1(0.5), x)
    numpy.testing.assert_array_equal(grad, [0.0, -0.5, 0.5])
    assert autograd.grad(lambda v: np.sum(v) + regularizers.L1L2()(v))(x).dtype == numpy.float32


def test_regularizer_identifiers_and_serialization():
    with pytest.raises(ValueError, match="l1"):
        regularizers.L1(-0.1)
    with pytest.raises(ValueError, match=r"regularizer.*'l2'"):
        regularizers.get("l3")
    reg = regularizers.L1L2(l1=0.2, l2=0.3)
    assert regularizers.get(reg) is reg
    assert regularizers.serialize(reg) == {
        "module": "keras.regularizers", "class_name": "L1L2", "config": {"l1": 0.2, "l2": 0.3},
        "registered_name": None,
    }
    orthogonal = regularizers.OrthogonalRegularizer(0.2, "columns")
    rebuilt = regularizers.deserialize(regularizers.serialize(orthogonal))
    assert rebuilt.get_config() == {"factor": 0.2, "mode": "columns"}
    assert regularizers.serialize(None) is None  # what a layer stores for "no regularizer"


# ---------------------------------------------------------------- constraints

# Columns (axis=0 vectors) with norms 5 and sqrt(0.02).
K = numpy.array([[3.0, 0.1], [4.0, 0.1]], dtype=numpy.float32)
EPS = 1e-7


def test_max_norm_scales_only_long_vectors():
    before = K.copy()
    out = constraints.MaxNorm(max_value=2.0)(K)
    norms = numpy.sqrt((K.astype(float) ** 2).sum(axis=0))
    # w * clip(norm, 0, 2) / (eps + norm)
    expected = K * numpy.minimum(norms, 2.0) / (EPS + norms)
    numpy.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == numpy.float32
    numpy.testing.assert_array_equal(K, before)  # input untouched


def test_non_neg_and_unit_norm():
    numpy.testing.assert_array_equal(constraints.NonNeg()(numpy.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])
    rows = constraints.UnitNorm(axis=1)(K)
    numpy.testing.assert_allclose(numpy.linalg.norm(rows, axis=1), [1.0, 1.0], rtol=1e-6)
    numpy.testing.assert_allclose(constraints.UnitNorm()(K)[:, 0], [0.6, 0.8], rtol=1e-6)


def test_min_max_norm_moves_norm_at_rate():
    out = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(K)
    norms = numpy.sqrt((K.astype(float) ** 2).sum(axis=0))
    # desired = rate * clip(norm, 1, 2) + (1 - rate) * norm: 3.5 for norm 5, ~0.571 for norm 0.141
    desired = 0.5 * numpy.clip(norms, 1.0, 2.0) + 0.5 * norms
    numpy.testing.assert_allclose(numpy.linalg.norm(out, axis=0), desired, rtol=1e-5)
    assert out.dtype == numpy.float32


def test_max_norm_over_conv_filter_axes():
    kernel = initializers.RandomNormal(stddev=1.0, seed=5)((3, 3, 2, 4))
    out = constraints.MaxNorm(max_value=1.0, axis=[0, 1, 2])(kernel)
    assert numpy.sqrt((out.astype(float) ** 2).sum(axis=(0, 1, 2))).max() <= 1.0 + 1e-6


def test_constraint_identifiers_and_serialization():
    assert type(constraints.get("max_norm")) is constraints.MaxNorm
    assert type(constraints.get("non_neg")) is constraints.NonNeg
    assert type(constraints.get("unit_norm")) is constraints.UnitNorm
    assert type(constraints.get("MinMaxNorm")) is constraints.MinMaxNorm
    assert constraints.get(None) is None
    with pytest.raises(ValueError, match=r"constraint.*'non_neg'"):
        constraints.get("nonneg")
    c = constraints.MinMaxNorm(0.5, 3.0, rate=0.7, axis=1)
    data = constraints.serialize(c)
    assert data["class_name"] == "MinMaxNorm" and data["module"] == "keras.constraints"
    assert constraints.deserialize(data).get_config() == c.get_config()
    assert constraints.serialize(None) is None


def test_plain_functions_serialize_in_keras_function_form():
    def my_penalty(w):
        return 0.1 * np.sum(w * w)

    data = regularizers.serialize(my_penalty)
    assert data["class_name"] == "function" and data["config"] == "my_penalty"
    with pytest.raises(ValueError, match="my_penalty"):
        regularizers.get(data)  # custom functions are not registered
    l2_as_function = {"class_name": "function", "config": "l2"}
    assert type(regularizers.get(l2_as_function)) is regularizers.L2
