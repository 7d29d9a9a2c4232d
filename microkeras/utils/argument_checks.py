"""Checks of public arguments, with messages that name the argument and say what was expected."""

import numbers


def check_int(value, argument, minimum=0):
    """Return ``value`` as an int if it is an integer >= ``minimum`` (bools refused); else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{argument}` must be an integer >= {minimum}; received {argument}={value!r}.")
    return int(value)
