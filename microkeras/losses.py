"""Keras's losses: per-sample loss functions, the ``Loss`` classes, and ``get``.

A loss function ``fn(y_true, y_pred, ...)`` returns one value per sample (the
last axis reduced), shape ``y_pred.shape[:-1]``.  A ``Loss`` object calls its
function and reduces those values to the scalar the trainer differentiates,
weighted by ``sample_weight`` (see :func:`reduce_weighted_values`).

Everything a gradient flows through (``y_pred``) is ``autograd.numpy`` written
so the backward pass stays float32: reductions are ``np.sum(...) / n`` with a
Python int ``n``, ReLU-like hinges are ``x * (x > 0)``, maxima are taken on
``ops.stop_gradient`` values, and constants are Python floats.  Targets are
never differentiated and are prepared with plain ``numpy``.
"""

import difflib
import math
import warnings

import autograd.numpy as np
import numpy
from autograd.tracer import isbox

from microkeras import activations, ops
from microkeras.ops import core as core_ops, nn as nn_ops, numpy as numpy_ops
from microkeras.config import epsilon, floatx
from microkeras.masking import get_keras_mask
from microkeras.utils.naming import to_snake_case

# --------------------------------------------------------------------------
# Shapes and dtypes shared by every loss
# --------------------------------------------------------------------------


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make ranks equal when they differ by one and the longer ends in a size-1 axis.

    Keras's rule: ``(N,)`` against ``(N, 1)`` becomes ``(N, 1)`` and ``(N, 1)``;
    ``(N, T)`` against ``(N, T, 1)`` becomes ``(N, T)`` and ``(N, T)``.
    """
    if np.ndim(x1) == np.ndim(x2) + 1 and np.shape(x1)[-1] == 1:
        if np.ndim(x2) == 1 and expand_rank_1:
            x2 = np.expand_dims(x2, -1)
        else:
            x1 = np.squeeze(x1, -1)
    elif np.ndim(x2) == np.ndim(x1) + 1 and np.shape(x2)[-1] == 1:
        if np.ndim(x1) == 1 and expand_rank_1:
            x1 = np.expand_dims(x1, -1)
        else:
            x2 = np.squeeze(x2, -1)
    return x1, x2


def _as_float(x, dtype=None):
    """``x`` as an array of ``dtype``; autograd boxes pass through untouched."""
    if isbox(x):
        return x
    if dtype is None:
        # Like Keras's convert_to_tensor: float arrays keep their dtype, lists and ints get floatx.
        floating = isinstance(x, numpy.ndarray) and numpy.issubdtype(x.dtype, numpy.floating)
        dtype = x.dtype if floating else floatx()
    return numpy.asarray(x, dtype=dtype)


def _prepare(y_true, y_pred):
    """Cast ``y_true`` to ``y_pred``'s dtype, match ranks, and insist on equal shapes."""
    y_pred = _as_float(y_pred)
    y_true = _as_float(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if np.shape(y_true) != np.shape(y_pred):
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={np.shape(y_true)}, output.shape={np.shape(y_pred)}"
        )
    return y_true, y_pred


def _mean(x, axis=-1):
    # np.mean's VJP divides by a numpy int64 count and so upcasts to float64.
    return np.sum(x, axis=axis) / np.shape(x)[axis]


def _crossentropy(one_hot, y_pred, from_logits, axis):
    """``-sum(one_hot * log p)`` over ``axis``, ``p`` from logits or renormalized, clipped probabilities."""
    if from_logits:
        log_prob = activations.log_softmax(y_pred, axis)
    else:
        eps = epsilon()
        prob = y_pred / np.sum(y_pred, axis=axis, keepdims=True)
        log_prob = np.log(np.clip(prob, eps, 1.0 - eps))
    return -np.sum(one_hot * log_prob, axis=axis)


# --------------------------------------------------------------------------
# Per-sample loss functions: (y_true, y_pred) -> shape y_pred.shape[:-1]
# --------------------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """Mean of ``(y_true - y_pred) ** 2`` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return _mean(np.square(y_pred - y_true))


