"""``timeseries_dataset_from_array``: sliding windows over a series, in batches ``fit`` can read.

Keras 3 returns a ``tf.data`` (or grain) dataset; microkeras returns a
:class:`~microkeras.utils.PyDataset` with the same windows, targets and
checks (``keras/src/utils/timeseries_dataset_utils.py``), so ``fit``,
``evaluate``, ``predict`` and a ``for batch in dataset`` loop work unchanged.
"""

import math
import numbers

import numpy as np

from microkeras.utils.sequence import PyDataset


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1, batch_size=128,
                                  shuffle=False, seed=None, start_index=None, end_index=None):
    """Windows of ``sequence_length`` steps over ``data`` (and each window's target), batched.

    Window ``i`` starts at step ``start_index + p`` with ``p = i * sequence_stride``
    and takes every ``sampling_rate``-th step; its target is ``targets[start_index + p]``.

    Parameters
    ----------
    data : array (steps, ...)
    targets : array or None
        One target per step of ``data``; None for windows alone (e.g. for ``predict``).
    sequence_length : int
        Steps per window.
    sequence_stride : int
        Steps between the starts of two windows.
    sampling_rate : int
        Take one step in ``sampling_rate`` within a window.
    batch_size : int or None
        Windows per batch; None yields single windows.
    shuffle : bool
        Shuffle the windows (NumPy's ``RandomState(seed)``, as Keras shuffles their starts).
    seed : int, optional
    start_index, end_index : int, optional
        Use only the steps ``data[start_index:end_index]``.

    Returns
    -------
    PyDataset
        Items are ``(windows, targets)``, or ``windows`` when ``targets`` is None.
    """
    data = np.asarray(data)
    length = len(data)
    sequence_length = _positive_int(sequence_length, "sequence_length")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if _positive_int(value, name) >= length:
            raise ValueError(f"timeseries_dataset_from_array: `{name}` must be lower than the length of the data "
                             f"({length}); received {name}={value}.")
    if batch_size is not None:
        _positive_int(batch_size, "batch_size")
    start = 0 if start_index is None else _int(start_index, "start_index")
    end = length if end_index is None else _int(end_index, "end_index")
    if not 0 <= start < length:
        raise ValueError(f"timeseries_dataset_from_array: `start_index` must be in [0, {length}) for data of "
                         f"length {length}; received start_index={start_index}.")
    if end_index is not None and not start < end < length:
        raise ValueError(f"timeseries_dataset_from_array: `end_index` must be above start_index={start} and below "
                         f"the length of the data ({length}); received end_index={end_index}.")
    if targets is not None:
        targets = np.asarray(targets)

    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    starts = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(starts)
    return TimeseriesWindows(data[start:end], None if targets is None else targets[start:end], starts,
                             sequence_length, sampling_rate, batch_size)


class TimeseriesWindows(PyDataset):
    """The batches of :func:`timeseries_dataset_from_array`: windows gathered from ``steps`` on demand."""

    def __init__(self, steps, targets, starts, sequence_length, sampling_rate, batch_size):
        super().__init__()
        self.steps, self.targets, self.starts = steps, targets, starts
        self.offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size

    def __len__(self):
        if self.batch_size is None:
            return len(self.starts)
        return math.ceil(len(self.starts) / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} is out of range for a dataset of {len(self)} batches.")
        if self.batch_size is None:
            starts = self.starts[index]
        else:
            starts = self.starts[index * self.batch_size:(index + 1) * self.batch_size]
        windows = self.steps[np.asarray(starts)[..., None] + self.offsets]
        return windows if self.targets is None else (windows, self.targets[starts])


def _int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"timeseries_dataset_from_array: `{name}` must be an integer; received {name}={value!r}.")
    return int(value)


def _positive_int(value, name):
    if _int(value, name) <= 0:
        raise ValueError(f"timeseries_dataset_from_array: `{name}` must be a positive integer; "
                         f"received {name}={value!r}.")
    return int(value)
