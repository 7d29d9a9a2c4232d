"""``RNN``: runs a cell over the time steps of a sequence (Keras 3: ``keras/src/layers/rnn/rnn.py``).

A cell is anything with Keras's cell protocol: a ``state_size`` (an int, or
a list with one size per state), an optional ``output_size``, a
``call(inputs, states, training=None)`` that takes one time step of shape
(batch, features) and returns ``(output, new_states)``, and optionally
``get_initial_state(batch_size)``.  A list of cells is stacked
(:class:`StackedRNNCells`).

The loop is a Python loop over the steps, written in ``autograd.numpy`` like
the cells, so autograd differentiates it.  The built-in cells multiply the
inputs of all steps by their kernel in one product before the loop
(``project_inputs``); each step then only adds the recurrent product and
applies the gates.  The sequence is read as one tuple of steps
(``ops.unstack``) and the outputs stacked once (``ops.stack``), so reading
and writing a step costs one traced operation each.

Masks: ``mask`` is a boolean array of shape (batch, timesteps).  At a masked
step every state keeps its previous value and the output repeats the
previous one (the first state, as Keras's JAX and TensorFlow loops take it),
or is zero with ``zero_output_for_mask``.
"""

import numbers

import numpy
from autograd.tracer import getval, isbox

from microkeras import activations, config, masking, regularizers
from microkeras.ops import core as core_ops, numpy as numpy_ops
from microkeras.layers.keras_tensor import flatten
from microkeras.layers.layer import Layer
from microkeras.layers.rnn.stacked_rnn_cells import StackedRNNCells, cell_call
from microkeras.layers.serialization import deserialize_built_layer, serialize_layer
from microkeras.variables import Variable


