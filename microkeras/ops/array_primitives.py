"""Selecting and rearranging elements: primitives whose autograd gradient is missing or runs in float64.

autograd's own VJPs of ``where``, ``maximum`` and ``minimum`` build float64
zeros (a float32 input gets a float64 gradient), and ``take``,
``take_along_axis``, ``flip``, ``pad`` (its VJP fails), multi-dimensional
``sort`` and ``broadcast_to`` with new leading axes have none.  Each one here
has a cotangent in its input's dtype and is first-order only.

Ties in ``maximum``/``minimum`` share the gradient half and half, as JAX
(Keras's default backend) does.
"""

import autograd.numpy as anp
import numpy
from autograd.extend import defvjp, defvjp_argnum, primitive

from microkeras.ops.numpy import take_rows


def unbroadcast(g, shape, dtype):
    """``g`` summed down to ``shape`` (undoing numpy broadcasting), in ``dtype``."""
    g = numpy.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g.astype(dtype, copy=False)


def _float_dtype(x):
    dtype = numpy.result_type(x)
    return dtype if dtype.kind == "f" else numpy.dtype(numpy.float32)


@primitive
def where(condition, x1, x2):
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast together)."""
    return numpy.where(condition, x1, x2)


def _where_vjp(argnum, ans, args, kwargs):
    condition, operand = numpy.asarray(args[0], bool), args[argnum]
    shape, dtype = numpy.shape(operand), _float_dtype(operand)
    chosen = condition if argnum == 1 else ~condition
    return lambda g: unbroadcast(g * chosen, shape, dtype)


defvjp_argnum(where, _where_vjp)


def _extremum(pick):
    @primitive
    def extremum(x1, x2):
        return pick(x1, x2)

    def vjp(argnum, ans, args, kwargs):
        x1, x2 = args
        mine, other = (x1, x2) if argnum == 0 else (x2, x1)
        shape, dtype = numpy.shape(mine), _float_dtype(mine)
        share = numpy.where(mine == other, 0.5, (mine == ans).astype(numpy.float32)).astype(dtype, copy=False)
        return lambda g: unbroadcast(g * share, shape, dtype)

    defvjp_argnum(extremum, vjp)
    return extremum


maximum = _extremum(numpy.maximum)
maximum.__doc__ = "Elementwise maximum; the gradient goes to the larger input (half each at ties)."
minimum = _extremum(numpy.minimum)
minimum.__doc__ = "Elementwise minimum; the gradient goes to the smaller input (half each at ties)."


def take(x, indices, axis=None):
    """The entries of ``x`` at integer ``indices`` along ``axis`` (of the flattened ``x`` if None).

    Negative indices count from the end.  The gradient adds each output
    entry back into the entry it was read from (through :func:`take_rows`).
    """
    if axis is None:
        x, axis = anp.ravel(x), 0
    ndim = anp.ndim(x)
    axis = axis % ndim
    size = anp.shape(x)[axis]
    indices = numpy.asarray(indices)
    indices = numpy.where(indices < 0, indices + size, indices)
    moved = anp.moveaxis(x, axis, 0)
    rest = anp.shape(moved)[1:]
    rows = take_rows(anp.reshape(moved, (size, -1)), indices)
    rows = anp.reshape(rows, indices.shape + rest)
    # The taken axes sit first; move them to where `axis` was.
    return anp.moveaxis(rows, tuple(range(indices.ndim)), tuple(range(axis, axis + indices.ndim))) \
        if axis and indices.ndim else rows


def _along_axis_index(indices, axis):
    """The full fancy index that ``take_along_axis(x, indices, axis)`` reads ``x`` with."""
    grids = list(numpy.ogrid[tuple(slice(n) for n in indices.shape)])
    grids[axis] = indices
    return tuple(grids)


@primitive
def take_along_axis(x, indices, axis):
    """``numpy.take_along_axis``: ``x`` read at ``indices``, which match ``x``'s shape except along ``axis``."""
    return numpy.take_along_axis(x, indices, axis)


def _take_along_axis_vjp(ans, x, indices, axis):
    shape, dtype = x.shape, x.dtype
    index = _along_axis_index(numpy.broadcast_to(indices, ans.shape), axis % x.ndim)

    def vjp(g):
        grad = numpy.zeros(shape, dtype)
        numpy.add.at(grad, index, g.astype(dtype, copy=False))  # repeated indices add up
        return grad

    return vjp


defvjp(take_along_axis, _take_along_axis_vjp)


@primitive
def sort(x, axis=-1):
    """``x`` sorted along ``axis``; each gradient entry goes back to the position its value came from."""
    return numpy.sort(x, axis=axis)


def _sort_vjp(ans, x, axis=-1):
    order = numpy.argsort(x, axis=axis, kind="stable")

    def vjp(g):
        grad = numpy.empty_like(x)
        numpy.put_along_axis(grad, order, g.astype(x.dtype, copy=False), axis)
        return grad

    return vjp


defvjp(sort, _sort_vjp)


@primitive
def flip(x, axis=None):
    """``x`` with the order of its entries reversed along ``axis`` (all axes if None)."""
    return numpy.flip(x, axis)


defvjp(flip, lambda ans, x, axis=None: lambda g: numpy.flip(g, axis))


@primitive
def pad(x, pad_width, mode="constant", constant_values=0):
    """``numpy.pad`` for any of its modes; the gradient of each output entry goes to the entry it copies."""
    if mode == "constant":
        return numpy.pad(x, pad_width, mode, constant_values=constant_values)
    return numpy.pad(x, pad_width, mode)


