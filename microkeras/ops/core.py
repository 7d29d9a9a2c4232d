"""Core operations: the gradient switch, and reading an array slice by slice."""

import numpy
from autograd.extend import SparseObject, defvjp, notrace_primitive, primitive, vspace


@notrace_primitive
def stop_gradient(x):
    """Return ``x`` as a constant: no gradient flows back through it."""
    return x


def unstack(x, axis=0):
    """The slices of ``x`` along ``axis``, as a list (first-order only).

    A recurrent layer reads its sequence one time step at a time.  Each slice
    is its own traced operation whose gradient is added in place into one
    zero array of ``x``'s shape, shared by all the slices: indexing the
    array (autograd's ``untake`` uses the slow ``numpy.add.at``) or a tuple
    of slices (autograd re-describes the whole tuple at every index) costs
    more per step.
    """
    axis = int(axis) % numpy.ndim(x)
    return [_slice(x, index, axis) for index in range(numpy.shape(x)[axis])]


@primitive
def _slice(x, index, axis):
    return x[(slice(None),) * axis + (index,)]


def _slice_vjp(ans, x, index, axis):
    space, where = vspace(x), (slice(None),) * axis + (index,)

    def add_into(g):
        def add(gradient):
            gradient[where] += g
            return gradient

        return SparseObject(space, add)

    return add_into


defvjp(_slice, _slice_vjp)