class RNN(Layer):
    """Runs ``cell`` over a sequence of shape (batch, timesteps, features).

    Parameters
    ----------
    cell : cell or list of cells
        A cell (see the module documentation), or a list of cells stacked
        so that each takes the previous one's output.
    return_sequences : bool
        Return the output of every step, (batch, timesteps, output_size),
        instead of the last one, (batch, output_size).
    return_state : bool
        Also return the final states: ``(output, *states)``.
    go_backwards : bool
        Read the sequence from its end; the outputs are in that reversed order.
    stateful : bool
        Start each call from the final states of the previous one.  The
        batch size is fixed by the first build (give ``Input`` a
        ``batch_size``); ``reset_states()`` puts the states back to zeros.
    unroll : bool
        Accepted for Keras compatibility: the loop is a Python loop either way.
    zero_output_for_mask : bool
        With a mask and ``return_sequences``, masked steps output zeros
        instead of the previous output (``Bidirectional`` sets it).

    Call arguments: ``sequences``, ``initial_state`` (a list with one array
    of shape (batch, size) per state), ``mask`` (booleans of shape (batch,
    timesteps)), ``training``.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        where = type(self).__name__
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"{where}: `cell` must have a `call(inputs, states)` method; received cell={cell!r}.")
        state_size = getattr(cell, "state_size", None)
        if not _is_state_size(state_size):
            raise ValueError(f"{where}: the cell must have a `state_size` attribute, an integer or a list of "
                             f"integers (one per state); received {state_size!r} from cell {cell!r}.")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = None  # the state variables of a stateful layer, once built

    @property
    def state_size(self):
        """One entry per state: its size, or a list of sizes for a stacked cell's states."""
        size = self.cell.state_size
        return [size] if isinstance(size, numbers.Integral) else list(size)

    # --------------------------------------------------------------- build
    def build(self, sequences_shape, initial_state_shape=None):
        self._check_sequences_shape(sequences_shape)
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((sequences_shape[0],) + tuple(sequences_shape[2:]))
        if self.stateful and self.states is None:
            batch_size = sequences_shape[0]
            if batch_size is None:
                raise ValueError(f"{type(self).__name__} {self.name!r} is stateful, so it needs a fixed batch size; "
                                 f"received input shape {sequences_shape}. Give the model's Input a `batch_size` "
                                 "(e.g. Input((timesteps, features), batch_size=32)).")
            # Not weights (Keras 3 does not list them either): state updated by `assign` in `call`.
            self.states = [Variable(numpy.asarray(getval(value), config.floatx()), trainable=False, name="rnn_state")
                           for value in flatten(self.get_initial_state(batch_size))]

    def _check_sequences_shape(self, shape):
        built_in = hasattr(self.cell, "project_inputs") or isinstance(self.cell, StackedRNNCells)
        if len(shape) < 3 or built_in and len(shape) != 3:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes sequences of shape (batch, timesteps, "
                             f"features); received input shape {tuple(shape)}. A 2D array holds no time axis: "
                             "reshape it to (batch, timesteps, features).")

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        self._check_sequences_shape(sequences_shape)
        batch_size, timesteps = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = flatten(self.state_size)[0]
        output_shape = (batch_size, timesteps, output_size) if self.return_sequences else (batch_size, output_size)
        if not self.return_state:
            return output_shape
        states = [(batch_size, size) if isinstance(size, numbers.Integral) else [(batch_size, s) for s in size]
                  for size in self.state_size]
        return (output_shape, *states)

    def compute_mask(self, inputs, mask=None):
        """The mask itself for a sequence output, None for a last-step output and for the states."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # --------------------------------------------------------------- state
    def get_initial_state(self, batch_size):
        """The states a sequence starts from: the cell's ``get_initial_state``, or zeros."""
        cell_initial_state = getattr(self.cell, "get_initial_state", None)
        if cell_initial_state is None:
            return [numpy.zeros((batch_size, size), config.floatx()) for size in self.state_size]
        states = cell_initial_state(batch_size=batch_size)
        return list(states) if isinstance(states, (list, tuple)) else [states]

    def reset_states(self):
        """Put a stateful layer's states back to zeros."""
        self.reset_state()

    def reset_state(self):
        if self.states is not None:
            for variable in self.states:
                variable.assign(numpy.zeros(variable.shape, variable.dtype))

    # ---------------------------------------------------------------- call
    def call(self, sequences, initial_state=None, mask=None, training=False):
        shape = numpy.shape(sequences)
        mask = self._checked_mask(mask, sequences)
        if initial_state is not None:
            states = self._checked_initial_state(initial_state, shape[0])
        elif self.stateful:
            if shape[0] != self.states[0].shape[0]:
                raise ValueError(f"{type(self).__name__} {self.name!r} is stateful with batch size "
                                 f"{self.states[0].shape[0]}; received inputs of shape {shape}. Feed batches of "
                                 "that size (fit and predict with that batch_size, and a sample count it divides).")
            states = _unflatten(self.get_initial_state(shape[0]), [v.value for v in self.states])
        else:
            states = self.get_initial_state(shape[0])
        try:
            last_output, outputs, states = self._run(sequences, states, mask, training)
        finally:
            _reset_dropout_masks(self.cell)
        if self.stateful:
            for variable, value in zip(self.states, flatten(states)):
                variable.assign(value)
        output = outputs if self.return_sequences else last_output
        return (output, *states) if self.return_state else output

    def _run(self, sequences, states, mask, training):
        """The loop: ``(last_output, stacked_outputs or None, final_states)``."""
        if hasattr(self.cell, "project_inputs"):  # a built-in cell: one input product for all steps
            inputs = self.cell.project_inputs(sequences, training)
            step = self.cell.step_function(training)
        else:
            inputs, step = sequences, self._cell_step(training)
        if isinstance(inputs, tuple):  # a cell's projection in parts: each step gets its part of each
            parts = [core_ops.unstack(part, axis=1) for part in inputs]
            steps = [tuple(part[t] for part in parts) for t in range(numpy.shape(sequences)[1])]
        else:
            steps = core_ops.unstack(inputs, axis=1)
        order = range(len(steps) - 1, -1, -1) if self.go_backwards else range(len(steps))
        if mask is not None:
            keep = mask.astype(config.floatx())[:, :, None]
            drop = 1.0 - keep
        outputs, output = [], None
        for t in order:
            output, new_states = step(steps[t], states)
            if mask is not None:
                output, new_states = self._masked(output, new_states, states, keep[:, t], drop[:, t])
            states = new_states
            if self.return_sequences:
                outputs.append(output)
        if output is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} received a sequence of no time steps "
                             f"(inputs of shape {numpy.shape(sequences)}).")
        return output, numpy_ops.stack(outputs, axis=1) if self.return_sequences else None, states

    def _masked(self, output, new_states, states, keep, drop):
        """A step's output and states where a masked sample keeps its previous values."""
        previous, new_first = _first_state(states), _first_state(new_states)
        new_states = _map_pairs(lambda new, old: new * keep + old * drop, new_states, states)
        if self.zero_output_for_mask:
            output = output * keep
        elif output is new_first:  # the output is the first state (all built-in cells): already masked
            output = _first_state(new_states)
        else:
            output = output * keep + previous * drop
        return output, new_states

    def _cell_step(self, training):
        """A step that calls a custom cell."""
        call, kwargs = cell_call(self.cell, training)

        def step(inputs, states):
            output, new_states = call(inputs, states, **kwargs)
            return output, list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]

        return step

    def _checked_mask(self, mask, sequences):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        if mask is None:
            return None
        mask = numpy.asarray(getval(mask))
        masking.check_mask_shape(self, sequences, mask)
        return mask.astype(bool)

    def _checked_initial_state(self, initial_state, batch_size):
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        template = self.get_initial_state(batch_size)
        expected = [numpy.shape(value) for value in flatten(template)]
        given = [value if isbox(value) else numpy.asarray(value, config.floatx()) for value in flatten(given)]
        if [numpy.shape(value) for value in given] != expected:
            raise ValueError(f"{type(self).__name__} {self.name!r}: `initial_state` must hold {len(expected)} "
                             f"array(s) of shape(s) {expected}; received shape(s) "
                             f"{[numpy.shape(value) for value in given]}.")
        return _unflatten(template, given)

    # -------------------------------------------------------------- config
    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask, "cell": serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config_, custom_objects=None):
        config_ = dict(config_)
        if "cell" not in config_:
            raise ValueError(f"{cls.__name__} config {config_.get('name')!r} has no 'cell' entry.")
        cell = deserialize_built_layer(config_.pop("cell"), f"{cls.__name__} cell", custom_objects)
        return cls(cell, **config_)


