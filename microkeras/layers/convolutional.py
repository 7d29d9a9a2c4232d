"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Keras 3's arguments, defaults, weight names, shapes and order
(``keras/src/layers/convolutional/``).  Each layer is a forward pass over one
``microkeras.ops`` convolution, which holds the gradients.  What the layers
share -- argument checks, the input checks at build time, the bias, the
activation, the output shape and the config -- lives in :class:`BaseConv`;
a layer states only its kernels and its operation.
"""


import autograd.numpy as np

from microkeras import activations, constraints, initializers, regularizers
from microkeras.layers.layer import Layer
from microkeras.ops.convolution import (conv, conv_bias, conv_padding, conv_transpose, conv_transpose_padding,
                                       depthwise_conv, separable_conv)
from microkeras.utils.argument_checks import check_int, standardize_data_format, standardize_padding, standardize_tuple


class BaseConv(Layer):
    """Base of the convolution layers.

    A subclass sets ``rank`` (spatial dimensions) and ``kernel_arguments``
    (the prefixes of its kernels' ``*_initializer``, ``*_regularizer`` and
    ``*_constraint`` arguments), and writes ``kernel_shapes``,
    ``output_channels`` and ``convolve``.

    Parameters
    ----------
    kernel_size, strides, dilation_rate : int or tuple of ``rank`` ints
        ``strides > 1`` and ``dilation_rate > 1`` together are refused, as in Keras.
    padding : {'valid', 'same'} (and 'causal' where the layer allows it)
    data_format : {'channels_last', 'channels_first'}, optional
        ``None`` means ``'channels_last'``.
    activation : str or callable, optional
    use_bias : bool
    kernels : dict
        ``{prefix: (initializer, regularizer, constraint)}`` for each prefix
        in ``kernel_arguments``, kept as ``<prefix>_initializer`` etc.
    bias_initializer, bias_regularizer, bias_constraint
    """

    rank = None
    kernel_arguments = ("kernel",)
    allows_causal = False

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, kernels,
                 bias_initializer, bias_regularizer, bias_constraint, **kwargs):
        super().__init__(**kwargs)
        caller = type(self).__name__
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size", caller)
        self.strides = standardize_tuple(strides, self.rank, "strides", caller)
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate", caller)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{caller}: `strides > 1` is not supported together with `dilation_rate > 1` (as in "
                             f"Keras); received strides={self.strides} and dilation_rate={self.dilation_rate}.")
        self.padding = standardize_padding(padding, caller, allow_causal=self.allows_causal)
        self.data_format = standardize_data_format(data_format, caller)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        for prefix in self.kernel_arguments:
            initializer, regularizer, constraint = kernels[prefix]
            setattr(self, f"{prefix}_initializer", initializers.get(initializer))
            setattr(self, f"{prefix}_regularizer", regularizers.get(regularizer))
            setattr(self, f"{prefix}_constraint", constraints.get(constraint))
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)

    # -------------------------------------------------------- what a layer states
    def kernel_shapes(self, channels):
        """``{weight name: (shape, argument prefix)}`` for inputs with ``channels`` channels, in creation order."""
        raise NotImplementedError

    def output_channels(self, channels):
        raise NotImplementedError

    def convolve(self, inputs):
        """The convolution without bias or activation (``ops`` call on the bound kernels)."""
        raise NotImplementedError

    def output_length(self, n, axis):
        """Output length along spatial ``axis`` for input length ``n`` (``< 1`` when the kernel does not fit)."""
        return conv_padding(n, self.kernel_size[axis], self.strides[axis], self.dilation_rate[axis], self.padding)[1]

    # ---------------------------------------------------------- shared machinery
    def build(self, input_shape):
        channels = self._check_input_shape(input_shape)
        spatial = self._spatial(input_shape)
        out = tuple(None if n is None else self.output_length(n, i) for i, n in enumerate(spatial))
        if any(o is not None and o < 1 for o in out):
            raise ValueError(
                f"{self._describe()}: the kernel does not fit in the input. Input shape {tuple(input_shape)} "
                f"(spatial {spatial}) with kernel_size={self.kernel_size}, dilation_rate={self.dilation_rate}, "
                f"strides={self.strides} and padding={self.padding!r} gives an output of spatial shape {out}. "
                "Use a smaller kernel or dilation_rate, larger inputs, or padding='same'.")
        for name, (shape, prefix) in self.kernel_shapes(channels).items():
            setattr(self, name, self.add_weight(
                shape=shape, initializer=getattr(self, f"{prefix}_initializer"), name=name,
                regularizer=getattr(self, f"{prefix}_regularizer"), constraint=getattr(self, f"{prefix}_constraint")))
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.output_channels(channels),), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")

    def call(self, inputs):
        self._check_input_shape(inputs.shape, self._build_input_shape)
        if self.use_bias and type(self).convolve is Conv.convolve:  # bias (and ReLU) fused into the product
            relu = self.activation is activations.relu
            outputs = conv_bias(inputs, self.kernel, self.bias, self.strides, self.padding, self.data_format,
                                    self.dilation_rate, relu=relu)
            return outputs if relu else self.activation(outputs)
        outputs = self.convolve(inputs)
        if self.use_bias:
            bias = self.bias if self.data_format == "channels_last" else np.reshape(self.bias, (-1,) + (1,) * self.rank)
            outputs = outputs + bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        channels = self._check_input_shape(input_shape)
        out = tuple(None if n is None else self.output_length(n, i) for i, n in enumerate(self._spatial(input_shape)))
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (self.output_channels(channels),)
        return (input_shape[0], self.output_channels(channels)) + out

    def _spatial(self, shape):
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def _describe(self):
        return f"{type(self).__name__} layer {self.name!r}"

    def _check_input_shape(self, shape, built_for=None):
        """The number of input channels, after checking the rank, and the channels against ``built_for``."""
        shape = tuple(shape)
        layout = "(batch, *spatial, channels)" if self.data_format == "channels_last" else "(batch, channels, *spatial)"
        if len(shape) != self.rank + 2:
            raise ValueError(f"{self._describe()} expects inputs of rank {self.rank + 2}, {layout} with {self.rank} "
                             f"spatial dimension(s); received input shape {shape}.")
        axis = -1 if self.data_format == "channels_last" else 1
        channels = shape[axis]
        if channels is None:
            raise ValueError(f"{self._describe()}: the channel dimension (axis {axis}) of the inputs must be known; "
                             f"received input shape {shape}.")
        if built_for is not None and built_for[axis] != channels:
            raise ValueError(f"{self._describe()} was built for inputs with {built_for[axis]} channels (input shape "
                             f"{tuple(built_for)}) but received inputs of shape {shape}.")
        return channels

    def get_config(self):
        config = {**super().get_config(), **self._own_config(), "kernel_size": list(self.kernel_size),
                  "strides": list(self.strides), "padding": self.padding, "data_format": self.data_format,
                  "dilation_rate": list(self.dilation_rate), "activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias}
        prefixes = self.kernel_arguments + ("bias",)
        for kind, module in (("initializer", initializers), ("regularizer", regularizers), ("constraint", constraints)):
            config.update({f"{p}_{kind}": module.serialize(getattr(self, f"{p}_{kind}")) for p in prefixes})
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    def _own_config(self):
        """The config entries only this kind of layer has (``filters``, ``groups``, ...)."""
        return {}


class Conv(BaseConv):
    """N-D convolution: ``activation(conv(inputs, kernel) + bias)``, Keras's ``Conv1D``/``Conv2D``.

    ``kernel`` has shape ``(*kernel_size, channels // groups, filters)``,
    ``bias`` ``(filters,)``.  With ``groups > 1`` the channels are split into
    ``groups`` blocks, each convolved with ``filters // groups`` filters.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         {"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint)}, bias_initializer,
                         bias_regularizer, bias_constraint, activity_regularizer=activity_regularizer, **kwargs)
        caller = type(self).__name__
        self.filters = check_int(filters, "filters", 1, caller)
        self.groups = check_int(groups, "groups", 1, caller)
        if self.filters % self.groups:
            raise ValueError(f"{caller}: `filters` must be divisible by `groups`; received filters={self.filters}, "
                             f"groups={self.groups}.")

    def kernel_shapes(self, channels):
        if channels % self.groups:
            raise ValueError(f"{self._describe()}: the input's {channels} channels must be divisible by "
                             f"groups={self.groups}.")
        return {"kernel": (self.kernel_size + (channels // self.groups, self.filters), "kernel")}

    def output_channels(self, channels):
        return self.filters

    def convolve(self, inputs):
        return conv(inputs, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate)

    def _own_config(self):
        return {"filters": self.filters, "groups": self.groups}


class Conv1D(Conv):
    """1D convolution over ``(batch, steps, channels)``; ``padding='causal'`` pads ``dilation_rate * (kernel_size - 1)``
    steps on the left, so output step ``t`` sees only input steps ``<= t``."""

    rank = 1
    allows_causal = True


class Conv2D(Conv):
    """2D convolution over ``(batch, height, width, channels)``."""

    rank = 2


class Conv2DTranspose(BaseConv):
    """Transposed 2D convolution (the gradient of a convolution), Keras's ``Conv2DTranspose``.

    ``kernel`` has shape ``(*kernel_size, filters, channels)`` -- output
    channels first, as in Keras -- and ``bias`` ``(filters,)``.  Output length
    per spatial dimension: ``(n - 1) * stride + max(span, stride)``
    (``valid``) or ``n * stride`` (``same``); with ``output_padding`` (each
    entry below its stride), ``(n - 1) * stride + span + output_padding``
    (``valid``) or ``(n - 1) * stride + span % 2 + output_padding`` (``same``),
    ``span = dilation_rate * (kernel_size - 1) + 1``.
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         {"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint)}, bias_initializer,
                         bias_regularizer, bias_constraint, activity_regularizer=activity_regularizer, **kwargs)
        caller = type(self).__name__
        self.filters = check_int(filters, "filters", 1, caller)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = standardize_tuple(output_padding, self.rank, "output_padding", caller, minimum=0)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"{caller}: each `output_padding` must be smaller than its stride; received "
                                 f"output_padding={self.output_padding}, strides={self.strides}.")

    def kernel_shapes(self, channels):
        return {"kernel": (self.kernel_size + (self.filters, channels), "kernel")}

    def output_channels(self, channels):
        return self.filters

    def output_length(self, n, axis):
        extra = None if self.output_padding is None else self.output_padding[axis]
        return conv_transpose_padding(n, self.kernel_size[axis], self.strides[axis], self.dilation_rate[axis],
                                      self.padding, extra)[1]

    def convolve(self, inputs):
        return conv_transpose(inputs, self.kernel, self.strides, self.padding, self.output_padding,
                              self.data_format, self.dilation_rate)

    def _own_config(self):
        return {"filters": self.filters,
                "output_padding": None if self.output_padding is None else list(self.output_padding)}


class DepthwiseConv2D(BaseConv):
    """Depthwise 2D convolution: each input channel convolved with its own ``depth_multiplier`` filters.

    ``kernel`` (named ``kernel`` as in Keras 3) has shape ``(*kernel_size,
    channels, depth_multiplier)``; output channel ``c * depth_multiplier + m``
    comes from input channel ``c``; ``bias`` has shape ``(channels * depth_multiplier,)``.
    """

    rank = 2
    kernel_arguments = ("depthwise",)

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         {"depthwise": (depthwise_initializer, depthwise_regularizer, depthwise_constraint)},
                         bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = check_int(depth_multiplier, "depth_multiplier", 1, type(self).__name__)

    def kernel_shapes(self, channels):
        return {"kernel": (self.kernel_size + (channels, self.depth_multiplier), "depthwise")}

    def output_channels(self, channels):
        return channels * self.depth_multiplier

    def convolve(self, inputs):
        return depthwise_conv(inputs, self.kernel, self.strides, self.padding, self.data_format,
                              self.dilation_rate)

    def _own_config(self):
        return {"depth_multiplier": self.depth_multiplier}


class SeparableConv2D(BaseConv):
    """A depthwise 2D convolution, then a 1x1 convolution mixing the channels into ``filters``.

    Weights, in order: ``depthwise_kernel`` ``(*kernel_size, channels,
    depth_multiplier)``, ``pointwise_kernel`` ``(1, 1, channels *
    depth_multiplier, filters)``, ``bias`` ``(filters,)``.
    """

    rank = 2
    kernel_arguments = ("depthwise", "pointwise")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         {"depthwise": (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                          "pointwise": (pointwise_initializer, pointwise_regularizer, pointwise_constraint)},
                         bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        caller = type(self).__name__
        self.filters = check_int(filters, "filters", 1, caller)
        self.depth_multiplier = check_int(depth_multiplier, "depth_multiplier", 1, caller)

    def kernel_shapes(self, channels):
        return {"depthwise_kernel": (self.kernel_size + (channels, self.depth_multiplier), "depthwise"),
                "pointwise_kernel": ((1,) * self.rank + (channels * self.depth_multiplier, self.filters), "pointwise")}

    def output_channels(self, channels):
        return self.filters

    def convolve(self, inputs):
        return separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel, self.strides, self.padding,
                              self.data_format, self.dilation_rate)

    def _own_config(self):
        return {"depth_multiplier": self.depth_multiplier, "filters": self.filters}


# Keras 3's aliases.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
