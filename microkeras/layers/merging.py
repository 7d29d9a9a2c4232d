"""Merge layers: combine a list of tensors into one (Keras 3's ``keras.layers`` merging layers).

``Add()([a, b])`` or ``add([a, b])``: each class has a lower-case function
form that makes the layer and calls it.  Elementwise merges take inputs of the
same shape (a dimension of 1 broadcasts, as in Keras); ``Concatenate`` joins
along ``axis``; ``Dot`` takes the dot product of two inputs along ``axes``.
The backward passes stay float32: maximum and minimum are written with
boolean masks (the winner of a tie takes the whole gradient, as in
TensorFlow), averages divide by a Python int.
"""

import functools
import operator

import autograd.numpy as np
import numpy

from microkeras.layers.layer import Layer


class Merge(Layer):
    """Base of the merge layers: a list of at least two inputs, checked when the layer is built."""

    min_inputs, max_inputs = 2, None

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], tuple):
            raise ValueError(f"{type(self).__name__} takes a list of inputs; received one input of shape "
                             f"{input_shape}.")
        count = len(input_shape)
        if count < self.min_inputs or self.max_inputs is not None and count > self.max_inputs:
            expected = self.min_inputs if self.max_inputs == self.min_inputs else f"at least {self.min_inputs}"
            raise ValueError(f"{type(self).__name__} takes {expected} inputs; received {count}.")
        self.compute_output_shape(input_shape)  # fails now on shapes that do not combine

    def compute_output_shape(self, input_shape):
        return _broadcast_shapes(type(self).__name__, input_shape)

    def call(self, inputs):
        return self._merge(list(inputs))

    def compute_mask(self, inputs, mask=None):
        """A step counts if it counts in any input (Keras 3); no mask unless every input has one."""
        if mask is None or any(each is None for each in mask):
            return None
        return functools.reduce(numpy.logical_or, mask)


class Add(Merge):
    """Elementwise sum."""

    def _merge(self, inputs):
        return functools.reduce(operator.add, inputs)


