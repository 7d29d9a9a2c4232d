"""Any object of a model as Keras 3 writes it in ``config.json``, and back.

:func:`serialize_keras_object` turns a layer, model, optimizer, loss,
metric, initializer, regularizer, constraint or function into Keras 3's
``{"module", "class_name", "config", "registered_name"}`` dict (plus
``build_config``, and ``compile_config`` for a compiled model), with
Keras's public module paths (``keras.layers``, ``keras.optimizers``, ...) so
that Keras loads it.  :func:`deserialize_keras_object` is the inverse, for
dicts written by either side (``keras/src/saving/serialization_lib.py``).

Nothing is imported because a config names it: a class resolves only to
``custom_objects``, registered objects (``registered_name``),
microkeras's own public objects and the layer classes already defined in
this session (as :func:`~microkeras.layers.layer.get_layer_class` resolves
the layers of a model's config); functions go through
:func:`~microkeras.saving.object_registration.deserialize_function`, which
loads a Python lambda only in unsafe mode.
"""

import inspect
import types

import numpy

from microkeras.layers.layer import Layer, _defined_layer_class, get_layer_class
from microkeras.layers.serialization import deserialize_layer, serialize_layer
from microkeras.saving.config_compat import from_keras
from microkeras.saving.object_registration import (CustomObjectScope, SafeModeScope, _own_object,
                                                   deserialize_function, get_registered_object,
                                                   keras_module, keras_registered_name, serialize_function)

_PLAIN = (str, int, float, bool)


def serialize_keras_object(obj):
    """``obj`` as Keras 3 writes it in configs (plain values, lists and dicts are kept, recursively)."""
    if obj is None or isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, numpy.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, (numpy.ndarray, numpy.generic)):
        return obj.item()
    if isinstance(obj, Layer):
        return _serialize_layer_or_model(obj)
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        entry = serialize_function(obj)
        if entry.get("class_name") == "function":
            entry["module"] = keras_module(obj)
        return entry
    if hasattr(obj, "get_config"):
        cls = type(obj)
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(f"{cls.__name__}.get_config() must return a dict; it returned {type(config).__name__}.")
        return {"module": keras_module(cls), "class_name": cls.__name__, "config": serialize_keras_object(config),
                "registered_name": keras_registered_name(cls)}
    raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}: it is not a plain value, a "
                    "function, or an object with `get_config()`.")


def _serialize_layer_or_model(layer):
    entry = serialize_layer(layer)
    entry["config"] = serialize_keras_object(entry["config"])
    if type(layer).__name__ == "Functional" and entry["module"].startswith("keras"):
        entry["registered_name"] = "Functional"  # as Keras 3.15 writes its functional models
    compile_config = get_compile_config(layer)
    if compile_config is not None:
        entry["compile_config"] = compile_config
    return entry


