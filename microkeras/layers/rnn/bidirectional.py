"""``Bidirectional``: a recurrent layer run forwards and backwards, outputs merged (Keras 3:
``keras/src/layers/rnn/bidirectional.py``).

The wrapper makes two copies of the layer from its config: ``forward_<name>``
and ``backward_<name>`` (the latter with ``go_backwards=True``), unless a
``backward_layer`` is given.  The backward sequence output is flipped back
to the forward time order before merging.  With ``return_sequences``, both
layers output zeros at masked steps (``zero_output_for_mask``), so a merged
output does not mix a repeated state into padding.
"""

import autograd.numpy as np

from microkeras.layers.layer import Layer
from microkeras.layers.serialization import deserialize_layer, serialize_layer
from microkeras.utils.argument_checks import one_of

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Runs ``layer`` over the sequence in both directions and merges the two outputs.

    Parameters
    ----------
    layer : RNN
        A recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``).
    merge_mode : str or None
        ``'concat'`` (default: the features side by side), ``'sum'``,
        ``'mul'``, ``'ave'``, or None for a list ``[forward, backward]``.
    backward_layer : RNN, optional
        The layer for the backward direction (it must have
        ``go_backwards=True`` and the forward layer's ``return_sequences``,
        ``return_state`` and ``stateful``); by default a copy of ``layer``.

    With ``return_state`` the output is followed by the forward layer's
    states, then the backward layer's.  An ``initial_state`` list is split
    in half the same way.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional: `layer` must be a recurrent Layer instance; received layer={layer!r}.")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("Bidirectional: `backward_layer` must be a Layer instance; received "
                             f"backward_layer={backward_layer!r}.")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: `merge_mode` must be {one_of(MERGE_MODES)}; received "
                             f"merge_mode={merge_mode!r}.")
        super().__init__(**kwargs)
        self.forward_layer = _copy(layer, f"forward_{_without_prefix(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _copy(layer, f"backward_{_without_prefix(layer.name, 'backward_')}", go_backwards=True)
        self.backward_layer = backward_layer
        self._check_directions()
        for each in (self.forward_layer, self.backward_layer):
            if hasattr(each, "zero_output_for_mask"):
                each.zero_output_for_mask = each.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = self.forward_layer.stateful
        self.supports_masking = True
        self._initial_weights = weights

    def _check_directions(self):
        forward, backward = self.forward_layer, self.backward_layer
        if getattr(forward, "go_backwards", None) == getattr(backward, "go_backwards", None):
            raise ValueError("Bidirectional: the forward and backward layers must have different `go_backwards`; "
                             f"received {getattr(forward, 'go_backwards', None)!r} for both.")
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attribute, None) != getattr(backward, attribute, None):
                raise ValueError(f"Bidirectional: the forward and backward layers must have the same `{attribute}`; "
                                 f"received {getattr(forward, attribute, None)!r} and "
                                 f"{getattr(backward, attribute, None)!r}.")

    def build(self, sequences_shape, initial_state_shape=None):
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(sequences_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"mask": mask} if mask is not None else {}
        if self.forward_layer._call_takes_training():
            kwargs["training"] = training
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        # The layers' own `call`, as for a cell: built already, and given float64 values as they are.
        y = self.forward_layer.call(sequences, initial_state=forward_state, **kwargs)
        y_reversed = self.backward_layer.call(sequences, initial_state=backward_state, **kwargs)
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_reversed[1:])
            y, y_reversed = y[0], y_reversed[0]
        if self.return_sequences:
            y_reversed = y_reversed[:, ::-1]  # back to the forward time order
        if self.merge_mode == "concat":
            output = np.concatenate([y, y_reversed], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_reversed
        elif self.merge_mode == "ave":
            output = (y + y_reversed) * 0.5
        elif self.merge_mode == "mul":
            output = y * y_reversed
        else:
            output = [y, y_reversed]
        if not self.return_state:
            return output
        return (*output, *states) if self.merge_mode is None else (output, *states)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (None if shape[-1] is None else 2 * shape[-1],)
        if self.merge_mode is None:
            return (shape, shape) + states * 2 if self.return_state else [shape, shape]
        return (shape,) + states * 2 if self.return_state else tuple(shape)

    def compute_mask(self, inputs, mask=None):
        """The mask for each sequence output (one per direction without a merge), None otherwise and
        for the states."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        output_masks = [output_mask] if self.merge_mode else [output_mask, output_mask]
        if self.return_state:
            states = len(self.forward_layer.compute_output_shape((None, None, 1))) - 1
            return output_masks + [None] * (2 * states)
        return output_masks[0] if self.merge_mode else output_masks

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        if not self.stateful:
            raise AttributeError(f"Bidirectional {self.name!r}: reset_state() needs a stateful layer.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode, "layer": serialize_layer(self.forward_layer),
                "backward_layer": serialize_layer(self.backward_layer)}

    @classmethod
    def from_config(cls, config_, custom_objects=None):
        config_ = dict(config_)
        if "layer" not in config_:
            raise ValueError(f"Bidirectional config {config_.get('name')!r} has no 'layer' entry.")
        shape = (config_["layer"].get("build_config") or {}).get("input_shape")
        config_["layer"] = deserialize_layer(config_["layer"], "Bidirectional layer", custom_objects)
        if config_.get("backward_layer") is not None:
            config_["backward_layer"] = deserialize_layer(config_["backward_layer"], "Bidirectional backward_layer",
                                                          custom_objects)
        layer = cls(**config_)
        if shape is not None:  # built as the saved layers were (Keras 3 builds what it deserializes)
            layer.build(tuple(shape))
        return layer


def _copy(layer, name, **changes):
    """A new, unbuilt layer made from ``layer``'s config, with another name and ``changes``."""
    entry = serialize_layer(layer)
    entry["config"] = {**entry["config"], "name": name, **changes}
    return deserialize_layer(entry, "Bidirectional layer")


def _without_prefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name
