"""The Keras 2 whole-model HDF5 file (``model.save("m.h5")``), as Keras 3 still writes and reads it.

Keras 3 keeps this format for old code and old files
(``keras/src/legacy/saving/legacy_h5_format.py``); ``.keras`` is its
recommended format.  One HDF5 file holds:

* root attributes ``keras_version``, ``backend``, ``model_config`` (JSON:
  the model's config, with the layers of Sequential and functional models as
  plain ``{"class_name", "config"}`` entries) and, for a compiled model,
  ``training_config`` (JSON: the ``compile`` arguments, the optimizer as
  ``optimizer_config``);
* the group ``model_weights``: attribute ``layer_names`` (the model's
  layers), then one group per layer whose attribute ``weight_names`` lists
  its weights (trainable, then the others) as datasets of those names, plus
  ``top_level_model_weights`` for the model's own weights;
* the group ``optimizer_weights`` (attribute ``weight_names`` and datasets)
  with the optimizer's variables in Keras's order.

Weights are matched to layers by order, not name, among the layers that
have weights (``by_name=True`` matches names, as Keras 2 did).  Every array
is checked against the model before any is written.

Files written by tf.keras 2.x are read as Keras 3 reads them: their configs
go through :func:`~microkeras.saving.config_compat.from_keras2_model`, and
their Keras 2 optimizer variables give only the step count.
"""

import json
import warnings

import numpy

from microkeras.layers.layer import Layer
from microkeras.saving import h5_weights
from microkeras.saving.config_compat import from_keras2_model
from microkeras.saving.keras_file import KERAS_FORMAT_VERSION
from microkeras.saving.object_registration import CustomObjectScope, SafeModeScope
from microkeras.saving.serialization_lib import (compile_from_config, deserialize_keras_object,
                                                 get_compile_config, serialize_keras_object)

LEGACY_WARNING = ("Saving to an HDF5 file ('.h5'/'.hdf5') writes the legacy Keras 2 model format, kept for old "
                  "code and files. Prefer the Keras 3 format: model.save('my_model.keras').")
_HEADER_LIMIT = 64512  # bytes an HDF5 attribute may hold; longer name lists are split (Keras does the same)
_TOP_LEVEL = "top_level_model_weights"
_MODEL_CLASSES = ("Sequential", "Functional")


# ------------------------------------------------------------------ writing
def write_model(model, fileobj, include_optimizer=True):
    """Write ``model`` as a legacy HDF5 model file into the binary file object ``fileobj``.

    Everything (config, arrays, names) is gathered before the file is opened.
    """
    from microkeras import backend

    h5py = h5_weights.import_h5py()
    attributes = {"keras_version": KERAS_FORMAT_VERSION, "backend": backend.backend(),
                  "model_config": json.dumps(legacy_model_config(model))}
    compile_config = get_compile_config(model) if include_optimizer else None
    if compile_config is not None:
        attributes["training_config"] = json.dumps(_training_config(compile_config))
    layers = [(layer.name, _named_arrays(_legacy_weights(layer))) for layer in model.layers]
    top_level = _named_arrays(_own_weights(model))
    optimizer = getattr(model, "optimizer", None) if compile_config is not None else None
    optimizer_arrays = _optimizer_arrays(optimizer, model) if optimizer is not None else []
    with h5py.File(fileobj, "w") as h5file:
        for key, value in attributes.items():
            h5file.attrs[key] = value.encode("utf8") if key.endswith("config") else value
        group = h5file.create_group("model_weights")
        _write_names(group, "layer_names", [name for name, _ in layers])
        group.attrs["backend"] = attributes["backend"].encode("utf8")
        group.attrs["keras_version"] = KERAS_FORMAT_VERSION.encode("utf8")
        for name, arrays in sorted(layers, key=lambda item: item[0]):
            _write_arrays(group.create_group(name), arrays)
        _write_arrays(group.create_group(_TOP_LEVEL), top_level)
        if optimizer_arrays:
            _write_arrays(h5file.create_group("optimizer_weights"), optimizer_arrays)


