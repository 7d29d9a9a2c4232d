"""Global settings: numerics, the random-number source, and the safe mode of loading.

microkeras computes in ``float32`` end to end and uses Keras's fuzz factor
``epsilon() == 1e-7``.  Every random draw in the package (initializers,
shuffles, dropout masks) comes from a ``numpy.random.Generator`` handed out by
:func:`make_rng`, so :func:`set_random_seed` makes two runs bit-identical.
Loading a config or a file runs no code unless
:func:`enable_unsafe_deserialization` was called (see ``microkeras.saving``).
"""

import random

import numpy

_FLOATX = "float32"
_EPSILON = 1e-7
_SAFE_MODE = True
_global_rng = numpy.random.default_rng()


def floatx():
    """Return the default float dtype name, ``'float32'``."""
    return _FLOATX


def epsilon():
    """Return the fuzz factor used in numeric expressions (Keras: ``1e-7``)."""
    return _EPSILON


def set_random_seed(seed):
    """Seed every random source microkeras uses (and Python's and NumPy's legacy ones).

    Parameters
    ----------
    seed : int
        A non-negative integer.  After ``set_random_seed(s)`` the same script
        produces the same weights, shuffles and dropout masks.
    """
    global _global_rng
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"set_random_seed: `seed` must be a non-negative integer; received {seed!r}.")
    random.seed(int(seed))
    numpy.random.seed(int(seed) % 2**32)
    _global_rng = numpy.random.default_rng(int(seed))


def global_rng():
    """Return the package-wide generator (reset by :func:`set_random_seed`)."""
    return _global_rng


def make_rng(seed=None):
    """Return a new ``numpy.random.Generator``.

    With ``seed=None`` the seed is drawn from the global generator, so objects
    created after :func:`set_random_seed` are reproducible; an int gives a
    generator that depends on that seed only (Keras's per-layer ``seed=``).
    """
    if seed is None:
        seed = int(_global_rng.integers(2**63))
    return numpy.random.default_rng(seed)


def enable_unsafe_deserialization():
    """Let every later load run code from configs and files: Python lambdas saved as bytecode, and
    functions of any module (Keras 3's switch).  Call it only for sources you trust; a single load
    can instead pass ``safe_mode=False``."""
    global _SAFE_MODE
    _SAFE_MODE = False


def is_safe_mode():
    """Whether loads refuse code by default (True unless :func:`enable_unsafe_deserialization` was called)."""
    return _SAFE_MODE
