"""Symbolic tensors and nodes: the graph a functional model is made of.

``Input(shape)`` returns a :class:`KerasTensor`, a tensor with a shape and a
dtype but no values.  Calling a layer on symbolic tensors builds the layer,
states the shape of its outputs (``compute_output_shape``: no data flows) and
records the call as a :class:`Node`; each output tensor remembers the node
that produced it (``_keras_history``: the layer, the index of the node among
the layer's calls, and the index of the tensor among the node's outputs), so a
model can walk from its outputs back to its inputs.
"""

import itertools

import numpy

_counter = itertools.count()


class KerasTensor:
    """A symbolic tensor: ``shape`` (batch dimension first, None where unknown), ``dtype``, ``name``."""

    __slots__ = ("shape", "dtype", "name", "_keras_history")
    sparse = ragged = False  # Keras 3's other two attributes: microkeras has dense tensors only

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(numpy.dtype(dtype))
        count = next(_counter)
        self.name = name if name is not None else ("keras_tensor" if count == 0 else f"keras_tensor_{count}")
        self._keras_history = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, ragged=False, name={self.name}>"

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"{self!r} is a symbolic tensor of a functional model: it has a shape but no values. "
                        "Call layers on it to build a model, then call the model on data.")

    def __bool__(self):
        raise TypeError(f"{self!r} is symbolic: its truth value is not known until the model runs on data.")


class Node:
    """One call of a layer on symbolic tensors.

    Attributes
    ----------
    layer : Layer
    args, kwargs : the call's arguments, with KerasTensors where tensors were given
    inputs : list of KerasTensor
        The symbolic tensors among the arguments, in order.
    outputs : list of KerasTensor
        The call's outputs, flattened.
    """

    __slots__ = ("layer", "args", "kwargs", "inputs", "outputs")

    def __init__(self, layer, args, kwargs, outputs):
        self.layer, self.args, self.kwargs = layer, args, kwargs
        self.inputs = [t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        self.outputs = flatten(outputs)
        index = len(layer._inbound_nodes)
        for position, tensor in enumerate(self.outputs):
            tensor._keras_history = (layer, index, position)
        layer._inbound_nodes.append(self)

    @property
    def parents(self):
        """The nodes whose outputs this node takes."""
        return [tensor._keras_history[0]._inbound_nodes[tensor._keras_history[1]] for tensor in self.inputs]


def sorted_keys(mapping):
    """The keys of a dict in the order Keras 3 flattens it: sorted (insertion order if the keys
    cannot be compared).  ``Model({"b": ..., "a": ...}, ...)`` lists its inputs ``a``, ``b``."""
    try:
        return sorted(mapping)
    except TypeError:
        return list(mapping)


def flatten(structure):
    """The leaves of nested lists, tuples and dicts (dict values in :func:`sorted_keys` order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted_keys(structure) for leaf in flatten(structure[key])]
    return [structure]


def map_structure(function, structure):
    """``structure`` with ``function`` applied to every leaf (lists, tuples and dicts kept)."""
    if isinstance(structure, list):
        return [map_structure(function, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(function, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(function, item) for key, item in structure.items()}
    return function(structure)


def is_symbolic(structure):
    """Whether ``structure`` is, or holds, a KerasTensor."""
    if type(structure) is KerasTensor:
        return True
    if type(structure) in (list, tuple):
        return any(is_symbolic(item) for item in structure)
    if type(structure) is dict:
        return any(is_symbolic(item) for item in structure.values())
    return False


def is_shape(value):
    """Whether ``value`` is one shape (a tuple or list of ints and Nones), not a structure of shapes."""
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, (int, numpy.integer)) for d in value)
