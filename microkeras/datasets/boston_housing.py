"""Boston housing prices: 506 suburbs, 13 features, the median home value in k$ as target.

Same file and hash as ``keras.datasets.boston_housing`` (StatLib, CMU).
Its feature "B" encodes a racial statistic; Keras discourages using this
dataset except to discuss such problems. ``california_housing`` with
``version='small'`` is the usual replacement.
"""

from microkeras.datasets.sources import KERAS_DATASETS_URL, check_test_split, load_shuffled_split
from microkeras.utils.file_utils import get_file

ORIGIN = KERAS_DATASETS_URL + "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Load the Boston housing data, shuffled with ``seed`` then split (the last ``test_split`` to test).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: float arrays (N, 13); ``y_*``: float arrays (N,), prices in k$.
    """
    test_split = check_test_split(test_split, "boston_housing.load_data")
    return load_shuffled_split(get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH), test_split, seed)

