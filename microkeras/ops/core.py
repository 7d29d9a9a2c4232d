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
    return [_part(x, (slice(None),) * axis + (index,)) for index in range(numpy.shape(x)[axis])]


def split_equal(x, sections, axis=-1):
    """``x`` cut into ``sections`` equal parts along ``axis``, as a list (first-order only).

    The parts are read as :func:`unstack` reads slices, without the list
    bookkeeping of ``autograd.numpy.split``: a recurrent cell cuts its gates
    out of one product at every step.
    """
    axis = int(axis) % numpy.ndim(x)
    width = numpy.shape(x)[axis] // sections
    return [_part(x, (slice(None),) * axis + (slice(i * width, (i + 1) * width),)) for i in range(sections)]


@primitive
def _part(x, where):
    return x[where]


def _part_vjp(ans, x, where):
    space = vspace(x)

    def add_into(g):
        def add(gradient):
            gradient[where] += g
            return gradient

        return SparseObject(space, add)

    return add_into


defvjp(_part, _part_vjp)