def get_compile_config(model):
    """Keras 3's ``compile_config`` of a compiled model (None if it is not compiled)."""
    arguments = getattr(model, "_compile_arguments", None)
    if not getattr(model, "compiled", False) or arguments is None:
        return None
    config = {key: serialize_keras_object(value) for key, value in arguments.items()}
    return {**config, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": "auto"}


def compile_from_config(model, compile_config, where="compile_config"):
    """Compile ``model`` as ``compile_config`` (Keras 3's ``compile_config``) describes."""
    if not isinstance(compile_config, dict):
        raise ValueError(f"{where} must be a dict of compile() arguments; received "
                         f"{type(compile_config).__name__}.")
    arguments = {key: _deserialize(compile_config.get(key), f"{where}.{key}")
                 for key in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")}
    if arguments["optimizer"] is None:
        arguments["optimizer"] = "rmsprop"
    model.compile(**arguments)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a :func:`serialize_keras_object` dict (or Keras 3's) describes.

    A string is returned as is unless ``custom_objects`` or the registry holds
    that name; lists and dicts of configs are deserialized item by item.
    ``safe_mode=True`` refuses code saved in a config (a lambda).
    """
    if kwargs.keys() - {"module_objects"}:
        raise TypeError(f"deserialize_keras_object() got unexpected keyword argument(s): "
                        f"{', '.join(sorted(kwargs.keys() - {'module_objects'}))}.")
    with CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
        return _deserialize(config, "config", custom_objects)


def _deserialize(config, where, custom_objects=None):
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        found = get_registered_object(config)
        return config if found is None else found
    if isinstance(config, (list, tuple)):
        return [_deserialize(item, f"{where}[{i}]", custom_objects) for i, item in enumerate(config)]
    if not isinstance(config, dict):
        raise ValueError(f"{where}: cannot read {type(config).__name__} {config!r} as a config.")
    if "class_name" not in config or "config" not in config:
        return {key: _deserialize(value, f"{where}.{key}", custom_objects) for key, value in config.items()}
    class_name = config["class_name"]
    if class_name == "__numpy__":
        return _numpy_value(config["config"], where)
    if class_name in ("function", "__lambda__"):
        return deserialize_function(config, where, custom_objects)
    if not isinstance(class_name, str) or not isinstance(config["config"], dict):
        raise ValueError(f"{where} must have a string 'class_name' and a dict 'config'; received "
                         f"{str(config)[:120]}.")
    cls = _resolve_class(config, where, custom_objects)
    if issubclass(cls, Layer):
        return _deserialize_layer(config, where, custom_objects)
    inner = from_keras(config, where)["config"]
    inner = {key: _deserialize_argument(value, f"{where}.config.{key}", custom_objects)
             for key, value in inner.items()}
    try:
        return cls.from_config(inner)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where} ({class_name}): {error}") from error


def _deserialize_argument(value, where, custom_objects):
    """A constructor argument inside a config: nested objects are rebuilt, plain values kept as written."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return _deserialize(value, where, custom_objects)
    return value


def _resolve_class(config, where, custom_objects):
    """The class a config entry names: custom or registered first, then microkeras's own; never imported."""
    class_name, module = config["class_name"], config.get("module")
    for name in (config.get("registered_name"), class_name):
        if isinstance(name, str):
            found = get_registered_object(name, custom_objects)
            if found is not None:
                if not inspect.isclass(found) or not hasattr(found, "from_config"):
                    raise ValueError(f"{where}: {name!r} resolves to {found!r}, which is not a class with "
                                     "`from_config`.")
                return found
    if isinstance(module, str) and module.split(".")[0] in ("keras", "microkeras"):
        family = module.split(".")[1] if "." in module else "models"
        if family in ("layers", "models", "src"):
            return get_layer_class(class_name, custom_objects, config.get("registered_name"))
        found = _own_object(module, class_name)
        if inspect.isclass(found) and hasattr(found, "from_config"):
            return found
    # A layer or model class defined in this session, as layers inside a model's config resolve too.
    defined = _defined_layer_class(class_name)
    if defined is not None:
        return defined
    raise ValueError(
        f"{where}: unknown class {class_name!r} (module {module!r}). Nothing is imported because a file names "
        f"it: pass it in `custom_objects` ({{{class_name!r}: {class_name}}}) or register it with "
        "@microkeras.saving.register_keras_serializable().")


def _deserialize_layer(config, where, custom_objects):
    layer = deserialize_layer(config, where, custom_objects)
    build_shape = (config.get("build_config") or {}).get("input_shape")
    if not layer.built and build_shape is not None:
        layer.build(_as_shapes(build_shape))
    return layer


def _as_shapes(shape):
    """A JSON shape (list) or structure of shapes as tuples."""
    if isinstance(shape, dict):
        return {key: _as_shapes(value) for key, value in shape.items()}
    if isinstance(shape, list) and shape and isinstance(shape[0], (list, dict)):
        return [_as_shapes(item) for item in shape]
    return tuple(shape)


def _numpy_value(settings, where):
    try:
        dtype = numpy.dtype(settings.get("dtype", "float32"))
    except (AttributeError, TypeError):
        dtype = None
    if dtype is None or dtype.kind not in "biuf":
        raise ValueError(f"{where}: a '__numpy__' entry must hold numbers with a numeric dtype.")
    return numpy.array(settings.get("value"), dtype=dtype)
