"""Layers: the :class:`Layer` base class and the stock layers."""

from microkeras.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Lambda, Reshape
from microkeras.layers.layer import Layer

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "Lambda", "Layer", "Reshape"]
