"""Neural-network operations: dense products, activations, softmax and its crossentropy."""

import functools

import numpy
from autograd.core import VJPNode
from autograd.extend import defvjp, defvjp_argnums, primitive
from autograd.numpy.numpy_boxes import ArrayBox
from autograd.tracer import Box, isbox

from microkeras import config


@primitive
def affine(x, kernel, bias):
    """``x @ kernel + bias`` over the last axis of ``x``, as one traced operation (first-order only).

    The workhorse of ``Dense``: one primitive instead of a product and a
    broadcast sum, with a backward pass of three matrix operations in the
    input's dtype.  ``bias`` is one row (units,), or an array of the
    output's own shape added sample by sample (a recurrent step adds its
    input's projection to ``h @ recurrent_kernel`` this way).
    """
    out = numpy.matmul(x, kernel)
    return numpy.add(out, bias, out=out)  # in place on the fresh product: one pass, no second array


def _affine_vjps():
    def flat(a):
        return a.reshape(-1, a.shape[-1])

    # matmul, not dot: numpy.dot copies a transposed operand before calling BLAS.
    def wrt_x(ans, x, kernel, bias):
        return lambda g: numpy.matmul(g, kernel.T)

    def wrt_kernel(ans, x, kernel, bias):
        return lambda g: numpy.matmul(flat(x).T, flat(g))

    def wrt_bias(ans, x, kernel, bias):
        if numpy.ndim(bias) > 1:  # one bias per sample: its gradient is the output's
            return lambda g: g
        return lambda g: _column_sums(flat(g))

    return wrt_x, wrt_kernel, wrt_bias


defvjp(affine, *_affine_vjps())


def _column_sums(matrix):
    """``matrix.sum(axis=0)``; for a tall matrix (a convolution's gradient: a batch of images'
    pixels by a few dozen channels), a BLAS product with a row of ones, about 10x faster."""
    if matrix.shape[0] < 4096:  # a dense layer's batch: numpy's own sum is as fast
        return matrix.sum(axis=0)
    return numpy.matmul(_ones(matrix.shape[0], matrix.dtype), matrix)


@functools.lru_cache(maxsize=16)
def _ones(length, dtype):
    ones = numpy.ones(length, dtype)
    ones.flags.writeable = False  # shared between calls
    return ones


@primitive
def affine_relu(x, kernel, bias):
    """``relu(x @ kernel + bias)`` as one traced operation (first-order only): ``Dense`` and the
    convolutions with ``activation="relu"``.

    The bias and the ReLU are applied in place on the fresh product; the
    backward pass masks the cotangent once (``ans > 0``, the same test as
    ``x @ kernel + bias > 0``) for the three gradients.
    """
    out = numpy.matmul(x, kernel)
    numpy.add(out, bias, out=out)
    return numpy.maximum(out, 0, out=out)


_AFFINE_VJPS = _affine_vjps()  # made once: affine_relu's backward pass reuses affine's three gradients


def _affine_relu_vjp(argnums, ans, args, kwargs):
    x, kernel, _ = args

    def vjp(g):
        masked = g * (ans > 0)
        return tuple(_AFFINE_VJPS[argnum](None, x, kernel, None)(masked) for argnum in argnums)

    return vjp


defvjp_argnums(affine_relu, _affine_relu_vjp)


@primitive
def relu(x):
    """``max(x, 0)``; the gradient is 0 at 0, as in Keras (first-order only)."""
    return numpy.maximum(x, 0)


defvjp(relu, lambda ans, x: lambda g: g * (x > 0))


