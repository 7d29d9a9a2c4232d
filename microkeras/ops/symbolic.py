"""``keras.ops`` on symbolic tensors: a call on a KerasTensor becomes an operation of the functional graph.

Every public function of ``microkeras.ops`` is wrapped by :func:`graph_op`.
Called on arrays, the wrapper calls the function.  Called with a
``KerasTensor`` among its arguments, it makes an :class:`Operation` (Keras 3's
``keras.src.ops.operation.Operation``: one per call, named ``add``,
``add_1``...), states the outputs' shapes by running the function on zeros
(:func:`~microkeras.layers.keras_tensor.infer_outputs`) and records the call
as a node, so ``Model(inputs, outputs)`` runs and trains through it.

Keras 3 splits an op's arguments in two: the constructor takes the static
ones (``Concatenate(axis=-1)``), written in the op's ``config``; the call
takes the tensors (``[xs]``), written in its ``inbound_nodes``.  The split
here follows Keras's naming: parameters named like tensors
(:data:`TENSOR_PARAMETERS`) are call arguments, the others constructor
arguments, with the few exceptions Keras makes in :data:`_CONSTRUCTOR_PARAMETERS`.
Loading resolves an op's class name to one of microkeras's own ops only; a
name it does not know is a ValueError, nothing is imported.
"""

import functools
import inspect
import re

KerasTensor = None  # the symbolic tensor class, set by microkeras.layers.keras_tensor (layers import ops)

#: Parameter names of the tensors Keras 3 passes to an op's call (all others go to its constructor).
TENSOR_PARAMETERS = frozenset({
    "a", "b", "x", "x1", "x2", "xs", "y", "inputs", "elements", "operands", "arrays", "condition", "condlist",
    "choicelist", "default", "weights", "mean", "variance", "offset", "scale", "gamma", "beta", "query", "key",
    "value", "bias", "mask", "indices", "values", "updates", "sorted_sequence", "targets", "target",
    "predictions", "output", "fill_value", "constant_values", "start", "stop", "step", "rtol", "atol",
    "start_indices", "segment_ids", "kernel", "depthwise_kernel", "pointwise_kernel", "variable", "data",
    "bins", "q", "array", "output_length", "target_length", "sequence_lengths"})
#: Ops whose Keras constructor takes parameters named like tensors: their constructor parameters.
_CONSTRUCTOR_PARAMETERS = {
    "allclose": ("rtol", "atol", "equal_nan"), "bincount": ("weights", "minlength", "sparse"),
    "diagonal": ("offset", "axis1", "axis2"), "trace": ("offset", "axis1", "axis2"),
    "trapezoid": ("x", "dx", "axis"), "histogram": ("bins", "range"), "squareplus": ("b",),
    "unique": ("sorted", "return_index", "return_inverse", "return_counts", "axis", "size", "fill_value")}
#: Keras 3's class names that are not the op's name in CamelCase.
_KERAS_CLASS_NAMES = {
    "abs": "Absolute", "conj": "Conjugate", "swish": "Silu", "hard_swish": "HardSilu", "allclose": "AllClose",
    "isin": "IsIn", "searchsorted": "SearchSorted", "batch_normalization": "BatchNorm", "psnr": "PSNR",
    "rms_normalization": "RMSNorm", "layer_normalization": "LayerNorm"}
#: Keras 3's module of each op outside ``keras.src.ops.numpy``, by family.
_KERAS_FAMILIES = {
    "nn": "relu sigmoid softmax max_pool average_pool conv depthwise_conv separable_conv conv_transpose",
    "math": "segment_sum segment_max segment_min top_k in_top_k logsumexp rsqrt erf erfc logdet",
    "core": "scatter scatter_update slice slice_update stop_gradient cast saturate_cast convert_to_tensor unstack",
    "linalg": "norm"}
_KERAS_FAMILY_OF = {name: family for family, names in _KERAS_FAMILIES.items() for name in names.split()}
_MODULE_PREFIX = "keras.src.ops."

_OPS = {}  # op name -> the function it runs (unwrapped)
_FAMILIES = {}  # op name -> the Keras module family of microkeras's API module that defines it