class Subtract(Merge):
    """``inputs[0] - inputs[1]``."""

    min_inputs = max_inputs = 2

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Elementwise product."""

    def _merge(self, inputs):
        return functools.reduce(operator.mul, inputs)


class Average(Merge):
    """Elementwise mean."""

    def _merge(self, inputs):
        return functools.reduce(operator.add, inputs) / len(inputs)


class Maximum(Merge):
    """Elementwise maximum."""

    def _merge(self, inputs):
        return functools.reduce(lambda a, b: a * (a >= b) + b * (a < b), inputs)


class Minimum(Merge):
    """Elementwise minimum."""

    def _merge(self, inputs):
        return functools.reduce(lambda a, b: a * (a <= b) + b * (a > b), inputs)


class Concatenate(Merge):
    """Joins the inputs along ``axis`` (the other dimensions must match)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        ranks = {len(shape) for shape in input_shape}
        if len(ranks) != 1:
            raise ValueError(f"Concatenate needs inputs of one rank; received shapes {list(input_shape)}.")
        rank = ranks.pop()
        axis = self.axis % rank
        for dim in range(rank):
            if dim != axis and dim != 0 and len({shape[dim] for shape in input_shape} - {None}) > 1:
                raise ValueError(f"Concatenate(axis={self.axis}) needs inputs that match except along axis "
                                 f"{self.axis}; received shapes {list(input_shape)}.")
        sizes = [shape[axis] for shape in input_shape]
        joined = None if None in sizes else sum(sizes)
        first = input_shape[0]
        return tuple(joined if dim == axis else first[dim] for dim in range(rank))

    def _merge(self, inputs):
        return np.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras 3's rule: each mask widened to its input's shape (all true for an input without one),
        joined along ``axis``, then any over the last axis."""
        if mask is None:
            return None
        widened = [numpy.ones(numpy.shape(value), bool) if each is None
                   else numpy.broadcast_to(numpy.expand_dims(each, -1), numpy.shape(value))
                   if numpy.ndim(each) < numpy.ndim(value) else each
                   for value, each in zip(inputs, mask)]
        return numpy.any(numpy.concatenate(widened, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(Merge):
    """Dot product of two inputs along ``axes`` (an int, or one axis per input), per sample.

    ``normalize=True`` divides each input by its L2 norm along the axis first,
    giving the cosine similarity.
    """

    min_inputs = max_inputs = 2

    def compute_mask(self, inputs, mask=None):
        return None  # a dot product has no steps left to mask (Keras 3)

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = list(axes) if isinstance(axes, (list, tuple)) else int(axes)
        self.normalize = bool(normalize)

    def _axes(self, shapes):
        axes = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        return [axis % len(shape) for axis, shape in zip(axes, shapes)]

    def compute_output_shape(self, input_shape):
        first, second = input_shape
        if len(first) not in (2, 3) or len(second) not in (2, 3):
            raise ValueError(f"Dot supports inputs of rank 2 or 3; received shapes {first} and {second}.")
        axis_a, axis_b = self._axes(input_shape)
        if 0 in (axis_a, axis_b):
            raise ValueError("Dot cannot contract the batch axis (axes=0).")
        if None not in (first[axis_a], second[axis_b]) and first[axis_a] != second[axis_b]:
            raise ValueError(f"Dot(axes={self.axes}) contracts dimensions of different sizes: {first[axis_a]} "
                             f"(shape {first}) and {second[axis_b]} (shape {second}).")
        rest = [d for i, d in enumerate(first) if i not in (0, axis_a)] + \
            [d for i, d in enumerate(second) if i not in (0, axis_b)]
        return (first[0], *rest) if rest else (first[0], 1)

    def _merge(self, inputs):
        a, b = inputs
        axis_a, axis_b = self._axes([a.shape, b.shape])
        if self.normalize:
            a, b = _l2_normalize(a, axis_a), _l2_normalize(b, axis_b)
        a = np.moveaxis(a, axis_a, -1)  # (batch, ..., k)
        b = np.moveaxis(b, axis_b, 1)  # (batch, k, ...)
        if a.ndim == 2 and b.ndim == 2:
            return np.sum(a * b, axis=1, keepdims=True)
        if a.ndim == 2:
            a = a[:, None, :]
        if b.ndim == 2:
            b = b[:, :, None]
        out = np.matmul(a, b)
        squeeze = [axis for axis, size in ((1, inputs[0].ndim == 2), (2, inputs[1].ndim == 2)) if size]
        return np.squeeze(out, axis=tuple(squeeze)) if squeeze else out

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis, epsilon=1e-7):
    """``x / max(norm(x), epsilon)`` along ``axis`` (Keras's ``ops.normalize``), float32 and finite."""
    squares = np.sum(x * x, axis=axis, keepdims=True)
    tiny = (squares < epsilon * epsilon).astype(x.dtype)  # a constant mask: no gradient flows through it
    return x * ((1.0 - tiny) / np.sqrt(squares + tiny) + tiny * (1.0 / epsilon))


def _broadcast_shapes(name, shapes):
    """The shape elementwise merging gives: equal dimensions, or 1 broadcasting (Keras's rule)."""
    ranks = {len(shape) for shape in shapes}
    if len(ranks) != 1:
        raise ValueError(f"{name} needs inputs of one rank; received shapes {list(shapes)}.")
    merged = []
    for dims in zip(*shapes):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"{name} needs inputs of the same shape; received shapes {list(shapes)}.")
        merged.append(known.pop() if known else (None if None in dims else 1))
    return tuple(merged)


def _functional_form(cls):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)

    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = f"``{cls.__name__}(**kwargs)(inputs)``."
    return merge


add, subtract, multiply, average, maximum, minimum = map(
    _functional_form, (Add, Subtract, Multiply, Average, Maximum, Minimum))


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes=axes, normalize=normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
