"""Keras activation functions, written as differentiable ``autograd.numpy`` code.

Each activation maps an array to an array of the same shape and dtype; layers
call them inside their traced forward pass.  They keep a float32 input in
float32 through the whole backward pass (reference section 6): masks such as
``x * (x > 0)`` stand in for ``maximum``/``where``, max-shifts are taken on
``ops.stop_gradient``-ed values, and constants are Python floats.  None of
them overflows for large inputs.

Look an activation up by its Keras name with :func:`get`.
"""

import math

import autograd.numpy as np

from microkeras import ops
from microkeras.ops import core as core_ops, math as math_ops, nn as nn_ops, numpy as numpy_ops

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _clip(x, low, high):
    """``x`` limited to ``[low, high]``; the gradient is 0 at and beyond the bounds, as in TF's relu6."""
    return x + (low - x) * (x <= low) + (high - x) * (x >= high)


def _stable_shift(x, axis):
    """The maximum along ``axis`` as a constant, so ``exp(x - shift)`` cannot overflow."""
    return np.max(core_ops.stop_gradient(x), axis=axis, keepdims=True)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, ``max(x, 0)`` with Keras 3's options.

    Inputs above ``threshold`` pass through, capped at ``max_value`` if given;
    below it the output is ``negative_slope * (x - threshold)``.  At exactly
    ``threshold`` the gradient is ``negative_slope`` (0 by default), as in TF.
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return nn_ops.relu(x)  # the common case: one traced operation
    # `+ 0.0` turns the -0.0 that negative inputs give into the 0.0 of max(x, 0).
    y = x * (x > threshold) + 0.0
    if max_value is not None:
        y = _clip(y, 0.0, float(max_value))
    if negative_slope != 0.0:
        y = y - negative_slope * ((threshold - x) * (x <= threshold))
    return y


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise."""
    return relu(x, negative_slope=negative_slope)


def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``."""
    return _clip(x, 0.0, 6.0)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, exact and stable for any ``x``."""
    return nn_ops.sigmoid(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid, Keras 3's ``relu6(x + 3) / 6``."""
    return relu6(x + 3.0) / 6.0


def hard_silu(x):
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)``."""
    return x * hard_sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return numpy_ops.tanh(x)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``; each slice sums to 1.

    Over the last axis a traced result remembers its logits, so that
    crossentropy losses can use them (see ``ops.SoftmaxBox``).
    """
    if axis == -1:
        return ops.softmax_keeping_logits(x)
    return nn_ops.softmax(x, axis)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed without forming the softmax."""
    z = x - _stable_shift(x, axis)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` for ``x >= 0``, ``alpha * (exp(x) - 1)`` below."""
    positive = x >= 0
    # expm1 sees 0 where x is positive, so large inputs cannot overflow.
    return x * positive + alpha * np.expm1(x * ~positive)


def selu(x):
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return _SELU_SCALE * elu(x, alpha=_SELU_ALPHA)


def softplus(x):
    """``log(exp(x) + 1)``, computed stably."""
    return np.logaddexp(x, 0.0)


def softsign(x):
    """``x / (|x| + 1)``."""
    return x / (np.abs(x) + 1.0)


def silu(x):
    """SiLU, also called swish: ``x * sigmoid(x)``."""
    return x * sigmoid(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit, ``x * P(X <= x)`` for standard normal ``X``.

    ``approximate=False`` (the Keras activation's default) uses the exact
    ``0.5 * x * (1 + erf(x / sqrt(2)))``; ``True`` uses the tanh approximation.
    """
    if approximate:
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + numpy_ops.tanh(inner))
    return 0.5 * x * (1.0 + math_ops.erf(x * _INV_SQRT_2))


def mish(x):
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    return x * numpy_ops.tanh(softplus(x))


def exponential(x):
    """``exp(x)``."""
    return np.exp(x)


def linear(x):
    """The identity; what ``activation=None`` means."""
    return x


swish = silu
hard_swish = hard_silu

_BY_NAME = {
    fn.__name__: fn
    for fn in (relu, leaky_relu, relu6, sigmoid, hard_sigmoid, hard_silu, tanh, softmax,
               log_softmax, elu, selu, softplus, softsign, silu, gelu, mish, exponential, linear)
}
_NAME_OF = {fn: name for name, fn in _BY_NAME.items()}
_BY_NAME.update(swish=silu, hard_swish=hard_silu)


def serialize(activation):
    """Return the name that :func:`get` maps back to ``activation``.

    Built-ins give their Keras name (``swish`` gives ``'silu'``, as in Keras);
    other functions give their ``__name__``.
    """
    if activation in _NAME_OF:
        return _NAME_OF[activation]
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(
            f"Cannot serialize `activation` {activation!r}: expected a function with a `__name__`."
        )
    return name


def deserialize(name):
    """Return the built-in activation called ``name`` (or a Keras ``{'config': name}`` dict)."""
    if isinstance(name, dict) and isinstance(name.get("config"), str):
        name = name["config"]
    if name not in _BY_NAME:
        expected = ", ".join(repr(n) for n in sorted(_BY_NAME))
        raise ValueError(f"Unknown `activation`: {name!r}. Expected one of: {expected}.")
    return _BY_NAME[name]


def get(identifier):
    """Resolve what a user passed as ``activation=``.

    ``None`` gives :func:`linear`, a name gives the built-in function, and any
    callable is returned unchanged.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        "`activation` must be a name, a callable or None; "
        f"received {identifier!r} of type {type(identifier).__name__}."
    )
