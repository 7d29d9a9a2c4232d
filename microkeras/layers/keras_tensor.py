"""Symbolic tensors and nodes: the graph a functional model is made of.

``Input(shape)`` returns a :class:`KerasTensor`, a tensor with a shape and a
dtype but no values.  Calling a layer on symbolic tensors builds the layer,
states the shape of its outputs (``compute_output_shape``: no data flows) and
records the call as a :class:`Node`; each output tensor remembers the node
that produced it (``_keras_history``: the layer, the index of the node among
the layer's calls, and the index of the tensor among the node's outputs), so a
model can walk from its outputs back to its inputs.

Operators (``x + y``, ``x[:, :2]``, ``-x``...) and ``keras.ops`` functions
applied to KerasTensors record nodes too, whose operation is a
:class:`microkeras.ops.symbolic.Operation`: the operators call the ops Keras 3
maps them to (``__add__`` is ``ops.add``).  As in Keras 3, ``==`` is not
overridden: it stays identity, which the graph code relies on for hashing.
"""

import itertools
import warnings

import numpy

from microkeras.ops import symbolic

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

    def __iter__(self):
        raise TypeError(f"{self!r} is symbolic: it cannot be iterated over; slice it (x[:, 0]) or use "
                        "ops.unstack.")

    __array_ufunc__ = None  # numpy defers to the reflected operators: numpy_array + keras_tensor works

    def reshape(self, newshape):
        return _ops().reshape(self, newshape)

    def squeeze(self, axis=None):
        return _ops().squeeze(self, axis=axis)

    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().subtract(self, other)

    def __rsub__(self, other):
        return _ops().subtract(other, self)

    def __mul__(self, other):
        return _ops().multiply(self, other)

    def __rmul__(self, other):
        return _ops().multiply(other, self)

    def __matmul__(self, other):
        return _ops().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().matmul(other, self)

    def __truediv__(self, other):
        return _ops().true_divide(self, other)

    def __rtruediv__(self, other):
        return _ops().true_divide(other, self)

    def __floordiv__(self, other):
        return _ops().floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops().floor_divide(other, self)

    def __mod__(self, other):
        return _ops().mod(self, other)

    def __rmod__(self, other):
        return _ops().mod(other, self)

    def __pow__(self, other):
        return _ops().power(self, other)

    def __rpow__(self, other):
        return _ops().power(other, self)

    def __neg__(self):
        return _ops().negative(self)

    def __abs__(self):
        return _ops().absolute(self)

    def __lt__(self, other):
        return _ops().less(self, other)

    def __le__(self, other):
        return _ops().less_equal(self, other)

    def __gt__(self, other):
        return _ops().greater(self, other)

    def __ge__(self, other):
        return _ops().greater_equal(self, other)

    def __ne__(self, other):
        return _ops().not_equal(self, other)

    def __and__(self, other):
        return _ops().logical_and(self, other)

    def __rand__(self, other):
        return _ops().logical_and(other, self)

    def __or__(self, other):
        return _ops().logical_or(self, other)

    def __ror__(self, other):
        return _ops().logical_or(other, self)

    def __xor__(self, other):
        return _ops().logical_xor(self, other)

    def __rxor__(self, other):
        return _ops().logical_xor(other, self)

    def __invert__(self):
        return _ops().logical_not(self)

    def __getitem__(self, key):
        return _ops().get_item(self, key)

    def __round__(self, ndigits=None):
        return _ops().round(self, decimals=ndigits or 0)

    __hash__ = object.__hash__  # identity, as __eq__ (defining __ne__ leaves both as they were)


symbolic.KerasTensor = KerasTensor


def _ops():
    from microkeras import ops  # the public, graph-aware functions (ops is fully imported by now)

    return ops


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


def infer_outputs(function, args, kwargs, what):
    """KerasTensors for the outputs of ``function(*args, **kwargs)``, where KerasTensors are among the arguments.

    ``function`` runs twice on zeros of the tensors' shapes, each unknown
    (None) dimension sized 2, then 3; output dimensions that differ between
    the runs are unknown (None), the others are kept.  ``what`` names the
    function in errors.
    """
    shapes = [tensor.shape for tensor in flatten((args, kwargs)) if type(tensor) is KerasTensor]
    runs = []
    for size in (2, 3):
        probe_args, probe_kwargs = map_structure(
            lambda leaf: numpy.zeros([size if d is None else d for d in leaf.shape], leaf.dtype)
            if type(leaf) is KerasTensor else leaf, (args, kwargs))
        with numpy.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                runs.append(function(*probe_args, **probe_kwargs))
            except Exception as error:  # noqa: BLE001 -- any failure means the outputs cannot be stated
                kind = TypeError if isinstance(error, TypeError) else ValueError
                raise kind(f"{what} cannot take symbolic inputs of shapes {shapes}: run on zeros of those "
                           f"shapes it raised {type(error).__name__}: {error}") from error
    first, second = runs
    if not _same_structure(first, second):
        raise ValueError(f"{what} returned differently structured outputs for inputs of different batch sizes; "
                         "its output cannot be stated for symbolic inputs.")

    def tensor(one, other):
        if not isinstance(one, (numpy.ndarray, numpy.generic)):
            raise TypeError(f"{what} returned {type(one).__name__} {one!r} for symbolic inputs of shapes {shapes}; "
                            "only ops that return tensors can be part of a functional model.")
        if numpy.ndim(one) != numpy.ndim(other):
            raise ValueError(f"{what}: the rank of its output depends on the size of the inputs' unknown "
                             f"dimensions (shapes {shapes}), so it cannot be stated symbolically.")
        shape = tuple(a if a == b else None for a, b in zip(numpy.shape(one), numpy.shape(other)))
        return KerasTensor(shape, numpy.result_type(one))

    return _map_pairs(tensor, first, second)


def _same_structure(one, other):
    if isinstance(one, (list, tuple, dict)):
        return type(one) is type(other) and len(one) == len(other) and all(
            _same_structure(a, b) for a, b in zip(flatten(one), flatten(other)))
    return not isinstance(other, (list, tuple, dict))


def _map_pairs(function, one, other):
    if isinstance(one, (list, tuple)):
        return type(one)(_map_pairs(function, a, b) for a, b in zip(one, other))
    if isinstance(one, dict):
        return {key: _map_pairs(function, one[key], other[key]) for key in one}
    return function(one, other)


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
