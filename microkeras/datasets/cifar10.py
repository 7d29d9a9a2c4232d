"""CIFAR-10: 60,000 32x32 colour images in 10 classes (50,000 train, 10,000 test).

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog,
7 horse, 8 ship, 9 truck. Same archive and hash as ``keras.datasets.cifar10``
(the python version from www.cs.toronto.edu/~kriz/cifar.html), read without
unpickling code (see :mod:`microkeras.datasets.cifar`).
"""

import os

import numpy as np

from microkeras.datasets.cifar import load_batch, to_keras_layout
from microkeras.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
FOLDER = "cifar-10-batches-py-target"  # Keras's extraction folder in the cache


def load_data():
    """Load CIFAR-10.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: uint8 arrays (N, 32, 32, 3) (channels last), pixels 0..255;
        ``y_*``: uint8 arrays (N, 1), labels 0..9; N is 50,000 for train and 10,000 for test.
    """
    folder = os.path.join(get_file(fname=FOLDER, origin=ORIGIN, extract=True, file_hash=FILE_HASH),
                          "cifar-10-batches-py")
    batches = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([images for images, _ in batches])
    y_train = np.concatenate([labels for _, labels in batches])
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    return to_keras_layout(x_train, y_train, x_test, y_test)
