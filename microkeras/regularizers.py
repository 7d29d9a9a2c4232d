"""Keras weight regularizers: penalties added to the training loss.

``regularizer(w)`` returns a scalar of ``w``'s dtype.  It runs inside the
traced training step, so it is written in ``autograd.numpy`` and keeps a
float32 weight in float32 through the backward pass.
"""

import math

import autograd.numpy as np

from microkeras import config
from microkeras.initializers import lookup, serialize_object


def _factor(value, name):
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative float; received {name}={value!r}.")
    return float(value)


def _l1_penalty(factor, x):
    return factor * np.sum(np.abs(x))


def _l2_penalty(factor, x):
    return factor * np.sum(np.square(x))


class Regularizer:
    """Base class: ``__call__(x)`` returns a scalar penalty (0 here)."""

    def __call__(self, x):
        return np.zeros((), dtype=x.dtype)

    def get_config(self):
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild a regularizer from :meth:`get_config` output."""
        return cls(**config)


class L1(Regularizer):
    """``l1 * sum(|x|)``."""

    def __init__(self, l1=0.01):
        self.l1 = _factor(l1, "l1")

    def __call__(self, x):
        return _l1_penalty(self.l1, x)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x ** 2)`` (no factor 1/2, as in Keras)."""

    def __init__(self, l2=0.01):
        self.l2 = _factor(l2, "l2")

    def __call__(self, x):
        return _l2_penalty(self.l2, x)

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x ** 2)``; a zero factor adds no term."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1")
        self.l2 = _factor(l2, "l2")

    def __call__(self, x):
        penalty = super().__call__(x)
        if self.l1:
            penalty = penalty + _l1_penalty(self.l1, x)
        if self.l2:
            penalty = penalty + _l2_penalty(self.l2, x)
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode='rows'``) or columns of a 2-D kernel towards orthogonality.

    The penalty is ``factor * 0.5 * sum(|P - diag(P)|) / (n (n - 1) / 2)``
    where ``P`` holds the dot products of the L2-normalized rows (columns)
    and ``n`` is their number: ``factor`` times the mean absolute cosine
    between distinct pairs.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f"`mode` must be 'rows' or 'columns'; received mode={mode!r}.")
        self.mode = mode

    def __call__(self, x):
        if len(x.shape) != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D weight; received shape={x.shape}.")
        vectors = x if self.mode == "rows" else np.transpose(x)
        squared_norms = np.sum(np.square(vectors), axis=1, keepdims=True)
        # Floor the squared norm at epsilon (as TF's l2_normalize does) without
        # np.maximum, whose gradient would turn float64.
        floor = config.epsilon()
        squared_norms = squared_norms + (floor - squared_norms) * (squared_norms < floor)
        unit = vectors / np.sqrt(squared_norms)
        n = vectors.shape[0]
        products = np.dot(unit, np.transpose(unit)) * (1.0 - np.eye(n, dtype=unit.dtype))
        return self.factor * 0.5 * np.sum(np.abs(products)) / (n * (n - 1) / 2.0)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


def l1_l2(l1=0.01, l2=0.01):
    """Keras 2's ``l1_l2`` shortcut; note its defaults differ from :class:`L1L2`'s."""
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2
orthogonal_regularizer = OrthogonalRegularizer

_REGISTRY = {
    "l1": L1,
    "l2": L2,
    "l1_l2": l1_l2,
    "orthogonal_regularizer": OrthogonalRegularizer,
    "L1": L1,
    "L2": L2,
    "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
}


def get(identifier):
    """Resolve what a user passed as ``kernel_regularizer=`` and the like.

    Accepts ``'l1'``, ``'l2'``, ``'l1_l2'`` (both factors 0.01, as the Keras
    docs state), ``'orthogonal_regularizer'``, class names, a
    :func:`serialize` dict, a class, an instance or any callable ``f(w)``;
    ``None`` gives ``None``.
    """
    return lookup(identifier, _REGISTRY, "regularizer")


def serialize(regularizer):
    """Return ``{'module', 'class_name', 'config'}`` for a regularizer instance."""
    return serialize_object(regularizer, "keras.regularizers")


def deserialize(config):
    """Rebuild a regularizer from :func:`serialize` output (or a name)."""
    return get(config)
