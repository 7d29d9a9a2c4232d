"""The call scope: what a forward pass binds into the layers, and what it records.

Every outermost layer call runs inside a :class:`CallScope`: one
``model(x)``, one ``predict`` batch, one training step (a
``GradientTape``, a subclass) or one ``stateless_call``.  The scope holds

- the **values bound for the pass** (``values``): a value given for a
  variable (``stateless_call``) or the traced box standing for it
  (``GradientTape``).  At the start of each outermost pass the scope writes
  an object standing for each such value into every place the variable is
  stored in the layers (``self.kernel``, ``self.kernels[1]``), and puts the
  variables back when the pass ends, so ``call`` reads ``self.kernel`` and
  still computes a function of the bound values;
- the **losses** each pass adds (``layer.add_loss``, activity
  regularizers): ``layer.losses`` reads them from the active scope, and the
  layers get their values when the scope closes (so another thread's pass
  cannot replace them mid-step);
- the **state updates** (``variable.assign``), kept here rather than
  written mid-pass: an eager scope writes them when it closes, a tape after
  its backward pass, and ``stateless_call`` returns them instead;
- the **masks** attached to the values of its passes (see
  :mod:`microkeras.masking`).

Binding writes into shared objects, so it is guarded: a re-entrant lock
(:data:`weights_lock`) serializes passes that bind and the writes into
weights, so ``predict`` from another thread during ``fit`` sees real
weights, before or after a step.  Each binding is recorded before it is
written and undone with one C-level call, and a record left behind by an
interrupted pass (``KeyboardInterrupt`` at any line) is undone when its
scope closes with the error, at the start of the next pass, or by
:func:`guard` around the public entry points; these also release the lock
if an interrupt on the last line of a ``with weights_lock:`` kept it.
"""

import collections
import contextlib
import operator
import threading
import weakref

import numpy
from autograd.tracer import getval, isbox, trace_stack

weights_lock = threading.RLock()
_local = threading.local()
_pending = []  # Binding records not yet undone, oldest first; guarded by weights_lock.
# Scopes (in any thread) in which a variable may read differently from its storage: while there
# are none, Variable.value skips looking for the current scope.  A plain set (add and discard
# cost no Python call); guard() drops scopes an interrupt left in it.
_overriding = set()
_holding_losses = weakref.WeakSet()  # layers whose `losses` hold values of a past pass
Binding = collections.namedtuple("Binding", "scope containers keys previous")


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def current_scope():
    """The innermost active scope of this thread, or None."""
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


def _write_all(containers, keys, values):
    """``container[key] = value`` for each triple, as one C-level call (not interruptible half-way)."""
    collections.deque(map(operator.setitem, containers, keys, values), maxlen=0)


def _bind(scope, containers, keys, objects):
    previous = list(map(operator.getitem, containers, keys))
    _pending.append(Binding(scope, containers, keys, previous))
    _write_all(containers, keys, objects)


def _unbind_down_to(count):
    """Undo the newest binding records until ``count`` remain."""
    while len(_pending) > count:
        record = _pending[-1]
        _write_all(record.containers, record.keys, record.previous)
        _pending.pop()


def _unbind_dead():
    """Undo the records of scopes no longer active in this thread (left by an interrupted pass)."""
    live = _stack()
    while _pending and _pending[-1].scope not in live:
        _unbind_down_to(len(_pending) - 1)


