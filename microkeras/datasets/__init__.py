"""Small real datasets that ship with microkeras, in the ``keras.datasets`` style."""

from microkeras.datasets import digits

__all__ = ["digits"]
