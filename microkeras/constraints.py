"""Keras weight constraints: projections applied to a weight after each optimizer step.

``constraint(w)`` takes a concrete array (never a traced one) and returns a
new float32 array; nothing is differentiated here, so this is plain numpy.
For a Dense kernel ``(input_dim, units)`` the default ``axis=0`` constrains
the incoming weight vector of each unit.
"""

import numpy

from microkeras import config
from microkeras.initializers import lookup, serialize_object


def _norms(w, axis):
    """L2 norms of ``w`` along ``axis`` (an int or a list of ints), kept for broadcasting."""
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return numpy.sqrt(numpy.sum(numpy.square(w), axis=axis, keepdims=True))


def _rescale(w, norms, desired):
    """``w`` scaled so each norm moves to ``desired`` (epsilon guards all-zero vectors)."""
    return w * (desired / (config.epsilon() + norms))


def _as_float(w):
    return numpy.asarray(w, dtype=config.floatx())


class Constraint:
    """Base class: ``__call__(w)`` returns the projected weight (``w`` itself here)."""

    def __call__(self, w):
        return w

    def get_config(self):
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild a constraint from :meth:`get_config` output."""
        return cls(**config)


class MaxNorm(Constraint):
    """Scales down each weight vector whose L2 norm exceeds ``max_value``.

    ``w * clip(norm, 0, max_value) / (epsilon + norm)``.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _as_float(w)
        norms = _norms(w, self.axis)
        return _rescale(w, norms, numpy.clip(norms, 0.0, self.max_value))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to 0."""

    def __call__(self, w):
        return numpy.maximum(_as_float(w), 0.0)


class UnitNorm(Constraint):
    """Scales each weight vector to unit L2 norm: ``w / (epsilon + norm)``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _as_float(w)
        return w / (config.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each weight vector's norm towards ``[min_value, max_value]``.

    The new norm is ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``;
    ``rate=1`` enforces the bounds strictly, smaller rates approach them gradually.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _as_float(w)
        norms = _norms(w, self.axis)
        desired = self.rate * numpy.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return _rescale(w, norms, desired)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_REGISTRY = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}
_REGISTRY.update({cls.__name__: cls for cls in (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)})


def get(identifier):
    """Resolve what a user passed as ``kernel_constraint=`` and the like.

    Accepts ``'max_norm'``, ``'non_neg'``, ``'unit_norm'``, ``'min_max_norm'``,
    class names, a :func:`serialize` dict, a class, an instance or any callable
    ``f(w)``; ``None`` gives ``None``.
    """
    return lookup(identifier, _REGISTRY, "constraint")


def serialize(constraint):
    """Return ``{'module', 'class_name', 'config'}`` for a constraint instance."""
    return serialize_object(constraint, "keras.constraints")


def deserialize(config):
    """Rebuild a constraint from :func:`serialize` output (or a name)."""
    return get(config)
