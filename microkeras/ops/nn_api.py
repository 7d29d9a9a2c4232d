"""Keras 3's neural-network ``keras.ops``: activations, one-hot encodings, moments, crossentropies, top-k.

The activation functions are :mod:`microkeras.activations`' (one
implementation, float32 through the backward pass) under ``keras.ops``'s
signatures and defaults, which differ in places: ``ops.gelu`` approximates by
default, ``ops.leaky_relu``'s slope is 0.2.  The crossentropies take
``(target, output)`` and return one value per sample (per entry for the
binary one), as Keras's ops do.
"""

import math

import autograd.numpy as anp
import numpy
from autograd.tracer import getval

# activations imports ops and ops imports this module: each only reads the other's names inside calls.
from microkeras import activations, config
from microkeras.ops import array_primitives as _array
from microkeras.ops.numpy_api import _array_of, _floating, standardize_dtype
from microkeras.ops.numpy_api import mean as _mean


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return activations.relu6(_array_of(x))


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``."""
    return activations.hard_sigmoid(_array_of(x))


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    return activations.hard_silu(_array_of(x))


hard_swish = hard_silu


def silu(x):
    """``x * sigmoid(x)``."""
    return activations.silu(_array_of(x))


swish = silu


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for any ``x``."""
    return -activations.softplus(-_array_of(x))


def softplus(x):
    """``log(1 + exp(x))``, stable."""
    return activations.softplus(_array_of(x))


def softsign(x):
    """``x / (1 + |x|)``."""
    return activations.softsign(_array_of(x))


def elu(x, alpha=1.0):
    """``x`` for ``x >= 0``, ``alpha * (exp(x) - 1)`` below."""
    return activations.elu(_array_of(x), alpha)


