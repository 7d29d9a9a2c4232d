"""Every hand-written gradient in microkeras lives here.

Layers, activations and losses are forward-only ``autograd.numpy`` code.  When
an operation needs a gradient autograd cannot derive well -- because the
derived backward pass would be slow, upcast to float64, or be unstable -- it is
written here as an ``autograd`` primitive: a raw-numpy forward plus a
``defvjp`` whose cotangent keeps the input's dtype.  Each primitive is
first-order only and has a finite-difference test in ``tests/test_ops.py``.
"""

import math

import numpy
from autograd.extend import defvjp, notrace_primitive, primitive

from microkeras import config


@notrace_primitive
def stop_gradient(x):
    """Return ``x`` as a constant: no gradient flows back through it."""
    return x


@primitive
def softmax_cross_entropy(logits, targets):
    """Categorical crossentropy of ``softmax(logits)``, per sample (first-order only).

    The value is Keras's formula on probabilities, ``-sum(targets *
    log(clip(p, eps, 1 - eps)))`` over the last axis, computed stably as a
    clipped log-softmax.  The gradient is the logit gradient ``softmax *
    sum(targets) - targets``: unlike differentiating the clipped formula, it
    does not vanish when a probability saturates.

    Parameters
    ----------
    logits : float32 array, shape (..., classes)
    targets : float32 array, same shape (one-hot or smoothed labels; not differentiated)
    """
    return -numpy.sum(targets * numpy.clip(_log_softmax(logits), _LOG_EPS, _LOG_1M_EPS), axis=-1)


def _softmax_cross_entropy_vjp(ans, logits, targets):
    def vjp(g):
        probs = numpy.exp(_log_softmax(logits))
        grad = probs * numpy.sum(targets, axis=-1, keepdims=True) - targets
        return (numpy.expand_dims(g, -1) * grad).astype(logits.dtype, copy=False)
    return vjp


def _log_softmax(x):
    shifted = x - numpy.max(x, axis=-1, keepdims=True)
    return shifted - numpy.log(numpy.sum(numpy.exp(shifted), axis=-1, keepdims=True))


_LOG_EPS = math.log(config.epsilon())
_LOG_1M_EPS = math.log1p(-config.epsilon())
defvjp(softmax_cross_entropy, _softmax_cross_entropy_vjp)


@primitive
def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, stable for any input (first-order only)."""
    return numpy.exp(-numpy.logaddexp(0.0, -x)).astype(x.dtype, copy=False)


defvjp(sigmoid, lambda ans, x: lambda g: g * (ans * (1.0 - ans)))


@primitive
def tanh(x):
    """Hyperbolic tangent whose gradient ``1 - tanh(x)**2`` reuses the output.

    autograd's own derivative, ``1 / cosh(x)**2``, overflows (with a warning)
    for ``|x| > 44`` in float32.  First-order only.
    """
    return numpy.tanh(x)


defvjp(tanh, lambda ans, x: lambda g: g * (1.0 - ans * ans))


@primitive
def erf(x):
    """The error function, to within 2e-7 absolute, in numpy alone (first-order only).

    Below ``|x| = 0.5`` a Maclaurin series; above, the Chebyshev-fitted
    ``erfc`` of Numerical Recipes (fractional error < 1.2e-7).  Computed in
    float64 and returned in the input's dtype.
    """
    z = numpy.abs(numpy.asarray(x, numpy.float64))
    z2 = z * z
    series, term = z.copy(), z.copy()
    for n in range(1, 9):
        term = -term * z2 / n
        series += term / (2 * n + 1)
    series *= _TWO_OVER_SQRT_PI
    t = 1.0 / (1.0 + 0.5 * z)
    poly = numpy.polyval(_ERFC_COEFFS, t)
    tail = 1.0 - t * numpy.exp(-z2 + poly)
    return (numpy.sign(x) * numpy.where(z < 0.5, series, tail)).astype(numpy.result_type(x, numpy.float32))


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ERFC_COEFFS = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
                0.09678418, 0.37409196, 1.00002368, -1.26551223)
defvjp(erf, lambda ans, x: lambda g: g * (_TWO_OVER_SQRT_PI * numpy.exp(-(x * x))))
