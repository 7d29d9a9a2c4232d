"""microkeras.ops pooling: max_pool, average_pool and max against a direct loop, finite differences, float32."""

import itertools

import autograd
import autograd.numpy as anp
import numpy
import pytest

from microkeras import ops
from microkeras.testing import assert_float32_backward, check_gradient


def keras_padding(length, pool, stride, padding):
    """``(output length, cells padded before)`` along one axis, by Keras's documented arithmetic."""
    if padding == "valid":
        return (length - pool) // stride + 1, 0
    out = -(-length // stride)
    total = max((out - 1) * stride + pool - length, 0)
    return out, total // 2  # the smaller half before (left/top)


def reference_pool(x, pool_size, strides, padding, mode):
    """Pooling of channels-last ``x`` by a direct loop over the output pixels: each window is the
    real cells it covers, so ``same`` padding never contributes (max) and is not counted (average)."""
    spatial = x.shape[1:-1]
    geometry = [keras_padding(n, p, s, padding) for n, p, s in zip(spatial, pool_size, strides)]
    out = numpy.empty((x.shape[0],) + tuple(o for o, _ in geometry) + (x.shape[-1],))
    for position in itertools.product(*(range(o) for o, _ in geometry)):
        window = tuple(slice(max(i * s - before, 0), min(i * s - before + p, n))
                       for i, s, p, n, (_, before) in zip(position, strides, pool_size, spatial, geometry))
        cells = x[(slice(None),) + window + (slice(None),)].reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None),) + position + (slice(None),)] = cells.max(axis=1) if mode == "max" else cells.mean(axis=1)
    return out


def tie_free(shape, seed=0):
    """Distinct values in random order (a finite difference needs a unique maximum per window)."""
    rng = numpy.random.default_rng(seed)
    return (rng.permutation(int(numpy.prod(shape))).reshape(shape) - 20.0) / 7.0


POOLS = {"max": ops.max_pool, "average": ops.average_pool}
# (input shape, pool_size, strides): 1D and 2D; strides equal to, below and above the pool; odd sizes.
GEOMETRIES = [((2, 7, 3), (2,), (2,)), ((2, 9, 2), (3,), (2,)), ((1, 8, 2), (2,), (3,)), ((2, 7, 1), (4,), (1,)),
              ((2, 5, 6, 3), (2, 2), (2, 2)), ((2, 7, 5, 2), (3, 2), (2, 1)), ((1, 7, 7, 2), (4, 4), (2, 2)),
              ((2, 6, 5, 1), (2, 3), (3, 2)), ((1, 4, 4, 2), (3, 3), (1, 1))]
CASES = [(mode, shape, pool, strides, padding) for mode in POOLS for shape, pool, strides in GEOMETRIES
         for padding in ("valid", "same")]


