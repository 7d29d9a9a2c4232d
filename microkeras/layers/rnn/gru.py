"""Gated recurrent unit: ``GRUCell`` and the ``GRU`` layer (Cho et al., 2014).

Keras 3's layout (``keras/src/layers/rnn/gru.py``): ``kernel`` (features,
3 * units) and ``recurrent_kernel`` (units, 3 * units) hold the update gate
``z``, the reset gate ``r`` and the candidate ``h``, in that order.  One step::

    z = sigmoid(x W_z + h_prev U_z + b_z)
    r = sigmoid(x W_r + h_prev U_r + b_r)
    candidate = tanh(x W_h + r * (h_prev U_h + b'_h))      # reset_after=True (default)
    candidate = tanh(x W_h + (r * h_prev) U_h + b_h)       # reset_after=False
    h = z * h_prev + (1 - z) * candidate

With ``reset_after=True`` the bias has shape (2, 3 * units): row 0 is added
to the input side, row 1 to the recurrent side (``b'``); with
``reset_after=False`` it is one row of shape (3 * units,).
"""

import autograd.numpy as np

from microkeras import activations, ops
from microkeras.layers.rnn.recurrent_cell import RecurrentCell
from microkeras.layers.rnn.rnn import CellLayer


class GRUCell(RecurrentCell):
    """One step of a GRU: ``(inputs, [h]) -> (h, [h])``; see the module documentation.

    Arguments as :class:`~microkeras.layers.LSTMCell`'s, without
    ``unit_forget_bias``, with ``reset_after``.
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.state_size = self.units
        self.output_size = self.units

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        return self.bias[0] if self.reset_after else self.bias

    def step_function(self, training=False):
        units, activation, gate = self.units, self.activation, self.recurrent_activation
        dropping = training and self.recurrent_dropout > 0
        kernel = self.recurrent_kernel
        recurrent_bias = self.bias[1] if self.use_bias and self.reset_after else None
        kernels = np.split(kernel, 3, axis=1) if dropping else None
        if not self.reset_after and not dropping:
            gates_kernel, candidate_kernel = kernel[:, :2 * units], kernel[:, 2 * units:]

        def step(x, states):
            h = states[0]
            masks = self.get_recurrent_dropout_mask(h) if dropping else None
            x_z, x_r, x_h = np.split(x, 3, axis=1)
            if self.reset_after:
                if dropping:  # a mask per gate (Keras's rule), so a product per gate
                    recurrent = np.concatenate([np.dot(h * m, k) for m, k in zip(masks, kernels)], axis=1)
                    if recurrent_bias is not None:
                        recurrent = recurrent + recurrent_bias
                elif recurrent_bias is not None:
                    recurrent = ops.affine(h, kernel, recurrent_bias)
                else:
                    recurrent = np.dot(h, kernel)
                r_z, r_r, r_h = np.split(recurrent, 3, axis=1)
                z, r = gate(x_z + r_z), gate(x_r + r_r)
                candidate = activation(x_h + r * r_h)
            else:
                if dropping:
                    r_z, r_r = np.dot(h * masks[0], kernels[0]), np.dot(h * masks[1], kernels[1])
                    h_h, candidate_kernel_ = h * masks[2], kernels[2]
                else:
                    r_z, r_r = np.split(np.dot(h, gates_kernel), 2, axis=1)
                    h_h, candidate_kernel_ = h, candidate_kernel
                z, r = gate(x_z + r_z), gate(x_r + r_r)
                candidate = activation(x_h + np.dot(r * h_h, candidate_kernel_))
            h = candidate + z * (h - candidate)  # z * h + (1 - z) * candidate, one operation fewer
            return h, [h]

        return step

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class GRU(CellLayer):
    """Gated recurrent unit layer: an ``RNN`` of one :class:`GRUCell` (named ``gru_cell`` as in Keras).

    Takes sequences of shape (batch, timesteps, features); with
    ``return_state`` it returns ``(output, h)``.  See :class:`GRUCell` and
    :class:`~microkeras.layers.RNN` for the arguments.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, seed=seed, name="gru_cell",
                       implementation=kwargs.pop("implementation", None), **self.cell_arguments(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, use_cudnn=use_cudnn,
                         activity_regularizer=activity_regularizer, **kwargs)

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    reset_after = property(lambda self: self.cell.reset_after)

    def get_config(self):  # defined here, the base Layer does not add __init__'s arguments as given
        return super().get_config()
