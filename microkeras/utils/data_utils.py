"""Helpers for the ``data`` a training, test or predict step receives."""


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from the ``data`` a step receives (Keras's ``unpack_x_y_sample_weight``).

    A tuple of one to three entries is padded with None; anything else is ``x``.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if not 1 <= len(data) <= 3:
        raise ValueError(f"Data must be (x,), (x, y) or (x, y, sample_weight); received a tuple of "
                         f"{len(data)} entries.")
    return data + (None,) * (3 - len(data))


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The inverse of :func:`unpack_x_y_sample_weight` (Keras's ``pack_x_y_sample_weight``).

    ``x`` alone is returned as is, unless it is a tuple or list, which is then
    wrapped as ``(x,)`` so it is not read as ``(x, y)``.
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)
