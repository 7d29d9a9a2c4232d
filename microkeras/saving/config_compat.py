"""Keras 3 spellings in configs that microkeras reads as its own.

A config written by Keras 3.15 differs from microkeras's in a few places that
carry no information for a float32 numpy framework:

* ``dtype`` is a ``DTypePolicy`` entry (``{"class_name": "DTypePolicy",
  "config": {"name": "float32"}, ...}``) instead of the string ``"float32"``;
* some keys are Keras features microkeras does not have, written at their
  defaults (``quantization_config: null`` in Dense and Embedding,
  ``ragged: false`` in InputLayer, ``input_axes``/``output_axes: null`` in
  the variance-scaling initializers, ...).

:func:`from_keras` rewrites them; a Keras-only key set to anything but its
default is refused, naming the feature, instead of being silently dropped.
"""

# Keras-only config keys and the value that means "feature not used".
KERAS_ONLY_DEFAULTS = {
    "quantization_config": None,  # Dense, Embedding, EinsumDense (keras/src/layers/core/dense.py)
    "ragged": False,  # InputLayer
    "autocast": True,  # Layer
    "input_axes": None,  # VarianceScaling and its presets (keras/src/initializers/random_initializers.py)
    "output_axes": None,
    "num_labels": None,  # AUC
    "label_weights": None,
    "lora_rank": None,  # Dense, Embedding
    "lora_alpha": None,
}


def from_keras(entry, where):
    """``entry`` (a ``{"class_name", "config", ...}`` dict) with Keras-only spellings rewritten, at any depth.

    ``where`` names the entry in errors.  The input is not modified.
    """
    if isinstance(entry, list):
        return [from_keras(item, where) for item in entry]
    if not isinstance(entry, dict):
        return entry
    if entry.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and isinstance(entry.get("config"), dict):
        return policy_name(entry, where)
    out = {key: from_keras(value, where) for key, value in entry.items()}
    inner = out.get("config")
    if "class_name" in out and isinstance(inner, dict):
        out["config"] = {key: value for key, value in inner.items() if not _unused_keras_key(key, value, where)}
        if isinstance(inner.get("dtype"), dict):
            out["config"]["dtype"] = policy_name(inner["dtype"], where)
    return out


def policy_name(policy, where):
    """The dtype a Keras ``DTypePolicy`` entry names; only float32 computation is supported."""
    name = policy.get("config", {}).get("name")
    if name != "float32":
        raise ValueError(f"{where}: the dtype policy {name!r} is not supported; microkeras computes in float32 "
                         "only. Save the model from Keras with dtype='float32'.")
    return name


def _unused_keras_key(key, value, where):
    if key not in KERAS_ONLY_DEFAULTS:
        return False
    if value != KERAS_ONLY_DEFAULTS[key]:
        raise ValueError(f"{where}: Keras's `{key}={value!r}` is not supported by microkeras (only "
                         f"{KERAS_ONLY_DEFAULTS[key]!r}, Keras's default, is).")
    return True


def from_keras2_model(entry, where):
    """The model entry ``entry`` (``{"class_name", "config"}``) with tf.keras 2.x spellings rewritten in its
    layers, nested models included.  The input is not modified."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        return entry
    config = dict(entry["config"])
    if isinstance(config.get("axis"), list) and len(config["axis"]) == 1 and isinstance(config["axis"][0], int):
        config["axis"] = config["axis"][0]
    if isinstance(config.get("layers"), list):
        layers = []
        for position, layer in enumerate(config["layers"]):
            layer = from_keras2_model(layer, f"{where}.layers[{position}]")
            if isinstance(layer, dict) and isinstance(layer.get("inbound_nodes"), list):
                layer = {**layer, "inbound_nodes": [
                    _keras2_call(call, f"{where}.layers[{position}].inbound_nodes[{i}]")
                    for i, call in enumerate(layer["inbound_nodes"])]}
            layers.append(layer)
        config["layers"] = layers
    return {**entry, "config": config}


def _keras2_call(call, where):
    """A Keras 2 call (a list of ``[layer, node index, tensor index(, kwargs)]``) as Keras 3's
    ``{"args", "kwargs"}``; a Keras 3 call is returned as it is."""
    if not isinstance(call, list):
        return call
    tensors, kwargs = [], {}
    for item in call:
        if not (isinstance(item, list) and len(item) in (3, 4) and isinstance(item[0], str)
                and isinstance(item[1], int) and isinstance(item[2], int)
                and (len(item) == 3 or isinstance(item[3], dict))):
            raise ValueError(f"{where}: a Keras 2 call lists its inputs as [layer name, node index, tensor "
                             f"index, kwargs]; received {item!r}.")
        tensors.append({"class_name": "__keras_tensor__", "config": {"keras_history": item[:3]}})
        if len(item) == 4:
            kwargs = item[3]  # Keras 3 keeps the last input's kwargs, as Keras 2 wrote them
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}
