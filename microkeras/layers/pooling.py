"""Pooling layers: MaxPooling1D/2D, AveragePooling1D/2D and their global versions.

The windowed ones call :func:`microkeras.ops.max_pool` and
:func:`microkeras.ops.average_pool`, whose gradients are hand-written (float32,
one cell per window for max); the global ones reduce over the spatial axes,
max through :func:`microkeras.ops.max` (autograd's ``np.max`` would compute its
gradient in float64).  Keras 3's arguments, defaults and config keys;
``data_format='channels_first'`` works too.
"""

import math

import numpy

import autograd.numpy as np

from microkeras.ops import numpy as numpy_ops, pooling as pooling_ops
from microkeras.masking import check_mask_shape
from microkeras.layers.reshaping import SpatialLayer
from microkeras.ops.pooling import pooled_length
from microkeras.utils.argument_checks import standardize_padding, standardize_tuple

_REQUIRED = object()


class _Pooling(SpatialLayer):
    """Keras's ``BasePooling``: a subclass sets ``rank``, ``pool`` (the op) and ``default_pool_size``."""

    pool = None
    default_pool_size = _REQUIRED

    def __init__(self, pool_size=None, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        where = type(self).__name__
        if pool_size is None:
            if self.default_pool_size is _REQUIRED:
                raise ValueError(f"{where}: `pool_size` is required (an int or a tuple of {self.rank} ints).")
            pool_size = self.default_pool_size
        self.pool_size = standardize_tuple(pool_size, self.rank, "pool_size", where)
        self.strides = self.pool_size if strides is None else standardize_tuple(strides, self.rank, "strides", where)
        self.padding = standardize_padding(padding, where)

    def output_length(self, i, length, input_shape):
        out = pooled_length(length, self.pool_size[i], self.strides[i], self.padding)
        if out < 1:
            raise ValueError(f"{self.describe()}: pool_size {self.pool_size} with strides {self.strides} and "
                             f"padding 'valid' does not fit inputs of shape {input_shape}: the output would be "
                             "empty. Use a smaller pool or padding='same'.")
        return out

    def call(self, inputs):
        return self.pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "padding": self.padding,
                "strides": list(self.strides), "data_format": self.data_format}


class MaxPooling1D(_Pooling):
    """Max over windows of steps: ``MaxPooling1D(pool_size=2, strides=None, padding='valid', data_format=None)``.

    ``(batch, steps, channels)`` -> ``(batch, pooled_steps, channels)``; ``strides=None``
    means ``pool_size``; ``valid`` gives ``floor((steps - pool) / stride) + 1``
    steps, ``same`` gives ``ceil(steps / stride)``.
    """

    rank, pool, default_pool_size = 1, staticmethod(pooling_ops.max_pool), 2


class MaxPooling2D(_Pooling):
    """Max over windows: ``MaxPooling2D(pool_size=(2, 2), strides=None, padding='valid', data_format=None)``.

    ``(batch, height, width, channels)`` -> ``(batch, pooled_height, pooled_width,
    channels)``, each axis as in :class:`MaxPooling1D`.
    """

    rank, pool, default_pool_size = 2, staticmethod(pooling_ops.max_pool), (2, 2)


class AveragePooling1D(_Pooling):
    """Mean over windows of steps: ``AveragePooling1D(pool_size, strides=None, padding='valid',
    data_format=None)``; ``pool_size`` is required, as in Keras.  With ``same`` padding a
    window's mean is over its real (unpadded) cells."""

    rank, pool = 1, staticmethod(pooling_ops.average_pool)


class AveragePooling2D(_Pooling):
    """Mean over windows: ``AveragePooling2D(pool_size, strides=None, padding='valid',
    data_format=None)``; shapes as :class:`MaxPooling2D`, padding as :class:`AveragePooling1D`."""

    rank, pool = 2, staticmethod(pooling_ops.average_pool)


class _GlobalPooling(SpatialLayer):
    """Keras's ``BaseGlobalPooling``: reduces the spatial axes; a subclass sets ``rank`` and ``reduce``."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape):
        shape = self.checked_shape(input_shape)
        spatial = self.spatial_axes()
        if self.keepdims:
            return tuple(1 if axis in spatial else d for axis, d in enumerate(shape))
        return tuple(d for axis, d in enumerate(shape) if axis not in spatial)

    def call(self, inputs):
        return self.reduce(inputs, self.spatial_axes(), self.keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class _GlobalAveragePooling(_GlobalPooling):
    @staticmethod
    def reduce(inputs, axes, keepdims):
        # sum / a Python int: np.mean's VJP divides by a numpy int and runs in float64.
        return np.sum(inputs, axis=axes, keepdims=keepdims) / math.prod(inputs.shape[a] for a in axes)


class _GlobalMaxPooling(_GlobalPooling):
    reduce = staticmethod(numpy_ops.max)


class GlobalAveragePooling1D(_GlobalAveragePooling):
    """Mean over the steps: ``(batch, steps, channels)`` -> ``(batch, channels)``
    (``(batch, 1, channels)`` with ``keepdims=True``).

    With a mask (``Embedding(mask_zero=True)`` before it), the mean runs over
    the steps that count, as in Keras 3; the output has no mask.
    """

    rank = 1
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = 1 if self.data_format == "channels_last" else 2
        check_mask_shape(self, inputs, mask, steps_axis)
        weights = numpy.expand_dims(numpy.asarray(mask, numpy.float32), 2 if steps_axis == 1 else 1)
        return (np.sum(inputs * weights, axis=steps_axis, keepdims=self.keepdims)
                / numpy.sum(weights, axis=steps_axis, keepdims=self.keepdims))

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalAveragePooling):
    """Mean over height and width: ``(batch, height, width, channels)`` -> ``(batch, channels)``
    (``(batch, 1, 1, channels)`` with ``keepdims=True``)."""

    rank = 2


class GlobalMaxPooling1D(_GlobalMaxPooling):
    """Max over the steps: ``(batch, steps, channels)`` -> ``(batch, channels)``; the gradient is
    shared among tied maxima, as in Keras."""

    rank = 1


class GlobalMaxPooling2D(_GlobalMaxPooling):
    """Max over height and width: ``(batch, height, width, channels)`` -> ``(batch, channels)``;
    the gradient is shared among tied maxima, as in Keras."""

    rank = 2


# Keras's aliases.
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
