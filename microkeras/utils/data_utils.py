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
