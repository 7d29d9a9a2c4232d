"""``StackedRNNCells``: a list of cells that acts as one cell (Keras 3:
``keras/src/layers/rnn/stacked_rnn_cells.py``).

At each time step the first cell takes the step's input and every other
cell the output of the one before; the states are one entry per cell.
``RNN([cell_a, cell_b])`` wraps its list in one.
"""

import numbers

import numpy

from microkeras import config
from microkeras.layers.layer import Layer
from microkeras.layers.serialization import deserialize_built_layer, serialize_layer


class StackedRNNCells(Layer):
    """Cells stacked so that each takes the previous one's output.

    Parameters
    ----------
    cells : list of cells
        Each with a ``call(inputs, states)`` method and a ``state_size``.
    """

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells: `cells` must be a non-empty list of cells; received {cells!r}.")
        for cell in cells:
            if not callable(getattr(cell, "call", None)) or getattr(cell, "state_size", None) is None:
                raise ValueError("StackedRNNCells: every cell must have a `call(inputs, states)` method and a "
                                 f"`state_size`; received {cell!r}.")
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            if getattr(cell, "get_initial_state", None) is not None:
                states.append(cell.get_initial_state(batch_size=batch_size))
            elif isinstance(cell.state_size, numbers.Integral):
                states.append(numpy.zeros((batch_size, cell.state_size), config.floatx()))
            else:
                states.append([numpy.zeros((batch_size, size), config.floatx()) for size in cell.state_size])
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
            input_shape = (input_shape[0], _output_size(cell))

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            nested = isinstance(cell_states, (list, tuple))
            call, kwargs = cell_call(cell, training)
            inputs, cell_states = call(inputs, list(cell_states) if nested else [cell_states], **kwargs)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            new_states.append(cell_states[0] if len(cell_states) == 1 and not nested else list(cell_states))
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config_, custom_objects=None):
        config_ = dict(config_)
        cells = [deserialize_built_layer(entry, f"StackedRNNCells cells[{i}]", custom_objects)
                 for i, entry in enumerate(config_.pop("cells", []))]
        return cls(cells, **config_)


def cell_call(cell, training):
    """``(function, kwargs)`` that run one step of ``cell``: a layer's ``call`` itself (built already,
    and given the step's values as they are, float64 in a gradient check), with ``training`` if it takes it."""
    if isinstance(cell, Layer):
        return cell.call, {"training": training} if cell._call_takes_training() else {}
    return (cell if callable(cell) else cell.call), {}


def _output_size(cell):
    """A cell's output width: its ``output_size``, else its (first) state size."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return cell.state_size if isinstance(cell.state_size, numbers.Integral) else cell.state_size[0]
