"""Keras weight initializers: objects that make a starting array for a given shape.

``initializer(shape, dtype=None)`` returns a plain numpy array of
``config.floatx()`` (float32) unless ``dtype`` says otherwise.  Random draws
come from ``config.make_rng(seed)`` when the initializer has a ``seed`` (the
same values on every call, as in Keras), else from ``config.global_rng()`` so
``config.set_random_seed`` makes a whole model reproducible.

This module also holds the identifier helpers (:func:`lookup`,
:func:`serialize_object`) that ``regularizers`` and ``constraints`` share.
"""

import inspect
import math

import numpy

from microkeras import config
from microkeras.saving.object_registration import get_registered_name, get_registered_object

# ---------------------------------------------------------------- identifiers


def lookup(identifier, registry, kind):
    """Turn a Keras-style identifier into an object of one family.

    Parameters
    ----------
    identifier : None, str, dict, class or callable
        ``None`` gives ``None``; a name in ``registry`` gives a default
        instance; a ``{'class_name', 'config'}`` dict gives
        ``from_config(config)``; a class gives an instance; any other
        callable (an instance or a function) is returned unchanged.
    registry : dict
        Name -> class (or zero-argument factory).
    kind : str
        The family's argument name for error messages, e.g. ``'initializer'``.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        name, settings = identifier.get("class_name"), identifier.get("config") or {}
        if name == "function":  # Keras's form for a plain function: config is its name
            return _registered(settings, registry, kind)()
        # A custom class: from `custom_objects` of the load or registration, never imported.
        factory = get_registered_object(identifier.get("registered_name") or name)
        if not inspect.isclass(factory):
            factory = _registered(name, registry, kind)
        return factory.from_config(settings) if inspect.isclass(factory) else factory(**settings)
    if isinstance(identifier, str):
        return _registered(identifier, registry, kind)()
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(
        f"`{kind}` must be a name, a config dict, a class or a callable; "
        f"received {identifier!r} of type {type(identifier).__name__}."
    )


def _registered(name, registry, kind):
    if name not in registry:
        expected = ", ".join(repr(n) for n in sorted(registry) if n.islower())
        raise ValueError(
            f"Unknown `{kind}`: {name!r}. Expected one of: {expected} (or their class names)."
        )
    return registry[name]


def serialize_object(obj, module):
    """Return Keras's ``{'module', 'class_name', 'config', 'registered_name'}`` dict for ``obj``.

    ``None`` stays ``None``; a plain function gives Keras's
    ``{'class_name': 'function', 'config': name}`` form.  ``module`` is the
    family's Keras path (``'keras.initializers'``), written for microkeras's
    own classes; a custom class keeps its module and registered name.
    """
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        cls = type(obj)
        own = cls.__module__.split(".")[0] == "microkeras"
        return {"module": module if own else cls.__module__, "class_name": cls.__name__,
                "config": obj.get_config(), "registered_name": None if own else get_registered_name(cls)}
    if hasattr(obj, "__name__"):
        return {"module": obj.__module__, "class_name": "function", "config": obj.__name__,
                "registered_name": get_registered_name(obj)}
    raise TypeError(f"Cannot serialize {obj!r}: it has neither `get_config()` nor a `__name__`.")


# ---------------------------------------------------------------- base classes


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns a new array."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self):
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild an initializer from :meth:`get_config` output."""
        return cls(**config)


def _cast(values, dtype):
    return numpy.asarray(values, dtype=dtype or config.floatx())