def mean_absolute_error(y_true, y_pred):
    """Mean of ``|y_true - y_pred|`` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return _mean(np.abs(y_pred - y_true))


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))`` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    scale = np.clip(np.abs(y_true), epsilon(), None)
    return 100.0 * _mean(np.abs(y_true - y_pred) / scale)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of ``(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)) ** 2`` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = epsilon()
    first = np.log(np.clip(y_pred, eps, None) + 1.0)
    second = np.log(np.clip(y_true, eps, None) + 1.0)
    return _mean(np.square(first - second))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Element-wise binary cross-entropy, averaged over ``axis``.

    Probabilities are clipped to ``[eps, 1 - eps]``; logits use the stable form
    ``max(z, 0) - z * y + log(1 + exp(-|z|))``.  Label smoothing moves the
    targets towards 0.5: ``y * (1 - ls) + 0.5 * ls``.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        label_smoothing = float(label_smoothing)
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        elementwise = activations.softplus(y_pred) - y_pred * y_true
    else:
        eps = epsilon()
        prob = np.clip(y_pred, eps, 1.0 - eps)
        elementwise = -(y_true * np.log(prob) + (1.0 - y_true) * np.log(1.0 - prob))
    return _mean(elementwise, axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) targets and a distribution over ``axis``.

    Probabilities are renormalized to sum to 1 and clipped to ``[eps, 1 - eps]``
    as Keras does (a zero probability on the true class costs ``-log(1e-7)``);
    logits go through a max-shifted log-softmax.  Label smoothing gives
    ``y * (1 - ls) + ls / num_classes``.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    if np.shape(y_pred)[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be "
            f"(batch_size, num_classes) with num_classes > 1. Received: y_pred.shape={np.shape(y_pred)}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        label_smoothing = float(label_smoothing)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / np.shape(y_true)[axis]
    return _crossentropy(y_true, y_pred, from_logits, axis)


def _sparse_labels(y_true, y_pred):
    """Integer labels shaped like ``y_pred`` without its class (last) axis."""
    labels = numpy.asarray(core_ops.stop_gradient(y_true))
    if labels.ndim == np.ndim(y_pred) and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != np.shape(y_pred)[:-1]:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last dimension: "
            f"target.shape={labels.shape}, output.shape={np.shape(y_pred)}"
        )
    return labels.astype(numpy.int64)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Categorical cross-entropy with integer labels of shape ``(N,)`` or ``(N, 1)``.

    Samples labelled ``ignore_class`` get loss 0 (``SparseCategoricalCrossentropy``
    also leaves them out of the batch mean).
    """
    y_pred = _as_float(y_pred)
    labels = _sparse_labels(y_true, y_pred)
    num_classes = np.shape(y_pred)[axis]
    counted = numpy.ones(labels.shape, bool) if ignore_class is None else labels != ignore_class
    outside = counted & ((labels < 0) | (labels >= num_classes))
    if outside.any():
        raise ValueError(
            f"Received a label value of {labels[outside][0]} which is outside the valid range "
            f"of [0, {num_classes}) for `y_true` in sparse_categorical_crossentropy."
        )
    one_hot = (labels[..., None] == numpy.arange(num_classes)) & counted[..., None]
    one_hot = numpy.moveaxis(one_hot, -1, axis).astype(y_pred.dtype)
    return _crossentropy(one_hot, y_pred, from_logits, axis)


def _hinge_margin(y_true, y_pred):
    """``1 - y * y_pred`` with 0/1 labels first mapped to -1/1 (as Keras does)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    if not isbox(y_true) and numpy.all((y_true == 0) | (y_true == 1)):
        y_true = 2.0 * y_true - 1.0
    return 1.0 - y_true * y_pred


def hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0)`` over the last axis; labels -1/1 or 0/1."""
    return _mean(nn_ops.relu(_hinge_margin(y_true, y_pred)))


