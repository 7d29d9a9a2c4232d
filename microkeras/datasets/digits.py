"""The UCI handwritten digits: 1,797 real 8x8 images, bundled so examples run offline.

Small enough to train a classifier on in seconds, real enough that accuracy means
something. Each image is 8x8 integer pixels in 0..16 (counts of "on" pixels in 4x4
blocks of a 32x32 scan); each label is the digit 0..9.

Source: scikit-learn's copy of the UCI "Optical Recognition of Handwritten Digits"
test set (1,797 samples written by 13 people), CC BY 4.0. Cite as
Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset].
UCI Machine Learning Repository. https://doi.org/10.24432/C50P49
(see ``data/LICENSE-digits.txt``).

The train/test split is fixed and was made once: with ``numpy.random.default_rng(0)``,
for each class 0..9 in turn the indices of its rows were shuffled and the last
``round(0.2 * class_size)`` of them went to test; train and test were then ordered by
original row index. Result: 1,438 training and 359 test samples, every class in both
(35-37 test samples per class).
"""

from importlib import resources

import numpy as np

_DATA_FILE = "digits.npz"


def load_data():
    """Load the bundled digits split, shaped like ``keras.datasets.mnist.load_data()``.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: uint8 arrays of shape (N, 8, 8) with values 0..16;
        ``y_*``: uint8 arrays of shape (N,) with labels 0..9.
        N is 1,438 for train and 359 for test.

    Scale the images with ``x / 16.0`` (not 255) before training, e.g.
    ``x_train.reshape(-1, 64) / 16.0`` for a Dense model.
    """
    source = resources.files(__package__).joinpath("data", _DATA_FILE)
    with source.open("rb") as f, np.load(f) as arrays:
        return ((arrays["x_train"], arrays["y_train"]),
                (arrays["x_test"], arrays["y_test"]))
