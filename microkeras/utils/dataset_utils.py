"""``split_dataset``: arrays cut into a left part and a right part (train / test), as ``keras.utils`` does.

Keras 3 returns ``tf.data`` (or torch) datasets; microkeras returns the
samples in the structure they came in (one array, or a tuple, list or dict of
arrays of one length), ready for ``fit``. Sizes, their checks and the seeded
shuffle follow Keras (``keras/src/utils/dataset_utils.py``): the left part is
the first ``left_size`` samples, the right part the last ``right_size``.
"""

import random

import numpy as np


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split ``dataset`` into ``(left, right)``.

    Parameters
    ----------
    dataset : array, or tuple/list/dict of arrays of one length
    left_size, right_size : int or float, optional
        A count of samples, or a fraction in (0, 1). One may be None: it is then
        the rest. At least one must be given.
    shuffle : bool
        Shuffle the samples first (Python's ``random`` seeded with ``seed``, so
        the order is Keras's for the same seed).
    seed : int, optional
        Seed of the shuffle; a random one if None.

    Returns
    -------
    left, right
        Each in the structure of ``dataset``.
    """
    arrays, rebuild = _flatten(dataset)
    total = len(arrays[0])
    left, right = _split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    order = np.asarray(order, dtype=np.int64)
    left_order, right_order = order[:left], order[total - right:]
    return (rebuild([array[left_order] for array in arrays]),
            rebuild([array[right_order] for array in arrays]))


def _flatten(dataset):
    if isinstance(dataset, dict):
        keys = list(dataset)
        arrays, rebuild = [np.asarray(dataset[key]) for key in keys], lambda parts: dict(zip(keys, parts))
    elif isinstance(dataset, (tuple, list)):
        kind = type(dataset)
        arrays, rebuild = [np.asarray(part) for part in dataset], lambda parts: kind(parts)
    else:
        arrays, rebuild = [np.asarray(dataset)], lambda parts: parts[0]
    if not arrays or any(array.ndim == 0 for array in arrays):
        raise TypeError(f"split_dataset: `dataset` must be an array or a tuple, list or dict of arrays; "
                        f"received {type(dataset).__name__}.")
    lengths = sorted({len(array) for array in arrays})
    if len(lengths) > 1:
        raise ValueError(f"split_dataset: the arrays of `dataset` must have one length; received lengths {lengths}.")
    return arrays, rebuild


def _split_sizes(left_size, right_size, total):
    """``(left, right)`` sample counts from the given sizes, with Keras's checks."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"split_dataset: `{name}` must be an int, a float or None; "
                            f"received {name}={size!r} ({type(size).__name__}).")
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: give `left_size` or `right_size` (or both); received None for both.")
    counts = {}
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            continue
        if (type(size) is int and not 0 < size < total) or (type(size) is float and not 0 < size < 1):
            raise ValueError(f"split_dataset: `{name}` must be a count between 1 and {total - 1} or a fraction "
                             f"in (0, 1); received {name}={size!r}.")
        counts[name] = round(size * total) if type(size) is float else size
    left = counts.get("left_size", total - counts.get("right_size", 0))
    right = counts.get("right_size", total - left)
    if left + right > total:
        raise ValueError(f"split_dataset: left_size and right_size make {left} + {right} samples, more than the "
                         f"{total} of `dataset`.")
    if left == 0 or right == 0:
        raise ValueError(f"split_dataset: with {total} samples, left_size={left_size} and right_size={right_size} "
                         "leave one part empty.")
    return left, right
