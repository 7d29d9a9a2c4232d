"""``Sequential``: a plain stack of layers, each feeding the next."""

from microkeras import masking, tracking
from microkeras.layers.core import InputLayer
from microkeras.layers.keras_tensor import KerasTensor, Node
from microkeras.layers.layer import Layer, standardize_shape
from microkeras.layers.serialization import deserialize_layer, serialize_layer
from microkeras.models.model import Model
from microkeras.saving.object_registration import CustomObjectScope, SafeModeScope
from microkeras.variables import name_scope


class Sequential(Model):
    """A linear stack of layers with Keras's training API.

    Build it from a list, ``Sequential([Dense(32, input_shape=(784,)), ...])``,
    or layer by layer with :meth:`add`.  Give the first layer an input shape
    (``input_shape=``, ``input_dim=``, or an ``Input((784,))`` first) to build
    the weights at once; otherwise the model builds on the first data it sees.
    """

    keeps_integer_inputs = True  # ids pass through to the layers that take them

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name, trainable=trainable)
        self._layers = []
        self._shape_chain = ()
        self._graph = []  # the Nodes of the layers' symbolic calls, in order
        for layer in layers or []:
            self.add(layer)

    # ----------------------------------------------------------------- layers
    @property
    def layers(self):
        """The layers, without the input layer (as in Keras 3)."""
        return [layer for layer in self._layers if not isinstance(layer, InputLayer)]

    def add(self, layer):
        """Append ``layer`` (or an ``Input(...)`` tensor, first); build at once if the input shape is known."""
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history[0], InputLayer):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: `layer` must be a Layer instance; received {layer!r} "
                            f"of type {type(layer).__name__}.")
        if isinstance(layer, InputLayer) and self._layers:
            raise ValueError(f"Sequential.add: an InputLayer can only be the first layer; model "
                             f"{self.name!r} already has {len(self._layers)} layer(s).")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"Sequential.add: the model already has a layer named {layer.name!r}; "
                             "layer names must be unique.")
        added = [layer]
        if not self._layers and not isinstance(layer, InputLayer) and layer._batch_input_shape is not None:
            added.insert(0, InputLayer(batch_shape=layer._batch_input_shape))
            layer._batch_input_shape = None
        self._layers.extend(added)
        tracking.changed()
        try:
            if self._input_batch_shape() is not None:
                self.build(self._input_batch_shape())
        except Exception:
            del self._layers[-len(added):]
            tracking.changed()
            raise

    def pop(self):
        """Remove and return the last layer."""
        if not self.layers:
            raise IndexError(f"Sequential.pop: model {self.name!r} has no layers to remove.")
        layer = self._layers.pop()
        tracking.changed()
        if not self.layers:
            self._layers.clear()
            self.built = False
        return layer

    def _input_batch_shape(self):
        if self._layers and isinstance(self._layers[0], InputLayer):
            return self._layers[0].shape
        if self._build_input_shape is None and self._layers:
            from microkeras.models.functional import Functional  # imported here: it imports this module's base

            first = self._layers[0]  # a model with a known input first: built from it, as in Keras 3
            if isinstance(first, Sequential):
                return first._input_batch_shape()
            if isinstance(first, Functional) and len(first.inputs) == 1:
                return first.inputs[0].shape
        return self._build_input_shape

    # ------------------------------------------------------------ build/call
    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (batch dimension first)."""
        input_shape = input_shape if input_shape is not None else self._input_batch_shape()
        if input_shape is None:
            raise ValueError(f"Sequential.build: model {self.name!r} has no input shape; pass "
                             "`input_shape` or give the first layer `input_shape=`.")
        shape = standardize_shape(input_shape, "input_shape")
        # (layer, input shape, output shape) of the last build: `add` rebuilds the whole chain, and
        # a layer whose shape is found by running it on zeros need not run again.
        known = {id(layer): (layer_in, layer_out) for layer, layer_in, layer_out in self._shape_chain}
        chain = []
        with name_scope(self.name, caller=self):  # weights are named 'sequential/dense/kernel', as in Keras
            for layer in self.layers:
                if not layer.built:
                    layer._build_for(shape)
                previous = known.get(id(layer))
                output_shape = previous[1] if previous and previous[0] == shape else layer.compute_output_shape(shape)
                chain.append((layer, shape, output_shape))
                shape = output_shape
        self._shape_chain = chain
        self._output_shape = shape
        self._build_input_shape = standardize_shape(input_shape, "input_shape")
        self._connect_graph()
        self.built = True

    def _connect_graph(self):
        """Record the layers' symbolic calls from the input layer on (nodes reused while the chain
        before them is unchanged), so that ``inputs``, ``outputs`` and ``layer.output`` exist."""
        if self._layers and isinstance(self._layers[0], InputLayer):
            tensor = self._layers[0].output
        else:  # built for a shape, or by a first call: start from an input of that shape, as Keras 3 does
            shape = tuple(self._build_input_shape)
            tensor = getattr(self, "_graph_input", None)
            if tensor is None or tensor.shape != shape:
                tensor = self._graph_input = InputLayer(batch_shape=shape).output
        graph = []
        for index, (layer, _, output_shape) in enumerate(self._shape_chain):
            old = self._graph[index] if index < len(self._graph) else None
            if old is not None and old.layer is layer and old.inputs[0] is tensor \
                    and old.outputs[0].shape == output_shape:
                node = old
            else:
                node = Node(layer, (tensor,), {}, KerasTensor(output_shape))
            graph.append(node)
            tensor = node.outputs[0]
        self._graph = graph

    @property
    def inputs(self):
        """The symbolic input, in a list (once the model has an input shape)."""
        if self._layers and isinstance(self._layers[0], InputLayer):
            return [self._layers[0].output]
        if not self.built or getattr(self, "_graph_input", None) is None:
            raise AttributeError(f"Sequential model {self.name!r} has no input yet: start it with "
                                 "`Input(shape)`, or build it (`model.build(input_shape)` or a call on data).")
        return [self._graph_input]

    @property
    def outputs(self):
        """The symbolic output, in a list."""
        inputs = self.inputs
        return [self._graph[-1].outputs[0]] if self._graph else inputs

    def call(self, inputs, training=None, mask=None):
        if mask is not None:  # a mask given for the inputs (one attached to them arrives here too)
            masking.set_keras_mask(inputs, mask)
        x = inputs
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    @property
    def input_shape(self):
        return self._input_batch_shape()

    @property
    def input_names(self):
        return [self._layers[0].name] if self._layers else []

    @property
    def output_names(self):
        last = self._layers[-1] if self._layers else None
        return [] if last is None or isinstance(last, InputLayer) else [last.name]

    # ---------------------------------------------------------- serialization
    def get_config(self):
        layers = [serialize_layer(layer) for layer in self._layers]
        if self.built and not isinstance(self._layers[0], InputLayer):
            layers.insert(0, serialize_layer(InputLayer(batch_shape=self._build_input_shape,
                                                        name=self.name + "_input")))
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, "layers": layers}
        if self.built:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild a model from :meth:`get_config` (fresh weights).

        Layer classes and functions resolve only to ``custom_objects``,
        registered objects and classes already defined: nothing is imported
        because the config names it, and code saved in it (a ``Lambda``'s
        Python lambda) loads only with ``safe_mode=False``.  A malformed
        config raises ``ValueError`` naming the entry.
        """
        if not isinstance(config, dict):
            raise ValueError(f"A Sequential config must be a dict with a 'layers' list; received "
                             f"{type(config).__name__}.")
        entries = config.get("layers")
        if not isinstance(entries, list):
            raise ValueError("A Sequential config needs 'layers', a list of layer entries; received "
                             f"{'no such key' if 'layers' not in config else type(entries).__name__}.")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        with CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
            for index, entry in enumerate(entries):
                model.add(deserialize_layer(entry, f"layers[{index}]", custom_objects))
        if not model.built and config.get("build_input_shape"):
            model.build(config["build_input_shape"])
        return model
