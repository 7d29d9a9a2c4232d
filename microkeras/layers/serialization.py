"""Layers as the entries of a model's config, and back (Keras 3's layout)."""

import inspect

from microkeras.layers.core import InputLayer
from microkeras.layers.layer import get_layer_class
from microkeras.saving.config_compat import from_keras
from microkeras.saving.object_registration import keras_module, keras_registered_name


def serialize_layer(layer):
    """A layer as Keras 3's ``{module, class_name, config, registered_name, build_config}`` dict.

    microkeras's own layers are written under Keras's module paths
    (``keras.layers``), so that Keras 3 can load the config too.
    """
    cls = type(layer)
    entry = {"module": keras_module(cls), "class_name": cls.__name__, "config": layer.get_config(),
             "registered_name": keras_registered_name(cls)}
    if layer.built and layer._build_input_shape is not None and not isinstance(layer, InputLayer):
        entry["build_config"] = {"input_shape": _jsonable(layer._build_input_shape)}
    return entry


def deserialize_layer(entry, where, custom_objects=None):
    """The (unbuilt) layer a ``{class_name, config}`` entry describes; ``where`` names it in errors.

    The class resolves only to ``custom_objects``, registered objects and
    classes already defined; nothing is imported.  Keras 3's spellings (a
    ``DTypePolicy`` dtype, Keras-only keys at their defaults) are read too.
    """
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) \
            or not isinstance(entry.get("config"), dict):
        raise ValueError(f"{where} must be a dict with 'class_name' (a string) and 'config' (a dict); "
                         f"received {type(entry).__name__} {str(entry)[:80]}.")
    layer_cls = get_layer_class(entry["class_name"], custom_objects, entry.get("registered_name"))
    entry = from_keras(entry, where)
    try:
        if "custom_objects" in inspect.signature(layer_cls.from_config).parameters:
            return layer_cls.from_config(entry["config"], custom_objects=custom_objects)
        return layer_cls.from_config(entry["config"])
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{where} ({entry['class_name']}): {error}") from error


def deserialize_built_layer(entry, where, custom_objects=None):
    """:func:`deserialize_layer`, then built for the entry's ``build_config`` when it has one (as Keras 3
    builds what it deserializes): for layers held by a layer's config (a recurrent layer's cell)."""
    layer = deserialize_layer(entry, where, custom_objects)
    shape = (entry.get("build_config") or {}).get("input_shape")
    if shape is not None and not layer.built:
        layer.build(tuple(shape))
    return layer


def _jsonable(shape):
    """A shape, or a structure of shapes, as lists."""
    if isinstance(shape, dict):
        return {key: _jsonable(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return [_jsonable(item) for item in shape]
    return list(shape)
