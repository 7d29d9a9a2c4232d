"""``TimeDistributed``: one layer applied to every time step (Keras 3:
``keras/src/layers/rnn/time_distributed.py``).

The steps are not looped over: the inputs (batch, timesteps, ...) are seen
as one batch of ``batch * timesteps`` samples, the inner layer runs once,
and its outputs are reshaped back to (batch, timesteps, ...).  The same
weights serve every step.
"""

import autograd.numpy as np
import numpy
from autograd.tracer import getval

from microkeras.layers.layer import Layer
from microkeras.layers.serialization import deserialize_built_layer, serialize_layer


class TimeDistributed(Layer):
    """Applies ``layer`` to each time step of inputs of shape (batch, timesteps, ...).

    A mask of shape (batch, timesteps, ...) goes to the inner layer, as one
    row per step, when its ``call`` takes a ``mask``; ``training`` goes to it
    when its ``call`` takes ``training``.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: `layer` must be a Layer instance; received layer={layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _step_shape(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed {self.name!r} takes inputs of shape (batch, timesteps, ...), of rank 3 "
                             f"or more; received input shape {tuple(input_shape)}.")
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(self._step_shape(input_shape))

    def compute_output_shape(self, input_shape):
        step_output = self.layer.compute_output_shape(self._step_shape(input_shape))
        return (step_output[0], input_shape[1]) + tuple(step_output[1:])

    def call(self, inputs, training=None, mask=None):
        shape = numpy.shape(inputs)
        self._step_shape(shape)
        kwargs = {}
        if self.layer._call_takes_training():
            kwargs["training"] = training
        if mask is not None and self.layer._call_takes_mask:
            mask = numpy.asarray(getval(mask))
            if mask.ndim < 2 or mask.shape[:2] != shape[:2]:
                raise ValueError(f"TimeDistributed {self.name!r}: the mask has shape {mask.shape}, but inputs of "
                                 f"shape {shape} need a mask whose first two dimensions are {shape[:2]} "
                                 "(batch, timesteps).")
            kwargs["mask"] = mask.reshape((shape[0] * shape[1],) + mask.shape[2:])
        # The inner layer's own `call`, as Keras calls it: built already, and given float64 values as they are.
        outputs = self.layer.call(np.reshape(inputs, (shape[0] * shape[1],) + shape[2:]), **kwargs)
        return np.reshape(outputs, shape[:2] + numpy.shape(outputs)[1:])

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config_, custom_objects=None):
        config_ = dict(config_)
        if "layer" not in config_:
            raise ValueError(f"TimeDistributed config {config_.get('name')!r} has no 'layer' entry.")
        layer = deserialize_built_layer(config_.pop("layer"), "TimeDistributed layer", custom_objects)
        return cls(layer, **config_)

