"""Models from their configs: ``model_from_json`` and ``clone_model``."""

import json

from microkeras.models.functional import Functional
from microkeras.models.sequential import Sequential

_MODEL_CLASSES = {"Sequential": Sequential, "Functional": Functional, "Model": Functional}


def model_from_json(json_string, custom_objects=None, safe_mode=None):
    """Rebuild a model (freshly initialized weights) from ``model.to_json()``.

    Nothing named in the JSON is imported; classes and functions resolve only
    to ``custom_objects``, registered objects and microkeras's own, and code
    saved in it (a ``Lambda``'s Python lambda) loads only with
    ``safe_mode=False``.
    """
    data = json.loads(json_string)
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise ValueError("model_from_json: expected a JSON object with 'class_name' and a 'config' object.")
    model_class = _MODEL_CLASSES.get(data.get("class_name"))
    if model_class is None:
        raise ValueError(f"model_from_json: expected a Sequential or functional model; received class "
                         f"{data.get('class_name')!r}.")
    return model_class.from_config(data["config"], custom_objects=custom_objects, safe_mode=safe_mode)


def clone_model(model, custom_objects=None):
    """A new model of the same architecture, with new layers and freshly initialized weights.

    Works for ``Sequential`` and functional models (Keras's ``clone_model``
    does the same: it copies the architecture, not the weights; copy them with
    ``clone.set_weights(model.get_weights())``).
    """
    if not isinstance(model, (Sequential, Functional)):
        raise ValueError(f"clone_model: expected a Sequential or functional model; received "
                         f"{type(model).__name__}. A subclassed model is cloned with "
                         "type(model).from_config(model.get_config()).")
    return type(model).from_config(model.get_config(), custom_objects=custom_objects)
