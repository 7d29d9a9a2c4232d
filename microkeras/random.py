"""Random draws, as Keras 3's ``keras.random``: normal, uniform, randint, truncated_normal, dropout, shuffle, ...

Every function takes ``seed``, with Keras's meanings:

- ``None``: draw from the package-wide generator, so
  :func:`microkeras.utils.set_random_seed` makes a script reproducible (the
  source initializers and unseeded ``Dropout`` layers use too);
- an ``int``: a fixed draw -- the same seed gives the same values every call;
- a :class:`SeedGenerator`: its own generator, which moves on with each call
  (what a custom layer keeps to get new noise each step, reproducibly).

Draws come from numpy's ``Generator``; the numbers differ from Keras's
backends, the semantics do not.  Float results are ``float32`` unless
``dtype`` says otherwise.  The results are constants for autograd, except
that :func:`dropout` and :func:`shuffle` are traced through their ``inputs``.
"""

import numbers

import autograd.numpy as anp
import numpy

from microkeras import config
from microkeras.ops.array_primitives import take

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint", "shuffle",
           "truncated_normal", "uniform"]


class SeedGenerator:
    """A seeded source of random draws, passed as ``seed=`` to the functions of this module.

    Parameters
    ----------
    seed : int, optional
        Without one, the seed is drawn from the global generator (so
        :func:`microkeras.utils.set_random_seed` still fixes it).
    name : str, optional
        Defaults to ``'seed_generator'``.

    >>> from microkeras import random
    >>> generator = random.SeedGenerator(42)
    >>> a = random.normal((2, 3), seed=generator)
    >>> b = random.normal((2, 3), seed=generator)  # different from a; the same on every run
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)  # Keras's backend choice; microkeras has one
        if kwargs:
            raise TypeError(f"SeedGenerator() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
            raise ValueError(f"SeedGenerator: `seed` must be a non-negative integer or None; received seed={seed!r}.")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"SeedGenerator: `name` must be a string or None; received name={name!r}.")
        self._initial_seed = None if seed is None else int(seed)
        self.name = "seed_generator" if name is None else name
        self._rng = config.make_rng(self._initial_seed)

    def next(self):
        """A new integer seed drawn from this generator (it moves on)."""
        return int(self._rng.integers(2**63))

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} seed={self._initial_seed}>"


def _generator(seed, caller):
    """The numpy ``Generator`` a ``seed`` argument stands for."""
    if seed is None:
        return config.global_rng()
    if isinstance(seed, SeedGenerator):
        return seed._rng
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return numpy.random.default_rng(int(seed) % 2**64)  # Keras takes any int, negative ones too
    raise ValueError(f"{caller}: `seed` must be None, an int or a SeedGenerator; received "
                     f"{type(seed).__name__} {seed!r}.")


def _shape(shape, caller):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        shape = None
    if shape is None or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0 for n in shape):
        raise ValueError(f"{caller}: `shape` must be a tuple of non-negative ints; received {shape!r}.")
    return tuple(int(n) for n in shape)


def _dtype(dtype, caller, kinds="f"):
    try:
        resolved = numpy.dtype(config.floatx() if dtype is None else dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind not in kinds:
        expected = "a float dtype such as 'float32'" if kinds == "f" else "an integer dtype such as 'int32'"
        raise ValueError(f"{caller}: `dtype` must be {expected}; received dtype={dtype!r}.")
    return resolved


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of a normal distribution with ``mean`` and standard deviation ``stddev``."""
    shape, dtype = _shape(shape, "normal"), _dtype(dtype, "normal")
    values = _generator(seed, "normal").standard_normal(shape, dtype=numpy.float32)
    return (values * numpy.float32(stddev) + numpy.float32(mean)).astype(dtype, copy=False)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of a uniform distribution on ``[minval, maxval)``."""
    shape, dtype = _shape(shape, "uniform"), _dtype(dtype, "uniform")
    values = _generator(seed, "uniform").random(shape, dtype=numpy.float32)
    return (values * numpy.float32(maxval - minval) + numpy.float32(minval)).astype(dtype, copy=False)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``."""
    shape, dtype = _shape(shape, "randint"), _dtype(dtype, "randint", kinds="iu")
    return _generator(seed, "randint").integers(minval, maxval, size=shape).astype(dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples restricted to within two standard deviations of ``mean`` (others are drawn again)."""
    shape, dtype = _shape(shape, "truncated_normal"), _dtype(dtype, "truncated_normal")
    rng = _generator(seed, "truncated_normal")
    values = rng.standard_normal(shape, dtype=numpy.float32)
    outside = numpy.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()), dtype=numpy.float32)
        outside = numpy.abs(values) > 2.0
    return (values * numpy.float32(stddev) + numpy.float32(mean)).astype(dtype, copy=False)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with a fraction ``rate`` of entries zeroed and the rest scaled by ``1 / (1 - rate)``.

    ``noise_shape`` (broadcastable to the input's shape, ``None`` entries
    taking the input's size) shapes the mask, as in the ``Dropout`` layer.
    Traced through ``inputs``; the mask is a constant.
    """
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"dropout: `rate` must be a float in [0, 1); received rate={rate!r}.")
    shape = anp.shape(inputs)
    if noise_shape is not None:
        noise_shape = tuple(noise_shape)
        if len(noise_shape) != len(shape):
            raise ValueError(f"dropout: `noise_shape` must have one entry per input axis ({len(shape)}); "
                             f"received noise_shape={noise_shape}.")
        shape = tuple(n if m is None else int(m) for n, m in zip(shape, noise_shape))
    keep = _generator(seed, "dropout").random(shape, dtype=numpy.float32) >= rate
    return inputs * (keep * numpy.float32(1.0 / (1.0 - rate)))


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order (traced through ``x``)."""
    ndim = anp.ndim(x)
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) or not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"shuffle: `axis` must be an int in [-{ndim}, {ndim}); received axis={axis!r}.")
    order = _generator(seed, "shuffle").permutation(anp.shape(x)[axis])
    return take(x, order, axis=axis % max(ndim, 1))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class indices drawn from ``softmax(logits)``: ``(batch, classes)`` logits give ``(batch, num_samples)``."""
    logits = numpy.asarray(getattr(logits, "_value", logits), dtype=numpy.float64)
    if logits.ndim != 2:
        raise ValueError(f"categorical: `logits` must have shape (batch, classes); received shape {logits.shape}.")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) or num_samples < 0:
        raise ValueError(f"categorical: `num_samples` must be a non-negative int; received {num_samples!r}.")
    dtype = _dtype(dtype, "categorical", kinds="iu")
    probabilities = numpy.exp(logits - logits.max(axis=1, keepdims=True))
    cumulative = numpy.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    draws = _generator(seed, "categorical").random((logits.shape[0], int(num_samples)))
    # The first class whose cumulative probability exceeds the draw.
    indices = (draws[:, :, None] >= cumulative[:, None, :]).sum(axis=-1)
    return numpy.minimum(indices, logits.shape[1] - 1).astype(dtype)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of a gamma distribution with shape parameter ``alpha`` (scale 1)."""
    shape, dtype = _shape(shape, "gamma"), _dtype(dtype, "gamma")
    return _generator(seed, "gamma").standard_gamma(alpha, size=shape).astype(dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Number of successes in ``counts`` trials of probability ``probabilities`` (as floats)."""
    shape, dtype = _shape(shape, "binomial"), _dtype(dtype, "binomial")
    return _generator(seed, "binomial").binomial(counts, probabilities, size=shape).astype(dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of a beta distribution with parameters ``alpha`` and ``beta``."""
    shape, dtype = _shape(shape, "beta"), _dtype(dtype, "beta")
    return _generator(seed, "beta").beta(alpha, beta, size=shape).astype(dtype)
