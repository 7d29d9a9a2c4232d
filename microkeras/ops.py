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
