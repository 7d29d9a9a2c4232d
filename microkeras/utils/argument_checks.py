"""Checks of public arguments, with messages that name the argument and say what was expected.

Each check returns the standardized value or raises ``ValueError``; ``where``
(the caller, such as ``'Conv2D'``) prefixes the message when given.
"""

import numbers

PADDINGS = ("valid", "same")
DATA_FORMATS = ("channels_last", "channels_first")


def _prefix(where):
    return f"{where}: " if where else ""


def _integers(minimum, plural=False):
    """``'a positive integer'``, ``'integers >= 0'``, ``'an integer >= 2'``, ..."""
    if minimum == 1:
        return "positive integers" if plural else "a positive integer"
    return f"integers >= {minimum}" if plural else f"an integer >= {minimum}"


def _is_int(value, minimum):
    return not isinstance(value, bool) and isinstance(value, numbers.Integral) and value >= minimum


def one_of(options):
    """``"'a', 'b' or 'c'"``: the accepted values, for messages."""
    quoted = [repr(option) for option in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def check_int(value, argument, minimum=0, where=None):
    """``value`` as an int if it is an integer >= ``minimum`` (bools refused)."""
    if not _is_int(value, minimum):
        raise ValueError(f"{_prefix(where)}`{argument}` must be {_integers(minimum)}; received {argument}={value!r}.")
    return int(value)


def check_float(value, argument, where=None, minimum=0.0, maximum=None):
    """``value`` as a float in ``[minimum, maximum]`` (bools refused)."""
    upper = float("inf") if maximum is None else maximum
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not minimum <= value <= upper:
        expected = f"a float >= {minimum}" if maximum is None else f"a float between {minimum} and {maximum}"
        raise ValueError(f"{_prefix(where)}`{argument}` must be {expected}; received {argument}={value!r}.")
    return float(value)


def standardize_tuple(value, n, argument, where=None, minimum=1):
    """``value`` (one integer, or ``n`` of them, each >= ``minimum``) as a tuple of ``n`` ints."""
    values = (value,) * n if isinstance(value, numbers.Integral) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if values is None or len(values) != n or not all(_is_int(v, minimum) for v in values):
        raise ValueError(f"{_prefix(where)}`{argument}` must be {_integers(minimum)} or a tuple of {n} "
                         f"{_integers(minimum, plural=True)}; received {argument}={value!r}.")
    return tuple(int(v) for v in values)


def standardize_padding(padding, where=None, allow_causal=False):
    """``'valid'``, ``'same'`` (or ``'causal'`` when allowed), in any case, lower-cased (as Keras does)."""
    allowed = PADDINGS + ("causal",) if allow_causal else PADDINGS
    name = padding.lower() if isinstance(padding, str) else padding
    if name not in allowed:
        note = " ('causal' exists for one spatial dimension only.)" if name == "causal" else ""
        raise ValueError(f"{_prefix(where)}`padding` must be {one_of(allowed)}; received padding={padding!r}.{note}")
    return name


def standardize_data_format(data_format, where=None):
    """``None`` (Keras's default image data format, ``'channels_last'``) or one of :data:`DATA_FORMATS`."""
    if data_format is None:
        return "channels_last"
    name = data_format.lower() if isinstance(data_format, str) else data_format
    if name not in DATA_FORMATS:
        raise ValueError(f"{_prefix(where)}`data_format` must be {one_of(DATA_FORMATS)}; "
                         f"received data_format={data_format!r}.")
    return name
