"""Utilities: seeding, label encoding, the progress bar."""

from microkeras.config import set_random_seed
from microkeras.utils.naming import clear_session
from microkeras.utils.data_utils import unpack_x_y_sample_weight
from microkeras.utils.numerical_utils import normalize, to_categorical
from microkeras.utils.progbar import Progbar
from microkeras.utils.sequence import PyDataset, Sequence

__all__ = ["Progbar", "PyDataset", "Sequence", "clear_session", "normalize", "set_random_seed", "to_categorical",
           "unpack_x_y_sample_weight"]
