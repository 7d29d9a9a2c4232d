"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization.

The first three standardize their input by a mean and a biased variance --
of the batch for each feature, of each sample, of each group of channels --
and then scale it by a learned ``gamma`` and shift it by a learned ``beta``
(Keras 3: ``keras/src/layers/normalization/``).  The statistics and their
gradient come from one primitive, :func:`microkeras.ops.standardize` (its
masked twin :func:`microkeras.ops.standardize_masked` for a BatchNormalization
given a mask), whose backward pass stays in float32.  UnitNormalization
divides by the L2 norm.
"""

import numbers

import autograd.numpy as np
import numpy
from autograd.tracer import getval

from microkeras import config, constraints, initializers, ops, regularizers
from microkeras.ops.core import stop_gradient
from microkeras.layers.layer import Layer
from microkeras.utils.argument_checks import check_float


def _check_axes(class_name, axis, allow_list=True):
    """``axis`` (an int, or a list of ints when allowed) as a list of ints, or a TypeError naming the class."""
    axes = list(axis) if allow_list and isinstance(axis, (list, tuple)) else [axis]
    if not axes or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes):
        expected = "an int or a list of ints" if allow_list else "an int"
        raise TypeError(f"{class_name}: `axis` must be {expected}; received axis={axis!r}.")
    return [int(a) for a in axes]


def _resolve_axes(layer, axes, input_shape, need_size=True):
    """``axes`` as sorted non-negative axes of ``input_shape``; raise naming the layer and the shape
    when one is out of range or (with ``need_size``) has an unknown size."""
    rank = len(input_shape)
    for axis in axes:
        if not -rank <= axis < rank:
            raise ValueError(f"{type(layer).__name__} {layer.name!r}: axis {axis} is out of range for input "
                             f"shape {input_shape} (rank {rank}); received axis={layer.axis!r}.")
        if need_size and input_shape[axis] is None:
            raise ValueError(f"{type(layer).__name__} {layer.name!r} needs a known size on axis {axis} to create "
                             f"its weights; received input shape {input_shape}.")
    return sorted({axis % rank for axis in axes})


def _feature_broadcast_shape(input_shape, axes):
    """The shape that lines a weight of shape ``[input_shape[a] for a in axes]`` up with the input
    (None when plain broadcasting already does: the last axis alone)."""
    if axes == [len(input_shape) - 1]:
        return None
    return tuple(input_shape[a] if a in axes else 1 for a in range(len(input_shape)))


class _ScaledNormalization(Layer):
    """What BatchNormalization, LayerNormalization and GroupNormalization share: ``epsilon``,
    and an optional learned scale ``gamma`` and offset ``beta`` per normalized feature."""

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                 gamma_regularizer, beta_constraint, gamma_constraint, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = check_float(epsilon, "epsilon", type(self).__name__)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self._broadcast_shape = None

    def _add_gamma_and_beta(self, shape):
        """Create ``gamma`` then ``beta`` (Keras's order), as ``scale`` and ``center`` ask."""
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)

    def _aligned(self, weight):
        """A per-feature weight shaped to broadcast against the input."""
        return weight if self._broadcast_shape is None else np.reshape(weight, self._broadcast_shape)

    def _scale_and_shift(self, normalized):
        if self.scale:
            normalized = normalized * self._aligned(self.gamma)
        if self.center:
            normalized = normalized + self._aligned(self.beta)
        return normalized

    def compute_output_shape(self, input_shape):
        _resolve_axes(self, _check_axes(type(self).__name__, self.axis), input_shape, need_size=False)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}