@primitive
def softmax_cross_entropy(logits, targets, mean=False, probabilities=None):
    """Categorical crossentropy of ``softmax(logits)``, per sample or averaged (first-order only).

    The value is Keras's formula on probabilities, ``-sum(targets *
    log(clip(p, eps, 1 - eps)))`` over the last axis.  The gradient is the
    logit gradient ``p * sum(targets) - targets``: unlike differentiating the
    clipped formula, it does not vanish when a probability saturates.

    Parameters
    ----------
    logits : float32 array, shape (..., classes)
    targets : float32 array, same shape (one-hot or smoothed labels; not differentiated)
    mean : bool
        Return the mean over all samples (one traced operation for the
        common unweighted loss) instead of the per-sample values.
    probabilities : float32 array, optional
        ``softmax(logits)`` when the caller has it already (not differentiated).
    """
    if probabilities is None:
        probabilities = softmax_values(logits)
    losses = numpy.maximum(probabilities, _EPS)  # Keras clips to [eps, 1 - eps] before the log
    numpy.minimum(losses, _1M_EPS, out=losses)
    numpy.log(losses, out=losses)
    losses = -numpy.sum(targets * losses, axis=-1)
    return losses.sum(dtype=losses.dtype) / losses.size if mean else losses


_EPS = config.epsilon()
_1M_EPS = 1.0 - config.epsilon()


def _softmax_cross_entropy_vjp(ans, logits, targets, mean=False, probabilities=None):
    grad = softmax_values(logits) if probabilities is None else probabilities.copy()
    grad *= numpy.sum(targets, axis=-1, keepdims=True)
    grad -= targets
    if mean:
        return lambda g: grad * (g / (grad.size // grad.shape[-1]))
    return lambda g: (g[..., None] * grad).astype(logits.dtype, copy=False)


defvjp(softmax_cross_entropy, _softmax_cross_entropy_vjp)


def log_softmax_values(x, axis=-1):
    """Log-softmax along ``axis`` of a concrete array (not traced), stable for any input."""
    shifted = x - numpy.max(x, axis=axis, keepdims=True)
    sums = numpy.exp(shifted).sum(axis=axis, keepdims=True)
    shifted -= numpy.log(sums)
    return shifted


def softmax_values(x, axis=-1):
    """Softmax along ``axis`` of a concrete array (not traced), in one fresh array."""
    out = x - numpy.max(x, axis=axis, keepdims=True)
    numpy.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out


@primitive
def softmax(x, axis=-1):
    """Softmax along ``axis`` as one traced operation (first-order only).

    The derived backward pass of ``exp(x - max) / sum(exp(x - max))`` would
    trace five operations; this VJP is ``y * (g - sum(g * y))``.
    """
    return softmax_values(x, axis)


defvjp(softmax, lambda ans, x, axis=-1: lambda g: ans * (g - numpy.sum(g * ans, axis=axis, keepdims=True)))


class SoftmaxBox(ArrayBox):
    """The traced output of a softmax over the last axis that remembers its ``logits``.

    A crossentropy loss that receives one computes from the logits instead
    (:func:`softmax_cross_entropy`): Keras's value, a gradient that does not
    vanish when a probability saturates, and no backward pass through the
    softmax.  Keras does the same with its ``_keras_logits`` attribute.
    """

    __slots__ = ("logits",)

    def __init__(self, value, trace, node, logits):
        self._value, self._trace, self._node, self.logits = value, trace, node, logits


Box.types.add(SoftmaxBox)  # autograd's isbox() knows boxes by exact type


def softmax_keeping_logits(x):
    """:func:`softmax` over the last axis; traced, the result is a :class:`SoftmaxBox`.

    The graph node is made here, as the ``softmax`` primitive would make it,
    so the box is created once.
    """
    if not isbox(x):
        return softmax_values(x)
    probabilities = softmax_values(x._value)
    node = VJPNode(probabilities, softmax, (x._value,), {}, (0,), (x._node,))
    return SoftmaxBox(probabilities, x._trace, node, x)


@primitive
def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, stable for any input (first-order only).

    Computed from ``e = exp(-|x|)``, which cannot overflow: ``1 / (1 + e)``
    for ``x >= 0``, ``e / (1 + e)`` below.  Several times faster than
    ``logaddexp`` in float32, which matters in recurrent layers' gates.
    """
    e = numpy.exp(-numpy.abs(x))
    inverse = 1.0 / (1.0 + e)
    return numpy.where(x >= 0, inverse, e * inverse).astype(numpy.result_type(x, numpy.float32), copy=False)


defvjp(sigmoid, lambda ans, x: lambda g: g * (ans * (1.0 - ans)))
