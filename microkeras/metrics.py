"""Training metrics with Keras names, defaults and semantics, in plain numpy.

Metrics are never traced: the trainer calls ``update_state(y_true, y_pred,
sample_weight)`` on concrete arrays after each step, and ``result()`` returns
a Python float for the progress bar and ``History``.  State is a few float64
numbers (or one small count array per threshold), so an update costs
O(batch) and a result O(1) or O(thresholds) -- never O(dataset).

Contents, in order:

- shape helpers shared by everything below;
- per-sample functions (``binary_accuracy``, ``mean_squared_error``, ...):
  ``(N, ...)`` arrays in, one value per sample (shape ``(N,)``) out;
- ``Metric`` and the running reductions ``Mean``, ``Sum``, ``MeanMetricWrapper``;
- one small class per function (``BinaryAccuracy``, ``MeanSquaredError``, ...);
- confusion-matrix metrics ``Precision``, ``Recall``, ``AUC``;
- name resolution: ``get``, ``get_accuracy`` (Keras's shape rule for
  ``'accuracy'``), ``serialize``/``deserialize``.
"""

import functools

import numpy
from autograd.tracer import getval, isbox

from microkeras.config import epsilon, floatx
from microkeras.masking import get_keras_mask
from microkeras.utils.naming import to_snake_case
from microkeras.variables import Variable

# Keras's stand-in for "minus infinity" when top_k hides a prediction.
_NEG_INF = -1e10


# ---------------------------------------------------------------- helpers


