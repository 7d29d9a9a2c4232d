"""Saving and loading entry points: ``save_model``, ``load_model``, ``save_weights``, ``load_weights``.

The formats are Keras 3's, so files move both ways between microkeras and
Keras 3 (any backend):

* ``.keras``: the whole model (architecture, weights, compile settings and
  optimizer state), a zip (:mod:`microkeras.saving.keras_file`);
* ``.weights.h5``: the weights (and the optimizer state) alone, in the same
  HDF5 layout (:mod:`microkeras.saving.h5_weights`);
* ``.h5``/``.hdf5``: Keras 2's whole-model HDF5 file, which Keras 3 still
  writes (with a warning that it is legacy) and reads
  (:mod:`microkeras.saving.legacy_h5`).

Saving is atomic: the file is written beside its target under a temporary
name and then moved over it, so a failure mid-save leaves any previous file
at that path as it was.  Loading never runs code from a file unless
``safe_mode=False`` (see :mod:`microkeras.saving.object_registration`).
"""

import os
import tempfile
import warnings

from microkeras.saving import h5_weights, keras_file, legacy_h5

_MODEL_SUFFIXES = (".keras",)
_LEGACY_SUFFIXES = (".h5", ".hdf5")
_WEIGHTS_SUFFIX = ".weights.h5"


