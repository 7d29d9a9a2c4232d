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
"""

from microkeras.layers.core import InputLayer
from microkeras.layers.keras_tensor import KerasTensor, flatten, map_structure
from microkeras.models.model import Model


class Functional(Model):
    """A model made of the layers between ``inputs`` and ``outputs`` (see the module docstring)."""

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
        self._nodes = _nodes_between(flatten(inputs), flatten(outputs))
        used = {id(tensor) for node in self._nodes for tensor in node.inputs} | set(map(id, flatten(outputs)))
        for tensor in flatten(inputs):
            if id(tensor) not in used:
                raise ValueError(f"Model: the input {tensor.name!r} does not reach any output; remove it from "
                                 "`inputs` or connect it.")
        self._layers = _layers_of(self._nodes, flatten(inputs))
        self.built = True
        self._build_input_shape = map_structure(lambda tensor: tensor.shape, inputs)
        self._output_shape = map_structure(lambda tensor: tensor.shape, outputs)

    @property
    def inputs(self):
        return flatten(self._inputs_struct)

    @property
    def outputs(self):
        return flatten(self._outputs_struct)

    @property
    def layers(self):
        """Every layer of the graph, input layers included, in the order they run (Keras 3's order)."""
        return list(self._layers)

    @property
    def input_names(self):
        return [tensor._keras_history[0].name for tensor in self.inputs]

    @property
    def output_names(self):
        return [tensor._keras_history[0].name for tensor in self.outputs]

    def build(self, input_shape=None):
        """A functional model is built by its graph; nothing to do."""

    def compute_output_shape(self, input_shape):
        return self._output_shape

    def call(self, inputs, training=None):
        """Run the graph's layers, each node once, on ``inputs`` (structured like the model's inputs)."""
        values = dict(zip(map(id, self.inputs), _flatten_like(self._inputs_struct, inputs)))
        for node in self._nodes:
            args, kwargs = map_structure(lambda arg: values[id(arg)] if type(arg) is KerasTensor else arg,
                                         (node.args, node.kwargs))
            outputs = node.layer(*args, **kwargs)
            values.update(zip(map(id, node.outputs), flatten(outputs)))
        return map_structure(lambda tensor: values[id(tensor)], self._outputs_struct)


def _flatten_like(structure, data):
    """``data`` (one array, a list or a dict keyed by input names) flattened in the order of ``structure``."""
    if isinstance(structure, dict):
        if not isinstance(data, dict):
            raise ValueError(f"The model's inputs are a dict with keys {sorted(structure)}; received "
                             f"{type(data).__name__}.")
        missing = sorted(set(structure) - set(data))
        if missing:
            raise ValueError(f"The model's inputs need the keys {sorted(structure)}; missing {missing}.")
        return [leaf for key in structure for leaf in _flatten_like(structure[key], data[key])]
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
    return [data]


def _nodes_between(inputs, outputs):
    """The nodes that lead from ``inputs`` to ``outputs``, each after the nodes it takes from.

    Raises ValueError naming the tensor when an output depends on an input
    that is not among ``inputs``.
    """
    given = {id(tensor) for tensor in inputs}
    ordered, state = [], {}  # state: id(node) -> "visiting" | "done"

    def visit(tensor, path):
        layer, index, _ = tensor._keras_history
        node = layer._inbound_nodes[index]
        if id(tensor) in given:
            return
        if isinstance(layer, InputLayer):
            raise ValueError(f"Graph disconnected: {path} depends on the input {tensor.name!r}, which is not "
                             "among the model's `inputs`.")
        if state.get(id(node)) == "done":
            return
        if state.get(id(node)) == "visiting":
            raise ValueError(f"The graph has a cycle through layer {layer.name!r}.")
        state[id(node)] = "visiting"
        for parent in node.inputs:
            visit(parent, path)
        state[id(node)] = "done"
        ordered.append(node)

    for tensor in outputs:
        visit(tensor, f"output {tensor.name!r}")
    return ordered


def _layers_of(nodes, inputs):
    """Input layers first, then each layer in the order of its first node, each once."""
    layers, seen = [], set()
    for layer in [tensor._keras_history[0] for tensor in inputs] + [node.layer for node in nodes]:
        if id(layer) not in seen:
            seen.add(id(layer))
            layers.append(layer)
    return layers
