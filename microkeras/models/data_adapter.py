"""Turn user data into batches: validation, the validation split, shuffling.

Everything here is plain numpy on concrete arrays; nothing is traced.
"""

import math
import numbers

import numpy

from microkeras import config


def check_array(value, argument, allow_none=False):
    """Return ``value`` as a numeric ndarray (memory maps stay memory maps), or raise naming ``argument``."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"`{argument}` is required; received None.")
    if isinstance(value, (list, tuple)) and len(value) == 1 and hasattr(value[0], "shape"):
        value = value[0]  # a one-element list for a single-input/-output model
    if not isinstance(value, numpy.ndarray):
        try:
            value = numpy.asarray(value)
        except (TypeError, ValueError) as error:
            raise TypeError(f"`{argument}` must be a numpy array or array-like; received "
                            f"{type(value).__name__} ({error}).") from None
    if value.dtype.kind not in "biuf":
        raise TypeError(f"`{argument}` must hold numbers; received an array of dtype {value.dtype}.")
    if value.ndim == 0:
        raise ValueError(f"`{argument}` must have a batch dimension; received a scalar.")
    return value


def check_finite(array, argument):
    """Raise if ``array`` holds NaN or infinity (checked in chunks so memory maps stay cheap)."""
    if array.dtype.kind != "f":
        return
    step = max(1, (1 << 24) // max(1, array[0].size))
    for start in range(0, len(array), step):
        chunk = array[start:start + step]
        if not numpy.isfinite(chunk).all():
            bad = start + int(numpy.flatnonzero(~numpy.isfinite(chunk).reshape(len(chunk), -1).all(axis=1))[0])
            raise ValueError(f"`{argument}` contains NaN or infinite values (first at sample {bad}). "
                             "Clean or impute the data before training.")


def check_lengths(**arrays):
    """Raise unless every non-None array has the same number of samples."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"Data cardinality is ambiguous: {described} samples. "
                         "Make sure all arrays contain the same number of samples.")


def resolve_batch_size(batch_size, argument="batch_size"):
    """Keras's default of 32, or a validated positive int."""
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
        raise ValueError(f"`{argument}` must be a positive integer; received {argument}={batch_size!r}.")
    return int(batch_size)


def train_validation_split(arrays, validation_split):
    """Split arrays into a training head and a validation tail, before any shuffling (Keras's rule).

    ``split_at = floor(n * (1 - validation_split))``; samples ``[split_at:]``
    validate.  Returns two tuples of views (no copies).
    """
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
            or not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be a float in (0, 1); received {validation_split!r}.")
    n = len(arrays[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves "
                         f"{'no training' if split_at == 0 else 'no validation'} data out of {n} samples. "
                         "Use a split that keeps at least one sample on each side.")
    head = tuple(None if a is None else a[:split_at] for a in arrays)
    tail = tuple(None if a is None else a[split_at:] for a in arrays)
    return head, tail


class ArrayBatches:
    """Iterates ``(x, y, sample_weight)`` batches over in-memory or memory-mapped arrays.

    Parameters
    ----------
    x, y, sample_weight : ndarray or None
        Arrays of equal length; ``y`` and ``sample_weight`` may be None.
    batch_size : int
        The last batch of an epoch may be smaller.
    shuffle : bool or 'batch'
        ``True``: a new permutation of the samples each epoch, drawn from
        ``rng``.  ``'batch'``: Keras 2's chunk shuffle -- the order of
        batch-sized chunks is permuted, each chunk stays contiguous (kind to
        HDF5 and memory maps).  ``False``: in order.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, rng=None):
        self.arrays = (x, y, sample_weight)
        self.num_samples = len(x)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = rng if rng is not None else config.global_rng()
        self._buffers = [None, None, None]

    @property
    def num_batches(self):
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self):
        n, size = self.num_samples, self.batch_size
        if self.shuffle is True:
            order = self.rng.permutation(n)
        elif self.shuffle == "batch":
            order = self._chunk_order()
        else:
            order = None
        for start in range(0, n, size):
            if order is None:
                yield tuple(None if a is None else cast(a[start:start + size]) for a in self.arrays)
            else:
                yield self._gather(order[start:start + size])

    def _chunk_order(self):
        n, size = self.num_samples, self.batch_size
        full = n // size
        chunks = self.rng.permutation(full)
        order = (chunks[:, None] * size + numpy.arange(size)).reshape(-1)
        return numpy.concatenate([order, numpy.arange(full * size, n)])

    def _gather(self, indices):
        """Copy the rows ``indices`` of each array into a buffer reused across batches."""
        out = []
        indices = numpy.sort(indices) if isinstance(self.arrays[0], numpy.memmap) else indices
        for i, array in enumerate(self.arrays):
            if array is None:
                out.append(None)
                continue
            buffer = self._buffers[i]
            if buffer is None:
                buffer = numpy.empty((self.batch_size,) + array.shape[1:], dtype=cast_dtype(array.dtype))
                self._buffers[i] = buffer
            view = buffer[:len(indices)]
            if array.dtype == view.dtype and not isinstance(array, numpy.memmap):
                numpy.take(array, indices, axis=0, out=view)
            else:
                view[...] = array[indices]
            out.append(view)
        return tuple(out)


def cast_dtype(dtype):
    """float data becomes float32; integer labels keep an integer type."""
    return numpy.dtype(config.floatx()) if dtype.kind == "f" else dtype


def cast(array):
    """Return ``array`` (or a float32 copy of float data of another precision)."""
    wanted = cast_dtype(array.dtype)
    return array if array.dtype == wanted and not isinstance(array, numpy.memmap) else numpy.asarray(array, wanted)
