"""numpy-style operations whose autograd gradient would be slow, unstable or float64: mean, tanh, max, take_rows,
stack."""

import numbers

import numpy
from autograd.extend import defvjp, defvjp_argnum, primitive


@primitive
def mean(x):
    """Mean of all elements in ``x``'s own dtype (autograd's ``np.mean`` VJP upcasts to float64)."""
    return x.sum(dtype=x.dtype) / x.size


defvjp(mean, lambda ans, x: lambda g: numpy.full(x.shape, g / x.size, dtype=x.dtype))


@primitive
def tanh(x):
    """Hyperbolic tangent whose gradient ``1 - tanh(x)**2`` reuses the output.

    autograd's own derivative, ``1 / cosh(x)**2``, overflows (with a warning)
    for ``|x| > 44`` in float32.  First-order only.
    """
    return numpy.tanh(x)


defvjp(tanh, lambda ans, x: lambda g: g * (1.0 - ans * ans))


def max(x, axis=None, keepdims=False):  # noqa: A001 -- keras.ops.max
    """Maximum over ``axis`` (an int, a tuple of ints, or ``None`` for all), as ``keras.ops.max``.

    The gradient is shared equally among tied maxima, as TensorFlow's and
    JAX's reductions share it (so Keras's global max pooling), but computed
    in ``x``'s dtype: autograd's ``np.max`` computes it in float64.
    First-order only.
    """
    return _max(x, _reduction_axes(axis, numpy.ndim(x)), bool(keepdims))


def _reduction_axes(axis, ndim):
    """``axis`` as a sorted tuple of distinct non-negative axes of a rank-``ndim`` array."""
    axes = range(ndim) if axis is None else (axis,) if isinstance(axis, numbers.Integral) else axis
    try:
        axes = tuple(axes)
    except TypeError:
        axes = None
    if (axes is None or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) or not -ndim <= a < ndim
                            for a in axes) or len({a % ndim for a in axes}) != len(axes)):
        raise ValueError(f"max: `axis` must be None, an int or a tuple of distinct ints in [-{ndim}, {ndim}); "
                         f"received axis={axis!r} for an input of rank {ndim}.")
    return tuple(sorted(int(a) % ndim for a in axes))


@primitive
def _max(x, axes, keepdims):
    return numpy.max(x, axis=axes, keepdims=keepdims)


def _max_vjp(ans, x, axes, keepdims):
    def vjp(g):
        if not keepdims:
            ans_, g = numpy.expand_dims(ans, axes), numpy.expand_dims(g, axes)
        else:
            ans_ = ans
        chosen = x == ans_
        ties = chosen.sum(axis=axes, keepdims=True, dtype=x.dtype)
        numpy.maximum(ties, 1, out=ties)  # a NaN maximum equals no cell: no gradient, no 0/0 warning
        return chosen * (g / ties).astype(x.dtype, copy=False)

    return vjp


defvjp(_max, _max_vjp)


@primitive
def take_rows(table, ids):
    """``table[ids]``: the rows of a 2D ``table`` at integer ``ids`` of any shape (an embedding lookup).

    The gradient with respect to ``table`` adds each row of the output's
    gradient into the row it was read from, in ``table``'s dtype (no float64
    scratch).  ``ids`` is not differentiable.  First-order only.
    """
    return table[ids]


def _take_rows_vjp(ans, table, ids):
    shape, dtype = table.shape, table.dtype
    flat = ids.ravel()
    order = numpy.argsort(flat, kind="stable")
    sorted_ids = flat[order]
    starts = numpy.flatnonzero(numpy.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))

    def vjp(g):
        # Sum the gradient rows of each distinct id (sorted, then one reduceat): faster than numpy.add.at.
        grad = numpy.zeros(shape, dtype)
        if not flat.size:
            return grad
        rows = g.reshape(-1, shape[1]).astype(dtype, copy=False)[order]
        grad[sorted_ids[starts]] = numpy.add.reduceat(rows, starts, axis=0)
        return grad

    return vjp


defvjp(take_rows, _take_rows_vjp)


def stack(arrays, axis=0):
    """``numpy.stack(arrays, axis)`` as one traced operation (first-order only).

    autograd's ``np.stack`` traces one ``expand_dims`` per array before its
    concatenation; a recurrent layer stacks one output per time step, so this
    saves an operation per step.  The gradient of each array is its slice of
    the output's gradient.
    """
    return _stack(int(axis), *arrays)


@primitive
def _stack(axis, *arrays):
    return numpy.stack(arrays, axis=axis)


defvjp_argnum(_stack, lambda argnum, ans, args, kwargs: lambda g: numpy.take(g, argnum - 1, axis=args[0]))
