"""Masks: which steps of a padded sequence count (Keras's ``_keras_mask``).

A layer that makes a mask (``Embedding(mask_zero=True)``, ``Masking``)
attaches it to its output; each later layer whose ``call`` takes ``mask``
receives it, and a layer that supports masking hands it on through
``compute_mask``; losses and metrics give masked steps no weight.

Keras keeps the mask as an attribute of the tensor.  numpy arrays and
autograd's boxes take no attributes, so a mask is kept beside its array:

- inside a call scope (a pass, a training step), in the scope's ``masks``
  dict, keyed by the array's id and holding the array, so that the id stays
  its own while the scope lives (traced boxes live no longer than that);
- outside any scope, and for the arrays a pass returns, in a registry that
  holds the array weakly: the mask lives as long as its array, as an
  attribute would.
"""

import weakref

import numpy
from autograd.tracer import getval

from microkeras.call_scope import current_scope
from microkeras.layers.keras_tensor import flatten, map_structure

_registry = {}  # id(array) -> (weak reference to the array, its mask)


def get_keras_mask(x):
    """The mask attached to ``x``, or None."""
    key = id(x)
    scope = current_scope()
    while scope is not None:
        if scope.masks:
            entry = scope.masks.get(key)
            if entry is not None and entry[0] is x:
                return entry[1]
        scope = scope.parent
    if _registry:
        entry = _registry.get(key)
        if entry is not None and entry[0]() is x:
            return entry[1]
    return None


def set_keras_mask(x, mask):
    """Attach ``mask`` (a boolean array, or None to remove one) to ``x``."""
    scope = current_scope()
    if scope is not None:
        if mask is None:
            scope.masks.pop(id(x), None)
        else:
            scope.masks[id(x)] = (x, mask)
    else:
        _remember(x, mask)


def _remember(x, mask):
    key = id(x)
    if mask is None:
        _registry.pop(key, None)
        return
    try:
        reference = weakref.ref(x, lambda ref: _registry.pop(key, None) if _registry.get(key, (None,))[0] is ref
                                else None)
    except TypeError:  # numbers and traced boxes take no weak reference: nothing outlives them
        return
    _registry[key] = (reference, mask)


def any_masks(scope):
    """Whether any mask could be attached to a value seen in ``scope`` (a cheap test before looking)."""
    while scope is not None:
        if scope.masks:
            return True
        scope = scope.parent
    return bool(_registry)


def mask_of(structure):
    """The mask of one array, or the list (dict) of masks of a list (dict) of arrays; None if none has one."""
    if type(structure) in (list, tuple):
        masks = [get_keras_mask(leaf) for leaf in structure]
        return masks if any(mask is not None for mask in masks) else None
    if type(structure) is dict:
        masks = {key: get_keras_mask(leaf) for key, leaf in structure.items()}
        return masks if any(mask is not None for mask in masks.values()) else None
    return get_keras_mask(structure)


def attach_output_masks(layer, inputs, outputs, previous_mask):
    """Attach ``layer.compute_mask(inputs, previous_mask)`` to ``outputs``, unless every output
    has a mask already (set inside ``call``, or by the layers of a model)."""
    leaves = flatten(outputs)
    if all(get_keras_mask(leaf) is not None for leaf in leaves):
        return
    masks = layer.compute_mask(inputs, previous_mask)
    if masks is None:
        return
    for leaf, mask in zip(leaves, flatten(masks) if type(masks) in (list, tuple, dict) else [masks]):
        if mask is not None and get_keras_mask(leaf) is None:
            set_keras_mask(leaf, mask)


def keep_masks(outputs):
    """Keep the masks of the arrays a pass returns once its scope closes (called at the end of
    the outermost call, with the scope still open)."""
    for leaf in flatten(outputs):
        mask = get_keras_mask(leaf)
        if mask is not None:
            _remember(leaf, getval(mask))


def concrete(outputs):
    """The values of traced ``outputs`` (one array or a list/dict), each keeping its mask after the
    scope closes (for the metrics that run after a training step)."""
    if type(outputs) in (list, tuple, dict):
        return map_structure(concrete, outputs)
    value = getval(outputs)
    mask = get_keras_mask(outputs)
    if mask is not None:
        _remember(value, getval(mask))
    return value


def check_mask_shape(layer, inputs, mask, steps_axis=1):
    """Raise ``ValueError`` naming ``layer`` unless ``mask`` has one entry per sample and step
    (``steps_axis`` of ``inputs``)."""
    if mask is None:
        return
    expected = (numpy.shape(inputs)[0], numpy.shape(inputs)[steps_axis])
    if numpy.shape(mask) != expected:
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) received a mask of shape "
                         f"{numpy.shape(mask)} for inputs of shape {numpy.shape(inputs)}; expected a mask of "
                         f"shape {expected} (one entry per sample and step).")
