"""numpy-style operations whose autograd gradient would be slow, unstable or float64: mean, tanh, max."""

import numbers

import numpy
from autograd.extend import defvjp, primitive


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
