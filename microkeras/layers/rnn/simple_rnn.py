"""The fully connected recurrent step: ``SimpleRNNCell`` and the ``SimpleRNN`` layer.

Keras 3's layout (``keras/src/layers/rnn/simple_rnn.py``): ``kernel``
(features, units), ``recurrent_kernel`` (units, units), ``bias`` (units,);
one step is ``h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)``,
the output and the single state.
"""

from microkeras import ops
from microkeras.layers.rnn.recurrent_cell import RecurrentCell
from microkeras.layers.rnn.rnn import CellLayer


class SimpleRNNCell(RecurrentCell):
    """One step of a simple RNN: ``(inputs, [h]) -> (h, [h])``.

    Arguments as :class:`~microkeras.layers.LSTMCell`'s, without the gates'
    ``recurrent_activation`` and ``unit_forget_bias``.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.state_size = self.units
        self.output_size = self.units

    def step_function(self, training=False):
        recurrent_kernel, activation = self.recurrent_kernel, self.activation
        dropping = training and self.recurrent_dropout > 0

        def step(x, states):
            h = states[0]
            if dropping:
                h = h * self.get_recurrent_dropout_mask(h)[0]
            h = activation(ops.affine(h, recurrent_kernel, x))  # h @ recurrent_kernel + x as one operation
            return h, [h]

        return step


class SimpleRNN(CellLayer):
    """Fully connected recurrent layer: an ``RNN`` of one :class:`SimpleRNNCell` (named
    ``simple_rnn_cell`` as in Keras).

    Takes sequences of shape (batch, timesteps, features); with
    ``return_state`` it returns ``(output, h)``.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 **kwargs):
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                             dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, name="simple_rnn_cell",
                             **self.cell_arguments(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def get_config(self):  # defined here, the base Layer does not add __init__'s arguments as given
        return super().get_config()