def squared_hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0) ** 2`` over the last axis; labels -1/1 or 0/1."""
    return _mean(np.square(nn_ops.relu(_hinge_margin(y_true, y_pred))))


def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)`` with ``pos = sum(y * p)``, ``neg = max((1 - y) * p)`` on the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    positive = np.sum(y_true * y_pred, axis=-1)
    others = (1.0 - y_true) * y_pred
    # The max picked through a constant one-hot mask: np.max's VJP upcasts to float64.
    winner = numpy.argmax(core_ops.stop_gradient(others), axis=-1)[..., None]
    pick = (numpy.arange(np.shape(others)[-1]) == winner).astype(others.dtype)
    negative = np.sum(others * pick, axis=-1)
    return nn_ops.relu(negative - positive + 1.0)


def kl_divergence(y_true, y_pred):
    """``sum(y * log(y / p))`` over the last axis, both clipped to ``[eps, 1]``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = np.clip(y_true, epsilon(), 1.0)
    y_pred = np.clip(y_pred, epsilon(), 1.0)
    return np.sum(y_true * np.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Mean of ``y_pred - y_true * log(y_pred + eps)`` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return _mean(y_pred - y_true * np.log(y_pred + epsilon()))


def huber(y_true, y_pred, delta=1.0):
    """Mean over the last axis of ``0.5 e**2`` for ``|e| <= delta``, else ``delta |e| - 0.5 delta**2``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    delta = float(delta)
    abs_error = np.abs(y_pred - y_true)
    # With c = min(|e|, delta) both branches are 0.5 c**2 + delta (|e| - c); no np.where needed.
    inner = np.clip(abs_error, 0.0, delta)
    return _mean(0.5 * np.square(inner) + delta * (abs_error - inner))


def log_cosh(y_true, y_pred):
    """Mean of ``log(cosh(y_pred - y_true))`` over the last axis, computed without overflow."""
    y_true, y_pred = _prepare(y_true, y_pred)
    error = y_pred - y_true
    return _mean(error + activations.softplus(-2.0 * error) - math.log(2.0))


def _l2_normalize(x, axis):
    # x / max(||x||, eps) as x / sqrt(max(sum x**2, eps**2)): a zero vector gets a finite, not NaN, gradient.
    eps = epsilon()
    return x / np.sqrt(np.clip(np.sum(np.square(x), axis=axis, keepdims=True), eps * eps, None))


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred))`` over ``axis``: -1 means aligned."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return -np.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


# Keras's short names, and Keras 2 spellings.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
bce = BCE = binary_crossentropy
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
cosine_proximity = cosine_similarity


# --------------------------------------------------------------------------
# Reduction to the scalar the trainer differentiates
# --------------------------------------------------------------------------

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    """Return ``reduction`` if Keras knows it, else raise ``ValueError``."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def _align_weight(weight, shape):
    """Shape a weight to broadcast against per-sample losses of ``shape``."""
    if weight.ndim == len(shape) + 1 and weight.shape[-1] == 1:
        weight = weight[..., 0]  # (N, 1) against (N,)
    # (N,) against (N, T): the weight covers every step of its sample.
    return weight.reshape(weight.shape + (1,) * (len(shape) - weight.ndim))


def _loss_weights(values, sample_weight, mask, reduction):
    """Merge ``sample_weight`` and ``mask`` into one weight array aligned with ``values`` (or None)."""
    dtype, shape = values.dtype, np.shape(values)
    weight = None
    if sample_weight is not None:
        weight = _align_weight(numpy.asarray(sample_weight, dtype), shape)
        try:
            # A scalar loss (custom losses often return one) is spread over the weights, as in Keras.
            fits = not shape or numpy.broadcast_shapes(weight.shape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"`sample_weight` of shape {numpy.shape(sample_weight)} cannot be broadcast to the "
                f"per-sample losses of shape {shape}. Expected shape {shape[:1]} or {shape}."
            )
    if mask is not None:
        mask = numpy.asarray(mask, dtype)
        if mask.shape != shape:
            raise ValueError(f"The mask of the predictions has shape {mask.shape}, but the per-sample losses have "
                             f"shape {shape}: a mask must have one entry per loss value (sample and step).")
        if reduction in ("sum_over_batch_size", "mean"):
            # Keras rescales the mask so the mean runs over the counted elements only.
            counted = float(mask.sum())
            mask = mask * (mask.size / counted) if counted else mask * 0.0
        weight = mask if weight is None else weight * mask
    return weight


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Weight per-sample losses and reduce them as Keras 3 does.

    Parameters
    ----------
    values : array, shape (N,) or (N, T)
        Per-sample losses (may be an autograd box).
    sample_weight : array, shape (N,) or (N, T), optional
        Broadcast against ``values``; a ``(N,)`` weight covers all ``T`` steps.
    reduction : str or None
        ``"sum_over_batch_size"`` / ``"mean"``: ``sum(w * l) / values.size``
        (not divided by ``sum(w)``); ``"sum"``: ``sum(w * l)``;
        ``"mean_with_sample_weight"``: ``sum(w * l) / sum(w)``;
        ``None`` / ``"none"``: the weighted values themselves.
    mask : bool array shaped like ``values``, optional
        Elements that count (e.g. labels other than ``ignore_class``).
    """
    reduction = standardize_reduction(reduction)
    values = _as_float(values)
    weight = _loss_weights(values, sample_weight, mask, reduction)
    if weight is not None:
        values = values * weight
    if reduction in (None, "none") or np.ndim(values) == 0:
        return values
    if reduction in ("sum_over_batch_size", "mean") and np.size(values):
        return numpy_ops.mean(values)
    total = np.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weight is not None:
        weight_sum = float(numpy.sum(weight))
        return total / weight_sum if weight_sum else total * 0.0
    return total


# --------------------------------------------------------------------------
# Loss objects
# --------------------------------------------------------------------------


class Loss:
    """Base class of loss objects: subclass and write ``call(y_true, y_pred)``.

    ``loss(y_true, y_pred, sample_weight=None)`` returns the reduced float32
    scalar (autograd-traceable in ``y_pred``); ``call`` returns per-sample losses.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = dtype or floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = get_keras_mask(y_pred)  # steps a masking layer marked as padding weigh 0
        if type(y_pred) is ops.SoftmaxBox:  # traced probabilities that remember their logits
            fused = self.__dict__.get("_fused", False)
            if fused is False:
                fused = self._fused = softmax_fused(self)
            if fused is not None:
                return fused(y_true, y_pred.logits, sample_weight, y_pred._value, in_mask)
        y_pred = _as_float(y_pred, self.dtype)
        y_true = _as_float(y_true, self.dtype)
        values = self.call(y_true, y_pred)
        if not isbox(values):  # traced values are numbers; anything else is checked
            _check_loss_values(values, self)
        mask = self.valid_mask(y_true, y_pred)
        if in_mask is not None:
            mask = in_mask if mask is None else numpy.logical_and(mask, in_mask)
        return reduce_weighted_values(values, sample_weight, self.reduction, mask)

    def call(self, y_true, y_pred):
        """Return the per-sample losses, shape ``y_pred.shape[:-1]``."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def valid_mask(self, y_true, y_pred):
        """Boolean mask of the loss elements that count in the reduction, or None for all."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


def _check_loss_values(values, loss):
    """Refuse what a custom loss returned unless it is a number or an array of numbers."""
    try:
        numeric = numpy.asarray(values).dtype.kind in "biuf"
    except (TypeError, ValueError):  # ragged sequences, objects numpy cannot hold
        numeric = False
    if not numeric:
        shown = repr(values) if len(repr(values)) <= 60 else repr(values)[:57] + "..."
        raise TypeError(f"The loss {loss.name!r} returned {type(values).__name__} {shown}; a loss must "
                        "return a number or an array of per-sample losses, computed from y_true and "
                        "y_pred with autograd.numpy (import autograd.numpy as np).")


class LossFunctionWrapper(Loss):
    """A ``Loss`` that calls ``fn(y_true, y_pred, **fn_kwargs)`` for its per-sample values."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **fn_kwargs):
        super().__init__(name or getattr(fn, "__name__", None), reduction, dtype)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def call(self, y_true, y_pred):
        # Keras aligns ranks here too, so user functions see (N, 1) with (N, 1), not (N,) with (N, 1).
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def __getattr__(self, name):
        # Keras exposes constructor options as attributes: `loss.from_logits`.
        fn_kwargs = self.__dict__.get("fn_kwargs", {})
        if name in fn_kwargs:
            return fn_kwargs[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self):
        config = {**super().get_config(), **self.fn_kwargs}
        if type(self) is LossFunctionWrapper:  # the Keras-named subclasses fix `fn` themselves
            config["fn"] = serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config):
        if "fn" in config:
            config = {**config, "fn": get(config["fn"])}
        return cls(**config)


class _FunctionLoss(LossFunctionWrapper):
    """Base of the Keras-named classes whose function takes no options: set ``fn``."""

    fn = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        fn = type(self).fn
        super().__init__(fn, reduction, name or fn.__name__, dtype)


class MeanSquaredError(_FunctionLoss):
    """Mean squared error; see :func:`mean_squared_error`."""

    fn = staticmethod(mean_squared_error)


class MeanAbsoluteError(_FunctionLoss):
    """Mean absolute error; see :func:`mean_absolute_error`."""

    fn = staticmethod(mean_absolute_error)


class MeanAbsolutePercentageError(_FunctionLoss):
    """Mean absolute percentage error; see :func:`mean_absolute_percentage_error`."""

    fn = staticmethod(mean_absolute_percentage_error)


class MeanSquaredLogarithmicError(_FunctionLoss):
    """Mean squared logarithmic error; see :func:`mean_squared_logarithmic_error`."""

    fn = staticmethod(mean_squared_logarithmic_error)


class Hinge(_FunctionLoss):
    """Hinge loss; see :func:`hinge`."""

    fn = staticmethod(hinge)


class SquaredHinge(_FunctionLoss):
    """Squared hinge loss; see :func:`squared_hinge`."""

    fn = staticmethod(squared_hinge)


class CategoricalHinge(_FunctionLoss):
    """Categorical hinge loss; see :func:`categorical_hinge`."""

    fn = staticmethod(categorical_hinge)


class KLDivergence(_FunctionLoss):
    """Kullback-Leibler divergence; see :func:`kl_divergence`."""

    fn = staticmethod(kl_divergence)


class Poisson(_FunctionLoss):
    """Poisson loss; see :func:`poisson`."""

    fn = staticmethod(poisson)


class LogCosh(_FunctionLoss):
    """Log-cosh loss; see :func:`log_cosh`."""

    fn = staticmethod(log_cosh)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy for 0/1 targets; see :func:`binary_crossentropy`."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot targets; see :func:`categorical_crossentropy`."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer labels; see :func:`sparse_categorical_crossentropy`.

    Samples labelled ``ignore_class`` count neither in the sum nor in the
    ``"sum_over_batch_size"`` denominator, as in Keras.
    """

    def __init__(self, from_logits=False, ignore_class=None,
                 reduction="sum_over_batch_size", name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class)

    def valid_mask(self, y_true, y_pred):
        if self.ignore_class is None:
            return None
        return _sparse_labels(y_true, y_pred) != self.ignore_class


class Huber(LossFunctionWrapper):
    """Huber loss, quadratic up to ``delta`` and linear beyond; see :func:`huber`."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction, name, dtype, delta=delta)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity; see :func:`cosine_similarity`."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)


# --------------------------------------------------------------------------
# Resolving identifiers: get / serialize / deserialize / to_loss
# --------------------------------------------------------------------------

_FUNCTIONS = {fn.__name__: fn for fn in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, hinge, squared_hinge, categorical_hinge,
    kl_divergence, poisson, huber, log_cosh, cosine_similarity,
)}
_ALIASES = {alias: globals()[alias] for alias in (
    "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "bce", "BCE", "kld", "KLD",
    "kullback_leibler_divergence", "logcosh", "cosine_proximity",
)}
_CLASSES = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, Huber, LogCosh, CosineSimilarity,
)}
_BY_NAME = {**_FUNCTIONS, **_ALIASES, **_CLASSES}


def _lookup(name):
    try:
        return _BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(name, _BY_NAME, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Invalid value for argument `loss`: unknown loss {name!r}.{hint} "
            f"Expected one of: {', '.join(repr(n) for n in _BY_NAME)}; "
            "or a callable, a `Loss` instance, or a config dict."
        ) from None


def get(identifier):
    """Resolve ``identifier`` the way Keras's ``losses.get`` does.

    ``None`` -> None; a function name or alias (``"mse"``) -> the function; a
    class name (``"CategoricalCrossentropy"``) or a ``Loss`` class -> a new
    instance; a ``Loss`` or any callable -> itself; a ``{"class_name", "config"}``
    dict -> :func:`deserialize`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        found = _lookup(identifier)
        return found() if isinstance(found, type) else found
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret `loss` identifier {identifier!r} of type {type(identifier).__name__}. "
        "Expected a loss name, a callable, a `Loss` instance, a config dict, or None."
    )