def graph_op(name, function, family="numpy"):
    """``function``, also taking KerasTensors: then it returns KerasTensors and records a graph node.

    Parameters
    ----------
    name : str
        The op's name in ``keras.ops`` (the node is named after it).
    function : callable
        The op on arrays.
    family : str
        The ``keras.ops`` family of the module that defines it (``'numpy'``, ``'nn'``...), the Keras
        module it is written under unless Keras puts it elsewhere.
    """
    _OPS[name] = function
    _FAMILIES[name] = _KERAS_FAMILY_OF.get(name, family)

    @functools.wraps(function)
    def op(*args, **kwargs):
        if _holds_keras_tensor(args) or (kwargs and _holds_keras_tensor(kwargs.values())):
            return Operation.from_call(name, args, kwargs)
        return function(*args, **kwargs)

    op.__name__ = name
    return op


def _holds_keras_tensor(values):
    for value in values:
        if type(value) is KerasTensor or (type(value) in (list, tuple) and _holds_keras_tensor(value)):
            return True
    return False


class Operation:
    """One call of a ``keras.ops`` function on symbolic tensors: a node's operation in a functional graph.

    Parameters
    ----------
    op_name : str
        The ``keras.ops`` name of the function.
    static : dict
        The constructor arguments (Keras's split), given to the function by name at every call.
    name : str, optional
        Unique name; defaults to ``op_name`` (``add``, ``add_1``...).
    """

    def __init__(self, op_name, static=None, name=None):
        from microkeras.utils.naming import unique_name

        if op_name not in _OPS:
            raise ValueError(f"Unknown op {op_name!r}: microkeras.ops has no such function.")
        self.op_name, self.function = op_name, _OPS[op_name]
        self.static = dict(static or {})
        self.name = name if name is not None else unique_name(op_name)
        self._inbound_nodes = []
        signature = _signature(self.function)
        if signature is None:  # an autograd primitive: arguments by position
            self._call_parameters = None
        else:
            unknown = sorted(set(self.static) - set(signature.parameters))
            if unknown and not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
                raise ValueError(f"Op {op_name!r} takes no argument(s) {unknown}; it takes "
                                 f"{list(signature.parameters)}.")
            self._call_parameters = [p for p in signature.parameters.values()
                                     if p.name not in self.static and p.kind is not p.VAR_KEYWORD]

    @classmethod
    def from_call(cls, op_name, args, kwargs):
        """The operation and the outputs of ``ops.<op_name>(*args, **kwargs)`` called with KerasTensors."""
        static, call_args = _split_arguments(op_name, args, kwargs)
        return cls(op_name, static)(*call_args)

    def __call__(self, *args, **kwargs):
        from microkeras.layers.keras_tensor import Node, infer_outputs, is_symbolic

        if is_symbolic((args, kwargs)):
            outputs = infer_outputs(self._run, args, kwargs, f"ops.{self.op_name}")
            Node(self, args, kwargs, outputs)
            return outputs
        return self._run(*args, **kwargs)

    def _run(self, *args, **kwargs):
        """The function on the call's tensors, with the constructor arguments given by name."""
        parameters = self._call_parameters
        if parameters is None:
            return self.function(*args, **self.static, **kwargs)
        variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
        if not variadic and len(args) > len(parameters):
            raise TypeError(f"ops.{self.op_name} takes {len(parameters)} tensor argument(s) "
                            f"{[p.name for p in parameters]}; received {len(args)}.")
        if not variadic and not hasattr(self.function, "fun"):
            return self.function(**dict(zip((p.name for p in parameters), args)), **self.static, **kwargs)
        # By position, in the signature's order: a function of *args (einsum(subscripts, *operands)), and an
        # autograd primitive (relu, softmax...), which traces only the arguments it is given by position.
        positional, named, rest = [], dict(self.static), list(args)
        for parameter in _signature(self.function).parameters.values():
            if parameter.kind is parameter.VAR_POSITIONAL:
                positional += rest
                break
            if parameter.name not in named and not rest:
                break  # the rest keep their defaults
            positional.append(named.pop(parameter.name) if parameter.name in named else rest.pop(0))
        return self.function(*positional, **named, **kwargs)

    def get_config(self):
        return {"name": self.name, **self.static}

    @property
    def class_name(self):
        """Keras 3's class of this op (``Add``, ``Absolute``...), as configs and summaries name it."""
        return _KERAS_CLASS_NAMES.get(self.op_name) or "".join(part.capitalize() for part in self.op_name.split("_"))

    def count_params(self):
        """An op holds no weights (a summary row shows 0)."""
        return 0

    def serialize(self):
        """Keras 3's ``{module, class_name, config, registered_name}`` entry of this operation."""
        return {"module": _MODULE_PREFIX + _FAMILIES[self.op_name], "class_name": self.class_name,
                "config": self.get_config(), "registered_name": self.class_name}

    def __repr__(self):
        return f"<Operation {self.op_name} name={self.name}>"


