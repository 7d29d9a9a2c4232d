"""Regularization layers: ActivityRegularization, GaussianNoise, GaussianDropout, SpatialDropout1D/2D.

Keras 3 keeps these beside ``Dropout`` (``keras/src/layers/regularization/``),
which microkeras keeps in ``layers.core``.  The noise layers act only while
training and are the identity otherwise.  Like ``Dropout``, each draws its
noise from its own generator (:func:`microkeras.config.make_rng`), seeded by
``seed`` or, without one, by the global seed, so
:func:`microkeras.utils.set_random_seed` reproduces a run; the dropout
variants are ``Dropout`` with a fixed mask shape or another noise, and share
its argument checks and generator.
"""

import math
import numbers

import numpy

from microkeras import config, regularizers
from microkeras.layers.core import Dropout
from microkeras.layers.layer import Layer


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1 * sum(|x|) + l2 * sum(x ** 2)`` of it to the loss.

    As for every activity regularizer in Keras 3, the penalty is divided by
    the batch size.
    """

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)  # a config of Keras 2 carries it; l1 and l2 define it here
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = self.activity_regularizer.l1, self.activity_regularizer.l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config_ = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        config_.pop("activity_regularizer", None)
        return config_


class GaussianNoise(Layer):
    """Adds zero-centered Gaussian noise of standard deviation ``stddev`` while training.

    Identity at inference.  ``stddev`` must lie in [0, 1], as in Keras 3.
    """

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, numbers.Real) or not 0 <= stddev <= 1:
            raise ValueError(f"GaussianNoise: `stddev` must be a float between 0 and 1; received stddev={stddev!r}.")
        self.stddev = float(stddev)
        self.seed = seed
        self._rng = config.make_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return inputs + self._rng.standard_normal(inputs.shape, dtype=numpy.float32) * self.stddev

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Dropout):
    """Multiplies the input by Gaussian noise of mean 1 and variance ``rate / (1 - rate)`` while training.

    Identity at inference.  The noise has the variance of the scaled
    Bernoulli mask of ``Dropout(rate)``; ``rate`` must lie in [0, 1).
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, None, seed, **kwargs)
        if self.rate == 1:
            raise ValueError("GaussianDropout: `rate` must be below 1 (the noise's variance rate / (1 - rate) "
                             "would be infinite); received rate=1.")

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * (1.0 + self._rng.standard_normal(inputs.shape, dtype=numpy.float32) * stddev)

    def get_config(self):
        config_ = super().get_config()
        del config_["noise_shape"]
        return config_


class SpatialDropout1D(Dropout):
    """Dropout of whole channels: one mask value per sample and channel of ``(batch, steps, channels)`` inputs.

    Neighbouring steps are strongly correlated in early convolution layers,
    so dropping single values barely regularizes; dropping a channel does.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, (None, 1, None), seed, **kwargs)

    def build(self, input_shape):
        _check_rank(self, input_shape, "(batch, steps, channels)")

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, "(batch, steps, channels)")
        return input_shape

    def get_config(self):
        return _spatial_dropout_config(super().get_config())


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: one mask value per sample and channel of 4D image inputs.

    ``data_format`` is ``'channels_last'`` (the default; ``(batch, rows,
    cols, channels)``) or ``'channels_first'`` (``(batch, channels, rows, cols)``).
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError("SpatialDropout2D: `data_format` must be 'channels_last' or 'channels_first'; "
                             f"received data_format={data_format!r}.")
        self.data_format = data_format or "channels_last"
        channels_last = self.data_format == "channels_last"
        super().__init__(rate, (None, 1, 1, None) if channels_last else (None, None, 1, 1), seed, **kwargs)
        self._layout = "(batch, rows, cols, channels)" if channels_last else "(batch, channels, rows, cols)"

    def build(self, input_shape):
        _check_rank(self, input_shape, self._layout)

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, self._layout)
        return input_shape

    def get_config(self):
        return {**_spatial_dropout_config(super().get_config()), "data_format": self.data_format}


def _check_rank(layer, input_shape, layout):
    """A spatial dropout layer's input must have the rank of its mask."""
    if len(input_shape) != len(layer.noise_shape):
        raise ValueError(f"{type(layer).__name__} {layer.name!r} expects inputs of rank {len(layer.noise_shape)}, "
                         f"{layout}; received input shape {tuple(input_shape)}.")


def _spatial_dropout_config(dropout_config):
    """Keras 3's keys for spatial dropout: the mask shape is fixed, so no noise_shape (and no trainable)."""
    return {key: dropout_config[key] for key in ("rate", "seed", "name", "dtype")}