def serialize(loss):
    """Config for ``loss``: functions become their name, ``Loss`` objects a class/config dict."""
    if isinstance(loss, Loss):
        return {"module": __name__, "class_name": type(loss).__name__, "config": loss.get_config()}
    return getattr(loss, "__name__", loss)


def deserialize(config):
    """Inverse of :func:`serialize` (also reads Keras's ``{"class_name": "function"}`` form)."""
    if isinstance(config, str):
        return get(config)
    class_name = config.get("class_name")
    if class_name == "function":
        return get(config["config"])
    cls = LossFunctionWrapper if class_name == "LossFunctionWrapper" else _CLASSES.get(class_name)
    if cls is None:
        raise ValueError(
            f"Invalid value for argument `loss`: unknown loss class {class_name!r}. "
            f"Expected one of: {', '.join(repr(n) for n in _CLASSES)}."
        )
    return cls.from_config(config.get("config", {}))


def to_loss(identifier):
    """Return a ``Loss`` for ``identifier`` (None stays None); used by ``compile``.

    Functions are wrapped in ``LossFunctionWrapper`` named after the string
    given (``"mse"``) or the function's ``__name__``.
    """
    resolved = get(identifier)
    if resolved is None or isinstance(resolved, Loss):
        return resolved
    name = identifier if isinstance(identifier, str) else None
    return LossFunctionWrapper(resolved, name=name)