class BatchNormalization(_ScaledNormalization):
    """Normalizes each feature by the batch's statistics while training, by moving averages otherwise.

    With ``training`` (as in ``fit``) and a trainable layer, the output is
    ``(x - mean) / sqrt(variance + epsilon) * gamma + beta`` with the mean
    and biased variance of the batch over every axis but ``axis``, and the
    moving statistics become ``moving * momentum + batch * (1 - momentum)``.
    Otherwise -- ``predict``, ``evaluate``, and also ``fit`` once
    ``trainable`` is False (Keras 3's rule for fine-tuning) -- the moving
    statistics stand in for the batch's and nothing is updated.

    A mask from an earlier layer (``Embedding(mask_zero=True)``,
    ``Masking``), of one dimension less than the input, leaves the masked
    positions out of the batch's statistics while training (Keras 3:
    ``sum(mask * x) / (count + 1e-7)`` for the mean, likewise the
    variance), so padding moves neither the output of the other positions
    nor the moving statistics; every position is normalized, and the
    output keeps the mask.  Inference uses the moving statistics, mask or
    not.

    Weights, in order: ``gamma``, ``beta`` (trainable, of shape
    ``(input_shape[axis],)``; present if ``scale`` / ``center``), then
    ``moving_mean`` and ``moving_variance`` (non-trainable).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        (self.axis,) = _check_axes("BatchNormalization", axis, allow_list=False)
        self.momentum = check_float(momentum, "momentum", "BatchNormalization", maximum=1.0)
        if renorm or renorm_clipping is not None or synchronized:
            raise ValueError("BatchNormalization: `renorm`, `renorm_clipping` and `synchronized` are not supported "
                             f"by microkeras; received renorm={renorm!r}, renorm_clipping={renorm_clipping!r}, "
                             f"synchronized={synchronized!r}.")
        self.renorm_momentum = check_float(renorm_momentum, "renorm_momentum", "BatchNormalization", maximum=1.0)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        (axis,) = _resolve_axes(self, [self.axis], input_shape)
        self._reduction_axes = tuple(a for a in range(len(input_shape)) if a != axis)
        self._broadcast_shape = _feature_broadcast_shape(input_shape, [axis])
        shape = (input_shape[axis],)
        self._add_gamma_and_beta(shape)
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer, trainable=False,
                                           name="moving_mean")
        self.moving_variance = self.add_weight(shape=shape, initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")

    def call(self, inputs, training=None, mask=None):
        if training and self.trainable:
            if mask is None:
                normalized, mean, variance = ops.standardize(inputs, self._reduction_axes, self.epsilon)
            else:  # the mask as 0/1 weights in the input's dtype, broadcast over the last axis
                weights = (self._checked_mask(inputs, mask) != 0)[..., None].astype(getval(inputs).dtype)
                normalized, mean, variance = ops.standardize_masked(inputs, weights, self._reduction_axes,
                                                                    self.epsilon, config.epsilon())
            self._update(self.moving_mean, mean)
            self._update(self.moving_variance, variance)
            return self._scale_and_shift(normalized)
        if mask is not None:  # unused in inference, but checked as in training
            self._checked_mask(inputs, mask)
        # x * inv + (beta - moving_mean * inv), with inv = gamma / sqrt(moving_variance + epsilon), as Keras computes it.
        inv = 1.0 / np.sqrt(self.moving_variance + self.epsilon)
        if self.scale:
            inv = inv * self.gamma
        shift = -self.moving_mean * inv
        if self.center:
            shift = shift + self.beta
        return inputs * self._aligned(inv) + self._aligned(shift)

    def _checked_mask(self, inputs, mask):
        """``mask`` as a concrete array, or a ValueError naming the layer and both shapes unless it has one
        dimension less than ``inputs`` and broadcasts against them along their last axis."""
        mask = numpy.asarray(getval(mask))
        shape = numpy.shape(inputs)
        try:
            fits = mask.ndim == len(shape) - 1 and numpy.broadcast_shapes(mask.shape + (1,), shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"BatchNormalization {self.name!r} received a mask of shape {mask.shape} for inputs of "
                             f"shape {shape}; the mask must have one dimension less than the inputs, one entry per "
                             "position of all their axes but the last.")
        return mask

    def _update(self, moving, batch):
        """``moving = moving * momentum + batch * (1 - momentum)``, written after the step (not differentiated)."""
        moving.assign(stop_gradient(moving) * self.momentum + batch.reshape(moving.shape) * (1.0 - self.momentum))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "synchronized": False, "renorm": False, "renorm_clipping": None,
                "renorm_momentum": self.renorm_momentum}


class LayerNormalization(_ScaledNormalization):
    """Normalizes each sample over ``axis`` (the features, by default) by its own mean and variance.

    Output ``(x - mean) / sqrt(variance + epsilon) * gamma + beta``, the same
    in training and inference; ``gamma`` and ``beta`` have the shape of the
    normalized axes.  ``axis`` is an int or a list of ints.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, rms_scaling=False, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        _check_axes("LayerNormalization", axis)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        if rms_scaling:
            raise ValueError("LayerNormalization: `rms_scaling=True` is deprecated in Keras 3 and not supported "
                             "by microkeras; received rms_scaling=True.")

    def build(self, input_shape):
        axes = _resolve_axes(self, _check_axes("LayerNormalization", self.axis), input_shape)
        self._axes = tuple(axes)
        self._broadcast_shape = _feature_broadcast_shape(input_shape, axes)
        self._add_gamma_and_beta(tuple(input_shape[a] for a in axes))

    def call(self, inputs):
        normalized, _, _ = ops.standardize(inputs, self._axes, self.epsilon)
        return self._scale_and_shift(normalized)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "rms_scaling": False}