def legacy_model_config(model):
    """``model``'s config as the legacy format writes it: ``{"class_name", "config"}``, where the layers of
    Sequential and functional models are legacy entries too (other nested objects keep Keras 3's form)."""
    entry = serialize_keras_object(model)
    if not isinstance(entry.get("config"), dict):
        raise ValueError(f"Cannot save model {model.name!r} ({type(model).__name__}) to HDF5: its get_config() "
                         "did not return a config.")
    return _legacy_entry(entry)


def _legacy_entry(entry):
    legacy = {"class_name": entry.get("registered_name") or entry["class_name"], "config": entry["config"]}
    if entry["class_name"] in _MODEL_CLASSES and isinstance(entry["config"].get("layers"), list):
        legacy["config"] = {**entry["config"], "layers": [_legacy_layer(layer) for layer in entry["config"]["layers"]]}
    return legacy


def _legacy_layer(entry):
    legacy = _legacy_entry(entry)
    for key in ("name", "inbound_nodes"):  # a functional model's graph, kept beside the entry
        if key in entry:
            legacy[key] = entry[key]
    return legacy


def _training_config(compile_config):
    """Keras's legacy ``training_config``: the compile arguments, the optimizer apart as ``optimizer_config``."""
    optimizer = compile_config["optimizer"]
    config = {key: _legacy_objects(compile_config.get(key))
              for key in ("loss", "loss_weights", "metrics", "weighted_metrics")}
    config.update({key: compile_config[key] for key in ("run_eagerly", "steps_per_execution", "jit_compile")})
    config["optimizer_config"] = {"class_name": optimizer.get("registered_name") or optimizer["class_name"],
                                  "config": optimizer["config"]}
    return config


def _legacy_objects(value):
    """Serialized losses and metrics in the legacy spelling: classes as ``{"class_name", "config"}``,
    functions by name."""
    if isinstance(value, list):
        return [_legacy_objects(item) for item in value]
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        if value["class_name"] == "function":
            return value.get("registered_name") or value["config"]
        return {"class_name": value.get("registered_name") or value["class_name"], "config": value["config"]}
    if isinstance(value, dict):
        return {key: _legacy_objects(item) for key, item in value.items()}
    return value


def _legacy_weights(layer):
    """A layer's weights in the legacy order: trainable ones, then the others."""
    return layer.trainable_weights + layer.non_trainable_weights


def _own_weights(model):
    """The model's own weights, held by no layer (a subclassed model's ``add_weight``)."""
    return list(model._trainable_variables) + list(model._non_trainable_variables)


def _named_arrays(variables):
    """``[(name, array)]``: each variable's path (unique in its group, as datasets need) and value."""
    named, used = [], set()
    for variable in variables:
        name = str(variable.path)
        while name in used:
            name += "_1"
        used.add(name)
        named.append((name, numpy.asarray(variable.numpy())))
    return named


def _optimizer_arrays(optimizer, model):
    """``[(name, array)]`` of the optimizer's variables in Keras's order, named as Keras names them
    (``adam/iteration``, ``adam/sequential_dense_kernel_momentum``, ...)."""
    values = h5_weights.optimizer_variables(optimizer)
    slots = list(optimizer._slot_names())
    head = 2 if optimizer._has_learning_rate_variable() else 1
    paths = [str(getattr(weight, "path", f"variable_{i}")).replace("/", "_")
             for i, weight in enumerate(model.trainable_weights)]
    names, used = [], set()
    for stored, position in enumerate(h5_weights._optimizer_order(optimizer)):
        slot = position - head
        if position < head:
            name = ("iteration", "learning_rate")[position]
        elif slots and slot // len(slots) < min(len(paths), len(optimizer._slots)):
            name = f"{paths[slot // len(slots)]}_{slots[slot % len(slots)]}"
        else:
            name = f"variable_{stored}"
        name = f"{optimizer.name}/{name}"
        while name in used:
            name += "_1"
        used.add(name)
        names.append(name)
    return list(zip(names, values))


def _write_arrays(group, named_arrays):
    _write_names(group, "weight_names", [name for name, _ in named_arrays])
    for name, array in named_arrays:
        group.create_dataset(name, data=array)