def _pad_vjp(ans, x, pad_width, mode="constant", constant_values=0):
    shape, dtype = numpy.shape(x), x.dtype
    # Pad the positions of x the same way: each output entry learns which input entry it copies (-1: none).
    positions = numpy.arange(x.size).reshape(shape)
    source = (numpy.pad(positions, pad_width, mode, constant_values=-1) if mode == "constant"
              else numpy.pad(positions, pad_width, mode)).ravel()
    copied = source >= 0

    def vjp(g):
        grad = numpy.zeros(x.size, dtype)
        numpy.add.at(grad, source[copied], g.ravel()[copied].astype(dtype, copy=False))
        return grad.reshape(shape)

    return vjp


defvjp(pad, _pad_vjp)


@primitive
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (a copy, so it can be written to)."""
    return numpy.array(numpy.broadcast_to(x, shape))


defvjp(broadcast_to, lambda ans, x, shape: lambda g: unbroadcast(g, numpy.shape(x), _float_dtype(x)))


@primitive
def astype(x, dtype):
    """``x`` in the float ``dtype``; the gradient comes back in ``x``'s own dtype."""
    return numpy.asarray(x, dtype=dtype)


defvjp(astype, lambda ans, x, dtype: lambda g: numpy.asarray(g, dtype=_float_dtype(x)))


@primitive
def segment_sum(data, segment_ids, num_segments):
    """The sums of ``data``'s rows (first axis) that share a segment id; segments without rows give 0."""
    out = numpy.zeros((num_segments,) + data.shape[1:], data.dtype)
    numpy.add.at(out, segment_ids, data)
    return out


defvjp(segment_sum, lambda ans, data, segment_ids, num_segments: lambda g: g[segment_ids].astype(data.dtype))


@primitive
def segment_max(data, segment_ids, num_segments):
    """The maxima of ``data``'s rows that share a segment id; segments without rows give ``-inf``."""
    out = numpy.full((num_segments,) + data.shape[1:], -numpy.inf, data.dtype)
    numpy.maximum.at(out, segment_ids, data)
    return out


def _segment_max_vjp(ans, data, segment_ids, num_segments):
    chosen = data == ans[segment_ids]
    ties = numpy.zeros(ans.shape, data.dtype)
    numpy.add.at(ties, segment_ids, chosen.astype(data.dtype))
    share = chosen / numpy.maximum(ties, 1)[segment_ids]  # tied maxima share the gradient
    return lambda g: (g[segment_ids] * share).astype(data.dtype, copy=False)


defvjp(segment_max, _segment_max_vjp)


def _index(indices):
    """Rows of ``indices`` (each the first coordinates of one entry) as a fancy index."""
    return tuple(numpy.asarray(indices).reshape(-1, numpy.shape(indices)[-1]).T)


@primitive
def scatter(values, indices, shape):
    """Zeros of ``shape`` with ``values`` added at ``indices`` (``(n, k)`` coordinates; repeats add up)."""
    out = numpy.zeros(shape, numpy.result_type(values))
    numpy.add.at(out, _index(indices), values)
    return out


defvjp(scatter, lambda ans, values, indices, shape: lambda g: g[_index(indices)].astype(_float_dtype(values)))


@primitive
def scatter_update(inputs, indices, updates):
    """``inputs`` with the entries (or slices) at ``indices`` replaced by ``updates`` (a new array)."""
    out = numpy.array(inputs)
    out[_index(indices)] = updates
    return out


def _scatter_update_vjp(argnum, ans, args, kwargs):
    inputs, indices, updates = args
    index = _index(indices)
    if argnum == 0:
        def vjp(g):
            g = numpy.array(g, dtype=_float_dtype(inputs))
            g[index] = 0
            return g
        return vjp
    return lambda g: numpy.reshape(g[index], numpy.shape(updates)).astype(_float_dtype(updates), copy=False)


defvjp_argnum(scatter_update, _scatter_update_vjp)


@primitive
def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` (of ``updates``'s shape) replaced by ``updates``."""
    out = numpy.array(inputs)
    out[_block(start_indices, numpy.shape(updates))] = updates
    return out


def _block(start_indices, shape):
    return tuple(slice(int(start), int(start) + size) for start, size in zip(start_indices, shape))


def _slice_update_vjp(argnum, ans, args, kwargs):
    inputs, start_indices, updates = args
    block = _block(start_indices, numpy.shape(updates))
    if argnum == 0:
        def vjp(g):
            g = numpy.array(g, dtype=_float_dtype(inputs))
            g[block] = 0
            return g
        return vjp
    return lambda g: numpy.array(g[block], dtype=_float_dtype(updates))


defvjp_argnum(slice_update, _slice_update_vjp)


@primitive
def cumprod(x, axis):
    """Running products along ``axis``; the gradient is exact with zeros in ``x`` too (no division)."""
    return numpy.cumprod(x, axis=axis)


def _cumprod_vjp(ans, x, axis):
    # With P the exclusive running product and S_i = g_i + x_{i+1} S_{i+1} (from the end),
    # d/dx_i sum_j g_j prod_{k<=j} x_k = P_{i-1} S_i.
    moved = numpy.moveaxis(x, axis, 0)
    exclusive = numpy.concatenate([numpy.ones_like(moved[:1]), numpy.cumprod(moved[:-1], axis=0)])

    def vjp(g):
        g = numpy.moveaxis(g.astype(x.dtype, copy=False), axis, 0)
        sums = numpy.empty_like(g)
        running = numpy.zeros_like(g[0])
        for i in range(g.shape[0] - 1, -1, -1):
            running = g[i] + (moved[i + 1] * running if i + 1 < g.shape[0] else 0)
            sums[i] = running
        return numpy.moveaxis(exclusive * sums, 0, axis)

    return vjp


defvjp(cumprod, _cumprod_vjp)
