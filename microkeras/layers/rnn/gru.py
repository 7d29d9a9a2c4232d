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
import numpy

from microkeras import activations, ops
from microkeras.ops.core import split_equal
from microkeras.layers.rnn.recurrent_cell import RecurrentCell
from microkeras.layers.rnn.rnn import GatedCellLayer
from microkeras.ops.recurrent import gru_sequence


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
        if not self.reset_after:
            return self.bias
        # The recurrent side's z and r biases are added where the input's are: before the loop.
        return self.bias[0] + self.bias[1] * numpy.repeat(numpy.array([1, 1, 0], self.dtype), self.units)

    def project_inputs(self, inputs, training=False):
        """The input projection in two parts: the z and r gates' (..., 2 * units), the candidate's (..., units)."""
        return tuple(np.split(self.input_projection(inputs, training), [2 * self.units], axis=-1))

    def step_function(self, training=False):
        units, activation, gate = self.units, self.activation, self.recurrent_activation
        dropping = training and self.recurrent_dropout > 0
        kernel = self.recurrent_kernel
        gates_kernel, candidate_kernel = kernel[:, :2 * units], kernel[:, 2 * units:]
        if dropping:
            z_kernel, r_kernel = gates_kernel[:, :units], gates_kernel[:, units:]
        candidate_bias = self.bias[1, 2 * units:] if self.use_bias and self.reset_after else None

        def step(x, states):
            (x_gates, x_candidate), h = x, states[0]
            if dropping:  # a mask per gate (Keras's rule), so a product per gate
                h_z, h_r, h_candidate = (h * mask for mask in self.get_recurrent_dropout_mask(h))
                gates = x_gates + np.concatenate([np.dot(h_z, z_kernel), np.dot(h_r, r_kernel)], axis=1)
            else:
                h_candidate = h
                gates = ops.affine(h, gates_kernel, x_gates)
            z, r = split_equal(gate(gates), 2)
            if not self.reset_after:
                candidate = activation(ops.affine(r * h_candidate, candidate_kernel, x_candidate))
            else:
                recurrent = np.dot(h_candidate, candidate_kernel) if candidate_bias is None else \
                    ops.affine(h_candidate, candidate_kernel, candidate_bias)
                candidate = activation(x_candidate + r * recurrent)
            h = candidate + z * (h - candidate)  # z * h + (1 - z) * candidate, one operation fewer
            return h, [h]

        return step

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class GRU(GatedCellLayer):
    """Gated recurrent unit layer: an ``RNN`` of one :class:`GRUCell` (named ``gru_cell`` as in Keras).

    Takes sequences of shape (batch, timesteps, features); with
    ``return_state`` it returns ``(output, h)``.  See :class:`GRUCell` and
    :class:`~microkeras.layers.RNN` for the arguments.

    With no mask, no recurrent dropout, Keras's default activations,
    ``reset_after=True``, a bias and no ``unroll`` (Keras 3's conditions for
    cuDNN), the whole sequence is one traced operation,
    :func:`~microkeras.ops.recurrent.gru_sequence`; otherwise (``reset_after=False``
    included), or with ``use_cudnn=False``, the cell's forward code runs step by step.
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

    def _whole_sequence_fits(self, mask, training):
        cell = self.cell  # Keras's further conditions for GRU
        return super()._whole_sequence_fits(mask, training) and cell.reset_after and cell.use_bias and not self.unroll

    def _whole_sequence(self, projected, states):
        units = self.cell.units
        trace = gru_sequence(projected, self.cell.recurrent_kernel, self.cell.bias[1, 2 * units:], states[0])
        return trace[:, :, :units], [trace[:, -1, :units]]

    def get_config(self):  # defined here, the base Layer does not add __init__'s arguments as given
        return super().get_config()
