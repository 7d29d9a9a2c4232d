"""Turn user data into batches: arrays, memory maps, Sequences and generators.

Everything here is plain numpy on concrete arrays; nothing is traced.  An
*adapter* hands the trainer one epoch of ``(x, y, sample_weight)`` batches at a
time (:meth:`epoch`) and knows how many batches an epoch has, when that is
known (:attr:`num_batches`).
"""

import contextlib
import itertools
import math
import mmap
import numbers
import os
import warnings
import weakref

import numpy

from microkeras import config
from microkeras.layers.keras_tensor import sorted_keys
from microkeras.utils.argument_checks import check_int
from microkeras.utils.data_utils import unpack_x_y_sample_weight  # noqa: F401  (the trainer's steps use it)
from microkeras.utils.sequence import Sequence

# ---------------------------------------------------------------------- checks
def check_array(value, argument, allow_none=False):
    """Return ``value`` as a numeric ndarray (memory maps stay memory maps), or raise naming ``argument``."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"`{argument}` is required; received None.")
    if isinstance(value, numpy.ma.MaskedArray):
        raise TypeError(f"`{argument}` is a masked array (numpy.ma), but training reads the values under "
                        f"its mask too. Pass `{argument}.filled(value)` to say what masked entries hold, "
                        "or drop the masked samples.")
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


def single(value, names, argument):
    """The one array of a single-input/-output model given as an array, a one-element list, or a dict.

    ``names`` are the model's input (or output) names, the keys a dict may use.
    """
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in names:
            raise ValueError(f"`{argument}` as a dict must have the single key {names[0]!r} (the model's "
                             f"{'input' if argument.endswith('x') else 'output'} name); received keys "
                             f"{sorted(map(str, value))}.")
        return next(iter(value.values()))
    # Only arrays with a batch axis count as arrays here: a list of numbers (numpy scalars
    # included, which also have a `shape`) is one array of labels, as Keras reads it.
    if isinstance(value, (list, tuple)) and len(value) == 1 and _has_batch_axis(value[0]):
        return value[0]
    if isinstance(value, (list, tuple)) and value and all(map(_has_batch_axis, value)):
        raise ValueError(f"`{argument}` holds {len(value)} arrays, but the model has one "
                         f"{'input' if argument.endswith('x') else 'output'}.")
    return value


def _has_batch_axis(value):
    return len(getattr(value, "shape", ())) > 0


def check_finite(array, argument):
    """Raise if ``array`` holds NaN or infinity, or values that become infinite when cast for training.

    The check sees what training sees: float64 values beyond float32's range
    (``1e39``) are refused here, not trained on as infinity.  Scanned in
    chunks of about 4 MB, read with :class:`FileRows` when the array is a
    memory map, so a large file is never resident at once.
    """
    if array.dtype.kind != "f":
        return
    if type(array) is numpy.ndarray and array.dtype == numpy.float32 and math.isfinite(array.sum(dtype=numpy.float64)):
        return  # one pass, no copy: a float64 sum of float32 values is finite exactly when every value is
    step = max(1, (1 << 20) // max(1, array[0].size))
    trained_dtype = cast_dtype(array.dtype)
    buffer = numpy.empty((min(step, len(array)),) + array.shape[1:], array.dtype)
    with row_reader(array) as rows, numpy.errstate(over="ignore"):
        for start in range(0, len(array), step):
            chunk = rows.read_slice(start, min(start + step, len(array)), buffer)
            trained = chunk.astype(trained_dtype, copy=False)
            finite = numpy.isfinite(trained).reshape(len(chunk), -1).all(axis=1)
            if not finite.all():
                bad = int(numpy.flatnonzero(~finite)[0])
                _raise_not_finite(chunk[bad], start + bad, trained_dtype, argument)


def _raise_not_finite(sample, index, trained_dtype, argument):
    values = sample.reshape(-1)
    if numpy.isfinite(values).all():  # finite as given, infinite once cast
        value = values[numpy.flatnonzero(~numpy.isfinite(values.astype(trained_dtype)))[0]]
        raise ValueError(f"`{argument}` holds values too large for {trained_dtype}, the dtype training "
                         f"uses (first at sample {index}: {value:g}; {trained_dtype} reaches "
                         f"{numpy.finfo(trained_dtype).max:.4g}), so they would train as infinity. "
                         "Rescale the data (standardize it, or use other units) before training.")
    raise ValueError(f"`{argument}` contains NaN or infinite values (first at sample {index}). "
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
    return 32 if batch_size is None else check_int(batch_size, argument, minimum=1)


def resolve_steps(steps, argument):
    """None, or a validated positive int."""
    return None if steps is None else check_int(steps, argument, minimum=1)


def is_generator_like(data):
    """True for a :class:`Sequence` or any iterator (a generator included)."""
    return isinstance(data, Sequence) or (hasattr(data, "__next__") and not isinstance(data, numpy.ndarray))


def unpack_batch(batch, argument):
    """``(x, y, sample_weight)`` from what a generator yields: ``(x,)``, ``(x, y)`` or ``(x, y, sw)``."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        return tuple(batch) + (None,) * (3 - len(batch))
    if isinstance(batch, list) and 2 <= len(batch) <= 3 and not all(hasattr(b, "shape") and
                                                                      len(b) == len(batch[0]) for b in batch[1:]):
        return tuple(batch) + (None,) * (3 - len(batch))
    shape = f"a tuple of length {len(batch)}" if isinstance(batch, tuple) else f"a {type(batch).__name__}"
    raise ValueError(f"{argument} must yield tuples (x,), (x, y) or (x, y, sample_weight); it yielded {shape}.")


