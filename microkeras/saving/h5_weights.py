"""Keras 3's weights layout in HDF5: ``model.weights.h5`` inside a ``.keras`` file, and ``.weights.h5`` files.

Keras walks the model (``keras/src/saving/saving_lib.py``, ``_save_state``)
and gives every layer and the optimizer a group of its own:

* ``<path>/vars`` holds the object's own variables as datasets ``"0"``,
  ``"1"``, ...: a layer's weights created trainable, then the others, in
  creation order; the group's attribute ``name`` is the object's name.  The
  model itself is at the root (``vars``).
* A child found in an attribute sits at ``<path>/<attribute>``; Sequential
  and functional models list theirs under ``layers``.  Layers found in a
  list or dict attribute get the snake-cased class name made unique in that
  container (``layers/dense``, ``layers/dense_1``): files do not depend on
  layer names.  Attributes are visited in sorted order, private ones last,
  and each object once, where it is first met.
* ``optimizer/vars`` holds the iteration count, the learning rate (unless it
  is a schedule) and the slots, in the order Keras creates them: Adam's
  momentum and velocity side by side for each weight, RMSprop's velocities
  of all weights, then its momentums.

Reading checks every array against the model (count, shape, numeric type,
stored in this file rather than linked from another) before anything is
written, so a file that does not fit leaves the model as it was.  The state
of an optimizer with another number of variables (another optimizer, or
other settings) is skipped with a warning, as Keras 3 does.  h5py is
imported only when a file is read or written.
"""

import warnings

import numpy

from microkeras.layers.layer import _UNTRACKED, Layer
from microkeras.models.functional import Functional
from microkeras.models.model import Model
from microkeras.models.sequential import Sequential
from microkeras.optimizers import Optimizer
from microkeras.utils.naming import to_snake_case

# Keras creates these slots in separate passes over the weights (keras/src/optimizers/rmsprop.py, adam.py);
# the slots of one pass are side by side for each weight.
_SLOT_PASSES = {
    "RMSprop": (("velocity",), ("momentum",), ("average_gradient",)),
    "Adam": (("momentum", "velocity"), ("velocity_hat",)),
    "AdamW": (("momentum", "velocity"), ("velocity_hat",)),
}


def import_h5py():
    """h5py, or an ImportError saying how to install it."""
    try:
        import h5py
    except ImportError:
        raise ImportError("Saving and loading weights needs h5py, the HDF5 library Keras uses too. Install it "
                          "with: pip install 'microkeras[h5]'") from None
    return h5py


def checked_array(group, name, where, shape, dtype, what):
    """``group[name]`` as an array of ``dtype``, or a ValueError naming ``where`` unless it is a numeric
    dataset stored in this file (no link elsewhere, not virtual) of ``shape``, as ``what`` expects."""
    link = group.get(name, getlink=True)
    if link is None:
        raise ValueError(f"'{where}', listed in 'weight_names', is missing")
    if not isinstance(link, import_h5py().HardLink):
        raise ValueError(f"'{where}' is a link to elsewhere, not an array stored in the file")
    dataset = group[name]
    if getattr(dataset, "is_virtual", False):
        raise ValueError(f"'{where}' is a virtual dataset (data kept in other files)")
    if not hasattr(dataset, "dtype") or dataset.dtype.kind not in "biuf":
        raise ValueError(f"'{where}' is not an array of numbers")
    if tuple(dataset.shape) != tuple(shape):
        raise ValueError(f"'{where}' has shape {tuple(dataset.shape)}, but {what} expects {tuple(shape)}")
    return numpy.asarray(dataset[()], dtype=dtype)


# ------------------------------------------------------------------ the walk
def state_entries(model):
    """``[(path, owner)]``: every layer (the model included) and optimizer, with its group path, in Keras's order."""
    entries, visited = [], set()
    _walk(model, "", entries, visited)
    return entries


def _bare_layer_attributes():
    """What every layer holds for itself (Keras skips a bare Layer's attributes too); named, so that
    making the probe takes no default name from the counter."""
    return set(vars(Layer(name="saving_probe"))) | {"_layers", "_operations"}


_SKIP = None


def _children(owner):
    """``(attribute, value)`` pairs of ``owner`` Keras visits: ``layers`` first for Sequential and functional
    models, then the attributes (and a subclassed model's ``layers``) sorted, private ones last."""
    global _SKIP
    if _SKIP is None:
        _SKIP = _bare_layer_attributes() | _UNTRACKED
    if not isinstance(owner, Layer):
        return []
    attributes = {key: value for key, value in vars(owner).items() if key not in _SKIP}
    first = []
    if isinstance(owner, (Sequential, Functional)):
        first = [("layers", owner.layers)]
    elif isinstance(owner, Model):
        attributes["layers"] = owner.layers  # a subclassed model's property, visited in sorted order
    ordered = sorted(attributes, key=lambda key: "~" + key if key.startswith("_") else key)
    return first + [(key, attributes[key]) for key in ordered]


def _join(path, name):
    return f"{path}/{name}" if path else name


def _walk(owner, path, entries, visited):
    if id(owner) in visited:
        return
    visited.add(id(owner))
    entries.append((path, owner))
    for name, value in _children(owner):
        if isinstance(value, (Layer, Optimizer)):
            _walk(value, _join(path, name), entries, visited)
        elif type(value) in (list, tuple, dict):
            _walk_container(value, _join(path, name), entries, visited, set())