def case_id(case):
    mode, shape, pool, strides, padding = case
    return f"{mode}-{len(shape) - 2}d-{'x'.join(map(str, shape[1:-1]))}-p{pool}-s{strides}-{padding}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_pooling_matches_a_direct_loop_over_output_pixels(case):
    mode, shape, pool, strides, padding = case
    x = numpy.random.default_rng(1).normal(size=shape).astype(numpy.float32)
    out = POOLS[mode](x, pool, strides, padding)
    assert out.dtype == numpy.float32
    numpy.testing.assert_allclose(out, reference_pool(x, pool, strides, padding, mode), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_pooling_gradients_match_finite_differences_and_stay_float32(case):
    mode, shape, pool, strides, padding = case
    x = tie_free(shape)
    check_gradient(lambda v: POOLS[mode](v, pool, strides, padding), x)
    probe = numpy.random.default_rng(2).normal(size=POOLS[mode](x, pool, strides, padding).shape)
    grad = assert_float32_backward(lambda v: anp.sum(POOLS[mode](v, pool, strides, padding) * probe.astype("f4")),
                                   x.astype(numpy.float32))
    assert grad.shape == x.shape


def test_output_lengths_follow_keras_arithmetic():
    x = numpy.zeros((1, 7, 1), numpy.float32)
    assert ops.max_pool(x, 3, 2).shape == (1, 3, 1)  # floor((7 - 3) / 2) + 1
    assert ops.max_pool(x, 3, 2, "same").shape == (1, 4, 1)  # ceil(7 / 2)
    assert ops.max_pool(x, 2).shape == (1, 3, 1)  # strides=None means pool_size
    assert ops.average_pool(numpy.zeros((1, 7, 9, 1), numpy.float32), (2, 4), (1, 3), "same").shape == (1, 7, 3, 1)


def test_same_padding_puts_the_smaller_half_first():
    # n=7, pool=4, stride=2: 4 outputs, 3 padded cells, 1 before and 2 after, so the first window
    # is cells 0..2 and the last cells 5..6.
    x = numpy.arange(7, dtype=numpy.float32).reshape(1, 7, 1)
    numpy.testing.assert_allclose(ops.average_pool(x, 4, 2, "same")[0, :, 0], [1.0, 2.5, 4.5, 5.5])
    numpy.testing.assert_array_equal(ops.max_pool(x, 4, 2, "same")[0, :, 0], [2, 4, 6, 6])


def test_same_max_pooling_pads_with_minus_infinity_and_average_counts_only_real_cells():
    negative = -numpy.ones((1, 3, 3, 1), numpy.float32)
    numpy.testing.assert_array_equal(ops.max_pool(negative, 2, 2, "same"), -numpy.ones((1, 2, 2, 1)))
    numpy.testing.assert_array_equal(ops.average_pool(negative, 2, 2, "same"), -numpy.ones((1, 2, 2, 1)))


def test_max_pool_gradient_goes_to_the_first_maximum_of_each_window_on_exact_ties():
    # TF and JAX (so Keras) route it to one cell: the first in window order; autograd's np.max
    # would give each of the four tied cells a quarter.
    flat = numpy.zeros((1, 4, 4, 1), numpy.float32)
    grad = autograd.grad(lambda v: anp.sum(ops.max_pool(v, 2)))(flat)
    numpy.testing.assert_array_equal(grad[0, :, :, 0], [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    # Overlapping windows (stride 1): each window's first cell receives its gradient.
    grad = autograd.grad(lambda v: anp.sum(ops.max_pool(v, 2, 1)))(flat[:, :3, :3])
    numpy.testing.assert_array_equal(grad[0, :, :, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    # A tie between two cells that are not first: the earlier of them wins.
    x = numpy.array([0.0, 2.0, 2.0, 1.0], numpy.float32).reshape(1, 4, 1)
    numpy.testing.assert_array_equal(autograd.grad(lambda v: anp.sum(ops.max_pool(v, 4)))(x)[0, :, 0], [0, 1, 0, 0])


def test_max_pool_sums_gradients_of_overlapping_windows():
    x = numpy.array([0.0, 5.0, 1.0, 2.0], numpy.float32).reshape(1, 4, 1)  # 5 wins windows 0 and 1
    grad = autograd.grad(lambda v: anp.sum(ops.max_pool(v, 2, 1) * numpy.array([1.0, 10.0, 100.0], "f4")[:, None]))
    numpy.testing.assert_array_equal(grad(x)[0, :, 0], [0, 11, 0, 100])


@pytest.mark.parametrize("name", ["max_pool", "average_pool"])
def test_channels_first_is_channels_last_with_moved_axes(name):
    x = tie_free((2, 3, 5, 6)).astype(numpy.float32)  # (batch, channels, height, width)
    channels_last = getattr(ops, name)(numpy.moveaxis(x, 1, -1), 2, 1, "same")
    numpy.testing.assert_array_equal(getattr(ops, name)(x, 2, 1, "same", data_format="channels_first"),
                                     numpy.moveaxis(channels_last, -1, 1))
    check_gradient(lambda v: getattr(ops, name)(v, 2, 1, "same", data_format="channels_first"), x)


@pytest.mark.parametrize("kwargs, match", [
    ({"padding": "full"}, "`padding` must be 'valid' or 'same'"),
    ({"strides": 0}, "`strides` must be a positive integer"),
    ({"pool_size": (2, 2, 2)}, r"`pool_size` must be .* tuple of 2"),
    ({"data_format": "NHWC"}, "`data_format`"),
    ({"pool_size": 4}, r"does not fit inputs of shape \(1, 3, 5, 1\)"),
])
def test_invalid_pooling_arguments_raise_naming_them(kwargs, match):
    x = numpy.zeros((1, 3, 5, 1), numpy.float32)
    with pytest.raises(ValueError, match=match):
        ops.max_pool(x, **{"pool_size": 2, **kwargs})


def test_pooling_refuses_inputs_without_spatial_axes():
    with pytest.raises(ValueError, match=r"rank 3, 4 or 5.*\(2, 3\)"):
        ops.average_pool(numpy.zeros((2, 3), numpy.float32), 2)


# ----------------------------------------------------------------------- max
@pytest.mark.parametrize("axis, keepdims", [((1, 2), False), ((1, 2), True), (None, False), (-1, False), (0, True)])
def test_max_matches_numpy_with_finite_difference_gradients_in_float32(axis, keepdims):
    x = tie_free((2, 3, 4, 2))
    numpy.testing.assert_array_equal(ops.max(x, axis, keepdims), numpy.max(x, axis=axis, keepdims=keepdims))
    check_gradient(lambda v: ops.max(v, axis, keepdims), x)
    x32 = x.astype(numpy.float32)
    assert ops.max(x32, axis, keepdims).dtype == numpy.float32
    assert_float32_backward(lambda v: anp.sum(ops.max(v, axis, keepdims) ** 2), x32)


def test_max_shares_the_gradient_among_tied_maxima_as_keras_does():
    # TF's and JAX's max reductions give each of k tied maxima 1/k (Keras's GlobalMaxPooling).
    x = numpy.array([[[1.0], [3.0], [3.0], [0.0]]], numpy.float32)
    numpy.testing.assert_array_equal(autograd.grad(lambda v: anp.sum(ops.max(v, 1)))(x)[0, :, 0], [0, 0.5, 0.5, 0])


@pytest.mark.parametrize("axis", [3, (1, 1), (0, -3), "1", 1.0])
def test_max_rejects_invalid_axes_naming_the_argument(axis):
    with pytest.raises(ValueError, match="`axis`"):
        ops.max(numpy.zeros((2, 3, 4)), axis)
