"""Reshaping layers: ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D, Permute, RepeatVector.

Also :class:`SpatialLayer`, the base of every layer that works on the spatial
axes of ``(batch, *spatial, channels)`` inputs (the pooling layers too).  None
of these layers has weights, and none needs a hand-written gradient: padding,
slicing, repeating and transposing have backward passes autograd derives in
float32.
"""

import math
import numbers

import autograd.numpy as np
import numpy

from microkeras.layers.layer import Layer
from microkeras.utils.argument_checks import standardize_data_format, standardize_tuple

_SPATIAL_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


class SpatialLayer(Layer):
    """Base of the layers over the ``rank`` spatial axes of ``(batch, *spatial, channels)`` inputs
    (``(batch, channels, *spatial)`` with ``data_format='channels_first'``).

    A subclass sets ``rank`` and gives each spatial axis's output length in
    :meth:`output_length`; ``build`` runs ``compute_output_shape``, so an input
    of the wrong rank or too small is refused when the layer is built, before
    any training, with a message naming the layer and the shapes.
    """

    rank = None

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, type(self).__name__)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def spatial_axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def describe(self):
        return f"{type(self).__name__} layer {self.name!r}"

    def checked_shape(self, input_shape):
        """``input_shape`` as a tuple, after checking it has the layer's rank."""
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            names = ", ".join(_SPATIAL_NAMES[self.rank])
            layout = f"(batch, channels, {names})" if self.data_format == "channels_first" \
                else f"(batch, {names}, channels)"
            raise ValueError(f"{self.describe()} expects inputs of rank {self.rank + 2}, {layout}; "
                             f"received input shape {input_shape}.")
        return input_shape

    def compute_output_shape(self, input_shape):
        input_shape = self.checked_shape(input_shape)
        shape = list(input_shape)
        for i, axis in enumerate(self.spatial_axes()):
            if shape[axis] is not None:
                shape[axis] = self.output_length(i, shape[axis], input_shape)
        return tuple(shape)

    def output_length(self, i, length, input_shape):
        """The output length of spatial axis ``i`` for an input ``length`` (raise if it does not fit)."""
        raise NotImplementedError


def standardize_sides(value, rank, argument, where):
    """Per spatial axis ``(before, after)`` amounts, Keras's ways of giving them.

    1D: an int (both sides) or ``(left, right)``.  2D: an int (every side),
    ``(symmetric_height, symmetric_width)`` or ``((top, bottom), (left, right))``.
    """
    def side_pair(v):
        pair = (v, v) if isinstance(v, numbers.Integral) else v
        try:
            pair = tuple(pair)
        except TypeError:
            return None
        ok = len(pair) == 2 and all(isinstance(a, numbers.Integral) and not isinstance(a, bool) and a >= 0
                                    for a in pair)
        return tuple(int(a) for a in pair) if ok else None

    if rank == 1:
        sides = (side_pair(value),)
    elif isinstance(value, numbers.Integral):
        sides = (side_pair(value),) * rank
    else:
        try:
            sides = tuple(side_pair(v) for v in value) if len(value) == rank else (None,)
        except TypeError:
            sides = (None,)
    if any(s is None for s in sides):
        forms = "an int or (left, right)" if rank == 1 else \
            "an int, (symmetric_height, symmetric_width) or ((top, bottom), (left, right))"
        raise ValueError(f"{where}: `{argument}` must be non-negative integers given as {forms}; "
                         f"received {argument}={value!r}.")
    return sides


def _nested_lists(sides, rank):
    """Config form: ``[left, right]`` in 1D, ``[[top, bottom], [left, right]]`` in 2D (Keras's tuples, as JSON)."""
    return list(sides[0]) if rank == 1 else [list(s) for s in sides]