class RandomInitializer(Initializer):
    """Base for initializers that draw random numbers; ``seed`` fixes the draw."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer))):
            raise ValueError(f"`seed` must be an integer or None; received seed={seed!r}.")
        self.seed = seed

    def _rng(self):
        return config.global_rng() if self.seed is None else config.make_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(rng, shape, mean, stddev):
    """Normal draws, with any beyond two standard deviations drawn again."""
    values = rng.normal(mean, stddev, size=shape)
    outside = numpy.abs(values - mean) > 2.0 * stddev
    while outside.any():
        values[outside] = rng.normal(mean, stddev, size=int(outside.sum()))
        outside = numpy.abs(values - mean) > 2.0 * stddev
    return values


# ---------------------------------------------------------------- constants


class Zeros(Initializer):
    """All zeros (Keras's default bias initializer)."""

    def __call__(self, shape, dtype=None):
        return numpy.zeros(shape, dtype=dtype or config.floatx())


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return numpy.ones(shape, dtype=dtype or config.floatx())


class Constant(Initializer):
    """Every entry equal to the scalar ``value``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return numpy.full(shape, self.value, dtype=dtype or config.floatx())

    def get_config(self):
        return {"value": self.value}


class Identity(Initializer):
    """``gain`` times the identity matrix; 2-D shapes only (may be rectangular)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape; received shape={tuple(shape)}.")
        return _cast(self.gain * numpy.eye(*shape), dtype)

    def get_config(self):
        return {"gain": self.gain}


# ---------------------------------------------------------------- random draws


class RandomNormal(RandomInitializer):
    """Draws from N(mean, stddev**2)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _cast(self._rng().normal(self.mean, self.stddev, size=shape), dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomNormal):
    """Like :class:`RandomNormal`, but values beyond two ``stddev`` are drawn again."""

    def __call__(self, shape, dtype=None):
        return _cast(_truncated_normal(self._rng(), shape, self.mean, self.stddev), dtype)


class RandomUniform(RandomInitializer):
    """Draws from U[minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _cast(self._rng().uniform(self.minval, self.maxval, size=shape), dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def compute_fans(shape):
    """Return Keras's ``(fan_in, fan_out)`` for a weight shape.

    A kernel ``(..., in, out)`` of rank > 2 (a convolution) multiplies both by
    its receptive field size ``prod(shape[:-2])``; rank 1 uses ``shape[0]`` for
    both and rank 0 uses 1.
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling(RandomInitializer):
    """Draws with variance ``scale / n``, ``n`` the fan chosen by ``mode``.

    ``mode`` is ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'`` (their mean).
    ``distribution='truncated_normal'`` (alias ``'normal'``) draws a normal
    truncated at two standard deviations whose spread, after truncation, is
    ``sqrt(scale / n)``; ``'untruncated_normal'`` a plain normal;
    ``'uniform'`` U(-L, L) with ``L = sqrt(3 * scale / n)``.
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")
    # Standard deviation of a unit normal truncated at +-2; dividing by it
    # restores the requested spread after truncation.
    _TRUNCATED_STDDEV = 0.87962566103423978

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if not scale > 0.0:
            raise ValueError(f"`scale` must be a positive float; received scale={scale!r}.")
        if mode not in self._MODES:
            raise ValueError(f"`mode` must be one of {self._MODES}; received mode={mode!r}.")
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"`distribution` must be one of {self._DISTRIBUTIONS}; "
                f"received distribution={distribution!r}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), size=shape)
        else:
            values = _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / self._TRUNCATED_STDDEV)
        return _cast(values, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, **super().get_config()}


class _VarianceScalingPreset(VarianceScaling):
    """A named VarianceScaling whose only argument is ``seed``."""

    _PRESET = None  # (scale, mode, distribution)

    def __init__(self, seed=None):
        super().__init__(*self._PRESET, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_VarianceScalingPreset):
    """U(-L, L) with ``L = sqrt(6 / (fan_in + fan_out))``; Keras's default kernel initializer."""

    _PRESET = (1.0, "fan_avg", "uniform")


class GlorotNormal(_VarianceScalingPreset):
    """Truncated normal with spread ``sqrt(2 / (fan_in + fan_out))``."""

    _PRESET = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_VarianceScalingPreset):
    """U(-L, L) with ``L = sqrt(6 / fan_in)``; suits ReLU layers."""

    _PRESET = (2.0, "fan_in", "uniform")


class HeNormal(_VarianceScalingPreset):
    """Truncated normal with spread ``sqrt(2 / fan_in)``; suits ReLU layers."""

    _PRESET = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_VarianceScalingPreset):
    """U(-L, L) with ``L = sqrt(3 / fan_in)``."""

    _PRESET = (1.0, "fan_in", "uniform")


class LecunNormal(_VarianceScalingPreset):
    """Truncated normal with spread ``sqrt(1 / fan_in)``; pairs with ``selu``."""

    _PRESET = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """``gain`` times a random orthogonal matrix (Saxe et al., 2014).

    The shape is treated as a ``(prod(shape[:-1]), shape[-1])`` matrix whose
    rows or columns, whichever are fewer, are orthonormal; Keras's default
    recurrent-kernel initializer.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank >= 2; received shape={shape}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        q, r = numpy.linalg.qr(self._rng().normal(size=(max(rows, cols), min(rows, cols))))
        q = q * numpy.sign(numpy.diag(r))  # makes the draw uniform over orthogonal matrices
        if rows < cols:
            q = q.T
        return _cast(self.gain * q.reshape(shape), dtype)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal

_REGISTRY = {
    "zeros": Zeros, "zero": Zeros,
    "ones": Ones, "one": Ones,
    "constant": Constant,
    "identity": Identity,
    "random_normal": RandomNormal, "normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "random_uniform": RandomUniform, "uniform": RandomUniform,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
}
_REGISTRY.update({cls.__name__: cls for cls in set(_REGISTRY.values())})
_REGISTRY.update(IdentityInitializer=Identity, OrthogonalInitializer=Orthogonal)


def get(identifier):
    """Resolve what a user passed as ``kernel_initializer=`` and the like.

    Accepts a name (``'glorot_uniform'``, ``'GlorotUniform'``, ``'zeros'``, ...),
    a :func:`serialize` dict, a class, an instance or any callable
    ``f(shape, dtype=None)``; ``None`` gives ``None``.
    """
    return lookup(identifier, _REGISTRY, "initializer")


def serialize(initializer):
    """Return ``{'module', 'class_name', 'config'}`` for an initializer instance."""
    return serialize_object(initializer, "keras.initializers")


def deserialize(config):
    """Rebuild an initializer from :func:`serialize` output (or a name)."""
    return get(config)
