"""Keras's ``backend`` helpers that scripts reach for (``from keras import backend as K``).

Only the backend-independent ones exist here: microkeras has one backend,
numpy with autograd.
"""

from microkeras.config import epsilon, floatx, set_random_seed
from microkeras.utils.naming import clear_session


def backend():
    """The name of the backend: ``'numpy'``."""
    return "numpy"


def image_data_format():
    """``'channels_last'``, Keras's default layout."""
    return "channels_last"


__all__ = ["backend", "clear_session", "epsilon", "floatx", "image_data_format", "set_random_seed"]
