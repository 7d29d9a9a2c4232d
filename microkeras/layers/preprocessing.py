"""Preprocessing layers: Rescaling, and Normalization with ``adapt``.

They put raw features on a scale a model learns well from, inside the model,
so a saved model carries its own preprocessing (Keras 3:
``keras/src/layers/preprocessing/``).  Neither trains: Normalization's
statistics come from :meth:`Normalization.adapt` or the constructor.
"""

import math
import numbers

import autograd.numpy as np
import numpy

from microkeras import config
from microkeras.layers.layer import Layer


def _constant(value, argument, class_name):
    """A number as a float, or numbers in (nested) lists as a float32 array; else a ValueError naming the argument."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    try:
        array = numpy.asarray(value)
    except ValueError:  # ragged lists
        array = None
    if array is None or array.dtype.kind not in "iuf" or not numpy.isfinite(array).all():
        raise ValueError(f"{class_name}: `{argument}` must be a number or a list of numbers; received "
                         f"{argument}={value!r}.")
    return array.astype(numpy.float32)


def _plain(value):
    """A constant as a JSON value: a float, or a (nested) list of floats."""
    return value if isinstance(value, float) else value.tolist()


class Rescaling(Layer):
    """Computes ``inputs * scale + offset``: ``Rescaling(1 / 255)`` maps pixel values to [0, 1].

    ``scale`` and ``offset`` are numbers, or lists that broadcast against
    the input (one value per channel).  Integer inputs are cast to float32.
    """

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _constant(scale, "scale", "Rescaling")
        self.offset = _constant(offset, "offset", "Rescaling")

    def call(self, inputs):
        return inputs * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}


class Normalization(Layer):
    """Shifts and scales features to mean 0 and variance 1: ``(x - mean) / sqrt(variance)``.

    The mean and variance are kept per index of the ``axis`` axes (the last
    axis by default: one pair per feature; ``axis=None`` keeps one pair for
    everything) and computed over all the other axes.  Either give them as
    ``mean`` and ``variance``, or call :meth:`adapt` on data before training.
    ``invert=True`` maps normalized values back: ``mean + x * sqrt(variance)``.
    The standard deviation is floored at ``epsilon() == 1e-7``, as in Keras.

    Adapted statistics are non-trainable weights, ``mean``, ``variance`` and
    ``count`` (Keras 3's list; ``count`` stays 0, as Keras leaves it), so
    they are saved and loaded with the model.
    """

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        axes = () if axis is None else tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
        if any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes):
            raise TypeError(f"Normalization: `axis` must be an int, a tuple of ints or None; received axis={axis!r}.")
        self.axis = tuple(int(a) for a in axes)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both `mean` and `variance`, or neither (then call adapt()); "
                             f"received mean={mean!r} and variance={variance!r}.")
        if mean is not None:
            mean, variance = _constant(mean, "mean", "Normalization"), _constant(variance, "variance", "Normalization")
            if numpy.shape(mean) != numpy.shape(variance):
                raise ValueError(f"Normalization: `mean` and `variance` must have the same shape; received shapes "
                                 f"{numpy.shape(mean)} and {numpy.shape(variance)}.")
            if numpy.ndim(mean) > len(self.axis):
                raise ValueError(f"Normalization: `mean` has rank {numpy.ndim(mean)}, more than the "
                                 f"{len(self.axis)} axes it is kept for (axis={self.axis}).")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)

    def _axes_for(self, input_shape):
        """``(kept, reduced)`` axes, non-negative, for inputs of ``input_shape``; raise naming the shape."""
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis):
            raise ValueError(f"Normalization {self.name!r}: axis={self.axis} is out of range for input shape "
                             f"{tuple(input_shape)} (rank {rank}).")
        kept = tuple(sorted(a % rank for a in self.axis))
        if any(input_shape[a] is None for a in kept):
            raise ValueError(f"Normalization {self.name!r} needs a known size on the kept axes {kept}; received "
                             f"input shape {tuple(input_shape)}.")
        return kept, tuple(a for a in range(rank) if a not in kept)

    def build(self, input_shape):
        kept, self._reduced_axes = self._axes_for(input_shape)
        self._kept_axes = kept
        self._broadcast_shape = tuple(input_shape[a] if a in kept else 1 for a in range(len(input_shape)))
        shape = tuple(input_shape[a] for a in kept)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape=shape, initializer="ones", trainable=False, name="variance")
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")
        else:
            # Given statistics line up with the last kept axes (Keras's rule), then broadcast.
            expanded = [1] * len(input_shape)
            for axis, size in zip(kept[::-1], numpy.shape(self.input_mean)[::-1]):
                expanded[axis] = size
            self._mean, self._variance = (
                numpy.broadcast_to(numpy.reshape(numpy.asarray(v, numpy.float32), expanded), self._broadcast_shape)
                for v in (self.input_mean, self.input_variance))

    def call(self, inputs):
        if self.input_mean is None:
            mean = np.reshape(self.adapt_mean, self._broadcast_shape)
            variance = np.reshape(self.adapt_variance, self._broadcast_shape)
        else:
            mean, variance = self._mean, self._variance
        std = np.sqrt(variance)
        std = std + (config.epsilon() - std) * (std < config.epsilon())  # max(std, epsilon), float32 gradients
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def adapt(self, data):
        """Set the mean and variance to those of ``data`` over the non-kept axes (the variance divides by N).

        ``data`` is an array, or an iterable of batches (a list of arrays, a
        generator, a ``PyDataset``; the ``x`` of ``(x, y)`` batches is used).
        Builds the layer if needed.  Only for a layer without given ``mean``
        and ``variance``.
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization {self.name!r} was given `mean` and `variance`; adapt() would "
                             "overwrite nothing. Create the layer without them to adapt it.")
        if hasattr(data, "__array__") or isinstance(data, numbers.Number):
            batches = [numpy.asarray(data)]
        elif hasattr(data, "__iter__"):
            batches = (numpy.asarray(batch[0] if isinstance(batch, tuple) else batch) for batch in data)
        else:
            raise TypeError(f"Normalization.adapt: `data` must be an array or an iterable of batches; received "
                            f"{type(data).__name__}.")
        mean = variance = None
        total = 0
        for batch in batches:
            self._check_adapt_batch(batch)
            count = math.prod(batch.shape[a] for a in self._reduced_axes)
            batch_mean = numpy.mean(batch, axis=self._reduced_axes, dtype=numpy.float64)
            batch_variance = numpy.var(batch, axis=self._reduced_axes, dtype=numpy.float64)
            if mean is None:
                mean, variance, total = batch_mean, batch_variance, count
                continue
            # Merge with the batches so far: exact mean and biased variance of their union.
            total += count
            weight = count / total
            new_mean = mean * (1 - weight) + batch_mean * weight
            variance = ((variance + (mean - new_mean) ** 2) * (1 - weight)
                        + (batch_variance + (batch_mean - new_mean) ** 2) * weight)
            mean = new_mean
        if mean is None:
            raise ValueError("Normalization.adapt: `data` holds no batches.")
        self.adapt_mean.assign(mean)
        self.adapt_variance.assign(variance)

    def _check_adapt_batch(self, batch):
        """Build on the first batch; refuse batches whose rank or kept sizes differ from the build's."""
        if batch.dtype.kind not in "iuf" or batch.ndim == 0:
            raise ValueError(f"Normalization.adapt: batches must be arrays of numbers with at least one axis; "
                             f"received {batch.dtype} of shape {batch.shape}.")
        if not self.built:
            kept, _ = self._axes_for(batch.shape)
            self._build_for(tuple(d if a in kept else None for a, d in enumerate(batch.shape)))
        if batch.ndim != len(self._broadcast_shape) or any(
                batch.shape[a] != self._broadcast_shape[a] for a in self._kept_axes):
            raise ValueError(f"Normalization {self.name!r} was built for input shape {self._build_input_shape}; "
                             f"adapt() received a batch of shape {batch.shape}.")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        mean = None if self.input_mean is None else _plain(self.input_mean)
        variance = None if self.input_variance is None else _plain(self.input_variance)
        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert, "mean": mean,
                "variance": variance}
