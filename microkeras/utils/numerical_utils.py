"""Label helpers: ``to_categorical`` and ``normalize``, as in ``keras.utils``."""

import numpy


def to_categorical(x, num_classes=None):
    """One-hot encode integer class ids: shape ``(N,)`` -> ``(N, num_classes)`` float32.

    A trailing axis of size 1 is dropped first, as in Keras.
    """
    x = numpy.asarray(x)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.size and (not numpy.all(numpy.mod(x, 1) == 0) or x.min() < 0):
        raise ValueError("to_categorical: `x` must hold non-negative integer class ids.")
    x = x.astype(numpy.int64)
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    elif x.size and x.max() >= num_classes:
        raise ValueError(f"to_categorical: class id {int(x.max())} is out of range for "
                         f"num_classes={num_classes}.")
    return numpy.eye(num_classes, dtype=numpy.float32)[x]


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit ``order``-norm along ``axis`` (zero vectors stay zero)."""
    x = numpy.asarray(x, dtype=numpy.float32)
    norm = numpy.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / numpy.where(norm == 0, 1, norm).astype(numpy.float32)
