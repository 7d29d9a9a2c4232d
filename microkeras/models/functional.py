"""The functional API: a model defined by its symbolic inputs and outputs.

``Model(inputs, outputs)`` walks back from ``outputs`` through the nodes the
layers recorded when they were called on symbolic tensors
(:mod:`microkeras.layers.keras_tensor`), keeps the nodes that lead from
``inputs`` to ``outputs`` in an order where every node comes after the nodes
it takes from, and runs them in that order on data::

    inputs = Input(shape=(784,))
    x = Dense(64, activation="relu")(inputs)
    outputs = Dense(10, activation="softmax")(x)
    model = Model(inputs=inputs, outputs=outputs)

Inputs and outputs may each be one tensor, a list or a dict.  Building the
graph runs no layer on data; a call of the model runs each layer once per node.

Operators and ``keras.ops`` functions on symbolic tensors (``x + y``,
``ops.concatenate([a, b])``) are nodes too, whose operation is an
:class:`~microkeras.ops.symbolic.Operation` rather than a layer: they run in
the same walk and are written in the config as Keras 3 writes them, but are
not among :attr:`Functional.layers`.
"""

import numpy

from microkeras import masking
from microkeras.layers.core import InputLayer
from microkeras.layers.keras_tensor import KerasTensor, flatten, map_structure, sorted_keys
from microkeras.layers.layer import Layer
from microkeras.layers.serialization import deserialize_layer, serialize_layer
from microkeras.models.model import Model
from microkeras.ops.symbolic import deserialize_operation, is_operation_entry
from microkeras.saving.object_registration import CustomObjectScope, SafeModeScope
from microkeras.saving.serialization_lib import _numpy_value


_NOT_YET = object()  # from_config: a tensor whose call is still to come (None is a valid argument)


