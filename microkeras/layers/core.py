"""Core layers: Input, Dense, Activation, Dropout, Masking, Flatten, Reshape, Lambda."""

import inspect
import math
import numbers

import autograd.numpy as np
import numpy
from autograd.tracer import getval

from microkeras import activations, config, constraints, initializers, masking, ops, regularizers
from microkeras.layers.keras_tensor import KerasTensor, Node
from microkeras.layers.layer import Layer, standardize_shape
from microkeras.ops.nn import affine_relu
from microkeras.saving import object_registration


class InputLayer(Layer):
    """The entry of a model: holds the symbolic tensor a functional model starts from.

    Parameters
    ----------
    shape : tuple of int
        Shape of one sample (no batch dimension).
    batch_size : int, optional
        Fixed batch size, if any.
    dtype : str, optional
        ``'float32'`` (the default), or an integer type for inputs that are ids.
    batch_shape : tuple, optional
        Full shape including the batch dimension (instead of ``shape``).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 input_shape=None, batch_input_shape=None, sparse=None, optional=False, **kwargs):
        shape = input_shape if shape is None else shape  # Keras 2 spelling
        batch_shape = batch_input_shape if batch_shape is None else batch_shape
        if shape is None and batch_shape is None:
            raise ValueError("InputLayer needs `shape` (one sample's shape) or `batch_shape`.")
        if sparse or optional:
            raise ValueError("InputLayer: `sparse` and `optional` inputs are not supported by microkeras.")
        input_dtype = numpy.dtype(config.floatx() if dtype is None else dtype)
        if input_dtype.kind not in "fiub" or input_dtype.kind == "f" and input_dtype != numpy.float32:
            raise ValueError(f"InputLayer: `dtype` must be float32 or an integer type (for ids); received "
                             f"{dtype!r}.")
        super().__init__(name=name, input_shape=shape, batch_size=batch_size, batch_input_shape=batch_shape,
                         **kwargs)
        if 0 in self._batch_input_shape[1:]:
            raise ValueError(f"InputLayer: every dimension of `shape` must be positive or None; received "
                             f"shape {self._batch_input_shape[1:]} (a sample with no values cannot be learned from).")
        self.input_dtype = str(input_dtype)
        self.built = True
        self._build_input_shape = self._batch_input_shape
        Node(self, (), {}, KerasTensor(self._batch_input_shape, self.input_dtype, name=self.name))

    @property
    def shape(self):
        """The batch shape, ``(None, ...)``."""
        return self._batch_input_shape

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {"batch_shape": list(self._batch_input_shape), "dtype": self.input_dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,
          optional=False):
    """A symbolic input tensor of ``shape`` (one sample's shape): the start of a functional model, or
    the first entry of a ``Sequential`` (``Sequential([Input((784,)), Dense(32), ...])``)."""
    if tensor is not None:
        raise ValueError("Input: `tensor` is not supported by microkeras.")
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape, name=name,
                      sparse=sparse, optional=optional).output


class Dense(Layer):
    """Densely connected layer: ``activation(inputs @ kernel + bias)``.

    ``kernel`` has shape ``(input_dim, units)``; inputs of rank > 2 are
    multiplied on their last axis.
    """

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"Dense: `units` must be a positive integer; received units={units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Dense needs inputs with a known last dimension; received input shape {input_shape}.")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")

    def call(self, inputs):
        if self.use_bias:
            if self.activation is activations.relu:  # one traced operation for product, bias and ReLU
                return affine_relu(inputs, self.kernel, self.bias)
            return self.activation(ops.affine(inputs, self.kernel, self.bias))
        return self.activation(np.dot(inputs, self.kernel))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


class Activation(Layer):
    """Applies an activation function (a name such as ``'relu'`` or a callable)."""

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of inputs while training and scales the rest by ``1 / (1 - rate)``.

    Identity at inference.  ``noise_shape`` picks the mask's shape (``None``
    entries take the input's size, so ``(None, 1, features)`` drops whole
    features across time).  Masks come from a generator seeded by ``seed`` or,
    without one, by the global seed (:func:`microkeras.utils.set_random_seed`).
    """

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout: `rate` must be a float between 0 and 1; received rate={rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else standardize_shape(noise_shape, "noise_shape")
        self.seed = seed
        self._rng = config.make_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape))
        if self.rate == 1:
            return inputs * numpy.zeros(shape, dtype=config.floatx())
        keep = self._rng.random(shape, dtype=numpy.float32) >= self.rate
        return inputs * (keep * numpy.float32(1.0 / (1.0 - self.rate)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape, "seed": self.seed}


class Masking(Layer):
    """Marks as padding the steps whose features all equal ``mask_value``.

    The output is the input with those steps set to 0, and carries a mask,
    ``(batch, steps)``, that is False at them: the recurrent layers after it
    skip them, and losses and metrics give them no weight (Keras 3's
    ``Masking``).
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise TypeError(f"Masking: `mask_value` must be a number; received {mask_value!r}.")
        self.mask_value = float(mask_value)

    def _kept(self, inputs):
        return numpy.any(getval(inputs) != self.mask_value, axis=-1)

    def call(self, inputs):
        kept = self._kept(inputs)
        outputs = inputs * kept[..., None].astype(numpy.float32)
        masking.set_keras_mask(outputs, kept)
        return outputs

    def compute_mask(self, inputs, mask=None):
        return self._kept(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


class Flatten(Layer):
    """Flattens each sample to one dimension: ``(N, d1, d2, ...)`` -> ``(N, d1*d2*...)``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"Flatten: `data_format` must be 'channels_last' or 'channels_first'; "
                             f"received {data_format!r}.")
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        if self.data_format == "channels_first" and len(inputs.shape) > 2:
            inputs = np.moveaxis(inputs, 1, -1)
        return np.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be ``-1``)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(
                not isinstance(d, numbers.Integral) or (d < 1 and d != -1) for d in target_shape):
            raise ValueError(f"Reshape: `target_shape` must hold positive ints and at most one -1; "
                             f"received {target_shape!r}.")
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        return np.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        size = None if None in input_shape[1:] else math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if size is not None and (size % known if -1 in self.target_shape else size != known):
            raise ValueError(f"Reshape: cannot reshape input of shape {input_shape} "
                             f"to target_shape {self.target_shape}.")
        shape = tuple((size // known if size is not None else None) if d == -1 else d
                      for d in self.target_shape)
        return (input_shape[0],) + shape

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Lambda(Layer):
    """Wraps a function of the inputs, written with ``autograd.numpy``, as a layer.

    ``arguments`` are extra keyword arguments passed to ``function``.  In a
    config the function is saved by module and name, as Keras 3 saves it; a
    ``lambda`` is saved as bytecode.  Loading resolves a name only to a
    function in ``custom_objects``, a registered one
    (``microkeras.saving.register_keras_serializable``) or one of
    microkeras's own: nothing is imported, and bytecode is refused, unless
    the load runs with ``safe_mode=False``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable; received {function!r}.")
        if mask is not None and not callable(mask):
            raise TypeError(f"Lambda: `mask` must be None or a function `mask(inputs, previous_mask)` returning "
                            f"the output's mask; received {type(mask).__name__}.")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda: `arguments` must be a dict of keyword arguments for the function; "
                            f"received {type(arguments).__name__} {arguments!r}.")
        if output_shape is not None and not callable(output_shape):
            output_shape = standardize_shape(output_shape, "output_shape")
        self.function = function
        self.output_shape_arg = output_shape
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None  # Keras 3: without `mask`, the output has none
        try:
            self._function_takes_mask = "mask" in inspect.signature(function).parameters
        except (TypeError, ValueError):  # builtins without a signature
            self._function_takes_mask = False

    def call(self, inputs, mask=None):
        if self._function_takes_mask:
            return self.function(inputs, mask=mask, **self.arguments)
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs, mask=None):
        return None if self.mask is None else self.mask(inputs, mask)

    def compute_output_shape(self, input_shape):
        if self.output_shape_arg is None:
            return super().compute_output_shape(input_shape)
        if callable(self.output_shape_arg):
            return tuple(self.output_shape_arg(input_shape))
        return (input_shape[0],) + tuple(self.output_shape_arg)

    def get_config(self):
        output_shape = self.output_shape_arg
        if callable(output_shape):
            output_shape = None
        config_ = {**super().get_config(), "function": object_registration.serialize_function(self.function),
                   "output_shape": None if output_shape is None else list(output_shape)}
        if self.mask is not None:  # written only when set, as Keras 3 does
            config_["mask"] = object_registration.serialize_function(self.mask)
        return {**config_, "arguments": self.arguments}

    @classmethod
    def from_config(cls, config_, custom_objects=None, safe_mode=None):
        """Rebuild the layer; the function is resolved without importing anything (see the class doc)."""
        config_ = dict(config_)
        if "function" not in config_:
            raise ValueError(f"Lambda config {config_.get('name')!r} has no 'function' entry.")
        what = f"Lambda layer {config_.get('name')!r}: its 'function'"
        with object_registration.SafeModeScope(safe_mode):
            function = object_registration.deserialize_function(config_.pop("function"), what, custom_objects,
                                                                globals_=vars(np))
            if config_.get("mask") is not None:
                config_["mask"] = object_registration.deserialize_function(
                    config_["mask"], f"Lambda layer {config_.get('name')!r}: its 'mask'", custom_objects,
                    globals_=vars(np))
        return cls(function, **config_)
