"""Core operations: the gradient switch, and reading an array slice by slice."""

import numpy
from autograd.extend import defvjp, notrace_primitive, primitive


@notrace_primitive
def stop_gradient(x):
    """Return ``x`` as a constant: no gradient flows back through it."""
    return x


@primitive
def unstack(x, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple (first-order only).

    A recurrent layer reads its sequence one time step at a time: indexing a
    traced array once per step would make each step's gradient a full-size
    array of zeros; here the gradient of all the slices is one ``stack``.
    """
    return tuple(numpy.moveaxis(x, axis, 0))


defvjp(unstack, lambda ans, x, axis=0: lambda g: numpy.stack(g, axis=axis))