def _write_names(group, attribute, names):
    """A list of names as an attribute, split into ``<attribute>0``, ``<attribute>1``, ... when it is too long
    for one HDF5 attribute (the reader joins them)."""
    data = [name.encode("utf8") for name in names]
    too_long = [name for name in names if len(name.encode("utf8")) > _HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Cannot save to HDF5: the names {too_long} are longer than {_HEADER_LIMIT} bytes.")
    array = numpy.asarray(data)
    chunks = 1
    while any(part.nbytes > _HEADER_LIMIT for part in numpy.array_split(array, chunks)):
        chunks += 1
    if chunks == 1:
        group.attrs[attribute] = data
        return
    for i, part in enumerate(numpy.array_split(array, chunks)):
        group.attrs[f"{attribute}{i}"] = part


# ------------------------------------------------------------------ reading
def open_file(path):
    """The open h5py file at ``path``, or a ValueError naming it when it is not a readable HDF5 file."""
    h5py = h5_weights.import_h5py()
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path} is not a readable HDF5 file ({error}); it may be truncated or "
                         "corrupted.") from None


def read_model(path, custom_objects=None, compile=True, safe_mode=True):
    """The model saved in the legacy HDF5 file at ``path`` (see :func:`microkeras.saving.load_model`)."""
    with open_file(path) as h5file:
        config = _json_attribute(h5file, "model_config", path)
        if config is None:
            hint = (" It holds weights only (Keras 2's save_weights): build the model, then call "
                    "model.load_weights(path)." if "layer_names" in h5file.attrs else "")
            raise ValueError(f"{path}: no model config found in the file (the root attribute 'model_config' is "
                             f"missing), so it is not a whole-model HDF5 file written by model.save.{hint}")
        if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
            raise ValueError(f"{path}: 'model_config' must describe a model as {{'class_name', 'config'}}; "
                             f"received {str(config)[:120]}.")
        try:
            config = from_keras2_model(config, "model_config")
            model = deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=safe_mode)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error
        if not isinstance(model, Layer) or not hasattr(model, "compile"):
            raise ValueError(f"{path}: 'model_config' describes {type(model).__name__}, not a model.")
        group = h5file.get("model_weights")
        if not isinstance(group, h5_weights.import_h5py().Group):
            raise ValueError(f"{path}: the file has no 'model_weights' group, so it holds no weights.")
        if not model.built and _has_saved_weights(group):
            raise ValueError(
                f"{path}: the model {type(model).__name__} rebuilt from the file is not built (a subclassed model "
                "is built by its first call, and this format does not record the input shape), so its weights "
                "cannot be restored. Build the model (call it on data) and call model.load_weights(path), or "
                "save it as '.keras'.")
        read_weights(model, group, path)
        if compile:
            training_config = _json_attribute(h5file, "training_config", path)
            if training_config is None:
                warnings.warn(f"{path} holds no 'training_config' (its model was not compiled when saved), so "
                              "the loaded model is not compiled either: call compile() before fit().", stacklevel=3)
                return model
            _compile(model, training_config, path, custom_objects, safe_mode)
            _read_optimizer(model, h5file, path)
    return model


def load_weights(model, path, skip_mismatch=False, by_name=False):
    """Load the weights of a legacy HDF5 file (``model.save`` or Keras 2's ``save_weights``) into ``model``."""
    with open_file(path) as h5file:
        group = h5file
        if "layer_names" not in h5file.attrs and "model_weights" in h5file:
            group = h5file["model_weights"]
        if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
            raise ValueError(f"Cannot load weights from {path}: it has no 'layer_names' attribute, so it is not a "
                             "legacy HDF5 weights file (a file written by model.save_weights must be named "
                             "'.weights.h5').")
        read_weights(model, group, path, skip_mismatch=skip_mismatch, by_name=by_name)