class GroupNormalization(_ScaledNormalization):
    """Splits the channels (``axis``) into ``groups`` and normalizes each group of each sample.

    The statistics of a group are taken over its channels and every other
    non-batch axis; ``gamma`` and ``beta`` are per channel.  ``groups=-1``
    makes one group per channel (instance normalization).  The number of
    channels must be a multiple of ``groups``.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups <= 0 and groups != -1:
            raise ValueError("GroupNormalization: `groups` must be a positive integer, or -1 for one group per "
                             f"channel; received groups={groups!r}.")
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        self.groups = int(groups)
        (self.axis,) = _check_axes("GroupNormalization", axis, allow_list=False)

    def build(self, input_shape):
        (axis,) = _resolve_axes(self, [self.axis], input_shape)
        channels = input_shape[axis]
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise ValueError(f"GroupNormalization {self.name!r}: the {channels} channels of input shape "
                             f"{input_shape} (axis {self.axis}) cannot be split into groups={self.groups} equal "
                             "groups; the number of channels must be a multiple of `groups`.")
        self._axis, self._groups = axis, groups
        self._broadcast_shape = _feature_broadcast_shape(input_shape, [axis])
        self._add_gamma_and_beta((channels,))

    def call(self, inputs):
        shape, axis = inputs.shape, self._axis
        grouped = np.reshape(inputs, shape[:axis] + (self._groups, shape[axis] // self._groups) + shape[axis + 1:])
        # Statistics over every axis of the grouped array but the batch and the group.
        axes = tuple(a for a in range(1, len(shape) + 1) if a != axis)
        normalized, _, _ = ops.standardize(grouped, axes, self.epsilon)
        return self._scale_and_shift(np.reshape(normalized, shape))

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis}


class UnitNormalization(Layer):
    """Divides each sample by its L2 norm over ``axis`` (an int or a list of ints), so it has norm 1.

    As in Keras, ``x * min(1 / sqrt(sum(x ** 2)), 1e12)``: an all-zero slice stays zero.
    """

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        _check_axes("UnitNormalization", axis)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)

    def build(self, input_shape):
        self._axes = tuple(_resolve_axes(self, _check_axes("UnitNormalization", self.axis), input_shape,
                                         need_size=False))

    def call(self, inputs):
        squares = np.sum(inputs * inputs, axis=self._axes, keepdims=True)
        # Keras caps 1 / norm at 1e12, i.e. floors sum(x ** 2) at 1e-24; a mask keeps the backward pass float32.
        squares = squares + (1e-24 - squares) * (squares < 1e-24)
        return inputs * (1.0 / np.sqrt(squares))

    def compute_output_shape(self, input_shape):
        _resolve_axes(self, _check_axes("UnitNormalization", self.axis), input_shape, need_size=False)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
