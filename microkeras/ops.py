"""Every hand-written gradient in microkeras lives here.

Layers, activations and losses are forward-only ``autograd.numpy`` code.  When
an operation needs a gradient autograd cannot derive well -- because the
derived backward pass would be slow, upcast to float64, or be unstable -- it is
written here as an ``autograd`` primitive: a raw-numpy forward plus a
``defvjp`` whose cotangent keeps the input's dtype.  Each primitive is
first-order only and has a finite-difference test in ``tests/test_ops.py``.
"""

import math
import warnings

import numpy
from autograd.core import VJPNode, add_outgrads
from autograd.extend import defvjp, notrace_primitive, primitive
from autograd.tracer import isbox, new_box, toposort, trace_stack

from microkeras import config


@notrace_primitive
def stop_gradient(x):
    """Return ``x`` as a constant: no gradient flows back through it."""
    return x


def value_and_grads(fun, params, *args):
    """Differentiate ``fun(params, *args) -> (scalar, aux)`` with respect to each array in ``params``.

    Returns ``(value, aux, grads)`` with ``grads`` a list shaped like
    ``params``.  The same numbers as ``autograd.grad_and_aux`` on a list, but
    each parameter is traced as its own root instead of as a list container,
    so reading ``params[i]`` costs no traced operation, and ``aux`` (which
    must already be cut from the trace with :func:`stop_gradient`) costs no
    backward work.
    """
    with trace_stack.new_trace() as trace:
        roots = [VJPNode.new_root() for _ in params]
        loss, aux = fun([new_box(p, trace, root) for p, root in zip(params, roots)], *args)
        traced = isbox(loss) and loss._trace == trace
    if not traced:
        warnings.warn("Output seems independent of input.")
        return loss, aux, [numpy.zeros_like(p) for p in params]
    value, end = loss._value, loss._node
    position = {root: i for i, root in enumerate(roots)}
    grads = [None] * len(params)
    outgrads = {end: (numpy.ones_like(value), False)}
    for node in toposort(end):
        outgrad = outgrads.pop(node)[0]
        if node in position:
            grads[position[node]] = outgrad
            continue
        for parent, ingrad in zip(node.parents, node.vjp(outgrad)):
            outgrads[parent] = add_outgrads(outgrads.get(parent), ingrad)
    return value, aux, [numpy.zeros_like(p) if g is None else g for p, g in zip(params, grads)]


@primitive
def affine(x, kernel, bias):
    """``x @ kernel + bias`` over the last axis of ``x``, as one traced operation (first-order only).

    The workhorse of ``Dense``: one primitive instead of a product and a
    broadcast sum, with a backward pass of three matrix operations in the
    input's dtype.
    """
    out = numpy.matmul(x, kernel)
    out += bias  # in place on the fresh product: one pass, no second array
    return out


def _affine_vjps():
    def flat(a):
        return a.reshape(-1, a.shape[-1])

    # matmul, not dot: numpy.dot copies a transposed operand before calling BLAS.
    def wrt_x(ans, x, kernel, bias):
        return lambda g: numpy.matmul(g, kernel.T)

    def wrt_kernel(ans, x, kernel, bias):
        return lambda g: numpy.matmul(flat(x).T, flat(g))

    def wrt_bias(ans, x, kernel, bias):
        return lambda g: flat(g).sum(axis=0)

    return wrt_x, wrt_kernel, wrt_bias


defvjp(affine, *_affine_vjps())


@primitive
def relu(x):
    """``max(x, 0)``; the gradient is 0 at 0, as in Keras (first-order only)."""
    return numpy.maximum(x, 0)


defvjp(relu, lambda ans, x: lambda g: g * (x > 0))


@primitive
def mean(x):
    """Mean of all elements in ``x``'s own dtype (autograd's ``np.mean`` VJP upcasts to float64)."""
    return x.sum(dtype=x.dtype) / x.size


defvjp(mean, lambda ans, x: lambda g: numpy.full(x.shape, g / x.size, dtype=x.dtype))


@primitive
def softmax_cross_entropy(logits, targets, mean=False):
    """Categorical crossentropy of ``softmax(logits)``, per sample or averaged (first-order only).

    The value is Keras's formula on probabilities, ``-sum(targets *
    log(clip(p, eps, 1 - eps)))`` over the last axis, computed stably as a
    clipped log-softmax.  The gradient is the logit gradient ``softmax *
    sum(targets) - targets``: unlike differentiating the clipped formula, it
    does not vanish when a probability saturates.

    Parameters
    ----------
    logits : float32 array, shape (..., classes)
    targets : float32 array, same shape (one-hot or smoothed labels; not differentiated)
    mean : bool
        Return the mean over all samples (one traced operation for the
        common unweighted loss) instead of the per-sample values.
    """
    log_probs = log_softmax_values(logits)
    _last_log_softmax[:] = logits, log_probs  # the VJP, made right after, reuses it
    losses = -numpy.sum(targets * numpy.clip(log_probs, _LOG_EPS, _LOG_1M_EPS), axis=-1)
    return losses.sum(dtype=losses.dtype) / losses.size if mean else losses


def _softmax_cross_entropy_vjp(ans, logits, targets, mean=False):
    cached_logits, log_probs = _last_log_softmax
    if cached_logits is not logits:
        log_probs = log_softmax_values(logits)
    _last_log_softmax[:] = None, None
    grad = numpy.exp(log_probs)
    grad *= numpy.sum(targets, axis=-1, keepdims=True)
    grad -= targets
    if mean:
        return lambda g: grad * (g / (grad.size // grad.shape[-1]))
    return lambda g: (g[..., None] * grad).astype(logits.dtype, copy=False)


_last_log_softmax = [None, None]


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
