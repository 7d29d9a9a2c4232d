"""Keras 3's linear-algebra ``keras.ops`` whose autograd gradients keep float32: det, inv, solve, slogdet.

``cholesky``, ``eigh``, ``svd`` and ``pinv`` are left out: autograd's
gradients of them run in float64 (or do not exist for full matrices).
"""

import autograd.numpy as anp
import numpy
from autograd.tracer import getval

from microkeras.ops.numpy_api import _array_of, _floating


def det(x):
    """Determinant of the square matrices in the last two axes."""
    return anp.linalg.det(_floating(x))


def inv(x):
    """Inverse of the square matrices in the last two axes."""
    return anp.linalg.inv(_floating(x))


def solve(a, b):
    """``x`` with ``a @ x == b``."""
    return anp.linalg.solve(_floating(a), _floating(b))


def solve_triangular(a, b, lower=False):
    """``x`` with ``a @ x == b`` for a triangular ``a`` (only its ``lower`` or upper triangle is read)."""
    a = _floating(a)
    return anp.linalg.solve(anp.tril(a) if lower else anp.triu(a), _floating(b))


def slogdet(x):
    """``(sign, log|det|)`` of the square matrices in the last two axes."""
    return anp.linalg.slogdet(_floating(x))


def logdet(x):
    """``log(det(x))`` (NaN where the determinant is negative)."""
    sign, logabsdet = slogdet(x)
    return logabsdet + numpy.where(getval(sign) > 0, 0.0, numpy.nan).astype(getval(logabsdet).dtype)


def matrix_rank(x, tol=None):
    """Rank of each matrix (not differentiable)."""
    return numpy.linalg.matrix_rank(getval(_array_of(x)), tol).astype(numpy.int32)


__all__ = ["det", "inv", "logdet", "matrix_rank", "slogdet", "solve", "solve_triangular"]
