"""Long short-term memory: ``LSTMCell`` and the ``LSTM`` layer (Hochreiter and Schmidhuber, 1997).

Keras 3's layout (``keras/src/layers/rnn/lstm.py``): ``kernel`` (features,
4 * units), ``recurrent_kernel`` (units, 4 * units) and ``bias`` (4 * units,),
each holding the gates in the order input ``i``, forget ``f``, candidate
``c``, output ``o``.  One step, with ``z = x @ kernel + h @ recurrent_kernel
+ bias`` split into those four blocks::

    c = sigmoid(z_f) * c_prev + sigmoid(z_i) * tanh(z_c)
    h = sigmoid(z_o) * tanh(c)

(``sigmoid`` is ``recurrent_activation``, ``tanh`` is ``activation``); the
output is ``h`` and the states are ``[h, c]``.  ``unit_forget_bias`` starts
the forget gate's bias at 1.
"""

import autograd.numpy as np
import numpy

from microkeras import activations, ops
from microkeras.ops.core import split_equal
from microkeras.layers.rnn.recurrent_cell import RecurrentCell
from microkeras.layers.rnn.rnn import GatedCellLayer
from microkeras.ops.recurrent import lstm_sequence


class LSTMCell(RecurrentCell):
    """One step of an LSTM: ``(inputs, [h, c]) -> (h, [h, c])``; see the module documentation.

    ``units``, ``activation``, ``recurrent_activation``, the initializers
    (``glorot_uniform`` kernel, ``orthogonal`` recurrent kernel, ``zeros``
    bias), regularizers and constraints, ``dropout`` and
    ``recurrent_dropout`` (fractions of the inputs and of the state dropped
    while training, one mask per sequence) and ``seed`` are Keras's.
    """

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, initializer = self.units, self.bias_initializer

        def forget_gate_at_one(shape, dtype=None):
            return numpy.concatenate([initializer((units,), dtype=dtype), numpy.ones((units,), dtype=dtype),
                                      initializer((2 * units,), dtype=dtype)])

        return forget_gate_at_one

    def step_function(self, training=False):
        recurrent_kernel, activation, gate = self.recurrent_kernel, self.activation, self.recurrent_activation
        dropping = training and self.recurrent_dropout > 0
        kernels = np.split(recurrent_kernel, 4, axis=1) if dropping else None

        def step(x, states):
            h, c = states[0], states[1]
            if dropping:  # a mask per gate (Keras's rule), so a product per gate
                masks = self.get_recurrent_dropout_mask(h)
                z = x + np.concatenate([np.dot(h * m, k) for m, k in zip(masks, kernels)], axis=1)
            else:
                z = ops.affine(h, recurrent_kernel, x)  # h @ recurrent_kernel + x as one operation
            z_i, z_f, z_c, z_o = split_equal(z, 4)
            c = gate(z_f) * c + gate(z_i) * activation(z_c)
            h = gate(z_o) * activation(c)
            return h, [h, c]

        return step

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class LSTM(GatedCellLayer):
    """Long short-term memory layer: an ``RNN`` of one :class:`LSTMCell`.

    Takes sequences of shape (batch, timesteps, features).  The cell's
    arguments are those of :class:`LSTMCell`; ``return_sequences``,
    ``return_state``, ``go_backwards``, ``stateful`` and ``unroll`` are
    :class:`~microkeras.layers.RNN`'s.  With ``return_state`` the layer
    returns ``(output, h, c)``.  The weights live in the cell, named
    ``lstm_cell`` as in Keras.

    With no mask, no recurrent dropout and Keras's default activations
    (Keras 3's conditions for cuDNN), the whole sequence is one traced
    operation, :func:`~microkeras.ops.recurrent.lstm_sequence`; otherwise,
    or with ``use_cudnn=False``, the cell's forward code runs step by step.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, seed=seed, name="lstm_cell",
                        implementation=kwargs.pop("implementation", None), **self.cell_arguments(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, use_cudnn=use_cudnn,
                         activity_regularizer=activity_regularizer, **kwargs)

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    unit_forget_bias = property(lambda self: self.cell.unit_forget_bias)

    def _whole_sequence(self, projected, states):
        trace = lstm_sequence(projected, self.cell.recurrent_kernel, states[0], states[1])
        units = self.cell.units
        return trace[:, :, :units], [trace[:, -1, :units], trace[:, -1, units:2 * units]]

    def get_config(self):  # defined here, the base Layer does not add __init__'s arguments as given
        return super().get_config()