class Functional(Model):
    """A model made of the layers between ``inputs`` and ``outputs`` (see the module docstring)."""

    keeps_integer_inputs = True  # ids pass through to the layers that take them

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        for argument, structure in (("inputs", inputs), ("outputs", outputs)):
            for tensor in flatten(structure):
                if not isinstance(tensor, KerasTensor):
                    raise TypeError(f"Model: `{argument}` must hold symbolic tensors (from Input and layer "
                                    f"calls); received {type(tensor).__name__} {tensor!r}.")
        for tensor in flatten(inputs):
            if not isinstance(tensor._keras_history[0], InputLayer):
                raise ValueError(f"Model: every entry of `inputs` must come from `Input(...)`; {tensor.name} "
                                 f"is the output of layer {tensor._keras_history[0].name!r}.")
        self._inputs_struct, self._outputs_struct = inputs, outputs
        nodes, self._operations = _map_graph(flatten(inputs), flatten(outputs))
        self._layers = [operation for operation in self._operations if isinstance(operation, Layer)]
        self._nodes = [node for node in nodes if not isinstance(node.layer, InputLayer)]
        self.built = True
        self._build_input_shape = map_structure(lambda tensor: tensor.shape, inputs)
        self._output_shape = _unpack_singleton(map_structure(lambda tensor: tensor.shape, outputs))

    @property
    def inputs(self):
        return flatten(self._inputs_struct)

    @property
    def outputs(self):
        return flatten(self._outputs_struct)

    @property
    def input(self):
        """The symbolic inputs as the model was given them (one tensor, a list or a dict)."""
        return self._inputs_struct

    @property
    def output(self):
        """The symbolic outputs as the model was given them (one tensor, a list or a dict)."""
        return self._outputs_struct

    @property
    def input_shape(self):
        """The inputs' shapes: one shape, or a list of them in the order of :attr:`inputs` (as in Keras 3)."""
        return _unpack_singleton([tensor.shape for tensor in self.inputs])

    @property
    def output_shape(self):
        """The outputs' shapes: one shape, or a list of them in the order of :attr:`outputs`."""
        return _unpack_singleton([tensor.shape for tensor in self.outputs])

    @property
    def layers(self):
        """Every layer of the graph, input layers included, in Keras 3's order: the farthest from the
        outputs first (see :func:`_map_graph`)."""
        return list(self._layers)

    @property
    def input_names(self):
        return [tensor._keras_history[0].name for tensor in self.inputs]

    @property
    def output_names(self):
        return [tensor._keras_history[0].name for tensor in self.outputs]

    def build(self, input_shape=None):
        """A functional model is built by its graph; nothing to do."""

    # ----------------------------------------------------------------- config
    def get_config(self):
        """Keras 3's functional layout: each layer with the calls (``inbound_nodes``) that make the
        graph, whose tensors are ``__keras_tensor__`` references ``[layer, node, tensor]``, and
        ``input_layers``/``output_layers`` in the structure of the model's inputs and outputs.

        Node indices count only the calls inside this model.  As Keras 3 writes
        them, ``input_layers`` and ``output_layers`` count a nested functional
        model's calls from 1 (a Keras ``Functional`` starts with a node of its own).
        """
        own = {id(node) for node in self._nodes} | {id(tensor._keras_history[0]._inbound_nodes[0])
                                                   for tensor in self.inputs}
        index = {}  # id(node) -> its index among its layer's calls in this model
        for layer in self._operations:
            calls = [node for node in layer._inbound_nodes if id(node) in own]
            index.update((id(node), position) for position, node in enumerate(calls))

        def reference(tensor, offset=0):
            layer, node_index, position = tensor._keras_history
            return [layer.name, index[id(layer._inbound_nodes[node_index])] + offset, position]

        def model_reference(tensor):
            return reference(tensor, 1 if isinstance(tensor._keras_history[0], Functional) else 0)

        def argument(value):
            if isinstance(value, KerasTensor):
                return {"class_name": "__keras_tensor__", "config": {
                    "shape": list(value.shape), "dtype": value.dtype, "keras_history": reference(value)}}
            return _serialize_constant(value)

        entries = []
        for layer in self._operations:
            calls = [] if isinstance(layer, InputLayer) else sorted(
                (node for node in layer._inbound_nodes if id(node) in index), key=lambda node: index[id(node)])
            entry = serialize_layer(layer) if isinstance(layer, Layer) else layer.serialize()
            if isinstance(layer, Functional):  # as Keras 3 writes a functional model: built by its graph
                entry.update(registered_name="Functional", build_config={"input_shape": None})
            entries.append({**entry, "name": layer.name, "inbound_nodes": [
                {"args": map_structure(argument, list(node.args)), "kwargs": map_structure(argument, node.kwargs)}
                for node in calls]})
        return {"name": self.name, "trainable": self.trainable, "layers": entries,
                "input_layers": map_structure(model_reference, _as_lists(self._inputs_struct)),
                "output_layers": map_structure(model_reference, _as_lists(self._outputs_struct))}

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild the graph (fresh weights) from :meth:`get_config`; nothing named in it is imported.

        Each layer is called once its inputs exist, so the entries may come in
        any order a shared layer needs.
        """
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError("A functional model's config must be a dict with a 'layers' list.")
        for key in ("input_layers", "output_layers"):
            if key not in config:
                raise ValueError(f"A functional model's config needs {key!r}.")
        layers, made, pending = {}, {}, []
        with CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
            for position, entry in enumerate(config["layers"]):
                where = f"layers[{position}]"
                if is_operation_entry(entry):  # x + y, ops.concatenate(...): one of microkeras's own ops
                    layer = deserialize_operation(entry, where)
                else:
                    layer = deserialize_layer(entry, where, custom_objects)
                name = entry.get("name", layer.name)
                layers[name] = layer
                made[name] = {0: layer._inbound_nodes[0]} if isinstance(layer, InputLayer) else {}
                calls = entry.get("inbound_nodes", [])
                if not isinstance(calls, list):
                    raise ValueError(f"{where}: 'inbound_nodes' must be a list.")
                pending += [(name, i, call, f"{where}.inbound_nodes[{i}]") for i, call in enumerate(calls)]

            def tensor(reference, where, model_reference=False):
                if not (isinstance(reference, list) and len(reference) == 3 and reference[0] in layers):
                    raise ValueError(f"{where}: {reference!r} does not name a layer of the config as "
                                     "[layer name, node index, tensor index].")
                name, node_index, position = reference
                if model_reference and isinstance(layers[name], Functional) and node_index > 0:
                    node_index -= 1  # Keras counts a nested model's calls from 1 there
                node = made[name].get(node_index)
                return _NOT_YET if node is None else node.outputs[position]

            while pending:
                ready = False
                for item in list(pending):
                    name, call_index, call, where = item
                    if not isinstance(call, dict):
                        raise ValueError(f"{where} must be a dict with 'args' and 'kwargs'.")
                    args = _resolve_references(call.get("args", []), tensor, where)
                    kwargs = _resolve_references(call.get("kwargs", {}), tensor, where)
                    if any(leaf is _NOT_YET for leaf in flatten((args, kwargs))):
                        continue  # an input of this call is made by a call not done yet
                    layers[name](*args, **kwargs)
                    made[name][call_index] = layers[name]._inbound_nodes[-1]
                    pending.remove(item)
                    ready = True
                if not ready:
                    raise ValueError(f"{pending[0][3]} takes a tensor that no call of the config produces.")
        def model_tensor(reference, where):
            return tensor(reference, where, model_reference=True)

        inputs = _resolve_references(config["input_layers"], model_tensor, "input_layers", leaf_references=True)
        outputs = _resolve_references(config["output_layers"], model_tensor, "output_layers", leaf_references=True)
        return cls(inputs=inputs, outputs=outputs, name=config.get("name"), trainable=config.get("trainable", True))

    def compute_output_shape(self, input_shape):
        return self._output_shape

    def call(self, inputs, training=None, mask=None):
        """Run the graph's layers, each node once, on ``inputs`` (structured like the model's inputs),
        with ``mask`` (one per input, or None) attached to them."""
        flat_inputs = _flatten_like(self._inputs_struct, inputs)
        if mask is not None:
            for value, each in zip(flat_inputs, _flatten_like(self._inputs_struct, mask)):
                if each is not None:
                    masking.set_keras_mask(value, each)
        values = dict(zip(map(id, self.inputs), flat_inputs))
        for node in self._nodes:
            args, kwargs = map_structure(lambda arg: values[id(arg)] if type(arg) is KerasTensor else arg,
                                         (node.args, node.kwargs))
            outputs = node.layer(*args, **kwargs)
            values.update(zip(map(id, node.outputs), flatten(outputs)))
        # A list of one output gives its array, as in Keras 3: the model has one output.
        return _unpack_singleton(map_structure(lambda tensor: values[id(tensor)], self._outputs_struct))


def _unpack_singleton(structure):
    return structure[0] if isinstance(structure, (list, tuple)) and len(structure) == 1 else structure


def _as_lists(structure):
    """Tuples as lists, so that a structure of references looks the same before and after JSON."""
    if isinstance(structure, (list, tuple)):
        return [_as_lists(item) for item in structure]
    if isinstance(structure, dict):
        return {key: _as_lists(value) for key, value in structure.items()}
    return structure


def _resolve_references(structure, tensor, where, leaf_references=False):
    """``structure`` with each tensor reference replaced by ``tensor(reference, where)``.

    References are ``{"class_name": "__keras_tensor__", ...}`` dicts in node
    arguments, or bare ``[layer, node, tensor]`` lists with ``leaf_references``
    (``input_layers``/``output_layers``).
    """
    if isinstance(structure, dict) and structure.get("class_name") == "__keras_tensor__":
        return tensor(structure.get("config", {}).get("keras_history"), where)
    if isinstance(structure, dict) and structure.get("class_name") in _CONSTANTS:
        return _deserialize_constant(structure, where)
    if leaf_references and isinstance(structure, list) and len(structure) == 3 and isinstance(structure[0], str):
        return tensor(structure, where)
    if isinstance(structure, (list, tuple)):
        return [_resolve_references(item, tensor, where, leaf_references) for item in structure]
    if isinstance(structure, dict):
        return {key: _resolve_references(value, tensor, where, leaf_references) for key, value in structure.items()}
    return structure


_CONSTANTS = ("__slice__", "__ellipsis__", "__numpy__")


def _serialize_constant(value):
    """A node's non-tensor argument as Keras 3 writes it: slices, ``...`` and arrays as tagged dicts."""
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {
            "start": _serialize_constant(value.start), "stop": _serialize_constant(value.stop),
            "step": _serialize_constant(value.step)}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, numpy.ndarray) and value.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        return value.item()
    return value