def _walk_container(container, path, entries, visited, seen):
    if id(container) in seen:
        return
    seen.add(id(container))
    used = {}
    for value in (container.values() if isinstance(container, dict) else container):
        if isinstance(value, (Layer, Optimizer)):
            _walk(value, _join(path, _unique(to_snake_case(type(value).__name__), used)), entries, visited)
        elif type(value) in (list, tuple, dict):
            _walk_container(value, _join(path, _unique("container", used)), entries, visited, seen)


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


# -------------------------------------------------------------- own variables
def own_arrays(owner):
    """The arrays Keras stores for ``owner``: a layer's own weights, or the optimizer's variables."""
    if isinstance(owner, Optimizer):
        return optimizer_variables(owner) if owner.built else []
    return [variable.numpy() for variable in owner._trainable_variables + owner._non_trainable_variables]


def _optimizer_order(optimizer):
    """Positions in ``optimizer.variables`` of the variables in Keras's order."""
    count = len(optimizer.variables)
    names = list(optimizer._slot_names())
    weights = len(optimizer._slots) if optimizer.built else 0
    has_rate = getattr(optimizer, "_has_learning_rate_variable", lambda: True)()
    head = 2 if has_rate else 1
    passes = _SLOT_PASSES.get(type(optimizer).__name__, (tuple(names),))
    order = list(range(head))
    for group in passes:
        present = [name for name in group if name in names]
        for weight in range(weights):
            order += [head + weight * len(names) + names.index(name) for name in present]
    return order + list(range(head + weights * len(names), count))  # e.g. Nadam's u_product, last


def optimizer_variables(optimizer):
    """``optimizer.variables`` in the order Keras 3 stores them."""
    variables = optimizer.variables
    return [numpy.asarray(variables[i]) for i in _optimizer_order(optimizer)]


# ------------------------------------------------------------------ writing
def write_weights(model, h5file):
    """Write ``model``'s weights (and its optimizer's, once built) into the open h5py file ``h5file``."""
    for path, owner in state_entries(model):
        group = h5file.create_group(_join(path, "vars"))
        group.attrs["name"] = owner.name
        for i, array in enumerate(own_arrays(owner)):
            group.create_dataset(str(i), data=array)


# ------------------------------------------------------------------ reading
def read_weights(model, h5file, source, skip_mismatch=False):
    """Load the weights in the open h5py file ``h5file`` into ``model`` (and its optimizer, if compiled).

    Everything is read and checked first; nothing is written unless all of it
    fits.  With ``skip_mismatch``, a layer whose weights do not fit is left as
    it is, with a warning.  ``source`` names the file in errors.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built and _has_group(h5file, "optimizer/vars") \
            and model.trainable_weights:
        optimizer.build(model.trainable_weights)  # slots to load into, as Keras's compile_from_config does
    writes, optimizer_values = [], None
    for path, owner in state_entries(model):
        values = _read_group(h5file, path, owner, source, skip_mismatch)
        if values is None:
            continue
        if isinstance(owner, Optimizer):
            optimizer_values = (owner, values)
        else:
            writes += zip(owner._trainable_variables + owner._non_trainable_variables, values)
    if optimizer_values is not None:
        set_optimizer_variables(*optimizer_values, f"{source}: the optimizer state in 'optimizer/vars'")
    for variable, value in writes:
        variable.assign(value)


def set_optimizer_variables(optimizer, values, what):
    """Set ``optimizer``'s variables from ``values``, given in Keras's order (:func:`optimizer_variables`).

    The optimizer checks every value before writing any; a ValueError starts with ``what``.
    """
    ordered = [None] * len(values)
    for stored, position in enumerate(_optimizer_order(optimizer)):
        ordered[position] = values[stored]
    try:
        optimizer.set_weights(ordered)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} does not fit: {error}") from None


def _has_group(h5file, path):
    return isinstance(h5file.get(path), _h5py_group())


def _h5py_group():
    return import_h5py().Group


def _read_group(h5file, path, owner, source, skip_mismatch):
    """The arrays stored for ``owner``, checked against its variables; None when skipped."""
    where = _join(path, "vars")
    what = (f"the optimizer ({type(owner).__name__})" if isinstance(owner, Optimizer)
            else f"layer {owner.name!r} ({type(owner).__name__})")
    if isinstance(owner, Optimizer):
        if not owner.built or not _has_group(h5file, where):
            return None  # nothing to restore into, or a file saved before the optimizer ran
        targets = optimizer_variables(owner)
    else:
        targets = own_arrays(owner)
    group = h5file.get(where)
    try:
        if not isinstance(group, _h5py_group()):
            raise ValueError(f"it has no group {where!r} for {what}" if group is None
                             else f"{where!r} is not a group")
        keys = sorted(group.keys(), key=lambda key: int(key) if key.isdigit() else -1)
        if keys != [str(i) for i in range(len(keys))]:
            raise ValueError(f"{where!r} must hold datasets named '0', '1', ...; it holds {keys}")
        if len(keys) != len(targets) and isinstance(owner, Optimizer):
            # Another optimizer, or other settings (Keras 3 skips such a state with a warning too).
            warnings.warn(f"Skipping the optimizer state in {source}: {where!r} holds {len(keys)} variables, but "
                          f"{what} has {len(targets)}; the optimizer starts fresh.", stacklevel=3)
            return None
        if len(keys) != len(targets):
            raise ValueError(f"{where!r} holds {len(keys)} arrays, but {what} has {len(targets)}")
        values = [checked_array(group, key, f"{where}/{key}", numpy.shape(target), numpy.asarray(target).dtype,
                                what) for key, target in zip(keys, targets)]
    except ValueError as error:
        if skip_mismatch:
            warnings.warn(f"Skipping {what} while loading {source}: {error}.", stacklevel=3)
            return None
        raise ValueError(f"Cannot load weights from {source}: {error}.") from None
    return values