def _same_rank(a, b):
    """Align ranks by adding or dropping one trailing size-1 axis (Keras's rule).

    ``(N,)`` against ``(N, 1)`` becomes ``(N, 1)`` and ``(N, 1)``; a longer
    array with a trailing 1 is squeezed otherwise.  Other shapes pass through.
    """
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[..., None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[..., None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def _pair(y_true, y_pred):
    """Return ``y_true, y_pred`` as float64 arrays of the same rank."""
    return _same_rank(numpy.asarray(y_true, numpy.float64), numpy.asarray(y_pred, numpy.float64))


def _mean_last_axis(x):
    """Average the feature axis; rank-1 input is already one value per sample."""
    return x.mean(axis=-1) if x.ndim > 1 else x


def _broadcast(weights, shape):
    try:
        return numpy.broadcast_to(weights, shape)
    except ValueError:
        raise ValueError(
            f"`sample_weight` of shape {weights.shape} cannot be broadcast to the "
            f"metric values of shape {shape}. Expected shape (N,) or a shape that "
            f"broadcasts to {shape}."
        ) from None


def _safe_divide(a, b):
    """``a / b`` with 0 where ``b == 0`` (Keras's ``divide_no_nan``)."""
    return numpy.divide(a, b, out=numpy.zeros(numpy.broadcast(a, b).shape), where=b != 0)


def _is_int_at_least(value, low):
    return isinstance(value, (int, numpy.integer)) and not isinstance(value, bool) and value >= low


# ------------------------------------------------- per-sample functions


def accuracy(y_true, y_pred):
    """Fraction of entries where ``y_pred`` equals ``y_true`` exactly, per sample."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _mean_last_axis(y_true == y_pred).astype(numpy.float64)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Fraction of entries where ``y_pred > threshold`` matches the 0/1 label, per sample."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _mean_last_axis(y_true == (y_pred > threshold)).astype(numpy.float64)


def _in_top_k(labels, y_pred, k):
    """True where the label's score has fewer than ``k`` scores strictly above it.

    Ties at the boundary count as hits, as in Keras's ``in_top_k``.
    ``labels``: integer array of shape ``y_pred.shape[:-1]``.
    """
    label_score = numpy.take_along_axis(y_pred, labels[..., None], axis=-1)
    return (numpy.sum(y_pred > label_score, axis=-1) < k).astype(numpy.float64)


def _sparse_labels(y_true, y_pred):
    """Integer class labels of shape ``y_pred.shape[:-1]`` from ``(N,)`` or ``(N, 1)`` targets."""
    labels = numpy.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    return labels.astype(numpy.int64)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the ``k`` highest scores, per sample."""
    y_pred = numpy.asarray(y_pred, numpy.float64)
    return _in_top_k(_sparse_labels(y_true, y_pred), y_pred, k)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label is among the ``k`` highest scores, per sample."""
    y_pred = numpy.asarray(y_pred, numpy.float64)
    return _in_top_k(numpy.argmax(y_true, axis=-1), y_pred, k)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred)`` equals the integer label (``(N,)`` or ``(N, 1)``)."""
    y_pred = numpy.asarray(y_pred)
    return (_sparse_labels(y_true, y_pred) == numpy.argmax(y_pred, axis=-1)).astype(numpy.float64)


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred)`` equals ``argmax`` of the one-hot label."""
    return (numpy.argmax(y_true, axis=-1) == numpy.argmax(y_pred, axis=-1)).astype(numpy.float64)


def _squared_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_pred - y_true) ** 2


def mean_squared_error(y_true, y_pred):
    """``mean((y_pred - y_true)**2)`` over the last axis."""
    return _mean_last_axis(_squared_error(y_true, y_pred))


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_pred - y_true|)`` over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _mean_last_axis(numpy.abs(y_pred - y_true))


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))`` over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    relative = numpy.abs(y_true - y_pred) / numpy.maximum(numpy.abs(y_true), epsilon())
    return 100.0 * _mean_last_axis(relative)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2)`` over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    log_pred = numpy.log(numpy.maximum(y_pred, epsilon()) + 1.0)
    log_true = numpy.log(numpy.maximum(y_true, epsilon()) + 1.0)
    return _mean_last_axis((log_pred - log_true) ** 2)


# ---------------------------------------------------- base and reductions


class Metric:
    """A running statistic: ``update_state`` accumulates, ``result`` reads it.

    ``_direction`` is ``'up'`` when higher is better, ``'down'`` when lower
    is, None when unknown (Keras 3's attribute; ``EarlyStopping(mode='auto')``
    reads it).

    Subclasses implement ``update_state``, ``result`` and ``reset_state``.
    ``name`` is the key the metric gets in logs and ``History`` (default: the
    class name in snake_case).  ``dtype`` is kept for config round-trips;
    state is accumulated in float64 and ``result()`` is a Python float.
    """

    _direction = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "update_state" in cls.__dict__:
            cls.update_state = _taking_values(cls.__dict__["update_state"])

    def __init__(self, name=None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Metric `name` must be a string; received {name!r}.")
        self.name = name if name is not None else to_snake_case(type(self).__name__)
        self.dtype = dtype or floatx()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Put every variable made by :meth:`add_variable` back to its initial value (a subclass
        that keeps its state otherwise overrides this)."""
        made = self.__dict__.get("_made_variables")
        if not made:
            raise NotImplementedError(f"{type(self).__name__} must implement reset_state().")
        for variable, initial in made:
            variable.assign(initial)

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A state variable, as in Keras 3: ``update_state`` assigns it, ``result`` reads it.

        ``aggregation`` is accepted for Keras compatibility (there is one
        replica).  The default :meth:`reset_state` restores the initial value.
        """
        variable = Variable(initializer, shape=shape, dtype=dtype or self.dtype, trainable=False, name=name)
        self.__dict__.setdefault("_made_variables", []).append((variable, variable.numpy().copy()))
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras 3's other spelling of :meth:`add_variable` (zeros by default)."""
        return self.add_variable(shape, initializer or "zeros", dtype, name=name)

    @property
    def variables(self):
        """The variables made by :meth:`add_variable`."""
        return [variable for variable, _ in self.__dict__.get("_made_variables", [])]

    def reset_states(self):
        """Keras 2 spelling of :meth:`reset_state`."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        """Update with this batch, then return the accumulated result (as Keras does)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def _taking_values(update_state):
    """``update_state`` that first takes the values out of traced arguments (a custom ``train_step``
    may pass its loss or predictions straight from a ``GradientTape``): metrics never trace."""
    @functools.wraps(update_state)
    def wrapper(self, *args, **kwargs):
        if any(map(isbox, args)):
            args = tuple(map(getval, args))
        return update_state(self, *args, **kwargs)

    return wrapper


def _samplewise(values, sample_weight, reduce):
    """Reduce ``values`` to one weighted number per sample; return ``(values, weights)``.

    Keras's rule: weights of rank r keep the first r axes of ``values`` (the
    rest are reduced first), ranks are aligned by one trailing size-1 axis,
    and weights of rank > 1 are reduced to one weight per sample.  A scalar
    weight makes the whole batch one observation of that weight.
    ``weights`` is ``None`` when ``sample_weight`` is.
    """
    values = numpy.asarray(values, numpy.float64)
    weights = None
    if sample_weight is not None:
        values, weights = _same_rank(values, numpy.asarray(sample_weight, numpy.float64))
        if values.ndim > weights.ndim:
            values = reduce(values, axis=tuple(range(weights.ndim, values.ndim)))
        weights = _broadcast(weights, values.shape)
        values = values * weights
        if weights.ndim > 1:
            weights = reduce(weights, axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


class Sum(Metric):
    """Running (weighted) sum of ``values``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, values, sample_weight=None):
        values, _ = _samplewise(values, sample_weight, numpy.sum)
        self.total += float(numpy.sum(values))

    def reset_state(self):
        self.total = 0.0

    def result(self):
        return float(self.total)


class Mean(Metric):
    """Running (weighted) mean of ``values``: ``total / count``.

    ``values`` may be a scalar, ``(N,)`` or ``(N, ...)`` (averaged per
    sample); ``sample_weight`` a scalar, ``(N,)`` or broadcastable like
    ``(N, T)``.  ``Mean(name="loss").update_state(batch_loss,
    sample_weight=batch_size)`` gives the sample-weighted epoch mean.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, values, sample_weight=None):
        # Fast paths for what the trainer sends every batch: a scalar loss with the
        # batch size as its weight, and unweighted per-sample values.
        if sample_weight is None and isinstance(values, numpy.ndarray) and values.ndim == 1:
            self.total += float(values.sum(dtype=numpy.float64))
            self.count += values.shape[0]
            return
        if numpy.ndim(values) == 0 and isinstance(sample_weight, (int, float)):
            self.total += float(values) * sample_weight
            self.count += sample_weight
            return
        values, weights = _samplewise(values, sample_weight, numpy.mean)
        self.total += float(numpy.sum(values))
        if weights is not None:
            self.count += float(numpy.sum(weights))
        else:
            self.count += values.shape[0] if values.ndim else 1

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """Mean over samples of ``fn(y_true, y_pred, **kwargs)``, a per-sample function.

    ``fn`` returns shape ``(N,)`` (or ``(N, ...)``, averaged per sample);
    ``sample_weight`` weights the samples as in :class:`Mean`.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: `fn` must be callable; received {fn!r}.")
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = get_keras_mask(y_pred)
        values = self._fn(numpy.asarray(y_true), numpy.asarray(y_pred), **self._fn_kwargs)
        if mask is not None:  # masked steps weigh 0 (Keras 3's apply_mask with reduction "sum")
            mask = numpy.asarray(mask, numpy.float64)
            if sample_weight is None:
                sample_weight = mask
            else:
                mask, weights = _same_rank(mask, numpy.asarray(sample_weight, numpy.float64))
                sample_weight = mask * weights
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:  # subclasses fix their own fn
            config["fn"] = self._fn.__name__
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), str):
            if config["fn"] not in _FUNCTIONS:
                raise ValueError(
                    f"MeanMetricWrapper.from_config: unknown `fn` {config['fn']!r}. "
                    f"Expected one of: {', '.join(sorted(_FUNCTIONS))}."
                )
            config["fn"] = _FUNCTIONS[config["fn"]]
        return cls(**config)


# --------------------------------------- one class per per-sample function


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly (see :func:`accuracy`)."""

    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches 0/1 labels."""

    _direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if not 0 < threshold < 1:
            raise ValueError(
                "BinaryAccuracy: `threshold` must be in the open interval (0, 1); "
                f"received {threshold!r}."
            )
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches one-hot labels."""

    _direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches integer labels."""

    _direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the ``k`` highest scores."""

    _direction = "up"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest scores."""

    _direction = "up"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class MeanSquaredError(MeanMetricWrapper):
    """Mean of :func:`mean_squared_error` over samples."""

    _direction = "down"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean of :func:`mean_absolute_error` over samples."""

    _direction = "down"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean of :func:`mean_absolute_percentage_error` over samples."""

    _direction = "down"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean of :func:`mean_squared_logarithmic_error` over samples."""

    _direction = "down"

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class RootMeanSquaredError(MeanMetricWrapper):
    """``sqrt`` of the running weighted mean of squared errors."""

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        # Elementwise squared error, so (N, T) sample weights apply per entry as in Keras.
        super().__init__(_squared_error, name=name, dtype=dtype)

    def result(self):
        return float(numpy.sqrt(super().result()))


# ------------------------------------------------ confusion-matrix metrics


def _confusion_inputs(y_true, y_pred, sample_weight, top_k=None, class_id=None):
    """Labels as booleans, scores and per-entry weights, all of ``y_pred``'s shape.

    ``top_k`` keeps the ``k`` highest scores of the last axis (ties: lowest
    index first) and sets the others to -1e10; ``class_id`` keeps one column.
    A ``(N,)`` sample weight applies to every entry of its sample.
    """
    y_pred, y_true = _same_rank(numpy.asarray(y_pred, numpy.float64), numpy.asarray(y_true))
    if sample_weight is None:
        weights = numpy.ones(y_pred.shape)
    else:
        weights = numpy.asarray(sample_weight, numpy.float64)
        trailing = (1,) * (y_pred.ndim - weights.ndim)
        weights = _broadcast(weights.reshape(weights.shape + trailing), y_pred.shape)
    if top_k is not None:
        top = numpy.argsort(-y_pred, axis=-1, kind="stable")[..., :top_k]
        keep = numpy.zeros(y_pred.shape, bool)
        numpy.put_along_axis(keep, top, True, axis=-1)
        y_pred = numpy.where(keep, y_pred, _NEG_INF)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError(
                "`class_id` needs y_pred of shape (num_samples, num_classes); "
                f"received shape {y_pred.shape}."
            )
        y_true, y_pred, weights = (a[..., class_id, None] for a in (y_true, y_pred, weights))
    return y_true != 0, y_pred, weights


def _confusion_counts(positive, y_pred, weights, thresholds, multi_label=False):
    """Weighted ``[tp, fp, tn, fn]`` at each threshold: shape ``(4, T)``, or ``(4, T, L)`` per label.

    A prediction is positive at threshold t when ``y_pred > t``.  Each
    prediction is placed among the sorted thresholds by binary search and the
    counts are cumulative sums of that histogram: O(n log T + T), not O(n T).
    """
    order = numpy.argsort(thresholds, kind="stable")
    num_thresholds = len(thresholds)
    num_labels = y_pred.shape[-1] if multi_label else 1
    # below[m, l] = how many thresholds lie strictly below the score, i.e. where it is positive.
    below = numpy.searchsorted(thresholds[order], y_pred.reshape(-1, num_labels), side="left")
    slots = (below * num_labels + numpy.arange(num_labels)).ravel()
    positive = positive.reshape(-1, num_labels)
    weights = weights.reshape(-1, num_labels)

    def split(entry_weights):
        """(weight above each threshold, weight at or below it), each (T, L)."""
        hist = numpy.bincount(slots, entry_weights.ravel(), minlength=(num_thresholds + 1) * num_labels)
        hist = hist.reshape(num_thresholds + 1, num_labels)
        above = numpy.cumsum(hist[::-1], axis=0)[::-1][1:]
        at_or_below = numpy.cumsum(hist, axis=0)[:-1]
        return above, at_or_below

    tp, fn = split(weights * positive)
    fp, tn = split(weights * ~positive)
    counts = numpy.stack([tp, fp, tn, fn])[:, numpy.argsort(order)]  # back to the caller's order
    return counts if multi_label else counts[..., 0]


def _check_thresholds(thresholds):
    values = [float(t) for t in numpy.atleast_1d(numpy.asarray(thresholds, numpy.float64))]
    if not values or any(not 0.0 <= t <= 1.0 for t in values):
        raise ValueError(f"`thresholds` must be values in [0, 1]; received {thresholds!r}.")
    return values


class _ConfusionMetric(Metric):
    """Accumulates weighted tp, fp, tn, fn at fixed thresholds; subclasses score them."""

    def __init__(self, thresholds, top_k=None, class_id=None, multi_label=False, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if top_k is not None and not _is_int_at_least(top_k, 1):
            raise ValueError(f"`top_k` must be a positive integer or None; received {top_k!r}.")
        if class_id is not None and not _is_int_at_least(class_id, 0):
            raise ValueError(f"`class_id` must be a non-negative integer or None; received {class_id!r}.")
        self._threshold_values = numpy.asarray(thresholds, numpy.float64)
        self.top_k = top_k
        self.class_id = class_id
        self.multi_label = multi_label
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        inputs = _confusion_inputs(y_true, y_pred, sample_weight, self.top_k, self.class_id)
        counts = _confusion_counts(*inputs, self._threshold_values, self.multi_label)
        self._counts = counts if self._counts is None else self._counts + counts

    def reset_state(self):
        self._counts = None  # shape known at the first update when multi_label

    def _confusion(self):
        """``tp, fp, tn, fn`` accumulated so far, each of shape (T,) or (T, L)."""
        if self._counts is None:
            return numpy.zeros((4, len(self._threshold_values)))
        return self._counts


class _ThresholdMetric(_ConfusionMetric):
    """Shared constructor of Precision and Recall: one score per threshold."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        if thresholds is None:
            # With top_k alone, "positive" means "in the top k" (Keras uses -1e10).
            self.thresholds = [0.5 if top_k is None else _NEG_INF]
        else:
            self.thresholds = _check_thresholds(thresholds)
        super().__init__(self.thresholds, top_k=top_k, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        """A float, or a list of floats when several thresholds were given."""
        scores = self._score(*self._confusion())
        return float(scores[0]) if len(scores) == 1 else [float(s) for s in scores]

    def get_config(self):
        config = {"thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id}
        return {**super().get_config(), **config}


class Precision(_ThresholdMetric):
    """``tp / (tp + fp)``: of the entries predicted positive, the fraction truly positive.

    A score is positive when ``y_pred > threshold`` (default 0.5).  ``top_k``
    counts only the k highest scores of each sample as positive;
    ``class_id`` restricts the metric to one column of ``(N, C)`` inputs.
    """

    _direction = "up"

    @staticmethod
    def _score(tp, fp, tn, fn):
        return _safe_divide(tp, tp + fp)


class Recall(_ThresholdMetric):
    """``tp / (tp + fn)``: of the truly positive entries, the fraction predicted positive.

    Arguments as :class:`Precision`.
    """

    _direction = "up"

    @staticmethod
    def _score(tp, fp, tn, fn):
        return _safe_divide(tp, tp + fn)


def _interpolated_pr_auc(tp, fp, fn):
    """PR-AUC interpolating tp and predicted positives linearly between thresholds.

    Davis & Goadrich (2006), in Keras's closed form: on each interval the
    precision is ``(intercept + slope * P) / P`` and integrates to
    ``slope * (dTP + intercept * log(P_a / P_b)) / total_positives``.
    """
    predicted = tp + fp
    dtp = tp[:-1] - tp[1:]
    slope = _safe_divide(dtp, numpy.maximum(predicted[:-1] - predicted[1:], 0.0))
    intercept = tp[1:] - slope * predicted[1:]
    both_positive = (predicted[:-1] > 0) & (predicted[1:] > 0)
    ratio = numpy.where(both_positive, _safe_divide(predicted[:-1], predicted[1:]), 1.0)
    total_positives = tp[1:] + fn[1:]
    area = _safe_divide(slope * (dtp + intercept * numpy.log(ratio)), numpy.maximum(total_positives, 0.0))
    return numpy.sum(area, axis=0)


class AUC(_ConfusionMetric):
    """Area under the ROC (default) or PR curve, from counts at fixed thresholds.

    Thresholds are ``num_thresholds`` evenly spaced values with endpoints
    ``-epsilon`` and ``1 + epsilon`` (so scores of exactly 0 and 1 fall
    inside), or the given ``thresholds`` plus those two endpoints.  Scores are
    clipped to [0, 1] (after a sigmoid when ``from_logits``).
    ``summation_method``: ``'interpolation'`` (trapezoids for ROC; the
    Davis-Goadrich interpolation for PR), ``'minoring'`` or ``'majoring'``.
    ``multi_label=True`` computes one AUC per column of ``(N, L)`` inputs and
    averages them; otherwise all entries are pooled.
    """

    _direction = "up"

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        from_logits=False,
    ):
        if thresholds is not None:
            interior = sorted(_check_thresholds(thresholds))
            num_thresholds = len(interior) + 2
        elif not _is_int_at_least(num_thresholds, 2):
            raise ValueError(f"AUC: `num_thresholds` must be an integer > 1; received {num_thresholds!r}.")
        else:
            interior = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: `curve` must be 'ROC' or 'PR'; received {curve!r}.")
        if str(summation_method).lower() not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                "AUC: `summation_method` must be 'interpolation', 'minoring' or 'majoring'; "
                f"received {summation_method!r}."
            )
        self.num_thresholds = num_thresholds
        self.curve = str(curve).upper()
        self.summation_method = str(summation_method).lower()
        self.from_logits = from_logits
        self._init_thresholds = thresholds
        edges = [-epsilon()] + interior + [1.0 + epsilon()]
        super().__init__(edges, multi_label=multi_label, name=name, dtype=dtype)

    @property
    def thresholds(self):
        """All thresholds used, endpoints included."""
        return [float(t) for t in self._threshold_values]

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = numpy.asarray(y_pred, numpy.float64)
        if self.from_logits:
            y_pred = 0.5 * (1.0 + numpy.tanh(0.5 * y_pred))  # sigmoid without overflow
        super().update_state(y_true, numpy.clip(y_pred, 0.0, 1.0), sample_weight)

    def result(self):
        tp, fp, tn, fn = self._confusion()
        if self.curve == "PR" and self.summation_method == "interpolation":
            per_label = _interpolated_pr_auc(tp, fp, fn)
        else:
            recall = _safe_divide(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _safe_divide(fp, fp + tn), recall
            else:
                x, y = recall, _safe_divide(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = numpy.minimum(y[:-1], y[1:])
            else:
                heights = numpy.maximum(y[:-1], y[1:])
            # Thresholds rise, so x falls: x[:-1] - x[1:] is each interval's width.
            per_label = numpy.sum((x[:-1] - x[1:]) * heights, axis=0)
        return float(numpy.mean(per_label))

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "from_logits": self.from_logits,
        }
        if self._init_thresholds is not None:
            config["thresholds"] = self.thresholds[1:-1]
        return config


# ------------------------------------------------------ name resolution

_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
    )
}

# String identifiers get() accepts.  'accuracy'/'acc' are left to get_accuracy().
_SNAKE_NAMES = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "root_mean_squared_error": RootMeanSquaredError,
    "precision": Precision,
    "recall": Recall,
    "auc": AUC,
}
_ALIASES = {
    "mse": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
}
_BY_NAME = {
    **_SNAKE_NAMES,
    **_ALIASES,
    **{alias.upper(): cls for alias, cls in _ALIASES.items()},
    **{cls.__name__: cls for cls in _SNAKE_NAMES.values()},
}
_ALL_CLASSES = {
    cls.__name__: cls
    for cls in (Mean, Sum, MeanMetricWrapper, Accuracy, *_SNAKE_NAMES.values())
}


def is_accuracy_name(identifier):
    """True for the strings Keras resolves by shape: 'accuracy' and 'acc', any case."""
    return isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc")


def get_accuracy(name, y_true_shape, y_pred_shape):
    """Resolve ``'accuracy'``/``'acc'`` from the target and output shapes (Keras 3 rule).

    ``BinaryAccuracy`` when the output's last dim is 1; else
    ``SparseCategoricalAccuracy`` when the target has lower rank, or a last
    dim of 1 against several outputs; else ``CategoricalAccuracy``.  The
    metric is named ``name`` exactly as the user wrote it, so ``'acc'`` gives
    the ``History`` keys ``acc``/``val_acc``.
    """
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if not y_true_shape or not y_pred_shape:
        raise ValueError(
            f"get_accuracy: shapes must have rank >= 1; received y_true_shape={y_true_shape}, "
            f"y_pred_shape={y_pred_shape}."
        )
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def get(identifier):
    """Turn a ``metrics=[...]`` entry into a ``Metric``.

    - a ``Metric`` instance is returned as is; a ``Metric`` subclass is instantiated;
    - a string (snake_case or class name, or an alias ``mse/MSE``, ``mae/MAE``,
      ``mape/MAPE``, ``msle/MSLE``) gives a new metric named exactly that string;
    - a function ``fn(y_true, y_pred)`` is wrapped in ``MeanMetricWrapper``
      named ``fn.__name__``;
    - a ``{"class_name", "config"}`` dict is deserialized.

    ``'accuracy'``/``'acc'`` depend on shapes: use :func:`get_accuracy`.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in _BY_NAME:
            return _BY_NAME[identifier](name=identifier)
        if is_accuracy_name(identifier):
            raise ValueError(
                f"Metric {identifier!r} is resolved from the target and output shapes: "
                "use get_accuracy(name, y_true_shape, y_pred_shape)."
            )
        names = ["accuracy", "acc", *_SNAKE_NAMES, *_ALIASES, *(a.upper() for a in _ALIASES)]
        expected = ", ".join(repr(n) for n in names)
        raise ValueError(
            f"Unknown metric in `metrics`: {identifier!r}. Expected one of: {expected}, "
            "a class name such as 'BinaryAccuracy', a Metric instance or a function fn(y_true, y_pred)."
        )
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        name = getattr(identifier, "__name__", None) or to_snake_case(type(identifier).__name__)
        return MeanMetricWrapper(identifier, name=name)
    raise TypeError(
        f"Could not interpret an entry of `metrics`: {identifier!r} "
        f"of type {type(identifier).__name__}. "
        "Expected a string, a Metric instance or a function fn(y_true, y_pred)."
    )


def serialize(metric):
    """``{"class_name": ..., "config": ...}`` for a built-in ``Metric``."""
    if not isinstance(metric, Metric):
        raise TypeError(f"serialize: `metric` must be a Metric instance; received {metric!r}.")
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config):
    """Inverse of :func:`serialize` (a string is passed to :func:`get`)."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"deserialize: expected a dict with 'class_name' and 'config'; received {config!r}."
        )
    if config["class_name"] not in _ALL_CLASSES:
        raise ValueError(
            f"deserialize: unknown metric class {config['class_name']!r}. "
            f"Expected one of: {', '.join(sorted(_ALL_CLASSES))}."
        )
    return _ALL_CLASSES[config["class_name"]].from_config(config.get("config", {}))
