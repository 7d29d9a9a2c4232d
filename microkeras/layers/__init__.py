"""Layers: the :class:`Layer` base class and the stock layers."""

from microkeras.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Lambda, Reshape
from microkeras.layers.layer import Layer
from microkeras.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                       average, concatenate, dot, maximum, minimum, multiply, subtract)

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "Lambda", "Layer", "Reshape"]
__all__ += ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "add", "average",
            "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]
