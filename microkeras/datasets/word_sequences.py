"""What ``imdb.load_data`` and ``reuters.load_data`` do to their word-index sequences, in Keras 3's order.

The stored sequences hold word ranks (1 = most frequent word). Loading shifts
every rank by ``index_from`` and puts ``start_char`` in front, drops the
sequences of ``maxlen`` words or more (Keras keeps only those strictly
shorter), then replaces the ranks outside ``[skip_top, num_words)`` by
``oov_char`` (or drops them when ``oov_char`` is None). Note that
``skip_top`` and ``num_words`` compare with the shifted indices.
"""

import json
import numbers

import numpy as np

from microkeras.utils.file_utils import get_file


def check_arguments(where, num_words, skip_top, maxlen, seed, start_char, oov_char, index_from):
    """Refuse, before any download, arguments of the wrong kind; each named with what it received."""
    for name, value, optional in (("num_words", num_words, True), ("skip_top", skip_top, False),
                                  ("maxlen", maxlen, True), ("seed", seed, True),
                                  ("start_char", start_char, True), ("oov_char", oov_char, True),
                                  ("index_from", index_from, False)):
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            expected = "a non-negative integer or None" if optional else "a non-negative integer"
            raise ValueError(f"{where}: `{name}` must be {expected}; received {name}={value!r}.")


def shift(sequences, start_char, index_from):
    """Each sequence as a list of ints, ranks shifted by ``index_from``, ``start_char`` first if given."""
    prefix = [start_char] if start_char is not None else []
    return [prefix + [int(word) + index_from for word in sequence] for sequence in sequences]


def drop_long(maxlen, sequences, labels):
    """The sequences shorter than ``maxlen`` and their labels (all of them when ``maxlen`` is None or 0)."""
    if not maxlen:
        return sequences, labels
    kept = [i for i, sequence in enumerate(sequences) if len(sequence) < maxlen]
    return [sequences[i] for i in kept], np.asarray(labels)[kept]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Replace (or, with ``oov_char=None``, drop) the indices outside ``[skip_top, num_words)``."""
    if not num_words:
        num_words = max((max(sequence) for sequence in sequences if sequence), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in sequence] for sequence in sequences]
    return [[w for w in sequence if skip_top <= w < num_words] for sequence in sequences]


def as_object_array(sequences):
    """A 1-D object array of lists, even when all sequences have one length.

    (``numpy.array(lists, dtype=object)``, Keras's way, makes a 2-D array then.)
    """
    array = np.empty(len(sequences), dtype=object)
    array[:] = sequences
    return array


def load_word_index(fname, origin, file_hash):
    """The ``{word: rank}`` dict of a cached word-index JSON file."""
    with open(get_file(fname=fname, origin=origin, file_hash=file_hash), encoding="utf-8") as f:
        return json.load(f)
