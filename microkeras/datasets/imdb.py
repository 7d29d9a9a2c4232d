"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled positive (1) or negative (0).

Each review is a list of word indices ranked by frequency (see
:mod:`microkeras.datasets.word_sequences` for what the arguments do). Same
files and hashes as ``keras.datasets.imdb``; the ragged sequences are read
without unpickling code (see :mod:`microkeras.datasets.safe_pickle`). Source:
Maas et al. (2011), ai.stanford.edu/~amaas/data/sentiment.
"""

import numpy as np

from microkeras.datasets import word_sequences
from microkeras.datasets.safe_pickle import load_npz
from microkeras.datasets.sources import KERAS_DATASETS_URL, shuffled_orders
from microkeras.utils.file_utils import get_file

ORIGIN = KERAS_DATASETS_URL + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = KERAS_DATASETS_URL + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """Load the IMDB reviews as word-index sequences.

    Parameters
    ----------
    path : str
        File name in the cache (``~/.keras/datasets``).
    num_words : int, optional
        Keep indices below ``num_words`` (the most frequent words); others become ``oov_char``.
    skip_top : int
        Indices below ``skip_top`` become ``oov_char`` too.
    maxlen : int, optional
        Drop the reviews of ``maxlen`` or more indices (``start_char`` included).
    seed : int
        Seed of the shuffle of each split (Keras's, so the order matches Keras's).
    start_char : int, optional
        Index put at the start of every review.
    oov_char : int, optional
        Index of the words cut by ``num_words``/``skip_top``; None drops them instead.
    index_from : int
        Shift of every word rank (the lower indices are reserved).
    **kwargs
        Accepted and ignored, as Keras does (it once took ``nb_words`` here).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: 1-D object arrays of lists of ints; ``y_*``: int arrays of 0/1 labels.
    """
    word_sequences.check_arguments("imdb.load_data", num_words, skip_top, maxlen, seed, start_char, oov_char,
                                   index_from)
    f = load_npz(get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH))
    splits = []
    parts = ((f["x_train"], f["y_train"]), (f["x_test"], f["y_test"]))
    orders = shuffled_orders(seed, *(len(x) for x, _ in parts))
    for (x, y), order in zip(parts, orders):
        x = word_sequences.shift(x[order], start_char, index_from)
        splits.append(word_sequences.drop_long(maxlen, x, y[order]))
    (x_train, y_train), (x_test, y_test) = splits
    if maxlen and (not x_train or not x_test):
        raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}; increase maxlen.")
    xs = word_sequences.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    n = len(x_train)
    return ((word_sequences.as_object_array(xs[:n]), labels[:n]),
            (word_sequences.as_object_array(xs[n:]), labels[n:]))


def get_word_index(path="imdb_word_index.json"):
    """``{word: rank}`` for the IMDB reviews; in loaded data a word's index is ``rank + index_from``."""
    return word_sequences.load_word_index(path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH)