def _deserialize_constant(entry, where):
    settings = entry.get("config") or {}
    if entry["class_name"] == "__slice__":
        return slice(*(settings.get(key) for key in ("start", "stop", "step")))
    if entry["class_name"] == "__ellipsis__":
        return Ellipsis
    return _numpy_value(settings, where)


def _flatten_like(structure, data):
    """``data`` (one array, a list or a dict keyed by input names) flattened in the order of ``structure``."""
    if isinstance(structure, dict):
        if not isinstance(data, dict):
            raise ValueError(f"The model's inputs are a dict with keys {sorted(structure)}; received "
                             f"{type(data).__name__}.")
        missing = sorted(set(structure) - set(data))
        if missing:
            raise ValueError(f"The model's inputs need the keys {sorted(structure)}; missing {missing}.")
        return [leaf for key in sorted_keys(structure) for leaf in _flatten_like(structure[key], data[key])]
    if isinstance(structure, (list, tuple)):
        if isinstance(data, dict):
            names = [tensor._keras_history[0].name for tensor in flatten(structure)]
            data = [data[name] for name in names]
        elif len(structure) == 1 and not isinstance(data, (list, tuple)):
            data = [data]  # one array for a one-input model, as Keras accepts
        if not isinstance(data, (list, tuple)) or len(data) != len(structure):
            count = len(data) if isinstance(data, (list, tuple)) else 1
            raise ValueError(f"The model has {len(structure)} inputs; received {count}.")
        return [leaf for part, item in zip(structure, data) for leaf in _flatten_like(part, item)]
    if isinstance(data, (list, tuple)) and len(data) == 1 and hasattr(data[0], "shape"):
        return [data[0]]  # [x] for a model of one input, as Keras 3 accepts
    return [data]