def train_validation_split(arrays, validation_split):
    """Split arrays into a training head and a validation tail, before any shuffling (Keras's rule).

    ``arrays`` is ``(x, y, sample_weight)``, each None, an array, or a list or
    dict of arrays (several inputs or outputs): every array is cut at the
    same sample.  ``split_at = floor(n * (1 - validation_split))``; samples
    ``[split_at:]`` validate.  Returns two structures like ``arrays``, of views
    (no copies).
    """
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
            or not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be a float in (0, 1); received {validation_split!r}.")
    n = len(next(a for a in flatten_arrays(arrays) if a is not None))
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves "
                         f"{'no training' if split_at == 0 else 'no validation'} data out of {n} samples. "
                         "Use a split that keeps at least one sample on each side.")
    head = map_arrays(lambda a: a[:split_at], arrays)
    tail = map_arrays(lambda a: a[split_at:], arrays)
    return head, tail


# ----------------------------------------------------------------- structures
def flatten_arrays(structure):
    """The arrays (and Nones) of nested tuples, lists and dicts, in order (dicts by sorted key, as
    Keras 3 and :func:`~microkeras.layers.keras_tensor.flatten` order them)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten_arrays(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted_keys(structure) for leaf in flatten_arrays(structure[key])]
    return [structure]


def pack_arrays(structure, leaves):
    """``leaves`` (a flat list, as :func:`flatten_arrays` gives) put back into the shape of ``structure``."""
    leaves = iter(leaves)

    def pack(part):
        if isinstance(part, (list, tuple)):
            return type(part)(pack(item) for item in part)
        if isinstance(part, dict):
            return {key: pack(part[key]) for key in sorted_keys(part)}
        return next(leaves)

    return pack(structure)


def map_arrays(function, structure):
    """``structure`` with ``function`` applied to each array (Nones stay None)."""
    return pack_arrays(structure, [None if a is None else function(a) for a in flatten_arrays(structure)])


# --------------------------------------------------------------------- casting
def cast_dtype(dtype):
    """float data becomes float32; integer labels keep an integer type."""
    return numpy.dtype(config.floatx()) if dtype.kind == "f" else dtype


def cast(array):
    """``array`` itself, or a float32 copy of float data of another precision (or of a memory map)."""
    wanted = cast_dtype(array.dtype)
    if array.dtype == wanted and not isinstance(array, numpy.memmap):
        return array
    return numpy.asarray(array, wanted)


class RowReader:
    """Reads rows of ``array`` into caller-owned buffers; a context manager that closes what it opened."""

    def __init__(self, array):
        self.array = array

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class MemoryRows(RowReader):
    """Reads rows of an in-memory array (or through a memory map)."""

    def read(self, indices, out):
        if self.array.dtype == out.dtype:
            # mode="clip": the indices are valid, and the default mode="raise" buffers `out` (3x slower).
            numpy.take(self.array, indices, axis=0, out=out, mode="clip")
        else:
            out[...] = self.array[indices]
        return out

    def read_slice(self, start, stop, out):
        return self.array[start:stop]  # a view: nothing to copy


class FileRows(RowReader):
    """Reads rows of a memory-mapped array from its file with ``os.preadv``, not through the map.

    Reading through a map makes the touched pages resident -- on recent
    kernels a whole large folio, up to megabytes, per row -- so random
    batches from a big file would grow resident memory to the file's size.
    ``preadv`` copies through the page cache into our buffer instead, so
    resident memory stays at the size of a batch.  Used for contiguous,
    shared or read-only maps where ``os.preadv`` exists; copy-on-write maps
    (``mode='c'``), whose changes exist only in the map, are read through it.

    The reader holds the file open until :meth:`close` (or until it is
    collected).  A file cut shorter than the array raises ``OSError`` naming
    the file and the offset, instead of reading nothing forever.
    """

    def __init__(self, array, root):
        super().__init__(array)
        self.path = root.filename
        self.row_bytes = array.strides[0]
        self.offset = root.offset + (array.__array_interface__["data"][0] - root.__array_interface__["data"][0])
        self._fd = os.open(root.filename, os.O_RDONLY)
        self._close_fd = weakref.finalize(self, os.close, self._fd)  # a raw descriptor: no ResourceWarning
        self._scratch = None

    @classmethod
    def open(cls, array):
        """A reader for ``array`` if it is a contiguous view of a file-backed memory map, else None."""
        root = array
        while root is not None and not isinstance(getattr(root, "base", None), mmap.mmap):
            root = getattr(root, "base", None)
        if root is None or not isinstance(root, numpy.memmap) or not getattr(root, "filename", None) \
                or not array.flags.c_contiguous or len(array) == 0 or not hasattr(os, "preadv") \
                or root.mode in ("c", "copyonwrite"):  # private changes live only in the map
            return None
        try:
            return cls(array, root)
        except OSError:  # the file was removed or renamed: the map still holds the data
            return None

    def close(self):
        self._close_fd()

    def _scratch_rows(self, rows):
        if self._scratch is None or len(self._scratch) < rows:
            self._scratch = numpy.empty((rows,) + self.array.shape[1:], self.array.dtype)
        return self._scratch[:rows]

    def read(self, indices, out):
        """Rows ``indices`` (any order) into ``out``, in that order: what ``array[indices]`` holds.

        The file is read forwards, each run of adjacent rows in one call;
        shuffled rows are then put back in the order asked for, so a batch
        sums in the same order as one gathered from memory.
        """
        order = None
        if len(indices) > 1 and not (numpy.diff(indices) > 0).all():
            order = numpy.argsort(indices, kind="stable")
            indices = indices[order]
        direct = order is None and out.dtype == self.array.dtype
        target = out if direct else self._scratch_rows(len(indices))
        data = memoryview(target).cast("B")
        breaks = numpy.flatnonzero(numpy.diff(indices) != 1) + 1
        for first, last in zip(numpy.concatenate([[0], breaks]), numpy.concatenate([breaks, [len(indices)]])):
            self._pread(data[first * self.row_bytes:last * self.row_bytes], int(indices[first]))
        if order is not None:
            out[order] = target  # row k of the sorted read belongs at position order[k]
        elif not direct:
            out[...] = target
        return out

    def read_slice(self, start, stop, out):
        out = out[:stop - start]
        target = out if out.dtype == self.array.dtype else self._scratch_rows(stop - start)
        self._pread(memoryview(target).cast("B"), start)
        if target is not out:
            out[...] = target
        return out

    def _pread(self, view, row):
        position, done = self.offset + row * self.row_bytes, 0
        while done < len(view):  # preadv may return short counts
            count = os.preadv(self._fd, [view[done:]], position + done)
            if count == 0:  # end of file: it is shorter than the array it backs
                needed = self.offset + len(self.array) * self.row_bytes
                raise OSError(f"The memory-mapped file {self.path!r} ends at byte {position + done}, but "
                              f"row {row} is read at byte offset {position} ({len(view)} bytes) and the "
                              f"array needs {needed} bytes: the file was truncated or replaced after it "
                              "was mapped. Map it again (numpy.load(path, mmap_mode='r')) once it is "
                              "complete.")
            done += count


def row_reader(array):
    """The fastest reader for ``array`` that keeps resident memory flat; close it, or use ``with``."""
    return (FileRows.open(array) if isinstance(array, numpy.memmap) else None) or MemoryRows(array)


# -------------------------------------------------------------------- adapters
class ArrayAdapter:
    """Batches of in-memory or memory-mapped arrays.

    Parameters
    ----------
    x, y, sample_weight : ndarray, list or dict of ndarrays, or None
        Arrays of equal length; ``y`` and ``sample_weight`` may be None.  A
        list or dict (a model's several inputs or outputs) gives batches of
        the same structure, every array cut at the same samples.
    batch_size : int
        The last batch of a pass may be smaller; one larger than the data
        gives one batch of all samples, as in Keras.
    shuffle : bool or 'batch'
        ``True``: a new permutation each pass, drawn from the global
        generator.  ``'batch'``: Keras 2's chunk shuffle -- the order of
        batch-sized chunks is permuted, each chunk stays contiguous (kind to
        HDF5 and memory maps).  ``False``: in order.
    steps : int, optional
        Batches per epoch.  Without it an epoch is one pass; with it, epochs
        continue where the last one stopped and wrap around the data.

    Batches of shuffled data are gathered into buffers reused from batch to
    batch; only indices, never the data set, are permuted.  Memory-mapped
    arrays are read from their files (:class:`FileRows`), which
    :meth:`close` closes.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, steps=None):
        self.arrays = (x, y, sample_weight)
        if any(isinstance(part, (list, tuple, dict)) for part in self.arrays):  # several inputs or outputs
            self._leaves = flatten_arrays(self.arrays)
            self._pack = lambda batch: pack_arrays(self.arrays, batch)
        else:
            self._leaves, self._pack = self.arrays, tuple
        self.num_samples = len(next(a for a in self._leaves if a is not None))
        # Buffers are batch-sized: a batch_size beyond the data must not size them.
        self.batch_size = min(batch_size, max(1, self.num_samples))
        self.shuffle = shuffle
        self.steps = steps
        self._buffers = [None] * len(self._leaves)
        self._stream = None
        self._readers = [None if a is None else row_reader(a) for a in self._leaves]
        self._from_files = any(isinstance(r, FileRows) for r in self._readers)

    @property
    def num_batches(self):
        return self.steps if self.steps is not None else math.ceil(self.num_samples / self.batch_size)

    def epoch(self):
        """The batches of one epoch."""
        if self.steps is None:
            return self._one_pass()
        if self._stream is None:
            self._stream = itertools.chain.from_iterable(self._one_pass() for _ in itertools.count())
        return itertools.islice(self._stream, self.steps)

    def _one_pass(self):
        n, size = self.num_samples, self.batch_size
        order = None
        if self.shuffle is True:
            order = config.global_rng().permutation(n)
        elif self.shuffle == "batch":
            order = self._chunk_order()
        for start in range(0, n, size):
            if order is not None:
                yield self._gather(order[start:start + size])
            elif self._from_files:
                yield self._gather(numpy.arange(start, min(start + size, n)))
            else:  # views, no copies
                yield self._pack(None if a is None else cast(a[start:start + size]) for a in self._leaves)

    def _chunk_order(self):
        n, size = self.num_samples, self.batch_size
        full = n // size
        chunks = config.global_rng().permutation(full)
        order = (chunks[:, None] * size + numpy.arange(size)).reshape(-1)
        return numpy.concatenate([order, numpy.arange(full * size, n)])

    def _gather(self, indices):
        """Copy rows ``indices`` of each array, in that order, into a buffer reused across batches."""
        out = []
        for i, (array, reader) in enumerate(zip(self._leaves, self._readers)):
            if array is None:
                out.append(None)
                continue
            if self._buffers[i] is None:
                self._buffers[i] = numpy.empty((self.batch_size,) + array.shape[1:], cast_dtype(array.dtype))
            out.append(reader.read(indices, self._buffers[i][:len(indices)]))
        return self._pack(out)

    def close(self):
        """Close the files of memory-mapped arrays (otherwise closed when the adapter is collected)."""
        for reader in self._readers:
            if reader is not None:
                reader.close()


