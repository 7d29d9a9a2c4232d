"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax.

Layers around the functions of :mod:`microkeras.activations`, with Keras 3's
arguments and defaults (``keras/src/layers/activations/``).  PReLU alone has
a weight: its learned negative slope ``alpha``.
"""

import numbers
import warnings

import autograd.numpy as np
import numpy
from autograd.tracer import getval

from microkeras import activations, constraints, initializers, regularizers
from microkeras.ops import core as core_ops, nn as nn_ops
from microkeras.layers.layer import Layer


def _non_negative(layer, argument, value):
    """``value`` as a float >= 0, or a ValueError naming the layer and argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{layer}: `{argument}` must be a float >= 0; received {argument}={value!r}.")
    return float(value)


class _Elementwise(Layer):
    """An activation layer: the output has the input's shape (and the input's mask)."""

    supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """Rectified linear unit with Keras 3's options.

    ``x`` where ``x > threshold`` (capped at ``max_value`` if given), and
    ``negative_slope * (x - threshold)`` elsewhere: ``ReLU()`` is
    ``max(x, 0)``, ``ReLU(max_value=6)`` is relu6.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _non_negative("ReLU", "max_value", max_value)
        self.negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _non_negative("ReLU", "threshold", threshold)

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise (Keras 3's default slope, 0.3).

    Keras 2's name for the slope, ``alpha``, is accepted with a warning, as Keras 3 does.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated; use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope: ``x`` for ``x > 0``, ``alpha * x`` otherwise.

    ``alpha`` has the shape of one sample, except along ``shared_axes``
    (axes of the input, 1 being the first after the batch), where one slope
    serves the whole axis: ``shared_axes=[1, 2]`` gives one slope per channel
    of an image.  It starts at 0 (``alpha_initializer='zeros'``).
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is not None:
            shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in shared_axes):
                raise TypeError(f"PReLU: `shared_axes` must be an int or a list of ints; received "
                                f"shared_axes={shared_axes!r}.")
            shared_axes = [int(a) for a in shared_axes]
        self.shared_axes = shared_axes

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"PReLU {self.name!r}: shared axis {axis} is not an axis of a sample of input shape "
                                 f"{tuple(input_shape)} (axes 1 to {len(input_shape) - 1}); received "
                                 f"shared_axes={self.shared_axes}.")
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(f"PReLU {self.name!r} needs a known size on every axis not in `shared_axes`; received "
                             f"input shape {tuple(input_shape)} and shared_axes={self.shared_axes}.")
        self.alpha = self.add_weight(shape=tuple(shape), initializer=self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)

    def call(self, inputs):
        # Keras's form: relu(x) - alpha * relu(-x).
        return nn_ops.relu(inputs) - self.alpha * nn_ops.relu(-inputs)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint), "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x >= 0``, ``alpha * (exp(x) - 1)`` below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise ValueError(f"ELU: `alpha` must be a float; received alpha={alpha!r}.")
        self.alpha = float(alpha)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        # Keras 3's ELU leaves `alpha` out of its config (so a reloaded layer has alpha=1); it belongs in it.
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int, or a list of ints for a joint softmax).

    Over the last axis the output carries its logits, so a crossentropy loss
    after it computes from the logits (see :func:`microkeras.activations.softmax`).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes):
            raise TypeError(f"Softmax: `axis` must be an int or a list of ints; received axis={axis!r}.")
        self.axis = [int(a) for a in axes] if isinstance(axis, (list, tuple)) else int(axis)

    def build(self, input_shape):
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -rank <= a < rank for a in axes):
            raise ValueError(f"Softmax {self.name!r}: axis={self.axis} is out of range for input shape "
                             f"{tuple(input_shape)} (rank {rank}).")
        self._axes = tuple(sorted({a % rank for a in axes}))

    def call(self, inputs, mask=None):
        if mask is not None:  # masked positions get no probability (Keras 3: -1e9 before, 0 after)
            # Products with a float32 0/1 mask, not np.where (whose gradient autograd computes in float64).
            keep = _mask_like(self, inputs, mask).astype(numpy.float32)
            return self._softmax(inputs * keep + (1.0 - keep) * numpy.float32(-1e9)) * keep
        return self._softmax(inputs)

    def _softmax(self, inputs):
        if len(self._axes) == 1:
            axis = self._axes[0]
            return activations.softmax(inputs, axis=-1 if axis == len(inputs.shape) - 1 else axis)
        # A joint softmax over several axes; the shift by the maximum is a constant, so exp cannot overflow.
        shifted = inputs - np.max(core_ops.stop_gradient(inputs), axis=self._axes, keepdims=True)
        exponentials = np.exp(shifted)
        return exponentials / np.sum(exponentials, axis=self._axes, keepdims=True)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _mask_like(layer, inputs, mask):
    """``mask`` as a boolean array that broadcasts against ``inputs`` (Keras 3's rule: values > 0.5
    are kept; trailing dimensions are 1 or match), or ``ValueError`` naming the layer and the shapes."""
    mask = numpy.asarray(getval(mask))
    mask = mask if mask.dtype == bool else mask > 0.5
    shape = numpy.shape(inputs)
    fits = mask.ndim <= len(shape) and all(m in (1, i) for m, i in zip(mask.shape[::-1], shape[::-1]))
    if not fits:
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}): the mask of shape {mask.shape} does "
                         f"not broadcast against the inputs of shape {shape}; each mask dimension must be 1 or "
                         "match the input's.")
    return mask