def is_sparse(loss):
    """True when ``loss`` (name, function, class or instance) expects integer class labels."""
    if isinstance(loss, str):
        loss = _BY_NAME.get(loss)
    if isinstance(loss, type):
        return issubclass(loss, SparseCategoricalCrossentropy)
    return getattr(loss, "fn", loss) is sparse_categorical_crossentropy


def softmax_fused(loss):
    """A version of ``loss`` that takes the logits of a softmax, or None if there is none.

    For categorical and sparse categorical crossentropy on probabilities that
    a traced softmax produced (``ops.SoftmaxBox``), ``Loss.__call__`` calls
    the returned function on the logits instead:
    :func:`microkeras.ops.softmax_cross_entropy` gives Keras's clipped value
    with one traced operation and a gradient that stays useful when a
    probability saturates.  Signature: ``fused(y_true, logits,
    sample_weight=None) -> scalar``.
    """
    fn = getattr(loss, "fn", None)
    options = getattr(loss, "fn_kwargs", {})
    if fn not in (categorical_crossentropy, sparse_categorical_crossentropy) \
            or options.get("from_logits") or options.get("axis", -1) != -1 \
            or options.get("ignore_class") is not None:
        return None
    smoothing = float(options.get("label_smoothing", 0.0))

    def fused(y_true, logits, sample_weight=None, probabilities=None, mask=None):
        num_classes = logits.shape[-1]
        if fn is sparse_categorical_crossentropy:
            targets = numpy.eye(num_classes, dtype=logits.dtype)[_sparse_labels(y_true, logits)]
        else:
            targets = numpy.asarray(y_true, dtype=logits.dtype)
            if smoothing:
                targets = targets * (1.0 - smoothing) + smoothing / num_classes
        if sample_weight is None and mask is None and loss.reduction in ("sum_over_batch_size", "mean"):
            return ops.softmax_cross_entropy(logits, targets, mean=True, probabilities=probabilities)
        per_sample = ops.softmax_cross_entropy(logits, targets, probabilities=probabilities)
        return reduce_weighted_values(per_sample, sample_weight, loss.reduction, mask)

    return fused
