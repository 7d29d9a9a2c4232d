"""Reading the CIFAR-10 and CIFAR-100 "python version" batches without unpickling arbitrary objects.

Keras downloads the python version of CIFAR (``cifar-10-python.tar.gz``,
``cifar-100-python.tar.gz``), whose hashes it pins. Its batches are Python 2
pickles of a dict with ``data`` (a uint8 array, one 3x32x32 image per row),
the labels as a list of ints, and names as bytes. They are read with
:class:`~microkeras.datasets.safe_pickle.ArrayOnlyUnpickler` (numpy arrays and
plain data only) and then checked for exactly that shape of content. The
binary version of CIFAR would need no pickle, but it is another file with
another hash than Keras's, so a cache shared with Keras would not serve it.
"""

import numpy as np

from microkeras.datasets.safe_pickle import load_pickle

IMAGE_SIZE = 3 * 32 * 32


def load_batch(path, label_key="labels"):
    """``(images, labels)`` of one CIFAR batch file: uint8 (N, 3, 32, 32) and uint8 (N,)."""
    with open(path, "rb") as f:
        content = load_pickle(f, encoding="bytes")
    if not isinstance(content, dict):
        raise ValueError(f"{path} is not a CIFAR batch: it holds a {type(content).__name__}, not a dict.")
    content = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in content.items()}
    data, labels = content.get("data"), content.get(label_key)
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != IMAGE_SIZE or labels is None:
        raise ValueError(f"{path} is not a CIFAR batch: expected a uint8 'data' array of rows of {IMAGE_SIZE} "
                         f"pixels and a {label_key!r} list.")
    labels = np.asarray(labels)
    if labels.shape != (len(data),) or labels.dtype.kind not in "iu" or labels.min(initial=0) < 0 \
            or labels.max(initial=0) > 255:
        raise ValueError(f"{path} is not a CIFAR batch: {label_key!r} must hold one small integer per image.")
    return data.astype(np.uint8).reshape(len(data), 3, 32, 32), labels.astype(np.uint8)


def to_keras_layout(x_train, y_train, x_test, y_test):
    """Images channels-last (N, 32, 32, 3) and labels as (N, 1) columns, as Keras returns them."""
    return ((x_train.transpose(0, 2, 3, 1), y_train.reshape(-1, 1)),
            (x_test.transpose(0, 2, 3, 1), y_test.reshape(-1, 1)))
