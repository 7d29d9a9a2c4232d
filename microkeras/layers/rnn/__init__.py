"""Recurrent layers: cells, the ``RNN`` loop over time steps, and the layers built on them."""

from microkeras.layers.rnn.bidirectional import Bidirectional
from microkeras.layers.rnn.gru import GRU, GRUCell
from microkeras.layers.rnn.lstm import LSTM, LSTMCell
from microkeras.layers.rnn.rnn import RNN
from microkeras.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from microkeras.layers.rnn.stacked_rnn_cells import StackedRNNCells
from microkeras.layers.rnn.time_distributed import TimeDistributed

__all__ = ["Bidirectional", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell",
           "StackedRNNCells", "TimeDistributed"]
