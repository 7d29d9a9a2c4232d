"""What the built-in cells share: their arguments and weights, and one dropout mask per sequence.

A recurrent layer multiplies its inputs and its recurrent state by one
dropout mask drawn for the whole sequence, not one per step (Keras 3:
``keras/src/layers/rnn/dropout_rnn_cell.py``).  The cell draws the mask when
a step first asks for it, keeps it for the other steps, and the ``RNN``
layer forgets it when the sequence is done.  Masks are drawn only while
training, from the cell's own generator, seeded by ``seed`` or, without one,
by the global seed (as ``Dropout``).

Keras's cells draw one mask per gate (four for LSTM, three for GRU) when
``recurrent_dropout`` is set, and a single mask otherwise; the masks keep
the inputs' dtype and scale kept values by ``1 / (1 - rate)``.

The built-in cells also split their forward pass in two, so that ``RNN``
can multiply the inputs of every time step by the kernel at once, before
its loop: :meth:`RecurrentCell.project_inputs` (all steps) and the function
:meth:`RecurrentCell.step_function` returns (one step, given the projected
input).  ``call(inputs, states)`` -- Keras's cell protocol -- is the two
in a row.  The ``LSTM`` and ``GRU`` layers' whole-sequence path takes the
same product as one array, :meth:`RecurrentCell.input_projection`.
"""

import numbers

import autograd.numpy as np
import numpy

from microkeras import activations, config, constraints, initializers, ops, regularizers
from microkeras.layers.layer import Layer
from microkeras.utils.argument_checks import check_float


class RecurrentCell(Layer):
    """Base of ``SimpleRNNCell``, ``LSTMCell`` and ``GRUCell``: ``units``, the activation, the
    kernel, recurrent kernel and bias arguments, dropout, and the two-part forward pass.

    Subclasses set ``gates`` (how many blocks of ``units`` columns the kernels
    have), ``state_size`` and ``output_size``, and define
    ``step_function``; ``build`` may be extended for the bias.
    """

    gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        kwargs.pop("implementation", None)  # Keras's choice of kernels; one implementation here
        super().__init__(**kwargs)
        where = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"{where}: `units` must be a positive integer; received units={units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_float(dropout, "dropout", where, maximum=1.0)
        self.recurrent_dropout = check_float(recurrent_dropout, "recurrent_dropout", where, maximum=1.0)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"{where}: `seed` must be an integer or None; received seed={seed!r}.")
        self.seed = seed
        self._rng = config.make_rng(seed)
        self._dropout_mask = self._recurrent_dropout_mask = None

    # ------------------------------------------------------------- weights
    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes one time step of shape (batch, features) "
                             f"with a known number of features; received input shape {input_shape}.")
        width = self.gates * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, width), initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint, name="recurrent_kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=self._bias_shape(), initializer=self._bias_initializer(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    # -------------------------------------------------------- forward pass
    def call(self, inputs, states, training=False):
        """One time step: ``inputs`` of shape (batch, features) and the list of ``states``
        give ``(output, new_states)``."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        return self.step_function(training)(self.project_inputs(inputs, training), states)

    def project_inputs(self, inputs, training=False):
        """What :meth:`step_function`'s steps take: :meth:`input_projection` here.  A cell may
        return a tuple of arrays instead (GRU: its gates' part and its candidate's part); each
        step then receives its slice of each."""
        return self.input_projection(inputs, training)

    def input_projection(self, inputs, training=False):
        """``inputs @ kernel`` (plus the input side of the bias) for one step (batch, features)
        or a whole sequence (batch, timesteps, features), with the dropout masks applied: one
        array of ``gates * units`` columns."""
        masks = self.get_dropout_mask(inputs) if training and self.dropout > 0 else None
        bias = self._input_bias() if self.use_bias else None
        if masks is not None and numpy.ndim(inputs) == 3:
            masks = [mask[:, None, :] for mask in masks]  # one mask for every step of the sequence
        if masks is None or len(masks) == 1:
            if masks is not None:
                inputs = inputs * masks[0]
            return np.dot(inputs, self.kernel) if bias is None else ops.affine(inputs, self.kernel, bias)
        kernels = np.split(self.kernel, self.gates, axis=1)
        projected = np.concatenate([np.dot(inputs * mask, kernel) for mask, kernel in zip(masks, kernels)], axis=-1)
        return projected if bias is None else projected + bias

    def _input_bias(self):
        return self.bias

    def step_function(self, training=False):
        """``step(projected_input, states) -> (output, new_states)`` for this call's weights."""
        raise NotImplementedError

    def get_initial_state(self, batch_size=None):
        """Zeros of shape (batch_size, size) for each state."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [numpy.zeros((batch_size, size), config.floatx()) for size in sizes]

    # ------------------------------------------------------ dropout masks
    def _mask_count(self):
        """Keras's rule: one mask per gate when recurrent dropout is on, one in all otherwise."""
        return self.gates if self.recurrent_dropout > 0 else 1

    def get_dropout_mask(self, step_input):
        """The input dropout masks of this sequence (a list), drawn for ``step_input``'s
        (batch, features) on first use."""
        if self._dropout_mask is None and self.dropout > 0:
            shape = (numpy.shape(step_input)[0], numpy.shape(step_input)[-1])
            self._dropout_mask = [self._draw_mask(shape, self.dropout) for _ in range(self._mask_count())]
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, state):
        """The recurrent dropout masks of this sequence (a list), drawn for ``state``'s shape on first use."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            shape = numpy.shape(state)
            self._recurrent_dropout_mask = [self._draw_mask(shape, self.recurrent_dropout)
                                            for _ in range(self._mask_count())]
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def _draw_mask(self, shape, rate):
        if rate >= 1:
            return numpy.zeros(shape, config.floatx())
        keep = self._rng.random(shape, dtype=numpy.float32) >= rate
        return keep * numpy.float32(1.0 / (1.0 - rate))

    def _recurrent_masks(self, state, training):
        """The recurrent dropout masks to apply at this step, or None."""
        return self.get_recurrent_dropout_mask(state) if training and self.recurrent_dropout > 0 else None

    # ------------------------------------------------------------ config
    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}
