"""Variables: the named float32 arrays that hold a layer's weights and state.

A :class:`Variable` is what ``add_weight`` returns and what ``model.weights``
lists: Keras 3's ``keras.Variable`` surface (``name``, ``path``, ``shape``,
``dtype``, ``trainable``, ``numpy()``, ``value``, ``assign``, ``assign_add``,
``assign_sub``) around one numpy array, its *storage*.  The storage array is
created once and only ever written in place (by the optimizer, ``assign`` and
``set_weights``), so code that holds it -- the optimizer's slots, a caller's
reference -- always sees the current weight.

Design: a wrapper, not an ndarray subclass.  Outside a forward pass a Variable
converts to its storage wherever numpy wants an array (``__array__``) and
supports the arithmetic operators, so ``numpy.asarray(layer.kernel)`` and
``layer.kernel * 2`` work.  While autograd traces a forward pass, the call
scope (``microkeras.call_scope``) binds into the layer's attributes either a
:class:`VariableBox` -- an autograd ``ArrayBox`` that also answers the Variable
API, so ``call`` reads ``self.kernel`` as a traced array and can still call
``self.kernel.assign(...)`` -- or a *snapshot*: a Variable whose storage is a
value given for this pass (``stateless_call``).  Inside a pass, ``assign``
records the new value in the scope instead of writing it; the scope writes it
when that is safe (after the backward pass).
"""

import contextlib
import threading

import numpy
from autograd.core import VJPNode
from autograd.numpy.numpy_boxes import ArrayBox
from autograd.tracer import Box, isbox

from microkeras import call_scope, config, initializers, tracking

_names = threading.local()


@contextlib.contextmanager
def name_scope(name, caller=None):
    """Prefix the ``path`` of variables created inside with ``name/`` (Keras's ``name_scope``).

    A scope opened by the same ``caller`` (a layer) as the innermost one adds
    nothing, so a layer building itself inside its own first call is named once.
    """
    stack = _names.__dict__.setdefault("stack", [])
    if caller is not None and stack and stack[-1][1] is caller:
        yield
        return
    stack.append((name, caller))
    try:
        yield
    finally:
        stack.pop()


def current_path(name):
    """``name`` under the active name scopes: ``'block/dense/kernel'``."""
    return "/".join([*(scope for scope, _ in getattr(_names, "stack", ())), name])


