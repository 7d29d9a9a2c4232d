"""Saving and loading in Keras 3's formats; what names in configs resolve to, and the safe mode of loading.

``save_model``/``load_model`` (``.keras``, and the legacy ``.h5``),
``save_weights``/``load_weights`` (``.weights.h5``),
``serialize_keras_object``/``deserialize_keras_object``,
and the custom-object registry.  The saving functions are imported on first
use: layers import this package for the registry, and saving imports layers.
"""

from microkeras.saving.object_registration import (CustomObjectScope, SafeModeScope, custom_object_scope,
                                                   get_custom_objects, get_registered_name,
                                                   get_registered_object, register_keras_serializable)

_LAZY = {"save_model": "saving_api", "load_model": "saving_api", "save_weights": "saving_api",
         "load_weights": "saving_api", "serialize_keras_object": "serialization_lib",
         "deserialize_keras_object": "serialization_lib"}

__all__ = ["CustomObjectScope", "SafeModeScope", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_registered_name", "get_registered_object", "load_model", "load_weights",
           "register_keras_serializable", "save_model", "save_weights", "serialize_keras_object"]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