def _map_graph(inputs, outputs):
    """``(nodes, layers)``: the nodes that lead from ``inputs`` to ``outputs``, input nodes included, each
    after the nodes it takes from; and their layers in Keras 3's order.

    Keras 3 (``keras/src/ops/function.py``, ``map_graph``) gives each node a
    depth, the longest path from it to an output, and each layer the greatest
    depth of its nodes; layers come deepest first, and layers of one depth in
    the order a walk back from the outputs first meets them.  Raises
    ValueError naming the tensor when an output depends on an input that is
    not among ``inputs``, when an input reaches no output, or on a cycle.
    """
    given = {id(tensor) for tensor in inputs}
    ordered, state, met = [], {}, {}  # state: id(node) -> "visiting" | "done"; met: id(layer) -> order

    def visit(tensor, path):
        layer, index, _ = tensor._keras_history
        node = layer._inbound_nodes[index]
        if state.get(id(node)) == "done":
            return
        if isinstance(layer, InputLayer) and id(tensor) not in given:
            raise ValueError(f"Graph disconnected: {path} depends on the input {tensor.name!r}, which is not "
                             "among the model's `inputs`.")
        if state.get(id(node)) == "visiting":
            raise ValueError(f"The graph has a cycle through layer {layer.name!r}.")
        met.setdefault(id(layer), len(met))
        state[id(node)] = "visiting"
        for parent in node.inputs:
            visit(parent, path)
        state[id(node)] = "done"
        ordered.append(node)

    for tensor in outputs:
        visit(tensor, f"output {tensor.name!r}")
    for tensor in inputs:
        if state.get(id(tensor._keras_history[0]._inbound_nodes[0])) != "done":
            raise ValueError(f"Model: the input {tensor.name!r} does not reach any output; remove it from "
                             "`inputs` or connect it.")

    node_depth, layer_depth = {}, {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        node_depth[id(node)] = layer_depth[id(node.layer)] = depth
        for parent in node.parents:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    layers = list({id(node.layer): node.layer for node in ordered}.values())
    layers.sort(key=lambda layer: (-layer_depth[id(layer)], met[id(layer)]))
    return ordered, layers
