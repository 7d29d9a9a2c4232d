"""What Keras's dataset loaders share: where files come from, ``test_split``, the seeded shuffle and split."""

import numbers

import numpy as np

# Keras 3 downloads most of its datasets from this bucket (keras/src/datasets/*.py).
KERAS_DATASETS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def check_test_split(test_split, where):
    """``test_split`` as a float in [0, 1), or ``ValueError`` naming it (checked before any download)."""
    if isinstance(test_split, bool) or not isinstance(test_split, numbers.Real) or not 0 <= test_split < 1:
        raise ValueError(f"{where}: `test_split` must be a float in [0, 1), the fraction of samples kept for "
                         f"testing; received test_split={test_split!r}.")
    return float(test_split)


def shuffled_orders(seed, *lengths):
    """The orders Keras's loaders shuffle samples into: one ``RandomState(seed)`` shuffles
    ``arange(length)`` for each length in turn (NumPy's legacy generator, so splits match Keras's)."""
    rng = np.random.RandomState(seed)
    orders = [np.arange(length) for length in lengths]
    for order in orders:
        rng.shuffle(order)
    return orders


def train_size(length, test_split):
    """How many of ``length`` shuffled samples go to training: ``int(length * (1 - test_split))``, as in Keras."""
    return int(length * (1 - test_split))


def load_shuffled_split(path, test_split, seed, limit=None):
    """``x``/``y`` of the ``.npz`` at ``path`` (its first ``limit`` rows), shuffled with ``seed``, then
    ``(x_train, y_train), (x_test, y_test)`` with the last ``test_split`` of the rows in test."""
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"][:limit], f["y"][:limit]
    (order,) = shuffled_orders(seed, len(x))
    x, y = x[order], y[order]
    n = train_size(len(x), test_split)
    return (x[:n], y[:n]), (x[n:], y[n:])