def _is_state_size(size):
    if isinstance(size, bool):
        return False
    if isinstance(size, numbers.Integral):
        return size > 0
    return isinstance(size, (list, tuple)) and len(size) > 0 and all(_is_state_size(s) for s in size)


def _first_state(states):
    """The state a masked step repeats as its output: Keras's ``states[0]``, or ``states[-1][0]``
    when the states are nested (a stack of cells: the last cell's first state)."""
    first = states[0]
    if isinstance(first, (list, tuple)):
        first = states[-1][0] if isinstance(states[-1], (list, tuple)) else states[-1]
    return first


def _map_pairs(function, new, old):
    """``function(new_leaf, old_leaf)`` over two states of the same structure."""
    if isinstance(new, (list, tuple)):
        return [_map_pairs(function, n, o) for n, o in zip(new, old)]
    return function(new, old)


def _unflatten(template, leaves):
    """``leaves`` in the nesting of ``template`` (lists)."""
    leaves = iter(leaves)

    def fill(node):
        if isinstance(node, (list, tuple)):
            return [fill(item) for item in node]
        return next(leaves)

    return fill(template)


def _reset_dropout_masks(cell):
    """Forget the dropout masks the cells drew for this sequence."""
    cells = cell._flatten_layers() if isinstance(cell, Layer) else [cell]
    for each in cells:
        for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
            if hasattr(each, reset):
                getattr(each, reset)()


class CellLayer(RNN):
    """Base of ``SimpleRNN``, ``LSTM`` and ``GRU``: an ``RNN`` of one built-in cell made from the layer's
    own arguments, which the layer shows as its attributes and writes into its config (Keras 3's layout:
    the cell's arguments at the top level, no ``cell`` entry)."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{type(self).__name__}: `use_cudnn` must be 'auto', True or False; received "
                             f"use_cudnn={use_cudnn!r}.")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.use_cudnn = use_cudnn  # accepted for Keras compatibility; there is no cuDNN here

    @staticmethod
    def cell_arguments(kwargs):
        """The arguments a layer passes its cell besides its own: ``dtype`` and ``trainable``."""
        return {"dtype": kwargs.get("dtype"), "trainable": kwargs.get("trainable", True)}

    def get_config(self):
        config_ = super().get_config()
        del config_["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {**config_, **cell_config,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config_):
        return cls(**config_)


class GatedCellLayer(CellLayer):
    """Base of ``LSTM`` and ``GRU``: the whole sequence as one traced operation (the layer's
    ``_whole_sequence``, from :mod:`microkeras.ops.recurrent`) when no step needs its own treatment
    -- Keras 3 takes cuDNN's kernel under the same conditions; otherwise the cell's forward code,
    step by step."""

    def _run(self, sequences, states, mask, training):
        if not self._whole_sequence_fits(mask, training):
            return super()._run(sequences, states, mask, training)
        projected = self.cell.input_projection(sequences, training)
        if self.go_backwards:
            projected = projected[:, ::-1]
        outputs, states = self._whole_sequence(projected, states)
        return states[0], outputs if self.return_sequences else None, states

    def _whole_sequence_fits(self, mask, training):
        """Keras 3's conditions for cuDNN's kernel that LSTM and GRU share."""
        cell = self.cell
        return (mask is None and self.use_cudnn is not False and cell.activation is activations.tanh
                and cell.recurrent_activation is activations.sigmoid
                and not (training and cell.recurrent_dropout > 0))

    def _whole_sequence(self, projected, states):
        """``(outputs of every step, final states)`` as one traced operation, from the input
        projection of every step (batch, timesteps, gates * units) in reading order."""
        raise NotImplementedError


def _cell_attribute(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


for _name in ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
              "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed"):
    setattr(CellLayer, _name, _cell_attribute(_name))