def read_weights(model, group, source, skip_mismatch=False, by_name=False):
    """Load the layer weights of the ``model_weights`` group ``group`` into ``model``.

    Saved layers are matched to the model's layers that have weights, in
    order (or by name with ``by_name``).  All arrays are read and checked
    first; nothing is written unless they all fit (with ``skip_mismatch``, a
    layer that does not fit is left as it is, with a warning).
    """
    saved = _names(group, "layer_names", source)
    writes = []
    if by_name:
        by_layer_name = {}
        for layer in model.layers:
            by_layer_name.setdefault(layer.name, []).append(layer)
        pairs = [(name, layer) for name in saved for layer in by_layer_name.get(name, [])]
    else:
        layers = [layer for layer in model.layers if _legacy_weights(layer)]
        saved = [name for name in saved if _names(_group(group, name, source), "weight_names", source)]
        if len(saved) != len(layers):
            raise ValueError(f"Cannot load weights from {source}: it holds weights for {len(saved)} layer(s) "
                             f"({', '.join(saved) or 'none'}), but model {model.name!r} has {len(layers)} layer(s) "
                             f"with weights ({', '.join(layer.name for layer in layers) or 'none'}).")
        pairs = list(zip(saved, layers))
    for k, (name, layer) in enumerate(pairs):
        what = f"layer #{k} {layer.name!r} ({type(layer).__name__}; {name!r} in the file)"
        values = _read_arrays(_group(group, name, source), _legacy_weights(layer), what, source, skip_mismatch)
        if values is not None:
            writes += zip(_legacy_weights(layer), values)
    if _TOP_LEVEL in group and not by_name:
        values = _read_arrays(_group(group, _TOP_LEVEL, source), _own_weights(model),
                              f"the top-level weights of model {model.name!r}", source, skip_mismatch)
        writes += zip(_own_weights(model), values or [])
    for variable, value in writes:
        variable.assign(value)


def _has_saved_weights(group):
    return any(_names(group[name], "weight_names", "") for name in group if isinstance(group[name], type(group)))


def _read_arrays(group, variables, what, source, skip_mismatch):
    """The arrays ``group`` lists in ``weight_names``, checked against ``variables``; None when skipped."""
    try:
        names = _names(group, "weight_names", source)
        if len(names) != len(variables):
            raise ValueError(f"{what} expects {len(variables)} weight(s); the file holds {len(names)}")
        values = []
        for name, variable in zip(names, variables):
            values.append(_array(group, name, numpy.shape(variable.numpy()), variable.dtype, what))
    except ValueError as error:
        if skip_mismatch:
            warnings.warn(f"Skipping {what} while loading {source}: {error}.", stacklevel=4)
            return None
        raise ValueError(f"Cannot load weights from {source}: {error}.") from None
    return values


def _array(group, name, shape, dtype, what):
    return h5_weights.checked_array(group, name, f"{group.name}/{name}", shape, dtype, what)


def _group(parent, name, source):
    group = parent.get(name)
    if not isinstance(group, h5_weights.import_h5py().Group):
        raise ValueError(f"Cannot load weights from {source}: the group {parent.name.rstrip('/')}/{name} listed in "
                         "'layer_names' is missing.")
    return group


def _names(group, attribute, source):
    """A list-of-names attribute (joined from ``<attribute>0``, ``<attribute>1``, ... when it was split)."""
    if attribute in group.attrs:
        parts = [group.attrs[attribute]]
    else:
        parts, i = [], 0
        while f"{attribute}{i}" in group.attrs:
            parts.append(group.attrs[f"{attribute}{i}"])
            i += 1
    names = []
    for part in parts:
        for name in numpy.atleast_1d(part):
            name = name.decode("utf8") if isinstance(name, bytes) else name
            if not isinstance(name, str):
                raise ValueError(f"Cannot load weights from {source}: the attribute {attribute!r} of "
                                 f"{group.name} must list names; it holds {name!r}.")
            names.append(name)
    return names


def _json_attribute(h5file, name, path):
    value = h5file.attrs.get(name)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf8", errors="replace")
    try:
        return json.loads(value)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: the attribute {name!r} is not valid JSON ({error}).") from None


