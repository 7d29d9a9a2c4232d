"""CIFAR-100: 60,000 32x32 colour images in 100 fine classes grouped in 20 coarse ones.

Same archive and hash as ``keras.datasets.cifar100`` (the python version from
www.cs.toronto.edu/~kriz/cifar.html), read without unpickling code (see
:mod:`microkeras.datasets.cifar`).
"""

import os

from microkeras.datasets.cifar import load_batch, to_keras_layout
from microkeras.utils.argument_checks import one_of
from microkeras.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
FOLDER = "cifar-100-python-target"  # Keras's extraction folder in the cache
LABEL_MODES = ("fine", "coarse")


def load_data(label_mode="fine"):
    """Load CIFAR-100.

    Parameters
    ----------
    label_mode : {'fine', 'coarse'}
        The 100 fine classes (labels 0..99) or the 20 superclasses (0..19).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: uint8 arrays (N, 32, 32, 3) (channels last), pixels 0..255;
        ``y_*``: uint8 arrays (N, 1); N is 50,000 for train and 10,000 for test.
    """
    if label_mode not in LABEL_MODES:
        raise ValueError(f"cifar100.load_data: `label_mode` must be {one_of(LABEL_MODES)}; "
                         f"received label_mode={label_mode!r}.")
    folder = os.path.join(get_file(fname=FOLDER, origin=ORIGIN, extract=True, file_hash=FILE_HASH),
                          "cifar-100-python")
    x_train, y_train = load_batch(os.path.join(folder, "train"), label_key=f"{label_mode}_labels")
    x_test, y_test = load_batch(os.path.join(folder, "test"), label_key=f"{label_mode}_labels")
    return to_keras_layout(x_train, y_train, x_test, y_test)
