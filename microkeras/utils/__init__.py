"""Utilities, as in ``keras.utils``: seeding, label encoding, padding, data and file helpers, plots.

Plotting is optional: ``plot_model`` needs pydot and Graphviz, ``plot_history``
matplotlib, ``array_to_img`` Pillow; each is imported only when called.
"""

from microkeras.config import set_random_seed
from microkeras.saving.object_registration import (CustomObjectScope, custom_object_scope, get_registered_name,
                                                   get_registered_object, register_keras_serializable)
from microkeras.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from microkeras.utils.dataset_utils import split_dataset
from microkeras.utils.file_utils import get_file
from microkeras.utils.history_plot import plot_history
from microkeras.utils.image_utils import array_to_img, img_to_array
from microkeras.utils.model_visualization import model_to_dot, plot_model
from microkeras.utils.naming import clear_session
from microkeras.utils.numerical_utils import normalize, to_categorical
from microkeras.utils.progbar import Progbar
from microkeras.utils.sequence import PyDataset, Sequence
from microkeras.utils.sequence_padding import pad_sequences
from microkeras.utils.timeseries import timeseries_dataset_from_array

__all__ = ["CustomObjectScope", "Progbar", "PyDataset", "Sequence", "array_to_img", "clear_session",
           "custom_object_scope", "get_file", "get_registered_name", "get_registered_object", "img_to_array",
           "model_to_dot", "normalize", "pack_x_y_sample_weight", "pad_sequences", "plot_history", "plot_model",
           "register_keras_serializable", "set_random_seed", "split_dataset", "timeseries_dataset_from_array",
           "to_categorical", "unpack_x_y_sample_weight"]
