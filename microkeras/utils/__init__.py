"""Utilities: seeding, label encoding, the progress bar."""

from microkeras.config import set_random_seed
from microkeras.layers.layer import clear_session
from microkeras.utils.numerical_utils import normalize, to_categorical
from microkeras.utils.progbar import Progbar

__all__ = ["Progbar", "clear_session", "normalize", "set_random_seed", "to_categorical"]