def save_model(model, filepath, overwrite=True, zipped=None, include_optimizer=True, save_format=None, **kwargs):
    """Save ``model`` to ``filepath``: ``.keras`` (Keras 3's format), or ``.h5``/``.hdf5`` (the legacy
    Keras 2 HDF5 file, with a warning recommending ``.keras``, as Keras 3 does).

    ``overwrite=False`` refuses to replace an existing file.  ``zipped`` may
    only be True (or None): microkeras writes the zip Keras writes by default.
    ``include_optimizer=False`` leaves the compile settings and optimizer
    state out of an HDF5 file (a ``.keras`` file always has them, as in
    Keras 3).  ``save_format`` is Keras 2's argument, accepted (with a
    warning) only when it agrees with the suffix, as in Keras 3.
    """
    if kwargs:
        raise TypeError(f"save() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}.")
    filepath = _check_path(filepath, "filepath")
    if zipped not in (None, True):
        raise ValueError(f"`zipped` must be True or None (microkeras writes the zipped .keras file, or a legacy "
                         f"'.h5' file); received {zipped!r}.")
    if not isinstance(include_optimizer, bool):
        raise TypeError(f"`include_optimizer` must be True or False; received {include_optimizer!r}.")
    legacy = filepath.endswith(_LEGACY_SUFFIXES) and not filepath.endswith(_WEIGHTS_SUFFIX)
    if not filepath.endswith(_MODEL_SUFFIXES) and not legacy:
        raise ValueError(
            f"Invalid filepath extension for saving a model: {filepath!r}. Accepted: '.keras' (the whole model, "
            "Keras 3's format, recommended) or '.h5'/'.hdf5' (the legacy Keras 2 HDF5 format); for the weights "
            f"alone use model.save_weights with a '{_WEIGHTS_SUFFIX}' name.")
    if save_format:
        warnings.warn(f"The `save_format` argument is deprecated in Keras 3: the format follows the file "
                      f"name's suffix. Received: save_format={save_format!r}.", stacklevel=3)
    _check_overwrite(filepath, overwrite)
    if legacy:
        h5_weights.import_h5py()  # the clear ImportError before the warning
        warnings.warn(legacy_h5.LEGACY_WARNING, UserWarning, stacklevel=3)
        atomic_write(filepath, lambda fileobj: legacy_h5.write_model(model, fileobj, include_optimizer))
        return
    atomic_write(filepath, lambda fileobj: keras_file.write_keras(model, fileobj))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` (by microkeras or Keras 3) from a ``.keras`` file, or from a
    legacy ``.h5``/``.hdf5`` file (Keras 2's HDF5 format, still written by Keras 3).

    Parameters
    ----------
    custom_objects : dict, optional
        Names -> your classes and functions the file refers to (or register them with
        :func:`~microkeras.saving.register_keras_serializable`).
    compile : bool
        Compile the model as it was saved, optimizer state included.
    safe_mode : bool
        Refuse code stored in the file (a ``Lambda`` holding a Python lambda).
    """
    filepath = _check_path(filepath, "filepath")
    if not isinstance(compile, bool):
        raise TypeError(f"`compile` must be True or False; received {compile!r}.")
    if not isinstance(safe_mode, bool):
        raise TypeError(f"`safe_mode` must be True or False; received {safe_mode!r}.")
    if filepath.endswith(_WEIGHTS_SUFFIX) or not filepath.endswith(_MODEL_SUFFIXES + _LEGACY_SUFFIXES):
        raise ValueError(f"Cannot load a model from {filepath!r}: the file must end in '.keras' (written by "
                         "model.save), or '.h5'/'.hdf5' (the legacy HDF5 format). A "
                         f"'{_WEIGHTS_SUFFIX}' file holds weights only: build the model, then call "
                         "model.load_weights(filepath).")
    _check_exists(filepath)
    if filepath.endswith(_LEGACY_SUFFIXES):
        return legacy_h5.read_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    return keras_file.read_keras(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_weights(model, filepath, overwrite=True):
    """Save ``model``'s weights (and its optimizer's state) to ``filepath``, which must end in ``.weights.h5``."""
    filepath = _check_path(filepath, "filepath")
    if not filepath.endswith(_WEIGHTS_SUFFIX):
        raise ValueError(f"The filename must end in '{_WEIGHTS_SUFFIX}' (Keras 3's weights format); received "
                         f"filepath={filepath!r}. To save the whole model, use model.save with a '.keras' name.")
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built yet, so it has no weights to save. Build it (give it "
                         "an input shape, or call it on data) first.")
    _check_overwrite(filepath, overwrite)
    h5py = h5_weights.import_h5py()

    def write(fileobj):
        with h5py.File(fileobj, "w") as h5file:
            h5_weights.write_weights(model, h5file)

    atomic_write(filepath, write)


def load_weights(model, filepath, skip_mismatch=False, by_name=None):
    """Load weights saved by ``save_weights`` or ``save`` (``.weights.h5``, ``.keras``, or a legacy
    ``.h5``/``.hdf5`` file) into ``model``.

    Every array is checked against the model first: a file that does not fit
    raises ``ValueError`` naming the file and the layer, and leaves all weights
    as they were.  ``skip_mismatch=True`` skips (with a warning) the layers
    whose weights do not fit instead.  A compiled model gets its optimizer
    state back too (not from a legacy file, as in Keras).  ``by_name=True``
    (legacy files only, as in Keras) matches layers by name instead of order.
    """
    filepath = _check_path(filepath, "filepath")
    if not isinstance(skip_mismatch, bool):
        raise TypeError(f"`skip_mismatch` must be True or False; received {skip_mismatch!r}.")
    if by_name not in (None, True, False):
        raise TypeError(f"`by_name` must be True or False; received {by_name!r}.")
    legacy = filepath.endswith(_LEGACY_SUFFIXES) and not filepath.endswith(_WEIGHTS_SUFFIX)
    if not filepath.endswith((_WEIGHTS_SUFFIX,) + _MODEL_SUFFIXES) and not legacy:
        raise ValueError(f"Cannot load weights from {filepath!r}: accepted files end in '{_WEIGHTS_SUFFIX}' "
                         "(model.save_weights), '.keras' (model.save) or '.h5'/'.hdf5' (the legacy HDF5 format).")
    if by_name is not None and not legacy:
        raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: "
                         f"filepath={filepath!r}.")
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built yet, so it has no weights to load into. Build it "
                         "(give it an input shape, or call it on data) first.")
    _check_exists(filepath)
    if legacy:
        legacy_h5.load_weights(model, filepath, skip_mismatch=skip_mismatch, by_name=bool(by_name))
        return
    if filepath.endswith(_MODEL_SUFFIXES):
        with keras_file.open_archive(filepath) as archive:
            keras_file.load_weights_from_archive(model, archive, filepath, skip_mismatch=skip_mismatch)
        return
    h5py = h5_weights.import_h5py()
    try:
        h5file = h5py.File(filepath, "r")
    except OSError as error:
        raise ValueError(f"{filepath} is not a readable HDF5 weights file ({error}); it may be truncated or "
                         "corrupted.") from None
    with h5file:
        h5_weights.read_weights(model, h5file, filepath, skip_mismatch)


# ------------------------------------------------------------------ helpers
def atomic_write(filepath, write):
    """Call ``write(fileobj)`` on a temporary file beside ``filepath``, then move it over ``filepath``.

    If ``write`` raises, the temporary file is removed and ``filepath`` is left as it was.
    """
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {filepath!r}: the folder {folder!r} does not exist.")
    descriptor, temporary = tempfile.mkstemp(prefix="." + os.path.basename(filepath) + ".", suffix=".tmp",
                                             dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as fileobj:
            write(fileobj)
            fileobj.flush()
            os.fsync(fileobj.fileno())
        os.chmod(temporary, _file_mode(filepath))
        os.replace(temporary, filepath)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _file_mode(filepath):
    """The permissions the saved file gets: those of the file it replaces, else the usual ones (umask applied)."""
    if os.path.exists(filepath):
        return os.stat(filepath).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _check_path(filepath, argument):
    if isinstance(filepath, os.PathLike):
        filepath = os.fspath(filepath)
    if not isinstance(filepath, str):
        raise TypeError(f"`{argument}` must be a path (str or os.PathLike); received "
                        f"{type(filepath).__name__} {filepath!r}.")
    return filepath


def _check_exists(filepath):
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: {filepath!r}.")
    if os.path.isdir(filepath):
        raise ValueError(f"{filepath!r} is a folder; expected a file.")


def _check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False; pass overwrite=True to replace it.")
