"""Standardizing an array by its own mean and variance, the step every normalization layer shares.

Differentiating ``(x - mean(x)) / sqrt(var(x) + eps)`` as written would trace a
dozen operations; :func:`standardize` is one, with the closed-form gradient.
The statistics are computed once, in the input's dtype, and handed back as
constants for layers that record them (BatchNormalization's moving averages).
:func:`standardize_masked` does the same with statistics over the entries a
0/1 mask keeps (BatchNormalization after ``Embedding(mask_zero=True)``).
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


def masked_moments_values(x, mask, axes, fuzz):
    """Mean and biased variance over ``axes`` of the entries of concrete ``x`` that ``mask`` keeps.

    Not traced.  ``mask`` holds 0 and 1 in ``x``'s dtype and broadcasts
    against ``x``.  As Keras 3 computes them, with ``total = count + fuzz``
    (``count`` the kept entries): ``mean = sum(mask * x) / total`` and
    ``variance = sum(mask * (x - mean) ** 2) / total``.  Returns
    ``(mean, variance, count, total)``, reduced axes kept with size 1.
    """
    count = numpy.broadcast_to(mask, x.shape).sum(axis=axes, keepdims=True, dtype=x.dtype)
    total = count + x.dtype.type(fuzz)
    kept = x * mask
    mean = kept.sum(axis=axes, keepdims=True, dtype=x.dtype) / total
    numpy.subtract(x, mean, out=kept)
    kept *= mask
    numpy.square(kept, out=kept)
    return mean, kept.sum(axis=axes, keepdims=True, dtype=x.dtype) / total, count, total


def standardize_masked(x, mask, axes, epsilon, fuzz):
    """:func:`standardize` with the statistics of the entries ``mask`` keeps; every entry is normalized.

    Parameters
    ----------
    x : float array, traced or not
    mask : array of 0 and 1 in ``x``'s dtype, not traced
        Broadcasts against ``x``.
    axes : tuple of int
        Non-negative axes the statistics are taken over.
    epsilon : float
        Added to the variance.
    fuzz : float
        Added to the count of kept entries before dividing by it (Keras's
        ``epsilon()``, so that an all-masked feature gives 0, not NaN).

    Returns
    -------
    ``(normalized, mean, variance)`` as :func:`standardize` returns them.
    """
    mean, variance, count, total = masked_moments_values(getval(x), mask, axes, fuzz)
    return _standardize_masked(x, mask, mean, variance, count, total, axes, epsilon), mean, variance


@primitive
def _standardize_masked(x, mask, mean, variance, count, total, axes, epsilon):
    """:func:`standardize_masked`'s traced step; the statistics must be ``x``'s own (first-order only)."""
    out = x - mean
    out *= 1.0 / numpy.sqrt(variance + epsilon)
    return out


def _standardize_masked_vjp(ans, x, mask, mean, variance, count, total, axes, epsilon):
    # With y = (x - m) * s, s = (v + eps)^-1/2, the mask w, T = count + fuzz and sums S[.] over `axes`
    # (of every entry: each y depends on the kept x through m and v):
    # dL/dx = s * (g - w * (S[g] + S[g y] * (y - c)) / T), where c = s * m * (T - count) / T comes from
    # S[w * (x - m)] = m * (T - count), which the fuzz keeps from being exactly 0.
    inv = 1.0 / numpy.sqrt(variance + epsilon)
    correction = inv * mean * (total - count) / total

    def vjp(g):
        sum_g = g.sum(axis=axes, keepdims=True)
        out = g * ans
        sum_gy = out.sum(axis=axes, keepdims=True)
        numpy.multiply(ans, sum_gy / total, out=out)  # reuse the buffer: w (y S[g y] + S[g] - c S[g y]) / T
        out += (sum_g - sum_gy * correction) / total
        out *= mask
        numpy.subtract(g, out, out=out)
        out *= inv
        return out

    return vjp


defvjp(_standardize_masked, _standardize_masked_vjp)
