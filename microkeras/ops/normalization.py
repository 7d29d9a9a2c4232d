"""Standardizing an array by its own mean and variance, the step every normalization layer shares.

Differentiating ``(x - mean(x)) / sqrt(var(x) + eps)`` as written would trace a
dozen operations; :func:`standardize` is one, with the closed-form gradient.
The statistics are computed once, in the input's dtype, and handed back as
constants for layers that record them (BatchNormalization's moving averages).
"""

import math

import numpy
from autograd.extend import defvjp, primitive
from autograd.tracer import getval


def moments_values(x, axes):
    """Mean and biased variance (divided by the count) of a concrete array over ``axes``.

    Not traced.  Both keep the reduced axes with size 1 and ``x``'s dtype.
    """
    count = math.prod(x.shape[axis] for axis in axes)
    mean = x.sum(axis=axes, keepdims=True, dtype=x.dtype) / count
    squares = x - mean
    numpy.square(squares, out=squares)  # in place on the fresh difference: one array, not two
    return mean, squares.sum(axis=axes, keepdims=True, dtype=x.dtype) / count


def standardize(x, axes, epsilon):
    """``(x - mean) / sqrt(variance + epsilon)`` with the mean and biased variance of ``x`` over ``axes``.

    Parameters
    ----------
    x : float array, traced or not
    axes : tuple of int
        Non-negative axes the statistics are taken over.
    epsilon : float
        Added to the variance.

    Returns
    -------
    ``(normalized, mean, variance)``.  ``normalized`` is traced when ``x`` is,
    and its gradient includes the paths through the mean and the variance;
    ``mean`` and ``variance`` are constants (reduced axes kept, size 1).
    """
    mean, variance = moments_values(getval(x), axes)
    return _standardize(x, mean, variance, axes, epsilon), mean, variance


@primitive
def _standardize(x, mean, variance, axes, epsilon):
    """:func:`standardize`'s traced step; ``mean`` and ``variance`` must be ``x``'s own (first-order only)."""
    out = x - mean
    out *= 1.0 / numpy.sqrt(variance + epsilon)
    return out


def _standardize_vjp(ans, x, mean, variance, axes, epsilon):
    # With y = (x - m) * s, s = (v + eps)^-1/2 and averages <.> over `axes`:
    # dL/dx = s * (g - <g> - y * <g * y>).
    inv = 1.0 / numpy.sqrt(variance + epsilon)
    count = ans.size // inv.size

    def vjp(g):
        mean_g = g.sum(axis=axes, keepdims=True) / count
        out = g * ans
        mean_gy = out.sum(axis=axes, keepdims=True) / count
        numpy.multiply(ans, mean_gy, out=out)  # reuse the buffer: g - <g> - y <g y>, then * s
        numpy.subtract(g, out, out=out)
        out -= mean_g
        out *= inv
        return out

    return vjp


defvjp(_standardize, _standardize_vjp)