def selu(x):
    """Scaled ELU with the self-normalizing constants."""
    return activations.selu(_array_of(x))


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x > 0``, ``negative_slope * x`` below."""
    return activations.leaky_relu(_array_of(x), negative_slope)


def gelu(x, approximate=True):
    """Gaussian error linear unit; ``approximate=True`` (``keras.ops``'s default) uses the tanh form."""
    return activations.gelu(_array_of(x), approximate)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed without forming the softmax."""
    return activations.log_softmax(_array_of(x), axis)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, shifted by the (constant) maximum so it cannot overflow."""
    x = _floating(x)
    value = getval(x)
    shift = numpy.max(value, axis=axis, keepdims=True) if value.size else numpy.zeros((1,) * value.ndim, value.dtype)
    shift = numpy.where(numpy.isfinite(shift), shift, 0).astype(value.dtype)
    out = anp.log(anp.sum(anp.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else anp.squeeze(out, axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """``x``'s integer classes as one-hot vectors along a new ``axis``; classes outside ``[0, num_classes)``
    give all zeros (as JAX does)."""
    if sparse:
        raise ValueError("one_hot: `sparse=True` is not supported by microkeras (it has no sparse arrays).")
    ids = numpy.asarray(getval(_array_of(x)))
    encoded = (ids[..., None] == numpy.arange(num_classes)).astype(standardize_dtype(dtype))
    return encoded if axis == -1 else numpy.moveaxis(encoded, -1, axis)


def multi_hot(inputs, num_classes, axis=-1, dtype=None, sparse=False):
    """One vector per sample (the last axis of ``inputs`` holds its classes) with 1 at each class present."""
    encoded = one_hot(inputs, num_classes, -1, dtype, sparse)
    encoded = encoded.max(axis=-2) if encoded.ndim > 1 else encoded
    return encoded if axis == -1 else numpy.moveaxis(encoded, -1, axis)


def moments(x, axes, keepdims=False, synchronized=False):
    """The mean and the biased variance of ``x`` over ``axes``, both traced."""
    x = _floating(x)
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    average = _mean(x, axes, keepdims=True)
    centered = x - average
    variance = _mean(centered * centered, axes, keepdims=keepdims)
    return (average if keepdims else anp.squeeze(average, axis=axes)), variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``; the 1-D statistics lie along ``axis``."""
    x = _array_of(x)
    shape = [1] * anp.ndim(x)
    shape[axis] = anp.shape(x)[axis]

    def along(v):
        v = _array_of(v)
        return anp.reshape(v, shape) if anp.ndim(v) == 1 else v

    inverse = 1.0 / anp.sqrt(along(variance) + epsilon)
    if scale is not None:
        inverse = inverse * along(scale)
    out = (x - along(mean)) * inverse
    return out if offset is None else out + along(offset)


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``)."""
    from microkeras.ops.numpy_api import norm

    x = _floating(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    return x / _array.maximum(norm(x, order, axis, keepdims=True), epsilon)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise ``-(t * log(p) + (1 - t) * log(1 - p))``; probabilities clipped to ``[eps, 1 - eps]``,
    logits through the stable ``max(z, 0) - z * t + log(1 + exp(-|z|))``."""
    target, output = _floating(target), _floating(output)
    if from_logits:
        return activations.relu(output) - output * target + anp.log1p(anp.exp(-anp.abs(output)))
    eps = config.epsilon()
    output = anp.clip(output, eps, 1.0 - eps)
    return -(target * anp.log(output) + (1.0 - target) * anp.log(1.0 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target * log(p))`` along ``axis``, per sample (``p = softmax(output)`` with ``from_logits``)."""
    from microkeras import losses

    return losses.categorical_crossentropy(_floating(target), _floating(output), from_logits=from_logits,
                                           axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy with integer class ``target``\\ s, per sample."""
    from microkeras import losses

    return losses.sparse_categorical_crossentropy(_array_of(target), _floating(output), from_logits=from_logits,
                                                  axis=axis)


def top_k(x, k, sorted=True):  # noqa: A002 -- Keras's argument name
    """The ``k`` largest entries along the last axis and their int32 indices (largest first)."""
    from microkeras.ops.numpy_api import take_along_axis

    value = getval(_array_of(x))
    indices = numpy.argsort(-value, axis=-1, kind="stable")[..., :k].astype(numpy.int32)
    return take_along_axis(x, indices, axis=-1), indices


def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the ``k`` largest of its row."""
    predictions = numpy.asarray(getval(_array_of(predictions)))
    targets = numpy.asarray(getval(_array_of(targets))).astype(numpy.int64)
    target_values = numpy.take_along_axis(predictions, targets[:, None], axis=-1)
    return (predictions > target_values).sum(axis=-1) < k


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mse)``."""
    x1, x2 = _floating(x1), _floating(x2)
    error = _mean(anp.square(x1 - x2))
    return 20.0 * math.log10(max_val) - 10.0 * anp.log(error) / math.log(10.0)



def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return anp.clip(_floating(x), -1.0, 1.0)


def celu(x, alpha=1.0):
    """``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``."""
    x = _floating(x)
    return activations.relu(x) + alpha * anp.expm1(_array.minimum(x, 0.0) * (1.0 / alpha))


def glu(x, axis=-1):
    """Gated linear unit: ``x``'s two halves along ``axis``, ``a * sigmoid(b)``."""
    a, b = anp.split(_floating(x), 2, axis=axis)
    return a * activations.sigmoid(b)


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    x = _floating(x)
    return 0.5 * (x + anp.sqrt(x * x + float(b)))


def sparse_plus(x):
    """0 below -1, ``x`` above 1, ``(x + 1)**2 / 4`` between."""
    x = _floating(x)
    middle = anp.clip(x, -1.0, 1.0) + 1.0
    return _array.where(getval(x) >= 1, x, 0.25 * middle * middle)


def sparse_sigmoid(x):
    """0 below -1, 1 above 1, ``(x + 1) / 2`` between."""
    return anp.clip((_floating(x) + 1.0) * 0.5, 0.0, 1.0)


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, 0 between."""
    x = _floating(x)
    value = getval(x)
    return _array.where(value > threshold, x - threshold, _array.where(value < -threshold, x + threshold, 0.0))


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = _floating(x)
    return _array.where(numpy.abs(getval(x)) > threshold, x, 0.0)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = _floating(x)
    return x - activations.tanh(x)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _floating(x)
    return _array.where(getval(x) > threshold, x, default_value)


def erfc(x):
    """``1 - erf(x)``."""
    from microkeras.ops.math import erf

    return 1.0 - erf(_floating(x))


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """``(x - mean) / sqrt(variance + epsilon) * gamma + beta`` with statistics over ``axis``."""
    if kwargs.pop("rms_scaling", False):
        raise ValueError("layer_normalization: `rms_scaling=True` is not provided; use rms_normalization.")
    x = _floating(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    average, variance = moments(x, axes, keepdims=True)
    out = (x - average) / anp.sqrt(variance + epsilon)
    shape = [1] * anp.ndim(x)
    for a in axes:
        shape[a] = anp.shape(x)[a]

    def along(v):
        v = _array_of(v)
        return v if anp.ndim(v) == anp.ndim(x) else anp.reshape(v, shape)

    if gamma is not None:
        out = out * along(gamma)
    return out if beta is None else out + along(beta)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x**2) + epsilon) * scale`` with the mean over ``axis``."""
    x = _floating(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    out = x / anp.sqrt(_mean(x * x, axis, keepdims=True) + epsilon)
    return out if scale is None else out * _array_of(scale)


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis`` (Martins & Astudillo, 2016).

    ``max(x - tau, 0)`` with ``tau`` chosen so each slice sums to 1; traced through the sort.
    Keras 3.15 computes ``tau`` from the sum of the running sums rather than the
    running sum itself, so its output can differ (and not sum to 1) when two or
    more entries are kept; this follows the definition.
    """
    from microkeras.ops.numpy_api import cumsum, sort

    x = _floating(x)
    ordered = -sort(-x, axis)  # descending
    n = anp.shape(x)[axis]
    ranks = numpy.arange(1, n + 1, dtype=getval(x).dtype).reshape([n if a == axis % anp.ndim(x) else 1
                                                                   for a in range(anp.ndim(x))])
    cumulative = cumsum(ordered, axis)
    support = getval(1.0 + ranks * ordered > cumulative)  # the entries that stay positive
    size = support.sum(axis=axis, keepdims=True).astype(getval(x).dtype)
    tau = (anp.sum(ordered * support, axis=axis, keepdims=True) - 1.0) / size
    return activations.relu(x - tau)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on ``(batch, steps, heads, head_dim)`` arrays, as Keras 3 computes it.

    ``softmax(query . key * scale + bias)`` over the key steps (``scale`` defaults to
    ``1 / sqrt(head_dim)``), with entries where ``mask`` is False, or above the
    diagonal when ``is_causal``, set to a large negative number first; then the
    weighted sum of ``value``.  Fewer key/value heads than query heads are repeated.
    """
    if flash_attention:
        raise ValueError("dot_product_attention: flash attention is not supported by microkeras.")
    if attn_logits_soft_cap is not None:
        raise ValueError("dot_product_attention: `attn_logits_soft_cap` is not supported by microkeras.")
    query, key, value = _floating(query), _floating(key), _floating(value)
    if anp.ndim(query) != 4:
        raise ValueError("dot_product_attention: `query`, `key` and `value` must be 4D (batch, steps, heads, "
                         f"head_dim); received query of shape {anp.shape(query)}.")
    heads, key_heads = anp.shape(query)[2], anp.shape(key)[2]
    if key_heads != heads:
        key = anp.repeat(key, heads // key_heads, axis=2)
        value = anp.repeat(value, heads // key_heads, axis=2)
    scale = 1.0 / math.sqrt(anp.shape(key)[-1]) if scale is None else float(scale)
    logits = anp.einsum("BTNH,BSNH->BNTS", query, key) * scale
    if bias is not None:
        logits = logits + _array_of(bias)
    if mask is not None or is_causal:
        keep = numpy.ones(anp.shape(logits), bool)
        if mask is not None:
            keep &= numpy.asarray(getval(_array_of(mask)), bool)
        if is_causal:
            steps, key_steps = anp.shape(logits)[2:]
            keep &= numpy.tril(numpy.ones((steps, key_steps), bool))
        logits = _array.where(keep, logits, -0.7 * float(numpy.finfo(getval(logits).dtype).max))
    from microkeras.ops.nn import softmax

    return anp.einsum("BNTS,BSNH->BTNH", softmax(logits, -1), value)


def _blocks(x, block_size, data_format, caller):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{caller}: `data_format` must be 'channels_last' or 'channels_first'; "
                         f"received data_format={data_format!r}.")
    x = _array_of(x)
    return (x if data_format == "channels_last" else anp.transpose(x, (0, 2, 3, 1))), int(block_size)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move blocks of channels into ``block_size x block_size`` spatial blocks (TensorFlow's order)."""
    x, b = _blocks(x, block_size, data_format, "depth_to_space")
    n, h, w, c = anp.shape(x)
    x = anp.reshape(anp.transpose(anp.reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5)),
                    (n, h * b, w * b, c // (b * b)))
    return x if data_format == "channels_last" else anp.transpose(x, (0, 3, 1, 2))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Move ``block_size x block_size`` spatial blocks into channels (the inverse of :func:`depth_to_space`)."""
    x, b = _blocks(x, block_size, data_format, "space_to_depth")
    n, h, w, c = anp.shape(x)
    x = anp.reshape(anp.transpose(anp.reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5)),
                    (n, h // b, w // b, b * b * c))
    return x if data_format == "channels_last" else anp.transpose(x, (0, 3, 1, 2))


__all__ = ["batch_normalization", "binary_crossentropy", "categorical_crossentropy", "celu", "depth_to_space",
           "dot_product_attention", "elu", "erfc", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
           "hard_swish", "hard_tanh", "in_top_k", "layer_normalization", "leaky_relu", "log_sigmoid",
           "log_softmax", "logsumexp", "moments", "multi_hot", "normalize", "one_hot", "psnr", "relu6",
           "rms_normalization", "selu", "silu", "soft_shrink", "softplus", "softsign", "space_to_depth",
           "sparse_categorical_crossentropy", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus",
           "swish", "tanh_shrink", "threshold", "top_k"]
