"""Pooling: Keras 3's ``keras.ops.max_pool`` and ``average_pool``, and a ``max`` reduction.

Both pools work on 1D, 2D and 3D inputs, ``(batch, *spatial, channels)``
(``channels_first`` inputs are moved to that layout and back).  A window is
visited one pool offset at a time: for each offset ``(i, j)`` of a 2x2 pool,
``x[:, i::stride, j::stride, :]`` is a strided view holding that cell of every
window, so the work is a few whole-array operations per offset, with no
Python loop over samples or output pixels.

Keras's arithmetic: ``valid`` gives ``floor((n - pool) / stride) + 1``
outputs, ``same`` gives ``ceil(n / stride)`` and pads ``max((out - 1) * stride
+ pool - n, 0)`` cells, the smaller half before (left/top).  Max pooling pads
with ``-inf``; average pooling divides by the number of real (unpadded) cells
of each window.

Max pooling's gradient goes to **one** cell per window, the first maximum in
window order, as TensorFlow and JAX (so Keras) route it; autograd's ``np.max``
would split it among ties and compute it in float64.  :func:`max`, the
reduction behind global max pooling, shares it among ties as TensorFlow and
JAX reductions do, in the input's dtype.  The primitives are first-order only
and their cotangents keep the input's dtype.
"""

import itertools

import autograd.numpy as anp
import numpy
from autograd.extend import defvjp, primitive

from microkeras.utils.argument_checks import standardize_data_format, standardize_padding, standardize_tuple


