"""Read the pickled parts of Keras's dataset files without letting them run code.

Two of Keras's source files hold pickles: the CIFAR batches (Python 2 pickles
of a dict of bytes, lists and uint8 arrays) and the IMDB and Reuters ``.npz``
files (ragged sequences stored as object arrays, which ``numpy.save`` can only
write as a pickle). ``numpy.load(..., allow_pickle=True)`` would run whatever a
tampered file asks for. Here, a pickle may name exactly three globals, the ones
rebuilding a numpy array (``numpy.ndarray``, ``numpy.dtype`` and numpy's
``_reconstruct``, under its numpy 1 or numpy 2 module name); any other global
(``os.system``, ``builtins.eval``...) stops the load with ``UnpicklingError``.
Lists, dicts, bytes, strings and numbers need no global. Numeric ``.npy``
members are read with ``allow_pickle=False``.

Keras 3 reads these files the same way (``keras/src/datasets/npz_utils.py``).
"""

import io
import pickle
import zipfile

import numpy as np

_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]  # numpy's _reconstruct, whatever its module
_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
}


class ArrayOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds plain data and numpy arrays, and refuses every other global."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"Refusing to load `{module}.{name}` from a dataset file: only numpy "
                                         "arrays and plain data are read. The file is corrupted or was "
                                         "tampered with; delete it and download it again.") from None


def load_pickle(file, encoding="ASCII"):
    """Unpickle ``file`` (an open binary file) with :class:`ArrayOnlyUnpickler`.

    ``encoding='bytes'`` reads the strings of a Python 2 pickle as bytes, as
    the CIFAR batches need.
    """
    return ArrayOnlyUnpickler(file, encoding=encoding).load()


def load_npz(path):
    """Every ``.npy`` member of the ``.npz`` at ``path``, as ``{name: array}``; object arrays allowed, code not."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-len(".npy")]] = _read_npy(io.BytesIO(archive.read(member)))
    return arrays


def _read_npy(stream):
    version = np.lib.format.read_magic(stream)
    # The 3.0 header differs from 2.0 only in its text encoding; 2.0's reader reads both.
    read_header = np.lib.format.read_array_header_1_0 if version[0] == 1 else np.lib.format.read_array_header_2_0
    _, _, dtype = read_header(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    array = load_pickle(stream)
    if not isinstance(array, np.ndarray):
        raise ValueError(f"A dataset .npy member holds a pickled {type(array).__name__}, not an array.")
    return array