# ------------------------------------------------------------- compiling
def _compile(model, training_config, path, custom_objects, safe_mode):
    if not isinstance(training_config, dict) or not isinstance(training_config.get("optimizer_config"), dict):
        raise ValueError(f"{path}: 'training_config' must be a dict with an 'optimizer_config'; received "
                         f"{str(training_config)[:120]}.")
    compile_config = {"optimizer": _with_module(training_config["optimizer_config"], "keras.optimizers"),
                      "loss": _with_module(training_config.get("loss"), "keras.losses"),
                      "loss_weights": training_config.get("loss_weights"),
                      "metrics": _with_module(training_config.get("metrics"), "keras.metrics"),
                      "weighted_metrics": _with_module(training_config.get("weighted_metrics"), "keras.metrics")}
    _refuse_keras2_reduction(training_config.get("loss"), path)
    try:
        with CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
            compile_from_config(model, compile_config, where="training_config")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from error


def _refuse_keras2_reduction(loss, path):
    """Keras 2 loss objects were saved with ``reduction="auto"``, which Keras 3 refuses; so does microkeras,
    with the way out."""
    entries = loss if isinstance(loss, list) else list(loss.values()) if isinstance(loss, dict) and \
        "class_name" not in loss else [loss]
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("config"), dict) and \
                entry["config"].get("reduction") == "auto":
            raise ValueError(f"{path}: the loss {entry.get('class_name')} in 'training_config' has Keras 2's "
                             "reduction='auto'; Keras 3 (and microkeras) expect one of 'sum_over_batch_size', "
                             "'sum', 'mean', 'mean_with_sample_weight', 'none' or None. Load the model with "
                             "compile=False and call compile() again.")


def _with_module(value, module):
    """Legacy ``{"class_name", "config"}`` entries with the Keras module they come from, which is where a name
    without a module resolves (a custom or registered name resolves first)."""
    if isinstance(value, list):
        return [_with_module(item, module) for item in value]
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return {"module": module, **value}
    if isinstance(value, dict):
        return {key: _with_module(item, module) for key, item in value.items()}
    return value


def _read_optimizer(model, h5file, path):
    """Restore the optimizer's variables from ``optimizer_weights``; a state that does not fit the optimizer
    is skipped with a warning (the optimizer starts fresh), as Keras does."""
    group = h5file.get("optimizer_weights")
    optimizer = model.optimizer
    if group is None or not model.trainable_weights:
        return
    names = _names(group, "weight_names", path)
    if any(name.endswith(":0") for name in names):
        _read_keras2_optimizer(optimizer, group, names, path)
        return
    head = 2 if optimizer._has_learning_rate_variable() else 1
    if len(names) <= head:
        return  # saved before the first step: nothing beyond the configured iteration count and rate
    optimizer.build(model.trainable_weights)
    targets = h5_weights.optimizer_variables(optimizer)
    what = f"the optimizer ({type(optimizer).__name__})"
    try:
        if len(names) != len(targets):
            raise ValueError(f"the file holds {len(names)} variables, but {what} has {len(targets)}")
        values = [_array(group, name, numpy.shape(target), numpy.asarray(target).dtype, what)
                  for name, target in zip(names, targets)]
        h5_weights.set_optimizer_variables(optimizer, values, "the state in 'optimizer_weights'")
    except ValueError as error:
        warnings.warn(f"Skipping the optimizer state in {path}: {error}; the optimizer starts fresh.",
                      stacklevel=4)


def _read_keras2_optimizer(optimizer, group, names, path):
    """Keras 2 optimizer variables (TensorFlow names: ``Adam/iter:0``, ``Adam/dense/kernel/m:0``, ...).

    Keras 3 does not restore them: its ``set_weights`` pairs them with its own
    variables in order, so only the step count (first in both) is assigned
    before the first slot fails to fit.  The same happens here, said plainly.
    """
    if names[0].endswith("/iter:0"):
        count = _array(group, names[0], (), numpy.int64, "the optimizer's step count")
        optimizer.iterations = int(count)
    if len(names) > 1:
        warnings.warn(f"Skipping the optimizer state in {path}: its {len(names) - 1} slot variable(s) ({names[1]}, "
                      "...) are Keras 2's, which Keras 3 does not read either; the step count is kept and the "
                      "slots start fresh.", stacklevel=4)
