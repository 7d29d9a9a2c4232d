"""The ``.keras`` file of Keras 3: an uncompressed zip of three members.

* ``metadata.json``: ``{"keras_version", "date_saved"}`` (Keras does not read it back);
* ``config.json``: the model as :func:`~microkeras.saving.serialization_lib.serialize_keras_object`
  writes it, with its ``compile_config`` when it is compiled;
* ``model.weights.h5``: the weights in Keras's HDF5 layout (:mod:`microkeras.saving.h5_weights`).

Members are written in that order with ``ZIP_STORED``, as Keras 3.15 writes them
(``keras/src/saving/saving_lib.py``).
"""

import datetime
import io
import json
import zipfile
import zlib

from microkeras.layers.layer import Layer
from microkeras.saving import h5_weights
from microkeras.saving.serialization_lib import compile_from_config, deserialize_keras_object, serialize_keras_object

KERAS_FORMAT_VERSION = "3.15.1"  # the Keras release whose file layout these files follow
CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


def write_keras(model, fileobj):
    """Write ``model`` as a ``.keras`` zip into the binary file object ``fileobj``."""
    from microkeras import __version__

    h5py = h5_weights.import_h5py()
    config = json.dumps(serialize_keras_object(model))
    metadata = json.dumps({"keras_version": KERAS_FORMAT_VERSION, "microkeras_version": __version__,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5file:
        h5_weights.write_weights(model, h5file)
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA, metadata)
        archive.writestr(CONFIG, config)
        archive.writestr(WEIGHTS, weights.getvalue())


def open_archive(path):
    """The open ``ZipFile`` of a ``.keras`` file, or a ValueError naming the file and what is wrong."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"{path} is not a readable .keras file: it is not a complete zip archive ({error}); the "
                         "file may be truncated or corrupted.") from None
    missing = [name for name in (CONFIG, WEIGHTS) if name not in archive.namelist()]
    if missing:
        archive.close()
        raise ValueError(f"{path} is not a complete .keras file: it has no {' or '.join(missing)} (members: "
                         f"{archive.namelist()}).")
    return archive


def read_member(archive, name, path):
    """The bytes of member ``name``, or a ValueError naming the file when they are damaged."""
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise ValueError(f"{path}: the member {name!r} is damaged ({error}); the file may be truncated or "
                         "corrupted.") from None


def read_keras(path, custom_objects=None, compile=True, safe_mode=True):
    """The model saved in the ``.keras`` file at ``path`` (see :func:`microkeras.saving.load_model`)."""
    h5py = h5_weights.import_h5py()
    with open_archive(path) as archive:
        try:
            config = json.loads(read_member(archive, CONFIG, path))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: {CONFIG} is not valid JSON ({error}).") from None
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"{path}: {CONFIG} must describe a model as {{'class_name', 'config', ...}}.")
        try:
            model = deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=safe_mode)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error
        if not isinstance(model, Layer):
            raise ValueError(f"{path}: {CONFIG} describes {type(model).__name__}, not a model.")
        if compile and config.get("compile_config"):
            compile_from_config(model, config["compile_config"])
        load_weights_from_archive(model, archive, path, h5py)
    return model


def load_weights_from_archive(model, archive, path, h5py=None, skip_mismatch=False):
    """Load ``model.weights.h5`` of an open ``.keras`` archive into ``model``."""
    h5py = h5py or h5_weights.import_h5py()
    data = read_member(archive, WEIGHTS, path)
    try:
        h5file = h5py.File(io.BytesIO(data), "r")
    except OSError as error:
        raise ValueError(f"{path}: {WEIGHTS} is not a readable HDF5 file ({error}).") from None
    with h5file:
        h5_weights.read_weights(model, h5file, f"{path} ({WEIGHTS})", skip_mismatch)
