"""Saving and loading: what names in configs resolve to, and the safe mode of loading."""

from microkeras.saving.object_registration import (CustomObjectScope, SafeModeScope, custom_object_scope,
                                                   get_registered_name, get_registered_object,
                                                   register_keras_serializable)

__all__ = ["CustomObjectScope", "SafeModeScope", "custom_object_scope", "get_registered_name",
           "get_registered_object", "register_keras_serializable"]
