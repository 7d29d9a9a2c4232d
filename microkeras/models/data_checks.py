"""Checks of data against a model and its loss, with messages that say how to fix them.

Run before training starts (for arrays) or per batch (for generators), so bad
input raises before any weight changes.
"""

import numbers

import numpy

from microkeras import losses
from microkeras.models import data_adapter


def check_input_shape(x, expected, argument):
    """Raise unless samples of ``x`` have the shape ``expected`` (batch dimension excluded)."""
    if len(expected) != x.ndim - 1 or any(e is not None and e != d for e, d in zip(expected, x.shape[1:])):
        raise ValueError(f"`{argument}` has shape {x.shape}, but the model expects inputs of shape "
                         f"{(None,) + tuple(expected)} (one sample is {tuple(expected)}).")


def _integral(array):
    return array.dtype.kind in "biu" or bool(numpy.all(numpy.mod(array, 1) == 0))


def check_targets(y, output_shape, loss, argument):
    """Check labels ``y`` against the model's ``output_shape`` and ``loss``; return them cast for the loss.

    Sparse losses get integer class ids; every other loss gets float32
    targets of the output's shape (``(N,)`` is accepted for ``(N, 1)``).
    """
    units = output_shape[-1]
    loss_name = getattr(loss, "name", None) or type(loss).__name__
    if losses.is_sparse(loss):
        rank = len(output_shape)
        if y.ndim not in (rank - 1, rank) or (y.ndim == rank and y.shape[-1] != 1) \
                or tuple(y.shape[1:rank - 1]) != tuple(output_shape[1:-1]):
            raise ValueError(
                f"`{argument}` has shape {y.shape}, but {loss_name} expects integer class ids of shape "
                f"{(len(y),) + tuple(output_shape[1:-1])} (or with a trailing 1). For one-hot labels use "
                "loss='categorical_crossentropy'.")
        if not _integral(y) or y.min() < 0 or y.max() >= units:
            raise ValueError(f"`{argument}` must hold integer class ids in [0, {units}) for {loss_name} "
                             f"(the model has {units} output units); received values from {y.min()} "
                             f"to {y.max()}.")
        return y.astype(numpy.int32) if y.dtype.kind == "f" else y
    if y.ndim == len(output_shape) - 1 and units == 1:
        y = y.reshape(y.shape + (1,))
    if tuple(y.shape[1:]) != tuple(output_shape[1:]):
        if units > 1 and (y.ndim == 1 or y.shape[-1] == 1) and _integral(y):
            hint = (" The labels look like integer class ids: use loss='sparse_categorical_crossentropy', "
                    "or one-hot encode them (microkeras.utils.to_categorical(y)).")
        else:
            hint = (f" The last layer has {units} units; it must have as many as `{argument}` has columns "
                    f"({y.shape[-1] if y.ndim > 1 else 1}).")
        raise ValueError(f"`{argument}` has shape {y.shape}, but the model's output has shape "
                         f"{output_shape} and {loss_name} needs targets of the same shape.{hint}")
    return data_adapter.cast(y) if y.dtype.kind == "f" else y.astype(numpy.float32)


def check_sample_weight(sample_weight, output_shape, n, sample_weight_mode, argument):
    """Weights match the loss elements: ``(N,)``, or ``(N, T)`` per timestep for sequence outputs.

    A loss reduces the last (class) axis, so an output of shape ``(N, T, K)``
    has ``(N, T)`` loss elements.
    """
    elements = (n,) + tuple(output_shape[1:-1])
    per_timestep = sample_weight.ndim == 2 and len(elements) >= 2 and sample_weight.shape == elements[:2]
    if sample_weight_mode == "temporal" and not per_timestep:
        raise ValueError(f"sample_weight_mode='temporal' needs `{argument}` of shape (N, timesteps) for an "
                         f"output with a time axis; received {argument} of shape {sample_weight.shape} "
                         f"for an output of shape {output_shape}.")
    if not (sample_weight.shape == (n,) or per_timestep):
        raise ValueError(f"`{argument}` must have shape ({n},)"
                         + (f" or, per timestep, {elements[:2]}" if len(elements) >= 2 else "")
                         + f"; received {sample_weight.shape}.")
    if sample_weight.dtype != numpy.float32:
        sample_weight = sample_weight.astype(numpy.float32)
    return sample_weight


def check_class_weight(class_weight, num_classes):
    """Validate ``{class_index: weight}`` for a model with ``num_classes`` classes (None: not known yet)."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` must be a dict {{class_index: weight}}; received {class_weight!r}.")
    limit = float("inf") if num_classes is None else num_classes
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral) or not 0 <= key < limit:
            expected = "non-negative integers" if num_classes is None else f"in [0, {num_classes})"
            raise ValueError(f"`class_weight` keys must be class indices {expected}; received key {key!r}.")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise TypeError(f"`class_weight` values must be numbers; received {weight!r} for class {key}.")


def class_weights_to_sample_weights(y, class_weight, sparse):
    """Per-sample (or per-timestep) weights from ``{class_index: weight}``; missing classes weigh 1.

    Keras 3's rules: one-hot labels are argmaxed, a trailing axis of 1 is
    squeezed; sparse labels of shape (N, T) give weights of shape (N, T).
    """
    if not sparse and y.shape[-1] > 1:
        classes = y.argmax(axis=-1)
    elif y.ndim > 1 and y.shape[-1] == 1:
        classes = y[..., 0]
    else:
        classes = y
    classes = numpy.rint(classes).astype(numpy.int64)
    size = max(int(classes.max()) + 1, max(class_weight, default=0) + 1)
    table = numpy.ones(size, dtype=numpy.float32)
    for key, weight in class_weight.items():
        table[key] = weight
    return table[classes]
