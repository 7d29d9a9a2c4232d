"""Keras 3's control-flow ``keras.ops``: cond, switch, fori_loop, while_loop, scan, map, vectorized_map.

microkeras runs eagerly, so each is the plain Python loop or branch it
describes: the predicate is read as a Python bool, and autograd traces
through whatever branch or iterations run.  The signatures and the way
structures of loop variables are passed are Keras's
(``keras/src/ops/core.py``), so code written for Keras runs unchanged.
"""

import functools

import numpy
from autograd.extend import defvjp_argnum, primitive
from autograd.tracer import getval, isbox

from microkeras.ops.core import unstack as _unstack
from microkeras.ops.numpy import stack


def _stacked(values):
    """A list of per-step outputs (arrays, tuples/lists/dicts of arrays, or None) stacked on a new first axis."""
    first = values[0]
    if first is None:
        return None
    if isinstance(first, (tuple, list)):
        return type(first)(_stacked([v[i] for v in values]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _stacked([v[key] for v in values]) for key in first}
    return stack(list(values), axis=0)


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` holds, else ``false_fn()``."""
    return true_fn() if bool(numpy.asarray(getval(pred))) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, with ``index`` clamped to the valid range (as Keras does)."""
    index = int(numpy.clip(numpy.asarray(getval(index)), 0, len(branches) - 1))
    return branches[index](*operands)


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns the final ``val``."""
    value = init_val
    for i in range(int(getval(lower)), int(getval(upper))):
        value = body_fun(i, value)
    return value


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``, at most ``maximum_iterations`` times.

    A tuple or list of loop variables is unpacked into ``cond`` and ``body``;
    a single value is passed as is.  Returns the final loop variables in the
    same form.
    """
    is_sequence = isinstance(loop_vars, (tuple, list))
    values = tuple(loop_vars) if is_sequence else (loop_vars,)
    count = 0
    while (maximum_iterations is None or count < maximum_iterations) and bool(numpy.asarray(getval(cond(*values)))):
        values = body(*values)
        values = tuple(values) if is_sequence else (values,)
        count += 1
    return type(loop_vars)(values) if is_sequence else values[0]


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the first axis of ``xs`` (or ``length`` times with ``x=None``).

    Returns the final carry and the ``y``\\ s stacked along a new first axis,
    in the order of ``xs`` even when ``reverse`` runs from the end.
    """
    if xs is None:
        if length is None:
            raise ValueError("scan: give `xs` or `length`.")
        steps = [None] * int(length)
    else:
        steps = [xs[i] for i in range(len(xs) if length is None else int(length))]
    carry, ys = init, []
    for x in (reversed(steps) if reverse else steps):
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, (_stacked(ys) if ys else None)


def map(f, xs):  # noqa: A001 -- keras.ops.map
    """``f`` applied to each entry of ``xs`` along its first axis, the results stacked."""
    return _stacked([f(xs[i]) for i in range(len(xs))])


def vectorized_map(function, elements):
    """``function`` applied to each entry of ``elements`` along its first axis (a loop here), stacked."""
    return map(function, elements)


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis`` (Keras's signature; ``num`` is checked when given)."""
    slices = _unstack(x, axis)
    if num is not None and num != len(slices):
        raise ValueError(f"unstack: `num` is {num}, but axis {axis} of the input has {len(slices)} entries.")
    return slices


def custom_gradient(f):
    """Decorator: ``f(*args)`` returns ``(output, grad)`` and ``grad(upstream)`` gives the gradients of its args.

    As in Keras on JAX, ``grad`` receives the output's gradient as its one
    positional argument (define it as ``grad(*args, upstream=None)`` to run on
    every backend) and returns one gradient per positional argument of ``f``
    (a tuple when there are several).  ``f`` runs on plain arrays; each
    gradient is cast back to its argument's dtype, so float32 stays float32.
    """

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if not any(isbox(a) for a in args):
            return f(*(getval(a) for a in args), **kwargs)[0]
        backward = []

        @primitive
        def forward(*values):
            output, grad = f(*values, **kwargs)
            backward.append(grad)
            return output

        def vjp_maker(argnum, ans, values, _):
            dtype = numpy.result_type(values[argnum])

            def vjp(g):
                grads = backward[0](g)
                grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
                return numpy.asarray(getval(grads[argnum]), dtype=dtype if dtype.kind == "f" else None)

            return vjp

        defvjp_argnum(forward, vjp_maker)
        return forward(*args)

    return wrapper
