"""microkeras: the Keras workflow on numpy, with gradients derived by autograd.

>>> from microkeras.models import Sequential
>>> from microkeras.layers import Dense, Activation
"""

__version__ = "0.1.0"

from microkeras import (activations, backend, callbacks, config, constraints, datasets,  # noqa: E402
                        initializers, layers, losses, metrics, models, ops, optimizers, regularizers, utils)
from microkeras.layers import Input  # noqa: E402
from microkeras.models import Sequential  # noqa: E402

__all__ = ["Input", "Sequential", "activations", "backend", "callbacks", "config", "constraints", "datasets",
           "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "regularizers",
           "utils"]
