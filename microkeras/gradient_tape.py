"""``GradientTape``: record forward passes, then differentiate a loss with respect to weights.

TensorFlow's ``tf.GradientTape``, built on autograd, and the one place where
microkeras runs a backward pass (the default ``train_step`` uses it too)::

    with microkeras.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x, y, y_pred)
    grads = tape.gradient(loss, model.trainable_weights)
    model.optimizer.apply(grads, model.trainable_weights)

Inside the tape, every layer call traces the trainable variables of the
layers it reaches: the tape is a :class:`~microkeras.call_scope.CallScope`
whose values are autograd boxes, one root of the graph per variable, created
the first time a pass (or ``variable.value``) needs one.  State updates made
under the tape (``variable.assign`` in ``call``) are written by
:meth:`GradientTape.gradient` once the backward pass is done, so the backward
pass sees the values the forward pass used.
"""

import numpy
from autograd.core import add_outgrads
from autograd.tracer import isbox, toposort, trace_stack

from microkeras import call_scope
from microkeras.variables import Variable


class GradientTape(call_scope.CallScope):
    """Trace the forward passes run inside ``with GradientTape() as tape:``.

    Parameters
    ----------
    persistent : bool
        Allow several :meth:`gradient` calls (the graph is kept until the tape
        is deleted); by default the first call releases it.
    watch_accessed_variables : bool
        Trace every trainable variable a pass reads (default); with False only
        the variables given to :meth:`watch` are traced.
    """

    __slots__ = ("persistent", "watch_accessed_variables", "_trace", "_owns_trace", "_watched", "_released")

    def __init__(self, persistent=False, watch_accessed_variables=True):
        super().__init__(commit=False)
        self.overrides = True  # variables read as traced boxes here
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._trace = None
        self._watched = set()
        self._released = False

    def __enter__(self):
        outer = call_scope.current_scope()
        if isinstance(outer, GradientTape) and outer._trace is not None:
            # Tapes open together (`with tape_a, tape_b:`) record one graph, so either can differentiate it.
            self._trace, self.values, self._owns_trace = outer._trace, outer.values, False
        else:
            trace_stack.top += 1
            self._trace, self._owns_trace = trace_stack.top, True
        return super().__enter__()

    def __exit__(self, exc_type, exc, traceback):
        super().__exit__(exc_type, exc, traceback)
        if self._owns_trace:
            trace_stack.top -= 1

    def watch(self, variables):
        """Trace ``variables`` (a Variable or a list of them) from now on, trainable or not."""
        for variable in variables if isinstance(variables, (list, tuple)) else [variables]:
            self._watched.add(variable._origin)

    def _value_for(self, variable):
        value = self.values.get(variable)
        if value is None and self._trace is not None and not self._released and (
                variable._trainable and self.watch_accessed_variables or variable in self._watched):
            value = self.values[variable] = variable._root_box(self._trace)
        return value

    def gradient(self, target, sources):
        """Gradients of ``target`` (summed if not a scalar) with respect to ``sources``.

        ``sources`` is a Variable or a list, tuple or dict of them; the result
        has the same structure.  A source ``target`` does not depend on gets
        ``None``, as in TensorFlow.  State updates recorded under the tape are
        written after the backward pass of the first call.
        """
        if self._released:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of "
                               "gradients; create it with `persistent=True` to call gradient() again.")
        if isinstance(sources, dict):
            keys, flat = list(sources), list(sources.values())
        else:
            keys, flat = None, list(sources) if isinstance(sources, (list, tuple)) else [sources]
        values = self.values
        nodes = [values[source]._node if type(source) is Variable and source in values else self._node_of(source)
                 for source in flat]
        grads = backward(target, nodes, self._trace)
        if self.updates:
            call_scope.commit(self.updates)
            self.updates = {}
        if not self.persistent:
            self._released = True
            self.values, self._bound = {}, {}
        if keys is not None:
            return dict(zip(keys, grads))
        return grads if isinstance(sources, (list, tuple)) else grads[0]

    def _node_of(self, source):
        if not (isbox(source) or isinstance(source, Variable)):
            raise TypeError(f"GradientTape.gradient: sources must be Variables (or values traced by the tape); "
                            f"received {type(source).__name__}.")
        if isbox(source):  # a VariableBox read in `call`, or any value traced by this tape
            return source._node if source._trace == self._trace else None
        value = self.values.get(getattr(source, "_origin", None))
        return value._node if value is not None else None


def backward(target, nodes, trace):
    """Reverse-mode pass from ``target`` (a box of ``trace``); the gradient at each of ``nodes``.

    A node ``target`` does not depend on (or None) gets None.  Cotangents keep
    the dtype each VJP gives them; microkeras's VJPs keep float32.
    """
    grads = [None] * len(nodes)
    if not (isbox(target) and target._trace == trace):
        return grads
    wanted = {}
    for i, node in enumerate(nodes):
        if node is not None:
            wanted.setdefault(node, []).append(i)
    outgrads = {target._node: (numpy.ones_like(target._value), False)}
    for node in toposort(target._node):
        outgrad = outgrads.pop(node)[0]
        for i in wanted.get(node, ()):
            grads[i] = outgrad
        for parent, ingrad in zip(node.parents, node.vjp(outgrad)):
            outgrads[parent] = add_outgrads(outgrads.get(parent), ingrad)
    return grads