class CallScope:
    """Values bound for a forward pass, and the losses and state updates it records.

    Parameters
    ----------
    values : dict or iterable of (Variable, value), optional
        Values the variables take inside the scope instead of their own.
    commit : bool
        Write recorded state updates into the variables when the scope closes
        without an error (an eager call); otherwise they stay in ``updates``.
    record_losses : bool
        Note each pass's losses for ``layer.losses`` and hand them to the
        layers when the scope closes (not for ``stateless_call`` or shape
        probes, which must leave layers untouched).
    implicit : bool
        The scope a layer call opens for itself when none is active; one
        found open outside a pass was left by an interrupt and is dropped.
    """

    __slots__ = ("values", "updates", "overrides", "pass_losses", "layer_losses", "training", "commit",
                 "record_losses", "implicit", "in_pass", "parent", "masks", "_root", "_bound", "_held_lock", "__weakref__")

    def __init__(self, values=None, commit=True, record_losses=True, implicit=False):
        # A Variable given as a value stands for its current value.
        self.values = {variable: value.value if hasattr(value, "_origin") else value
                       for variable, value in (values.items() if isinstance(values, dict) else values)} \
            if values else {}
        self.updates = {}
        self.overrides = bool(self.values)  # may a variable read differently here than its storage?
        self.pass_losses = []  # (layer, value) pairs added during the current pass
        self.layer_losses = {}  # layer -> the losses it added in its latest pass in this scope
        self.training = None  # the `training` value the pass's sublayers inherit
        self.commit = commit
        self.record_losses = record_losses
        self.implicit = implicit
        self.in_pass = False
        self.parent = None
        self.masks = {}  # id(value) -> (value, mask), for the values of this scope's passes
        self._root = None  # the layer of the current pass
        self._bound = {}  # variable -> (value, object written into its places)
        self._held_lock = False  # did this thread hold weights_lock when the scope opened?

    def __enter__(self):
        stack = _stack()
        if stack and stack[-1].implicit and not stack[-1].in_pass:
            stack.pop()  # left open by an interrupted call
        self.parent = stack[-1] if stack else None
        if self.parent is not None and self.parent.overrides:
            self.overrides = True
        if self.overrides:
            _overriding.add(self)
        self._held_lock = weights_lock._is_owned()
        try:
            stack.append(self)
            return self
        except BaseException:  # interrupted after the push: the `with` block will not call __exit__
            if stack and stack[-1] is self:
                stack.pop()
            raise

    def __exit__(self, exc_type, exc, traceback):
        stack = _stack()
        del stack[stack.index(self):]
        self.masks = {}
        if self.overrides:
            _overriding.discard(self)
        if exc_type is not None:
            _repair(self._held_lock)  # a pass interrupted in its own clean-up left records or the lock
            return
        if self.commit and self.updates:
            commit(self.updates)
            self.updates = {}
        for layer, losses in self.layer_losses.items():  # values only: the graph must not outlive the scope
            values = [getval(loss) for loss in losses]
            (_holding_losses.add if values else _holding_losses.discard)(layer)
            layer.__dict__["_losses"] = values

    # ------------------------------------------------------------------ values
    def _value_for(self, variable):
        """The value this scope itself gives ``variable``, or None."""
        return self.values.get(variable)

    def value_of(self, variable):
        """``variable``'s value in this scope: assigned here, bound here, bound outside, or stored."""
        value = self.updates.get(variable)
        if value is None:
            value = self._value_for(variable)
        if value is not None:
            return value
        return self.parent.value_of(variable) if self.parent is not None else variable._array

    def assign(self, variable, value):
        """Record ``variable = value`` (not differentiated); later reads in the scope see it."""
        while isbox(value):
            value = value._value
        self.updates[variable] = value = _as_dtype(value, variable.dtype)
        if not self.overrides:
            self.overrides = True
            _overriding.add(self)
        if self.in_pass:
            places = self._root._binding_plan().get(variable)
            if places:
                _bind(self, [container for container, _ in places], [key for _, key in places],
                      [self._stand_in(variable, value)] * len(places))

    # ----------------------------------------------------------------- passes
    def run(self, layer, args, kwargs):
        """Run ``layer(*args, **kwargs)`` as the outermost pass of this scope; return its outputs."""
        with weights_lock:
            mark = self._begin_pass(layer)
            try:
                outputs = layer(*args, **kwargs)
            finally:
                self.in_pass = False
                if len(_pending) > mark:
                    _unbind_down_to(mark)
        if self.record_losses and (self.pass_losses or self.layer_losses or _holding_losses.data):
            self._note_losses(layer)
        return outputs

    @contextlib.contextmanager
    def binding(self, layer):
        """Inside: ``layer``'s subtree reads this scope's values, and the scope is in a pass."""
        with weights_lock:
            mark = self._begin_pass(layer)
            try:
                yield
            finally:
                self.in_pass = False
                _unbind_down_to(mark)

    def _begin_pass(self, layer):
        """Start a pass of ``layer``: bind this scope's values into its subtree; return the mark
        of the binding records to undo back to when the pass ends."""
        if _pending:
            _unbind_dead()
        mark = len(_pending)
        self.in_pass, self.training, self.pass_losses, self._root = True, None, [], layer
        if self.overrides:
            self._bind_plan(layer._binding_plan())
        return mark

    def bind_new(self, layer):
        """Bind the variables ``layer`` created while this pass was running (built mid-pass)."""
        if self.overrides:
            self._bind_plan(layer._binding_plan())

    def _bind_plan(self, plan):
        """Bind every variable of ``plan`` that has a value in this scope, as one record."""
        containers, keys, stand_ins = [], [], []
        updates = self.updates
        for variable, places in plan.items():
            value = updates.get(variable) if updates else None
            if value is None:
                value = self._value_for(variable)
            if value is not None:
                stand_in = value if getattr(value, "variable", None) is variable else \
                    self._stand_in(variable, value)
                for container, key in places:
                    containers.append(container)
                    keys.append(key)
                    stand_ins.append(stand_in)
        if containers:
            _bind(self, containers, keys, stand_ins)

    def _stand_in(self, variable, value):
        """What ``call`` reads for ``variable`` holding ``value``: a traced VariableBox or a snapshot."""
        bound = self._bound.get(variable)
        if bound is None or bound[0] is not value:
            if isbox(value):
                stand_in = variable._traced(value._value, value._trace, value._node)
            else:
                stand_in = variable._snapshot(value)
            bound = self._bound[variable] = (value, stand_in)
        return bound[1]

    def _note_losses(self, layer):
        """Note, for each layer of the pass, the losses it added: they replace its previous ones."""
        by_layer = {}
        for owner, value in self.pass_losses:
            by_layer.setdefault(owner, []).append(value)
        noted = self.layer_losses
        for sublayer in layer._flatten_layers():
            if sublayer in by_layer or sublayer in noted or sublayer._losses:
                noted[sublayer] = by_layer.get(sublayer, [])


