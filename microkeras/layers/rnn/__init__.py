"""Recurrent layers: cells, the ``RNN`` loop over time steps, and the layers built on them."""

from microkeras.layers.rnn.lstm import LSTM, LSTMCell
from microkeras.layers.rnn.rnn import RNN
from microkeras.layers.rnn.stacked_rnn_cells import StackedRNNCells

__all__ = ["LSTM", "LSTMCell", "RNN", "StackedRNNCells"]
