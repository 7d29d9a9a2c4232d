"""microkeras: the Keras workflow on numpy, with gradients derived by autograd.

>>> from microkeras.models import Sequential
>>> from microkeras.layers import Dense, Activation
"""

__version__ = "0.1.0"

import microkeras.allocator  # noqa: E402

microkeras.allocator.retain_freed_memory()  # a step's freed buffers stay for the next step

from microkeras import (activations, backend, callbacks, config, constraints, datasets,  # noqa: E402
                        initializers, layers, losses, metrics, models, ops, optimizers, random, regularizers,
                        saving, utils)
from microkeras.gradient_tape import GradientTape  # noqa: E402
from microkeras.layers import Input, Layer  # noqa: E402
from microkeras.models import Model, Sequential  # noqa: E402
from microkeras.variables import Variable  # noqa: E402

__all__ = ["GradientTape", "Input", "Layer", "Model", "Sequential", "Variable", "activations", "backend",
           "callbacks", "config", "constraints", "datasets", "initializers", "layers", "losses", "metrics",
           "models", "ops", "optimizers", "random", "regularizers", "saving", "utils"]