def is_operation_entry(entry):
    """Whether a functional model's config entry describes an op (Keras writes ops under ``keras.src.ops``)."""
    module = entry.get("module") if isinstance(entry, dict) else None
    return isinstance(module, str) and module.startswith(_MODULE_PREFIX)


def deserialize_operation(entry, where):
    """The :class:`Operation` a config entry names, resolved among microkeras's own ops only."""
    class_name, config = entry.get("class_name"), entry.get("config")
    if not isinstance(class_name, str) or not isinstance(config, dict):
        raise ValueError(f"{where} must have a string 'class_name' and a dict 'config'.")
    op_name = _op_name(class_name)
    if op_name is None:
        raise ValueError(f"{where}: unknown op {class_name!r} (module {entry.get('module')!r}); microkeras.ops "
                         "has no such operation, so this model cannot be loaded.")
    static = {key: _as_static(value) for key, value in config.items() if key != "name"}
    signature = _signature(_OPS[op_name])
    if signature is not None:  # Keras-only constructor options, read only when left off
        accepted = signature.parameters
        for key in [key for key in static if key not in accepted]:
            if static[key] not in (None, False):
                raise ValueError(f"{where}: op {class_name!r} has {key}={static[key]!r}, which microkeras's "
                                 f"ops.{op_name} does not support.")
            del static[key]
    try:
        return Operation(op_name, static, name=config.get("name", entry.get("name")))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _op_name(class_name):
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    if snake in _OPS:
        return snake
    return next((name for name, keras_name in _KERAS_CLASS_NAMES.items() if keras_name == class_name), None)


def _as_static(value):
    """A constructor argument read from JSON: lists as tuples (axes, shapes), as Keras's ops accept them."""
    return tuple(_as_static(item) for item in value) if isinstance(value, list) else value


def _split_arguments(op_name, args, kwargs):
    """``(static, call_args)``: the arguments of a call, split as Keras 3's op classes split them."""
    function = _OPS[op_name]
    signature = _signature(function)
    if signature is None:
        if _holds_keras_tensor(kwargs.values()):
            raise TypeError(f"ops.{op_name}: pass symbolic tensors by position; received "
                            f"{sorted(kwargs)} by keyword.")
        return dict(kwargs), list(args)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"ops.{op_name}: {error}") from None
    bound.apply_defaults()
    constructor = _CONSTRUCTOR_PARAMETERS.get(op_name)
    static, call_args = {}, []
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            call_args += value
        elif kind is inspect.Parameter.VAR_KEYWORD:
            static.update(value)
        elif (name in constructor) if constructor is not None else (name not in TENSOR_PARAMETERS):
            if _holds_keras_tensor([value]):
                raise TypeError(f"ops.{op_name}: `{name}` must be a constant (an int, a tuple, a string...) when "
                                f"the op is applied to symbolic tensors; received the symbolic tensor {value!r}.")
            static[name] = value
        else:
            call_args.append(value)
    return static, call_args


@functools.lru_cache(maxsize=None)
def _signature(function):
    """``function``'s signature (an autograd primitive's is its raw function's, ``primitive.fun``), or None
    when it takes only ``*args, **kwargs``."""
    try:
        signature = inspect.signature(getattr(function, "fun", function))
    except (TypeError, ValueError):
        return None
    kinds = {p.kind for p in signature.parameters.values()}
    if "called_by_autograd_dispatcher" in signature.parameters or kinds == {inspect.Parameter.VAR_POSITIONAL,
                                                                          inspect.Parameter.VAR_KEYWORD}:
        return None
    return signature