def pooled_length(length, pool, stride, padding):
    """Keras's output length along one axis (``None`` stays ``None``; may be <= 0 for ``valid``)."""
    if length is None:
        return None
    if padding == "same":
        return -(-length // stride)
    return (length - pool) // stride + 1


def _windows(spatial_shape, pool_size, strides, padding):
    """Per spatial axis ``(pool, stride, pad_before, pad_after, out)``: the geometry the primitives take."""
    windows = []
    for length, pool, stride in zip(spatial_shape, pool_size, strides):
        out = pooled_length(length, pool, stride, padding)
        total = max((out - 1) * stride + pool - length, 0) if padding == "same" else 0
        windows.append((pool, stride, total // 2, total - total // 2, out))
    return tuple(windows)


# ---------------------------------------------------------------- public ops
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling, as ``keras.ops.max_pool``.

    Parameters
    ----------
    inputs : array, shape ``(batch, *spatial, channels)`` with 1 to 3 spatial axes
        (``(batch, channels, *spatial)`` for ``channels_first``).
    pool_size : int or tuple of int
        Window size per spatial axis.
    strides : int or tuple of int, optional
        Step between windows; ``None`` means ``pool_size``.
    padding : ``'valid'`` or ``'same'``
        ``same`` pads with ``-inf``, so padding never wins.
    data_format : ``'channels_last'`` (default) or ``'channels_first'``

    The gradient goes to the first maximum of each window (see the module doc).
    """
    return _pool(_max_pool, "max_pool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling, as ``keras.ops.average_pool`` (arguments as :func:`max_pool`).

    With ``same`` padding each window's sum is divided by its number of real
    (unpadded) cells, as Keras does.
    """
    return _pool(_average_pool, "average_pool", inputs, pool_size, strides, padding, data_format)


def _pool(pool_primitive, where, inputs, pool_size, strides, padding, data_format):
    shape = anp.shape(inputs)
    rank = len(shape) - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{where}: `inputs` must have rank 3, 4 or 5 (batch, 1 to 3 spatial axes, channels); "
                         f"received shape {shape}.")
    pool_size = standardize_tuple(pool_size, rank, "pool_size", where)
    strides = pool_size if strides is None else standardize_tuple(strides, rank, "strides", where)
    padding = standardize_padding(padding, where)
    channels_first = standardize_data_format(data_format, where) == "channels_first"
    spatial = shape[2:] if channels_first else shape[1:-1]
    windows = _windows(spatial, pool_size, strides, padding)
    if any(w[-1] < 1 for w in windows):
        raise ValueError(f"{where}: pool_size {pool_size} with strides {strides} and padding 'valid' does not fit "
                         f"inputs of shape {shape} (spatial shape {spatial}): the output would be empty.")
    if channels_first:
        return anp.moveaxis(pool_primitive(anp.moveaxis(inputs, 1, -1), windows), -1, 1)
    return pool_primitive(inputs, windows)


# ----------------------------------------------------------------- internals
def _padded(x, windows, value):
    """``x`` padded per ``windows`` with ``value`` (``x`` itself when there is no padding)."""
    widths = [(0, 0)] + [(before, after) for _, _, before, after, _ in windows] + [(0, 0)]
    if not any(before or after for before, after in widths):
        return x
    return numpy.pad(x, widths, constant_values=value)


def _unpadded(grad, windows):
    return grad[(slice(None),) + tuple(slice(before, grad.shape[axis] - after)
                                       for axis, (_, _, before, after, _) in enumerate(windows, 1))]


def _offset_views(windows):
    """Index tuples, one per window offset in window (row-major) order; ``xp[index]`` holds that
    cell of every window, shape ``(batch, *out, channels)``."""
    ranges = [range(pool) for pool, *_ in windows]
    for offset in itertools.product(*ranges):
        yield (slice(None),) + tuple(slice(o, o + stride * (out - 1) + 1, stride)
                                     for o, (_, stride, _, _, out) in zip(offset, windows))


def _disjoint(windows):
    """Whether no input cell lies in two windows (stride >= pool on every axis)."""
    return all(stride >= pool for pool, stride, *_ in windows)


@primitive
def _max_pool(x, windows):
    xp = _padded(x, windows, -numpy.inf)
    views = _offset_views(windows)
    out = xp[next(views)].copy()
    for index in views:
        numpy.maximum(out, xp[index], out=out)
    return out


def _max_pool_vjp(ans, x, windows):
    def vjp(g):
        xp = _padded(x, windows, -numpy.inf)
        grad = numpy.zeros(xp.shape, x.dtype)
        unclaimed = numpy.ones(ans.shape, bool)  # windows whose maximum has not been given the gradient yet
        first = numpy.empty(ans.shape, bool)
        disjoint = _disjoint(windows)
        for index in _offset_views(windows):
            numpy.equal(xp[index], ans, out=first)
            first &= unclaimed  # the first maximum in window order takes it all, as in TF and JAX
            unclaimed ^= first
            if disjoint:
                numpy.multiply(g, first, out=grad[index])
            else:
                grad[index] += g * first
        return _unpadded(grad, windows)

    return vjp


defvjp(_max_pool, _max_pool_vjp)


def _window_sizes(spatial_shape, windows, dtype):
    """Number of real (unpadded) cells of each window, shaped ``(1, *out, 1)`` to divide the sums."""
    sizes = numpy.ones((1,) * (len(windows) + 2), dtype)
    for axis, (length, (pool, stride, before, _, out)) in enumerate(zip(spatial_shape, windows), 1):
        starts = numpy.arange(out) * stride - before
        counts = numpy.minimum(starts + pool, length) - numpy.maximum(starts, 0)
        sizes = sizes * counts.astype(dtype).reshape((-1,) + (1,) * (len(windows) - axis + 1))
    return sizes


@primitive
def _average_pool(x, windows):
    xp = _padded(x, windows, 0.0)
    views = _offset_views(windows)
    out = xp[next(views)].copy()
    for index in views:
        numpy.add(out, xp[index], out=out)
    out /= _window_sizes(x.shape[1:-1], windows, x.dtype)
    return out


def _average_pool_vjp(ans, x, windows):
    def vjp(g):
        share = (g / _window_sizes(x.shape[1:-1], windows, x.dtype)).astype(x.dtype, copy=False)
        grad = numpy.zeros(_padded_shape(x.shape, windows), x.dtype)
        for index in _offset_views(windows):
            grad[index] += share
        return _unpadded(grad, windows)

    return vjp


def _padded_shape(shape, windows):
    spatial = tuple(n + before + after for n, (_, _, before, after, _) in zip(shape[1:-1], windows))
    return (shape[0],) + spatial + (shape[-1],)


defvjp(_average_pool, _average_pool_vjp)