def noted_losses():
    """The losses noted by the innermost active scope that noted any (``{layer: [loss, ...]}``), or None."""
    scope = current_scope()
    while scope is not None:
        if scope.layer_losses:
            return scope.layer_losses
        scope = scope.parent
    return None


def commit(updates):
    """Write recorded state updates into their variables, in place."""
    with weights_lock:
        for variable, value in updates.items():
            variable._array[...] = value


def _as_dtype(value, dtype):
    return value if getattr(value, "dtype", None) == dtype else numpy.asarray(value, dtype)


def _repair(held_lock):
    """After an error escaped: undo the binding records of scopes no longer active in this thread,
    and give back :data:`weights_lock` unless this thread held it before (``held_lock``): a
    ``with weights_lock:`` interrupted on its last line never releases it, and other threads would wait."""
    with weights_lock:
        _unbind_dead()
    if not held_lock:
        while weights_lock._is_owned():  # RLock's own test, as threading.Condition uses it
            weights_lock.release()


class guard:
    """Context manager for public entry points (``fit``, ``predict``...): if an error or an
    interrupt escapes, drop the scopes it left open in this thread, restore autograd's trace
    counter, put every variable back into the places a pass bound it to, and release
    :data:`weights_lock`."""

    __slots__ = ("_depth", "_trace", "_held_lock")

    def __enter__(self):
        self._depth = len(_stack())
        self._trace = trace_stack.top
        self._held_lock = weights_lock._is_owned()
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None:
            stack = _stack()
            _overriding.difference_update(stack[self._depth:])
            del stack[self._depth:]
            trace_stack.top = self._trace
            _repair(self._held_lock)
