"""Layers: the :class:`Layer` base class and the stock layers."""

from microkeras.layers.convolutional import (Conv1D, Conv2D, Conv2DTranspose, Convolution1D, Convolution2D,
                                             Convolution2DTranspose, DepthwiseConv2D, SeparableConv2D,
                                             SeparableConvolution2D)
from microkeras.layers.embedding import Embedding
from microkeras.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Lambda, Masking, Reshape
from microkeras.layers.layer import Layer
from microkeras.layers.pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, GlobalAveragePooling1D,
                                       GlobalAveragePooling2D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalMaxPool1D,
                                       GlobalMaxPool2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPool1D, MaxPool2D,
                                       MaxPooling1D, MaxPooling2D)
from microkeras.layers.reshaping import (Cropping1D, Cropping2D, Permute, RepeatVector, UpSampling1D, UpSampling2D,
                                         ZeroPadding1D, ZeroPadding2D)
from microkeras.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                       average, concatenate, dot, maximum, minimum, multiply, subtract)
from microkeras.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from microkeras.layers.normalization import (BatchNormalization, GroupNormalization, LayerNormalization,
                                             UnitNormalization)
from microkeras.layers.preprocessing import Normalization, Rescaling
from microkeras.layers.regularization import (ActivityRegularization, GaussianDropout, GaussianNoise,
                                              SpatialDropout1D, SpatialDropout2D)
from microkeras.layers.rnn import (GRU, LSTM, RNN, Bidirectional, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell,
                                   StackedRNNCells, TimeDistributed)

__all__ = ["Activation", "Dense", "Dropout", "Embedding", "Flatten", "Input", "InputLayer", "Lambda", "Layer", "Reshape"]
__all__ += ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "add", "average",
            "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]
__all__ += ["AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "GlobalAveragePooling1D",
            "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
            "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D"]
__all__ += ["Cropping1D", "Cropping2D", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
            "ZeroPadding2D"]
__all__ += ["Conv1D", "Conv2D", "Conv2DTranspose", "Convolution1D", "Convolution2D", "Convolution2DTranspose",
            "DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D"]
__all__ += ["Masking"]
__all__ += ["ActivityRegularization", "BatchNormalization", "ELU", "GaussianDropout", "GaussianNoise",
            "GroupNormalization", "LayerNormalization", "LeakyReLU", "Normalization", "PReLU", "ReLU", "Rescaling",
            "Softmax", "SpatialDropout1D", "SpatialDropout2D", "UnitNormalization"]
__all__ += ["Bidirectional", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell", "StackedRNNCells",
            "TimeDistributed"]
