"""Embedding: integer ids to dense vectors, Keras's ``keras.layers.Embedding``."""

import warnings

import autograd.numpy as np
import numpy
from autograd.tracer import getval

from microkeras import constraints, initializers, ops, regularizers
from microkeras.layers.layer import Layer
from microkeras.utils.argument_checks import check_int


class Embedding(Layer):
    """Turn non-negative integer ids into vectors: ``embeddings[inputs]``.

    Parameters
    ----------
    input_dim : int
        Size of the vocabulary: ids run from 0 to ``input_dim - 1``.
    output_dim : int
        Length of each vector.
    embeddings_initializer, embeddings_regularizer, embeddings_constraint
        For the ``embeddings`` weight, of shape ``(input_dim, output_dim)``;
        the initializer defaults to Keras's ``'uniform'``, U(-0.05, 0.05).
    mask_zero : bool
        Id 0 is padding: the layer emits the mask ``inputs != 0`` for the
        layers after it (so ``input_dim`` counts the padding id too).
    weights : list of one array, optional
        Initial value of ``embeddings``.

    Integer inputs flow in as they are (float inputs holding ids are
    accepted too); an id outside ``[0, input_dim)`` raises ``ValueError``
    naming the layer rather than reading a wrong row.  The gradient of
    ``embeddings`` is a float32 scatter-add of the output's gradient into the
    rows that were read.
    """

    keeps_integer_inputs = True
    _weights_fix_last_axis = False  # one table serves sequences of any length (a shared Embedding)

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, input_length=None,
                 **kwargs):
        if input_length is not None:
            warnings.warn("Embedding: `input_length` is deprecated in Keras 3 and ignored; remove it.",
                          stacklevel=2)
        if lora_rank is not None:
            raise ValueError("Embedding: `lora_rank` (LoRA fine-tuning) is not supported by microkeras.")
        super().__init__(**kwargs)
        self.input_dim = check_int(input_dim, "input_dim", 1, "Embedding")
        self.output_dim = check_int(output_dim, "output_dim", 1, "Embedding")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), name="embeddings",
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs):
        ids = self._checked_ids(inputs)
        return ops.take_rows(self.embeddings, ids)

    def _checked_ids(self, inputs):
        ids = numpy.asarray(getval(inputs))
        if ids.dtype.kind == "f":
            if ids.size and not numpy.array_equal(ids, numpy.round(ids)):
                raise ValueError(f"Embedding layer {self.name!r} takes integer ids; received non-integer values "
                                 f"in inputs of shape {ids.shape}.")
            ids = ids.astype(numpy.int32)
        elif ids.dtype.kind not in "iub":
            raise TypeError(f"Embedding layer {self.name!r} takes integer ids; received inputs of dtype "
                            f"{ids.dtype}.")
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            bad = ids[(ids < 0) | (ids >= self.input_dim)].ravel()[0]
            hint = " (with mask_zero=True, input_dim is the vocabulary size + 1)" if self.mask_zero else ""
            raise ValueError(f"Embedding layer {self.name!r}: id {int(bad)} in inputs of shape {ids.shape} is "
                             f"outside [0, input_dim={self.input_dim}){hint}.")
        return ids

    def check_input_values(self, ids, argument):
        """Refuse, before training, ids that :meth:`call` would refuse mid-epoch (see
        ``data_preparation.check_input_values``)."""
        try:
            self._checked_ids(ids)
        except (TypeError, ValueError) as error:
            raise type(error)(f"`{argument}`: {error}") from None

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return np.not_equal(getval(inputs), 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        return config
