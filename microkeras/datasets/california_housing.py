"""California housing prices: 20,640 census block groups, 8 features, the median house value in $.

Features: MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup,
Latitude, Longitude (1990 US census, via StatLib). Same file and hash as
``keras.datasets.california_housing``.
"""

from microkeras.datasets.sources import KERAS_DATASETS_URL, check_test_split, load_shuffled_split
from microkeras.utils.argument_checks import one_of
from microkeras.utils.file_utils import get_file

ORIGIN = KERAS_DATASETS_URL + "california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
VERSIONS = ("small", "large")
SMALL_SIZE = 600


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Load the California housing data, shuffled with ``seed`` then split (the last ``test_split`` to test).

    Parameters
    ----------
    version : {'large', 'small'}
        All 20,640 rows, or the first 600 (a small stand-in for ``boston_housing``).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: arrays (N, 8); ``y_*``: arrays (N,), prices in dollars (dtypes as stored in the file).
    """
    if version not in VERSIONS:
        raise ValueError(f"california_housing.load_data: `version` must be {one_of(VERSIONS)}; "
                         f"received version={version!r}.")
    test_split = check_test_split(test_split, "california_housing.load_data")
    limit = SMALL_SIZE if version == "small" else None
    return load_shuffled_split(get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH), test_split, seed, limit)
