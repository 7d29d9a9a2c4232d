"""``pad_sequences``: sequences of different lengths as one rectangular array (``keras.utils.pad_sequences``)."""

import numbers

import numpy as np

from microkeras.utils.argument_checks import one_of

_SIDES = ("pre", "post")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (or cut) each sequence to ``maxlen`` steps and stack them.

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)

    Parameters
    ----------
    sequences : list of sequences
        Each a list or array of steps; a step may itself be an array (all of one shape).
    maxlen : int, optional
        Length of the output; the longest sequence's length if None.
    dtype : dtype
        Of the output (``object`` for strings of any length).
    padding : {'pre', 'post'}
        Pad at the start or at the end of a short sequence.
    truncating : {'pre', 'post'}
        Cut a long sequence's start or end.
    value : number or str
        The padding value.

    Returns
    -------
    ndarray
        Shape ``(len(sequences), maxlen) + step_shape``.
    """
    if padding not in _SIDES:
        raise ValueError(f"pad_sequences: `padding` must be {one_of(_SIDES)}; received padding={padding!r}.")
    if truncating not in _SIDES:
        raise ValueError(f"pad_sequences: `truncating` must be {one_of(_SIDES)}; "
                         f"received truncating={truncating!r}.")
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral) or maxlen < 0):
        raise ValueError(f"pad_sequences: `maxlen` must be a non-negative integer or None; received maxlen={maxlen!r}.")
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be a list of sequences; received "
                         f"{type(sequences).__name__}.")
    lengths, step_shape = [], None
    for index, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__") or isinstance(sequence, (str, bytes)):
            raise ValueError(f"pad_sequences: `sequences` must hold sequences; the one at position {index} is "
                             f"{sequence!r}.")
        lengths.append(len(sequence))
        if step_shape is None and len(sequence):
            step_shape = np.asarray(sequence).shape[1:]
    step_shape = step_shape or ()
    dtype = np.dtype(dtype)
    if isinstance(value, str) and dtype != object and dtype.kind not in "US":
        raise ValueError(f"pad_sequences: a string `value` ({value!r}) needs dtype=object (or a string dtype); "
                         f"received dtype={dtype}.")
    maxlen = int(maxlen) if maxlen is not None else max(lengths, default=0)

    padded = np.full((len(lengths), maxlen) + step_shape, value, dtype=dtype)
    if maxlen == 0:
        return padded
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = np.asarray(sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen], dtype=dtype)
        if kept.shape[1:] != step_shape:
            raise ValueError(f"pad_sequences: the steps of the sequence at position {index} have shape "
                             f"{kept.shape[1:]}; those of the first non-empty sequence have shape {step_shape}.")
        if padding == "post":
            padded[index, :len(kept)] = kept
        else:
            padded[index, maxlen - len(kept):] = kept
    return padded