class SequenceAdapter:
    """Batches from a :class:`~microkeras.utils.Sequence` (``len`` + ``__getitem__``).

    ``shuffle=True`` permutes the order of the batches each pass;
    ``on_epoch_begin`` and ``on_epoch_end`` are called around each epoch, as Keras does.  The length
    is read (and checked) each pass, so a Sequence may change it in
    ``on_epoch_end``.
    """

    def __init__(self, sequence, shuffle=False, steps=None, argument="x"):
        self.sequence = sequence
        self.shuffle = shuffle is True
        self.steps = steps
        self.argument = argument
        self._stream = None
        sequence_length(sequence, argument)  # refuse a bad or empty Sequence before training

    @property
    def num_batches(self):
        return self.steps if self.steps is not None else sequence_length(self.sequence, self.argument)

    def _one_pass(self):
        length = sequence_length(self.sequence, self.argument)
        order = config.global_rng().permutation(length) if self.shuffle else range(length)
        for index in order:
            yield self.sequence[int(index)]

    def epoch(self):
        self.sequence.on_epoch_begin()
        if self.steps is None:
            batches = self._one_pass()
        else:
            if self._stream is None:
                self._stream = itertools.chain.from_iterable(self._one_pass() for _ in itertools.count())
            batches = itertools.islice(self._stream, self.steps)
        yield from batches
        self.sequence.on_epoch_end()