# ---------------------------------------------------------------- ZeroPadding
class _ZeroPadding(SpatialLayer):
    def __init__(self, padding=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        padding = self.default_padding if padding is None else padding
        self.padding = standardize_sides(padding, self.rank, "padding", type(self).__name__)

    def output_length(self, i, length, input_shape):
        return length + sum(self.padding[i])

    def call(self, inputs):
        widths = [(0, 0)] * len(inputs.shape)
        for axis, sides in zip(self.spatial_axes(), self.padding):
            widths[axis] = sides
        return np.pad(inputs, widths, "constant")  # autograd's pad VJP needs the mode given positionally

    def get_config(self):
        return {**super().get_config(), "padding": _nested_lists(self.padding, self.rank),
                "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Pads the steps axis with zeros: ``ZeroPadding1D(padding=1, data_format=None)``.

    ``padding``: an int (both ends) or ``(left, right)``.  ``(batch, steps, channels)``
    becomes ``(batch, left + steps + right, channels)``.
    """

    rank, default_padding = 1, 1


class ZeroPadding2D(_ZeroPadding):
    """Pads height and width with zeros: ``ZeroPadding2D(padding=(1, 1), data_format=None)``.

    ``padding``: an int, ``(symmetric_height, symmetric_width)`` or
    ``((top, bottom), (left, right))``.
    """

    rank, default_padding = 2, (1, 1)


# ------------------------------------------------------------------- Cropping
class _Cropping(SpatialLayer):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = standardize_sides(cropping, self.rank, "cropping", type(self).__name__)

    def output_length(self, i, length, input_shape):
        if sum(self.cropping[i]) >= length:
            raise ValueError(f"{self.describe()}: cropping {_nested_lists(self.cropping, self.rank)} removes "
                             f"all of spatial axis {i} of inputs of shape {input_shape}; each axis must keep "
                             "at least one cell.")
        return length - sum(self.cropping[i])

    def call(self, inputs):
        for axis, (before, after) in zip(self.spatial_axes(), self.cropping):
            if before or after:
                # Not inputs[..., before:-after, ...]: the VJP of slicing scatters with numpy.add.at,
                # many times slower than split's, which concatenates.
                inputs = np.split(inputs, [before, inputs.shape[axis] - after], axis=axis)[1]
        return inputs


class Cropping1D(_Cropping):
    """Crops the steps axis: ``Cropping1D(cropping=(1, 1))``, ``cropping`` an int or ``(left, right)``.

    Keras's Cropping1D has no ``data_format``: inputs are ``(batch, steps, channels)``.
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)

    def get_config(self):
        return {**super().get_config(), "cropping": _nested_lists(self.cropping, 1)}


class Cropping2D(_Cropping):
    """Crops height and width: ``Cropping2D(cropping=((0, 0), (0, 0)), data_format=None)``.

    ``cropping``: an int, ``(symmetric_height, symmetric_width)`` or
    ``((top, bottom), (left, right))``.
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "cropping": _nested_lists(self.cropping, 2), "data_format": self.data_format}


# ----------------------------------------------------------------- UpSampling
class _UpSampling(SpatialLayer):
    interpolation = "nearest"

    def output_length(self, i, length, input_shape):
        return length * self.size[i]

    def call(self, inputs):
        for axis, factor in zip(self.spatial_axes(), self.size):
            if self.interpolation == "bilinear":
                matrix = _bilinear_matrix(inputs.shape[axis], factor)
                inputs = np.moveaxis(np.tensordot(matrix, inputs, axes=([1], [axis])), 0, axis)
            elif factor > 1:
                inputs = np.repeat(inputs, factor, axis=axis)
        return inputs


def _bilinear_matrix(length, factor):
    """``(length * factor, length)`` float32 weights of bilinear resizing with half-pixel centres,
    clamped at the edges (as ``jax.image.resize`` and ``tf.image.resize`` upsample)."""
    source = numpy.clip((numpy.arange(length * factor) + 0.5) / factor - 0.5, 0, length - 1)
    low = numpy.floor(source).astype(int)
    high = numpy.minimum(low + 1, length - 1)
    weight = source - low
    matrix = numpy.zeros((length * factor, length))
    rows = numpy.arange(length * factor)
    numpy.add.at(matrix, (rows, low), 1 - weight)
    numpy.add.at(matrix, (rows, high), weight)
    return matrix.astype(numpy.float32)


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times: ``UpSampling1D(size=2)``; inputs ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"UpSampling1D: `size` must be a positive integer; received size={size!r}.")
        self.size = (int(size),)

    def get_config(self):
        return {**super().get_config(), "size": self.size[0]}


class UpSampling2D(_UpSampling):
    """Scales height and width up by ``size``: ``UpSampling2D(size=(2, 2), data_format=None,
    interpolation='nearest')``.

    ``interpolation``: ``'nearest'`` repeats rows and columns; ``'bilinear'``
    interpolates with half-pixel centres, as Keras's image resizing does.
    Keras's other methods (bicubic, lanczos, area) are refused.
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = standardize_tuple(size, 2, "size", "UpSampling2D")
        if not isinstance(interpolation, str) or interpolation.lower() not in ("nearest", "bilinear"):
            raise ValueError("UpSampling2D: `interpolation` must be 'nearest' or 'bilinear' (microkeras does not "
                             f"implement Keras's other resize methods); received interpolation={interpolation!r}.")
        self.interpolation = interpolation.lower()

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "data_format": self.data_format,
                "interpolation": self.interpolation}


# ------------------------------------------------------- Permute, RepeatVector
class Permute(Layer):
    """Permutes the axes of each sample: ``Permute(dims)``, ``dims`` a permutation of ``1..rank``
    (``Permute((2, 1))`` swaps the two axes of ``(batch, steps, features)``)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
            valid = sorted(dims) == list(range(1, len(dims) + 1)) and not any(isinstance(d, bool) for d in dims)
        except TypeError:
            valid = False
        if not valid:
            raise ValueError("Permute: `dims` must be a permutation of 1, ..., rank (the batch axis 0 stays first); "
                             f"received dims={dims!r}.")
        self.dims = tuple(int(d) for d in dims)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(f"Permute layer {self.name!r} with dims {self.dims} expects inputs of rank "
                             f"{len(self.dims) + 1}; received input shape {tuple(input_shape)}.")
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs):
        return np.transpose(inputs, (0,) + self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeats a vector ``n`` times: ``(batch, features)`` -> ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"RepeatVector: `n` must be a positive integer; received n={n!r}.")
        self.n = int(n)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"RepeatVector layer {self.name!r} expects inputs of rank 2, (batch, features); "
                             f"received input shape {tuple(input_shape)}.")
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        return np.repeat(np.expand_dims(inputs, 1), self.n, axis=1)  # not inputs[:, None] (slicing's slow VJP)

    def get_config(self):
        return {**super().get_config(), "n": self.n}
