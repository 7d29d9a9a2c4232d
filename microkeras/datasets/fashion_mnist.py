"""Fashion-MNIST: 70,000 28x28 grayscale images of 10 kinds of clothing (60,000 train, 10,000 test).

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal,
6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot. Same four gzipped IDX files as
``keras.datasets.fashion_mnist``, cached under ``datasets/fashion-mnist``.
Keras gives no hash for them, so instead each file's IDX header (magic
number and sizes) is checked before use. Fashion-MNIST is (c) Zalando SE, MIT
license.
"""

import gzip
import os

import numpy as np

from microkeras.datasets.sources import KERAS_DATASETS_URL
from microkeras.utils.file_utils import get_file

CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
_LABELS_MAGIC, _IMAGES_MAGIC = 2049, 2051  # IDX: unsigned bytes, 1 or 3 dimensions


def load_data():
    """Load Fashion-MNIST.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: uint8 arrays (N, 28, 28), pixels 0..255; ``y_*``: uint8 arrays (N,), labels 0..9;
        N is 60,000 for train and 10,000 for test.
    """
    paths = [get_file(name, origin=KERAS_DATASETS_URL + name, cache_subdir=CACHE_SUBDIR) for name in FILES]
    y_train, x_train, y_test, x_test = (_read_idx(path) for path in paths)
    for images, labels, path in ((x_train, y_train, paths[1]), (x_test, y_test, paths[3])):
        if len(images) != len(labels):
            raise ValueError(f"{path} holds {len(images)} images for {len(labels)} labels; delete the "
                             "Fashion-MNIST files and download them again.")
    return (x_train, y_train), (x_test, y_test)


def _read_idx(path):
    """The uint8 array of a gzipped IDX file, after checking its header against its size."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    ndim = {_LABELS_MAGIC: 1, _IMAGES_MAGIC: 3}.get(magic)
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim or 0))
    offset = 4 + 4 * len(shape)
    if ndim is None or len(data) - offset != int(np.prod(shape)):
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic number {magic}, "
                         f"{len(data)} bytes); delete it and download it again.")
    return np.frombuffer(data, np.uint8, offset=offset).reshape(shape).copy()  # writable, unlike a buffer view