def sequence_length(sequence, argument):
    """The number of batches a Sequence says it has, checked: an int >= 1."""
    length = type(sequence).__len__(sequence)  # len() would hide what it returned behind its own TypeError
    if isinstance(length, bool) or not isinstance(length, numbers.Integral):
        raise TypeError(f"`{argument}` is a Sequence whose __len__ returned {length!r} "
                        f"({type(length).__name__}); it must return the number of batches as an int, "
                        "e.g. math.ceil(len(samples) / batch_size).")
    if length < 1:
        raise ValueError(f"`{argument}` is a Sequence of length {length}: it has no batches to read. "
                         "Check that it received its data and that __len__ counts batches, e.g. "
                         "math.ceil(len(samples) / batch_size).")
    return int(length)


class GeneratorAdapter:
    """Batches pulled from an iterator (a Python generator, for instance).

    An epoch takes ``steps`` batches, or runs until the iterator is exhausted.
    Iterators cannot restart: once one runs dry, later epochs get nothing and
    :attr:`ran_out` is set.
    """

    def __init__(self, iterator, steps=None):
        self.iterator = iterator
        self.steps = steps
        self.ran_out = False

    @property
    def num_batches(self):
        return self.steps

    def epoch(self):
        produced = 0
        while self.steps is None or produced < self.steps:
            try:
                batch = next(self.iterator)
            except StopIteration:
                if self.steps is not None or produced == 0:
                    self.ran_out = True
                return
            produced += 1
            yield batch


@contextlib.contextmanager
def closing(*adapters):
    """Close the files the adapters read (memory maps) when the block ends, also when it raises."""
    try:
        yield
    finally:
        for adapter in adapters:
            if hasattr(adapter, "close"):
                adapter.close()


def warn_ran_out(steps_per_epoch, epochs):
    if steps_per_epoch is None:
        advice = ("A generator without `steps_per_epoch` is read to its end in the first epoch; pass "
                  "`steps_per_epoch` with a generator that repeats, or a Sequence, to train longer.")
    else:
        advice = ("Make sure that your dataset or generator can generate at least `steps_per_epoch * epochs` "
                  f"batches ({steps_per_epoch} * {epochs} here).")
    warnings.warn(f"Your input ran out of data; interrupting training. {advice}", UserWarning, stacklevel=3)
