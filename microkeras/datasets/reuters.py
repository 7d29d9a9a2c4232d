"""Reuters newswires: 11,228 articles labelled with one of 46 topics.

Each newswire is a list of word indices ranked by frequency (see
:mod:`microkeras.datasets.word_sequences` for what the arguments do). Same
files and hashes as ``keras.datasets.reuters``, read without unpickling code
(see :mod:`microkeras.datasets.safe_pickle`). Derived from Reuters-21578.
"""

import numpy as np

from microkeras.datasets import word_sequences
from microkeras.datasets.safe_pickle import load_npz
from microkeras.datasets.sources import KERAS_DATASETS_URL, check_test_split, shuffled_orders, train_size
from microkeras.utils.file_utils import get_file

ORIGIN = KERAS_DATASETS_URL + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = KERAS_DATASETS_URL + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
    "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
    "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
    "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Load the Reuters newswires as word-index sequences, shuffled then split.

    Parameters are those of :func:`microkeras.datasets.imdb.load_data`, plus
    ``test_split``: the fraction of the (shuffled, ``maxlen``-filtered)
    newswires kept for testing, the last ones.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: 1-D object arrays of lists of ints; ``y_*``: int arrays of topics 0..45
        (names in :func:`get_label_names`).
    """
    word_sequences.check_arguments("reuters.load_data", num_words, skip_top, maxlen, seed, start_char, oov_char,
                                   index_from)
    test_split = check_test_split(test_split, "reuters.load_data")
    f = load_npz(get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH))
    (order,) = shuffled_orders(seed, len(f["x"]))
    xs = word_sequences.shift(f["x"][order], start_char, index_from)
    xs, labels = word_sequences.drop_long(maxlen, xs, f["y"][order])
    xs = word_sequences.limit_vocabulary(xs, num_words, skip_top, oov_char)
    n = train_size(len(xs), test_split)
    labels = np.asarray(labels)
    return ((word_sequences.as_object_array(xs[:n]), labels[:n]),
            (word_sequences.as_object_array(xs[n:]), labels[n:]))


def get_word_index(path="reuters_word_index.json"):
    """``{word: rank}`` for the newswires; in loaded data a word's index is ``rank + index_from``."""
    return word_sequences.load_word_index(path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH)


def get_label_names():
    """The 46 topic names, indexed by label (Keras's tuple)."""
    return LABEL_NAMES