class Variable:
    """A named array that a layer reads in ``call`` and that training updates.

    Parameters
    ----------
    initializer : array-like, str or callable
        The initial value, or an initializer (``'zeros'``, ``'glorot_uniform'``,
        ``initializers.HeNormal()``, any ``f(shape, dtype)``) used with ``shape``.
    shape : tuple of int, optional
        Required with an initializer; checked against an initial value.
    dtype : str, optional
        Inferred when omitted: ``'float32'``, or ``'int32'``/``'bool'`` for an initial
        value of integers/booleans (as Keras 3 infers it); integer dtypes serve for counters.
        Other float widths are refused: microkeras computes in float32.
    trainable : bool
        Whether optimizers update it (a layer's ``trainable`` flag sets it).
    name : str, optional
        Defaults to ``'variable'``; ``path`` is ``name`` under the name scopes
        of the layers being built (``'dense/kernel'``).
    regularizer, constraint : callable, optional
        Set by ``add_weight``: a penalty added to the loss, and a projection
        the optimizer applies after each update.
    autocast, aggregation, synchronization
        Keras's distribution options; accepted at their defaults and ignored.
    """

    __slots__ = ("_array", "_origin", "name", "path", "_trainable", "regularizer", "constraint", "_root",
                 "_box", "__weakref__")
    __array_priority__ = 100.0  # `array * variable` defers to Variable.__rmul__, which can trace

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, regularizer=None, constraint=None):
        if dtype is None:  # Keras infers an initial value's dtype: int32 for integers, bool, else floatx
            kind = "f" if isinstance(initializer, str) or callable(initializer) and not hasattr(
                initializer, "__array__") else numpy.asarray(getattr(initializer, "value", initializer)).dtype.kind
            dtype = {"b": "bool", "i": "int32", "u": "int32"}.get(kind, config.floatx())
        dtype = numpy.dtype(dtype)
        if dtype.kind == "f" and dtype != numpy.float32 or dtype.kind not in "fiub":
            raise ValueError(f"Variable: `dtype` must be float32 or an integer type (microkeras computes "
                             f"in float32); received dtype={dtype}.")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Variable: `name` must be a string; received name={name!r}.")
        if isinstance(initializer, str) or callable(initializer) and not hasattr(initializer, "__array__"):
            if shape is None:
                raise ValueError("Variable: `shape` is required when `initializer` is an initializer; "
                                 f"received initializer={initializer!r} and shape=None.")
            value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        else:
            value = getattr(initializer, "value", initializer)  # another Variable: copy its value
        value = numpy.array(value, dtype=dtype)
        if shape is not None and value.shape != tuple(shape):
            raise ValueError(f"Variable: the initial value has shape {value.shape}, but `shape` is "
                             f"{tuple(shape)}.")
        self._array = value
        self._origin = self
        self._root = VJPNode.new_root()  # this variable's node in every graph a tape traces
        self._box = None  # the VariableBox of the last trace (boxes hold no graph, so it is reused)
        self.name = "variable" if name is None else name
        self.path = current_path(self.name)
        self._trainable = bool(trainable)
        self.regularizer = regularizer
        self.constraint = constraint

    # ---------------------------------------------------------------- reading
    @property
    def value(self):
        """The current value: the value bound for the active pass, if any, else the storage array."""
        if self._origin is self and call_scope._overriding:
            scope = call_scope.current_scope()
            if scope is not None and scope.overrides:
                return scope.value_of(self)
        return self._array

    def numpy(self):
        """A copy of the current value, as a numpy array."""
        value = self.value
        return numpy.array(value._value if isbox(value) else value)

    def __array__(self, dtype=None, copy=None):
        value = self.value if call_scope._overriding else self._array
        if isbox(value):
            raise TypeError(
                f"Variable {self.path!r} is being traced for a gradient here, so numpy cannot read it "
                "as a plain array. Read it as `self.<attribute>` inside `call`, or use `variable.value` "
                "with autograd.numpy functions.")
        if copy:
            return numpy.array(value, dtype=dtype)
        return value if dtype is None else value.astype(dtype, copy=False)

    @property
    def shape(self):
        return self._array.shape

    @property
    def dtype(self):
        return self._array.dtype

    @property
    def ndim(self):
        return self._array.ndim

    @property
    def size(self):
        return self._array.size

    @property
    def trainable(self):
        return self._origin._trainable

    @trainable.setter
    def trainable(self, value):
        self._origin._trainable = bool(value)
        tracking.changed()

    # ---------------------------------------------------------------- writing
    def assign(self, value):
        """Set the variable to ``value`` (same shape); returns ``value``.

        Inside a forward pass the new value is recorded by the pass's call
        scope and written when the pass is over (after the backward pass when
        gradients are being computed); reads later in the same pass see it.
        """
        variable = self._origin
        if numpy.shape(value) != variable.shape:
            raise ValueError(f"Variable {variable.path!r} has shape {variable.shape}; cannot assign a value "
                             f"of shape {numpy.shape(value)}.")
        scope = call_scope.current_scope()
        if scope is not None:
            scope.assign(variable, value)
        else:
            variable._write(value)
        return value

    def assign_add(self, delta):
        """``assign(value + delta)``."""
        return self.assign(self.value + delta)

    def assign_sub(self, delta):
        """``assign(value - delta)``."""
        return self.assign(self.value - delta)

    def _write(self, value):
        """Copy ``value`` into the storage array, in place (its identity never changes)."""
        with call_scope.weights_lock:
            self._array[...] = value

    # ------------------------------------------------- objects bound for a pass
    def _traced(self, value, trace, node):
        """A :class:`VariableBox` standing for this variable with ``value``, traced as ``node`` in ``trace``."""
        return VariableBox(value, trace, node, self)

    def _root_box(self, trace):
        """The VariableBox that makes this variable a root of ``trace`` (its storage, its own node)."""
        box = self._box
        if box is None or box._trace != trace:
            box = self._box = VariableBox(self._array, trace, self._root, self)
        return box

    def _snapshot(self, value):
        """A Variable that reads as ``value`` (a value given for one pass) and assigns to this one."""
        snapshot = object.__new__(Variable)
        for slot in ("name", "path", "_trainable", "regularizer", "constraint", "_root"):
            setattr(snapshot, slot, getattr(self, slot))
        snapshot._array = numpy.asarray(value)
        snapshot._origin, snapshot._box = self, None
        return snapshot

    # ------------------------------------------------------------- operators
    def __getitem__(self, index):
        return self.value[index]

    def __len__(self):
        return len(self._array)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"value={numpy.asarray(self._array)}>")

    # Comparisons other than == and != are elementwise; == stays identity so
    # that variables can be dict keys and list members, as scopes need.
    __hash__ = object.__hash__


def _binary(op):
    return lambda self, other: op(self.value, other)


def _reflected(op):
    return lambda self, other: op(other, self.value)


for _name, _op in {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
                   "truediv": lambda a, b: a / b, "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
                   "pow": lambda a, b: a ** b, "matmul": lambda a, b: a @ b}.items():
    setattr(Variable, f"__{_name}__", _binary(_op))
    setattr(Variable, f"__r{_name}__", _reflected(_op))
for _name, _op in {"lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
                   "ge": lambda a, b: a >= b}.items():
    setattr(Variable, f"__{_name}__", _binary(_op))
Variable.__neg__ = lambda self: -self.value
Variable.__pos__ = lambda self: self.value
Variable.__abs__ = lambda self: abs(self.value)
Variable.T = property(lambda self: self.value.T)


class VariableBox(ArrayBox):
    """A variable's value while autograd traces it: an array for ``call``, a Variable for the rest.

    Arithmetic, ``autograd.numpy`` functions and ``ops`` treat it as the
    traced array it is; ``name``, ``path``, ``trainable``, ``assign*`` and
    ``numpy()`` answer for the variable it stands for.
    """

    __slots__ = ("variable",)

    def __init__(self, value, trace, node, variable):
        self._value, self._trace, self._node, self.variable = value, trace, node, variable

    value = property(lambda self: self)
    name = property(lambda self: self.variable.name)
    path = property(lambda self: self.variable.path)
    trainable = property(lambda self: self.variable.trainable)

    def numpy(self):
        return numpy.array(self._value)

    def assign(self, value):
        return self.variable.assign(value)

    def assign_add(self, delta):
        return self.variable.assign(self + delta)

    def assign_sub(self, delta):
        return self.variable.assign(self - delta)


Box.types.add(VariableBox)  # autograd's isbox() knows boxes by exact type
