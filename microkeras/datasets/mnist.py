"""MNIST: 70,000 28x28 grayscale handwritten digits (60,000 train, 10,000 test).

Same file and hash as ``keras.datasets.mnist``; downloaded once into the
Keras cache (see :func:`microkeras.utils.get_file`). MNIST is by Yann LeCun
and Corinna Cortes, derived from NIST data, under CC BY-SA 3.0.
"""

import numpy as np

from microkeras.datasets.sources import KERAS_DATASETS_URL
from microkeras.utils.file_utils import get_file

ORIGIN = KERAS_DATASETS_URL + "mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Load MNIST.

    Parameters
    ----------
    path : str
        File name in the cache (``~/.keras/datasets`` or ``$KERAS_HOME/datasets``).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: uint8 arrays (N, 28, 28), pixels 0..255; ``y_*``: uint8 arrays (N,), digits 0..9;
        N is 60,000 for train and 10,000 for test.
    """
    with np.load(get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH), allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
