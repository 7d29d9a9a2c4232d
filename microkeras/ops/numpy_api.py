"""Keras 3's numpy-like ``keras.ops``: the names, arguments and dtypes of ``keras.ops.numpy``.

For custom layers, losses and metrics: every function works on arrays, on
``Variable``\\ s and on autograd's traced values, so a ``call`` written with
``keras.ops`` is differentiated like any other.  A float32 input keeps a
float32 gradient: where autograd's own VJP would compute in float64 (means,
maxima, ``where``, ``maximum``) or has none (``take``, ``sort``, ``pad``,
``flip``), the work goes through a primitive of :mod:`microkeras.ops.array_primitives`
or :mod:`microkeras.ops.numpy`.

Dtypes follow Keras: float results are float32 (Python floats and float64
data become float32 when a function creates or converts an array), indices
(``argmax``, ``argsort``) are int32, and a division of integers is float32.
"""

import builtins
import math
import numbers

import autograd.numpy as anp
import numpy
from autograd.tracer import getval

from microkeras import config
from microkeras.ops import array_primitives as _array
from microkeras.ops.numpy import max as _max_primitive
from microkeras.ops.numpy import mean as _mean_primitive
from microkeras.ops.numpy import stack, tanh  # noqa: F401 -- keras.ops names

# -- dtypes --------------------------------------------------------------------------------


def standardize_dtype(dtype, default=None):
    """A dtype argument (a string such as ``'float32'``, a numpy dtype or None) as a numpy dtype."""
    if dtype is None:
        return numpy.dtype(default or config.floatx())
    try:
        return numpy.dtype(getattr(dtype, "name", dtype))
    except TypeError:
        raise ValueError(f"`dtype` must be a dtype name such as 'float32' or 'int32'; received dtype={dtype!r}.") \
            from None


def _keras_dtype(value):
    """The dtype Keras gives ``value`` when it becomes a tensor: Python floats and float64 as float32,
    Python ints and int64 as int32."""
    dtype = numpy.asarray(value).dtype if not isinstance(value, (bool, int, float)) else None
    if isinstance(value, bool) or dtype == numpy.bool_:
        return numpy.dtype(bool)
    if isinstance(value, int) or dtype == numpy.int64:
        return numpy.dtype(numpy.int32)
    if isinstance(value, float) or dtype == numpy.float64:
        return numpy.dtype(config.floatx())
    return dtype


def _array_of(x):
    """``x`` as something autograd.numpy accepts: a Variable's current value, else ``x``."""
    return x.value if hasattr(x, "_origin") else x


def _floating(x):
    """``x``, cast to float32 first if it holds integers or booleans (Keras's rule for means and divisions)."""
    x = _array_of(x)
    kind = numpy.result_type(getval(x)).kind
    return numpy.asarray(getval(x), dtype=config.floatx()) if kind in "biu" else x


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as an array of ``dtype`` (Keras's default: float32 for floats, int32 for ints); traced values pass."""
    x = _array_of(x)
    target = standardize_dtype(dtype) if dtype is not None else None
    if getval(x) is not x:  # traced: keep it traced
        return x if target is None or target == numpy.result_type(getval(x)) else cast(x, target)
    return numpy.asarray(x, dtype=target or _keras_dtype(x))


def array(x, dtype=None):
    """``x`` as an array (Keras's ``ops.array``): :func:`convert_to_tensor` without its sparse options."""
    return convert_to_tensor(x, dtype)


def convert_to_numpy(x):
    """``x`` as a plain numpy array (a traced value gives its current value)."""
    return numpy.array(getval(_array_of(x)))


def cast(x, dtype):
    """``x`` in ``dtype``; a traced cast to a float type keeps the gradient (in the input's dtype)."""
    x, dtype = _array_of(x), standardize_dtype(dtype)
    if getval(x) is x or dtype.kind != "f":
        return numpy.asarray(getval(x), dtype=dtype)
    return _array.astype(x, dtype)


def is_tensor(x):
    """Whether ``x`` is an array microkeras computes with (a numpy array, a Variable or a traced value)."""
    return isinstance(getval(_array_of(x)), numpy.ndarray)


def shape(x):
    """``x``'s shape as a tuple of ints."""
    return tuple(anp.shape(_array_of(x)))


def ndim(x):
    return anp.ndim(_array_of(x))


def size(x):
    return int(numpy.prod(shape(x), dtype=numpy.int64))


def dtype(x):
    """``x``'s dtype name (``'float32'``)."""
    return numpy.result_type(getval(_array_of(x))).name


# -- creation ------------------------------------------------------------------------------

def zeros(shape, dtype=None):
    return numpy.zeros(shape, standardize_dtype(dtype))


def ones(shape, dtype=None):
    return numpy.ones(shape, standardize_dtype(dtype))


def empty(shape, dtype=None):
    return numpy.empty(shape, standardize_dtype(dtype))


def full(shape, fill_value, dtype=None):
    return numpy.full(shape, getval(fill_value), standardize_dtype(dtype, _keras_dtype(getval(fill_value))))


def _like_dtype(x, dtype):
    return standardize_dtype(dtype, numpy.result_type(getval(_array_of(x))))


def zeros_like(x, dtype=None):
    return numpy.zeros(shape(x), _like_dtype(x, dtype))


def ones_like(x, dtype=None):
    return numpy.ones(shape(x), _like_dtype(x, dtype))


def empty_like(x, dtype=None):
    return numpy.empty(shape(x), _like_dtype(x, dtype))


def full_like(x, fill_value, dtype=None):
    return numpy.full(shape(x), getval(fill_value), _like_dtype(x, dtype))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``: int32 for integer arguments, float32 otherwise."""
    args = [a for a in (start, stop, step) if a is not None]
    default = numpy.int32 if builtins.all(isinstance(a, numbers.Integral) for a in args) else config.floatx()
    return numpy.arange(start, stop, 1 if step is None else step).astype(standardize_dtype(dtype, default))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    values = numpy.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, axis=axis)
    if retstep:
        return values[0].astype(standardize_dtype(dtype)), values[1]
    return values.astype(standardize_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 -- Keras's argument names
    return numpy.eye(N, M, k, dtype=standardize_dtype(dtype))


def identity(n, dtype=None):
    return numpy.identity(n, dtype=standardize_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):  # noqa: N803
    return numpy.tri(N, M, k, dtype=standardize_dtype(dtype))


def meshgrid(*x, indexing="xy"):
    return numpy.meshgrid(*(getval(_array_of(v)) for v in x), indexing=indexing)


def copy(x):
    return anp.array(_array_of(x))


# -- arithmetic ----------------------------------------------------------------------------

def _binary(fn, doc):
    def op(x1, x2):
        return fn(_array_of(x1), _array_of(x2))

    op.__name__, op.__doc__ = fn.__name__, doc
    return op


add = _binary(anp.add, "``x1 + x2``, broadcast.")
subtract = _binary(anp.subtract, "``x1 - x2``, broadcast.")
multiply = _binary(anp.multiply, "``x1 * x2``, broadcast.")
power = _binary(anp.power, "``x1 ** x2``, broadcast.")
floor_divide = _binary(anp.floor_divide, "``x1 // x2`` (no gradient).")
mod = _binary(anp.mod, "``x1 % x2``.")
logaddexp = _binary(anp.logaddexp, "``log(exp(x1) + exp(x2))``, computed stably.")
arctan2 = _binary(anp.arctan2, "Elementwise arc tangent of ``x1 / x2``, in the right quadrant.")
hypot = _binary(anp.hypot, "``sqrt(x1**2 + x2**2)``.")
maximum = _binary(_array.maximum, "Elementwise maximum (gradient half and half at ties, as JAX).")
minimum = _binary(_array.minimum, "Elementwise minimum (gradient half and half at ties, as JAX).")
fmax, fmin = maximum, minimum


def divide(x1, x2):
    """``x1 / x2``; integers are divided as float32."""
    return anp.true_divide(_floating(x1), _floating(x2))


true_divide = divide


def divide_no_nan(x1, x2):
    """``x1 / x2``, and 0 where ``x2 == 0``."""
    x1, x2 = _floating(x1), _floating(x2)
    zero = getval(x2) == 0
    return _array.where(zero, 0.0, x1 / _array.where(zero, 1.0, x2))


def _unary(fn, doc, floating=False):
    def op(x):
        return fn(_floating(x) if floating else _array_of(x))

    op.__name__, op.__doc__ = fn.__name__, doc
    return op


abs = _unary(anp.abs, "``|x|``.")  # noqa: A001 -- keras.ops.abs
absolute = abs
negative = _unary(anp.negative, "``-x``.")
square = _unary(anp.square, "``x * x``.")
sqrt = _unary(anp.sqrt, "Square root.", floating=True)
exp = _unary(anp.exp, "``e ** x``.", floating=True)
expm1 = _unary(anp.expm1, "``exp(x) - 1``, accurate near 0.", floating=True)
log = _unary(anp.log, "Natural logarithm.", floating=True)
log1p = _unary(anp.log1p, "``log(1 + x)``, accurate near 0.", floating=True)
sin = _unary(anp.sin, "Sine.", floating=True)
cos = _unary(anp.cos, "Cosine.", floating=True)
tan = _unary(anp.tan, "Tangent.", floating=True)
arcsin = _unary(anp.arcsin, "Inverse sine.", floating=True)
arccos = _unary(anp.arccos, "Inverse cosine.", floating=True)
arctan = _unary(anp.arctan, "Inverse tangent.", floating=True)
sinh = _unary(anp.sinh, "Hyperbolic sine.", floating=True)
cosh = _unary(anp.cosh, "Hyperbolic cosine.", floating=True)
arcsinh = _unary(anp.arcsinh, "Inverse hyperbolic sine.", floating=True)
arccosh = _unary(anp.arccosh, "Inverse hyperbolic cosine.", floating=True)
arctanh = _unary(anp.arctanh, "Inverse hyperbolic tangent.", floating=True)
reciprocal = _unary(anp.reciprocal, "``1 / x``.", floating=True)
sign = _unary(anp.sign, "-1, 0 or 1 (no gradient).")
floor = _unary(anp.floor, "Round down (no gradient).")
ceil = _unary(anp.ceil, "Round up (no gradient).")
trunc = _unary(anp.trunc, "Round toward 0 (no gradient).")
isfinite = _unary(anp.isfinite, "Whether each entry is finite.")
isinf = _unary(anp.isinf, "Whether each entry is infinite.")
isnan = _unary(anp.isnan, "Whether each entry is NaN.")
logical_not = _unary(anp.logical_not, "Elementwise NOT.")


def log2(x):
    """Base-2 logarithm (as ``log(x) / log(2)``: autograd's own gradient would be float64)."""
    return anp.log(_floating(x)) * (1.0 / math.log(2.0))


def log10(x):
    """Base-10 logarithm."""
    return anp.log(_floating(x)) * (1.0 / math.log(10.0))


def exp2(x):
    """``2 ** x``."""
    return anp.exp(_floating(x) * math.log(2.0))


def rsqrt(x):
    """``1 / sqrt(x)``."""
    return 1.0 / anp.sqrt(_floating(x))


def round(x, decimals=0):  # noqa: A001 -- keras.ops.round
    """Round half to even, to ``decimals`` places (no gradient)."""
    return anp.round(_array_of(x), decimals)


def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]``; the gradient is 0 outside."""
    return anp.clip(_array_of(x), x_min, x_max)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2``; with only ``condition``, the indices where it holds."""
    condition = numpy.asarray(getval(_array_of(condition)))
    if x1 is None and x2 is None:
        return tuple(i.astype(numpy.int32) for i in numpy.nonzero(condition))
    if x1 is None or x2 is None:
        raise ValueError("where: give both `x1` and `x2`, or neither.")
    return _array.where(condition.astype(bool), _array_of(x1), _array_of(x2))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    x = _array_of(x)
    value = getval(x)
    info = numpy.finfo(value.dtype) if value.dtype.kind == "f" else None
    x = _array.where(numpy.isnan(value), nan, x)
    if info is not None:
        x = _array.where(numpy.isposinf(value), info.max if posinf is None else posinf, x)
        x = _array.where(numpy.isneginf(value), info.min if neginf is None else neginf, x)
    return x


# -- comparisons and logic (not differentiable) ---------------------------------------------

def _compare(fn, doc):
    def op(x1, x2):
        return fn(getval(_array_of(x1)), getval(_array_of(x2)))

    op.__name__, op.__doc__ = fn.__name__, doc
    return op


equal = _compare(numpy.equal, "``x1 == x2``, elementwise.")
not_equal = _compare(numpy.not_equal, "``x1 != x2``, elementwise.")
greater = _compare(numpy.greater, "``x1 > x2``, elementwise.")
greater_equal = _compare(numpy.greater_equal, "``x1 >= x2``, elementwise.")
less = _compare(numpy.less, "``x1 < x2``, elementwise.")
less_equal = _compare(numpy.less_equal, "``x1 <= x2``, elementwise.")
logical_and = _compare(numpy.logical_and, "Elementwise AND.")
logical_or = _compare(numpy.logical_or, "Elementwise OR.")
logical_xor = _compare(numpy.logical_xor, "Elementwise XOR.")


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return numpy.isclose(getval(_array_of(x1)), getval(_array_of(x2)), rtol, atol, equal_nan)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return bool(numpy.allclose(getval(_array_of(x1)), getval(_array_of(x2)), rtol, atol, equal_nan))


# -- reductions ----------------------------------------------------------------------------

def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes))


def sum(x, axis=None, keepdims=False):  # noqa: A001 -- keras.ops.sum
    """Sum over ``axis`` (an int, a tuple, or None for all)."""
    x = _array_of(x)
    if numpy.result_type(getval(x)) == numpy.bool_:
        x = anp.asarray(x, numpy.int32)
    return anp.sum(x, axis=None if axis is None else _axes(axis, anp.ndim(x)), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``, float32 for integer inputs; the gradient stays in the input's dtype."""
    x = _floating(x)
    if axis is None and not keepdims:
        return _mean_primitive(x)
    axes = _axes(axis, anp.ndim(x))
    count = int(numpy.prod([anp.shape(x)[a] for a in axes]))
    return anp.sum(x, axis=axes, keepdims=keepdims) / float(builtins.max(count, 1))


def var(x, axis=None, keepdims=False):
    """Biased variance (divided by the count) over ``axis``."""
    x = _floating(x)
    centered = x - mean(x, axis, keepdims=True)
    return mean(centered * centered, axis, keepdims)


def std(x, axis=None, keepdims=False):
    """Standard deviation (biased) over ``axis``."""
    return anp.sqrt(var(x, axis, keepdims))


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 -- keras.ops.max
    """Maximum over ``axis``; the gradient is shared among tied maxima (in the input's dtype)."""
    x = _array_of(x)
    result = _max_primitive(x, axis, keepdims)
    return result if initial is None else _array.maximum(result, initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 -- keras.ops.min
    """Minimum over ``axis``; the gradient is shared among tied minima."""
    x = _array_of(x)
    result = -_max_primitive(-x, axis, keepdims)
    return result if initial is None else _array.minimum(result, initial)


def amax(x, axis=None, keepdims=False):
    """Maximum over ``axis`` (``max`` without ``initial``)."""
    return max(x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    """Minimum over ``axis`` (``min`` without ``initial``)."""
    return min(x, axis, keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _array_of(x)
    if dtype is not None:
        x = anp.asarray(x, standardize_dtype(dtype))
    return anp.prod(x, axis=None if axis is None else _axes(axis, anp.ndim(x)), keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001 -- keras.ops.all
    return numpy.all(getval(_array_of(x)), axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001 -- keras.ops.any
    return numpy.any(getval(_array_of(x)), axis=axis, keepdims=keepdims)


def count_nonzero(x, axis=None):
    return numpy.count_nonzero(getval(_array_of(x)), axis=axis).astype(numpy.int32)


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum (the first one), int32."""
    return numpy.argmax(getval(_array_of(x)), axis=axis, keepdims=keepdims).astype(numpy.int32)


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum (the first one), int32."""
    return numpy.argmin(getval(_array_of(x)), axis=axis, keepdims=keepdims).astype(numpy.int32)


def average(x, axis=None, weights=None):
    """Mean over ``axis`` weighted by ``weights`` (1-D along ``axis``, or ``x``'s shape)."""
    if weights is None:
        return mean(x, axis)
    x, weights = _floating(x), _floating(weights)
    if axis is not None and anp.ndim(weights) == 1 and anp.ndim(x) > 1:
        shape_ = [1] * anp.ndim(x)
        shape_[axis] = -1
        weights = anp.reshape(weights, shape_)
    return anp.sum(x * weights, axis=axis) / anp.sum(weights * anp.ones_like(x), axis=axis)


def cumsum(x, axis=None, dtype=None):
    x = _array_of(x)
    if dtype is not None:
        x = anp.asarray(x, standardize_dtype(dtype))
    return anp.cumsum(x, axis=axis)


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 -- Keras's argument name
    """Vector norms (``ord`` None or 2, 1, ``inf``, ``-inf``, 0, any p) and the Frobenius norm of matrices."""
    x = _floating(x)
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        if ord not in (None, "fro"):
            raise NotImplementedError(f"norm: matrix norm ord={ord!r} is not provided by microkeras; "
                                      "use ord=None or 'fro'.")
        return anp.sqrt(anp.sum(x * x, axis=tuple(axis), keepdims=keepdims))
    if ord in (None, 2, "fro"):
        return anp.sqrt(anp.sum(x * x, axis=axis, keepdims=keepdims))
    if ord == 1:
        return anp.sum(anp.abs(x), axis=axis, keepdims=keepdims)
    if ord == numpy.inf:
        return max(anp.abs(x), axis, keepdims)
    if ord == -numpy.inf:
        return min(anp.abs(x), axis, keepdims)
    if ord == 0:
        return anp.sum(anp.asarray(getval(x) != 0, getval(x).dtype), axis=axis, keepdims=keepdims)
    return anp.sum(anp.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


# -- products ------------------------------------------------------------------------------

matmul = _binary(anp.matmul, "Matrix product, batched over leading axes.")
dot = _binary(anp.dot, "``numpy.dot``.")
inner = _binary(anp.inner, "Inner product over the last axes.")
outer = _binary(anp.outer, "Outer product of the flattened inputs.")
kron = _binary(anp.kron, "Kronecker product.")


def einsum(subscripts, *operands):
    """Einstein summation, as ``numpy.einsum``."""
    return anp.einsum(subscripts, *(_array_of(o) for o in operands))


def tensordot(x1, x2, axes=2):
    return anp.tensordot(_array_of(x1), _array_of(x2), axes)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return anp.cross(_array_of(x1), _array_of(x2), axisa, axisb, axisc, axis)


# -- shapes --------------------------------------------------------------------------------

def reshape(x, newshape):
    return anp.reshape(_array_of(x), newshape)


def ravel(x):
    return anp.ravel(_array_of(x))


def transpose(x, axes=None):
    return anp.transpose(_array_of(x), axes)


def moveaxis(x, source, destination):
    return anp.moveaxis(_array_of(x), source, destination)


def swapaxes(x, axis1, axis2):
    return anp.swapaxes(_array_of(x), axis1, axis2)


def expand_dims(x, axis):
    """``x`` with new size-1 axes at ``axis`` (an int or a tuple, as in Keras)."""
    x = _array_of(x)
    if isinstance(axis, numbers.Integral):
        return anp.expand_dims(x, axis)
    new_ndim = anp.ndim(x) + len(axis)
    new_shape, sizes = [], iter(anp.shape(x))
    positions = {a % new_ndim for a in axis}
    for i in range(new_ndim):
        new_shape.append(1 if i in positions else next(sizes))
    return anp.reshape(x, tuple(new_shape))


def squeeze(x, axis=None):
    return anp.squeeze(_array_of(x), axis)


def broadcast_to(x, shape):
    return _array.broadcast_to(_array_of(x), tuple(shape))


def concatenate(xs, axis=0):
    return anp.concatenate([_array_of(x) for x in xs], axis=axis)


def append(x1, x2, axis=None):
    x1, x2 = _array_of(x1), _array_of(x2)
    if axis is None:
        return anp.concatenate([anp.ravel(x1), anp.ravel(x2)])
    return anp.concatenate([x1, x2], axis=axis)


def hstack(xs):
    return anp.hstack([_array_of(x) for x in xs])


def vstack(xs):
    return anp.vstack([_array_of(x) for x in xs])


def split(x, indices_or_sections, axis=0):
    """``x`` cut along ``axis`` into equal sections or at indices; a list."""
    return list(anp.split(_array_of(x), indices_or_sections, axis=axis))


def array_split(x, indices_or_sections, axis=0):
    return list(anp.array_split(_array_of(x), indices_or_sections, axis=axis))


def tile(x, repeats):
    return anp.tile(_array_of(x), repeats)


def repeat(x, repeats, axis=None):
    return anp.repeat(_array_of(x), repeats, axis=axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (``((before, after), ...)``) in any of numpy's modes."""
    if constant_values is not None and mode != "constant":
        raise ValueError(f"pad: `constant_values` is for mode='constant' only; received mode={mode!r}.")
    return _array.pad(_array_of(x), numpy.asarray(pad_width).tolist(), mode,
                      0 if constant_values is None else constant_values)


def flip(x, axis=None):
    return _array.flip(_array_of(x), axis)


def fliplr(x):
    return flip(x, 1)


def flipud(x):
    return flip(x, 0)


def roll(x, shift, axis=None):
    return anp.roll(_array_of(x), shift, axis=axis)


def tril(x, k=0):
    return anp.tril(_array_of(x), k)


def triu(x, k=0):
    return anp.triu(_array_of(x), k)


def diff(a, n=1, axis=-1):
    return anp.diff(_array_of(a), n, axis)


# -- indexing and sorting ------------------------------------------------------------------

def _indices(indices):
    return numpy.asarray(getval(_array_of(indices))).astype(numpy.int64, copy=False)


def take(x, indices, axis=None):
    """Entries of ``x`` at integer ``indices`` along ``axis`` (the flattened ``x`` if None)."""
    return _array.take(_array_of(x), _indices(indices), axis)


def take_along_axis(x, indices, axis=None):
    """``x`` read at ``indices`` along ``axis`` (the flattened ``x`` if None), as ``numpy.take_along_axis``."""
    x = _array_of(x)
    if axis is None:
        x, axis = anp.ravel(x), 0
    indices = _indices(indices)
    indices = numpy.where(indices < 0, indices + anp.shape(x)[axis], indices)
    return _array.take_along_axis(x, indices, axis)


def sort(x, axis=-1):
    return _array.sort(_array_of(x), axis)


def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (stable), int32."""
    return numpy.argsort(getval(_array_of(x)), axis=axis, kind="stable").astype(numpy.int32)


def nonzero(x):
    return tuple(i.astype(numpy.int32) for i in numpy.nonzero(getval(_array_of(x))))


def searchsorted(sorted_sequence, values, side="left"):
    return numpy.searchsorted(getval(_array_of(sorted_sequence)), getval(_array_of(values)),
                              side=side).astype(numpy.int32)


def get_item(x, key):
    """``x[key]``; a list key is a tuple of indices, as Keras reads a key saved in a config."""
    return _array_of(x)[tuple(key) if isinstance(key, list) else key]



# -- more elementwise and array functions -------------------------------------------------

fabs = abs


def cbrt(x):
    """Cube root, of negative numbers too (autograd has no gradient for ``cbrt``)."""
    x = _floating(x)
    return anp.sign(x) * anp.abs(x) ** (1.0 / 3.0)


sinc = _unary(anp.sinc, "``sin(pi x) / (pi x)``.", floating=True)
isposinf = _unary(anp.isposinf, "Whether each entry is +inf.")
isneginf = _unary(anp.isneginf, "Whether each entry is -inf.")
signbit = _unary(anp.signbit, "Whether each entry's sign bit is set.")
real = _unary(anp.real, "The real part (the array itself: microkeras has no complex arrays).")


def deg2rad(x):
    return _floating(x) * (math.pi / 180.0)


def rad2deg(x):
    return _floating(x) * (180.0 / math.pi)


def logaddexp2(x1, x2):
    """``log2(2**x1 + 2**x2)``."""
    return anp.logaddexp(_floating(x1) * math.log(2.0), _floating(x2) * math.log(2.0)) * (1.0 / math.log(2.0))


def heaviside(x1, x2):
    """0 below 0, ``x2`` at 0, 1 above (no gradient)."""
    return numpy.heaviside(getval(_array_of(x1)), getval(_array_of(x2)))


def ptp(x, axis=None, keepdims=False):
    """``max - min`` over ``axis``."""
    return max(x, axis, keepdims) - min(x, axis, keepdims)


def vdot(x1, x2):
    """Dot product of the flattened inputs."""
    return anp.sum(anp.ravel(_array_of(x1)) * anp.ravel(_array_of(x2)))


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum of the diagonal (``x[..., i, i + offset]`` over ``axis1``, ``axis2``)."""
    return anp.sum(diagonal(x, offset, axis1, axis2), axis=-1)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal over ``axis1`` and ``axis2``, moved to the last axis (as ``numpy.diagonal``)."""
    x = anp.moveaxis(_array_of(x), (axis1, axis2), (-2, -1))
    rows, cols = anp.shape(x)[-2:]
    start_row, start_col = builtins.max(-offset, 0), builtins.max(offset, 0)
    count = builtins.max(builtins.min(rows - start_row, cols - start_col), 0)
    flat = anp.reshape(x, anp.shape(x)[:-2] + (rows * cols,))
    positions = (start_row + numpy.arange(count)) * cols + start_col + numpy.arange(count)
    return take(flat, positions, axis=-1)


def diag(x, k=0):
    """The ``k``-th diagonal of a 2-D ``x``, or a 2-D array with a 1-D ``x`` on that diagonal."""
    x = _array_of(x)
    if anp.ndim(x) == 2:
        return diagonal(x, k)
    m = anp.shape(x)[0]
    n, dtype = m + builtins.abs(k), numpy.result_type(getval(x))
    # (E_rows * x) @ E_cols puts x[j] at row j + max(-k, 0), column j + max(k, 0).
    rows = numpy.eye(n, m, -builtins.max(-k, 0), dtype=dtype)
    columns = numpy.eye(m, n, builtins.max(k, 0), dtype=dtype)
    return anp.matmul(rows * anp.reshape(x, (1, m)), columns)


def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by 90 degrees ``k`` times in the plane of ``axes``."""
    x = _array_of(array)
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, axes[0]), axes[1])
    perm = list(range(anp.ndim(x)))
    perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
    return anp.transpose(flip(x, axes[1]), perm) if k == 1 else flip(anp.transpose(x, perm), axes[1])


def dstack(xs):
    return anp.concatenate([anp.reshape(v, anp.shape(v) + (1,) * (3 - anp.ndim(v))) if anp.ndim(v) < 3 else v
                            for v in (anp.atleast_2d(_array_of(x)) for x in xs)], axis=2)


def hsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=1 if ndim(x) > 1 else 0)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=2)


def select(condlist, choicelist, default=0):
    """The entry of the first ``choicelist`` array whose condition holds, else ``default``."""
    result = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        result = where(condition, choice, result)
    return result


def slice(inputs, start_indices, shape):  # noqa: A001 -- keras.ops.slice
    """The block of ``inputs`` starting at ``start_indices`` with shape ``shape``."""
    key = tuple(builtins.slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, shape))
    return _array_of(inputs)[key]


def isin(x1, x2, assume_unique=False, invert=False):
    return numpy.isin(getval(_array_of(x1)), getval(_array_of(x2)), assume_unique=assume_unique, invert=invert)


def bincount(x, weights=None, minlength=0, sparse=False):
    """Occurrences of each non-negative integer in ``x`` (weighted sums with ``weights``); not traced."""
    counts = numpy.bincount(getval(_array_of(x)), None if weights is None else getval(_array_of(weights)),
                            minlength)
    return counts.astype(numpy.int32 if weights is None else config.floatx())


def digitize(x, bins):
    return numpy.digitize(getval(_array_of(x)), getval(_array_of(bins))).astype(numpy.int32)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return numpy.logspace(start, stop, num, endpoint, base, axis=axis).astype(standardize_dtype(dtype))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return numpy.geomspace(start, stop, num, endpoint, axis=axis).astype(standardize_dtype(dtype))


def unravel_index(indices, shape):
    return tuple(i.astype(numpy.int32) for i in numpy.unravel_index(getval(_array_of(indices)), shape))


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """Quantiles ``q`` (in [0, 1]) of ``x`` over ``axis``, interpolated linearly between sorted values.

    Traced through the sort, so the gradient reaches the entries the quantile lies between.
    """
    if method != "linear":
        raise ValueError(f"quantile: microkeras provides method='linear' only; received method={method!r}.")
    x = _floating(x)
    original_ndim = anp.ndim(x)
    if axis is None:
        flat, axis = anp.ravel(x), 0
    else:
        flat, axis = x, axis % original_ndim
    ordered = anp.moveaxis(sort(flat, axis), axis, 0)
    n = anp.shape(ordered)[0]
    q_array = numpy.asarray(q, numpy.float64)
    position = q_array.ravel() * (n - 1)
    below = numpy.floor(position).astype(numpy.int64)
    above = numpy.minimum(below + 1, n - 1)
    weight = (position - below).astype(numpy.result_type(getval(x)))
    weight = weight.reshape((-1,) + (1,) * (anp.ndim(ordered) - 1))
    values = take(ordered, below, 0) * (1.0 - weight) + take(ordered, above, 0) * weight
    rest = anp.shape(values)[1:]
    if keepdims:
        rest = (1,) * original_ndim if flat is not x else rest[:axis] + (1,) + rest[axis:]
    return anp.reshape(values, q_array.shape + rest)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """Percentiles ``q`` (in [0, 100]) of ``x`` over ``axis``."""
    return quantile(x, numpy.asarray(q, numpy.float64) / 100.0, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis, keepdims=keepdims)


# -- integers, bits and real-valued complex helpers (not differentiable) ----------------------

def _integers(x):
    return getval(_array_of(x))


def bitwise_and(x, y):
    return numpy.bitwise_and(_integers(x), _integers(y))


def bitwise_or(x, y):
    return numpy.bitwise_or(_integers(x), _integers(y))


def bitwise_xor(x, y):
    return numpy.bitwise_xor(_integers(x), _integers(y))


def bitwise_invert(x):
    return numpy.invert(_integers(x))


bitwise_not = bitwise_invert


def bitwise_left_shift(x, y):
    return numpy.left_shift(_integers(x), _integers(y))


def bitwise_right_shift(x, y):
    return numpy.right_shift(_integers(x), _integers(y))


left_shift, right_shift = bitwise_left_shift, bitwise_right_shift


def gcd(x1, x2):
    return numpy.gcd(_integers(x1), _integers(x2))


def lcm(x1, x2):
    return numpy.lcm(_integers(x1), _integers(x2))


def nextafter(x1, x2):
    """The next float after ``x1`` towards ``x2`` (not differentiable)."""
    return numpy.nextafter(_integers(x1), _integers(x2))


def fmod(x1, x2):
    """Remainder of ``x1 / x2`` with the sign of ``x1`` (C's ``fmod``)."""
    x1, x2 = _array_of(x1), _array_of(x2)
    return x1 - x2 * numpy.trunc(getval(x1) / getval(x2))


def ldexp(x1, x2):
    """``x1 * 2 ** x2``."""
    return _floating(x1) * numpy.exp2(getval(_array_of(x2))).astype(config.floatx())


def conj(x):
    """The complex conjugate: ``x`` itself (microkeras has no complex arrays)."""
    return _array_of(x)


conjugate = conj


def imag(x):
    """The imaginary part: zeros (microkeras has no complex arrays)."""
    return zeros_like(x)


def isreal(x):
    return numpy.ones(shape(x), bool)


def angle(x):
    """The complex argument of real numbers: pi where negative, else 0."""
    return numpy.where(getval(_array_of(x)) < 0, math.pi, 0.0).astype(config.floatx())


def argpartition(x, kth, axis=-1):
    return numpy.argpartition(getval(_array_of(x)), kth, axis=axis).astype(numpy.int32)


def histogram(x, bins=10, range=None):  # noqa: A002 -- Keras's argument name
    """Counts of ``x`` in ``bins`` equal bins over ``range`` (default: the data's), and the bin edges."""
    counts, edges = numpy.histogram(getval(_array_of(x)), bins, range)
    return counts.astype(config.floatx()), edges.astype(config.floatx())  # float counts, as Keras returns


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,  # noqa: A002
           axis=None, size=None, fill_value=None):
    """The distinct values of ``x`` (sorted), optionally with their first indices, inverse and counts."""
    if size is not None:
        raise ValueError("unique: `size` (a fixed output size) is not supported by microkeras.")
    results = numpy.unique(getval(_array_of(x)), return_index, return_inverse, return_counts, axis)
    if not isinstance(results, tuple):
        return results
    return (results[0],) + tuple(r.astype(numpy.int32) for r in results[1:])


def saturate_cast(x, dtype):
    """``x`` cast to ``dtype`` after clipping to the range ``dtype`` can hold."""
    target = standardize_dtype(dtype)
    info = numpy.iinfo(target) if target.kind in "iu" else numpy.finfo(target)
    return cast(clip(x, info.min, info.max), target)


# -- NaN-ignoring reductions -----------------------------------------------------------------

def _without_nan(x, fill):
    x = _floating(x)
    return _array.where(numpy.isnan(getval(x)), fill, x)


def nansum(x, axis=None, keepdims=False):
    return sum(_without_nan(x, 0.0), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    return prod(_without_nan(x, 1.0), axis, keepdims)


def nanmax(x, axis=None, keepdims=False):
    return max(_without_nan(x, -numpy.inf), axis, keepdims)


def nanmin(x, axis=None, keepdims=False):
    return min(_without_nan(x, numpy.inf), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    count = anp.sum(~numpy.isnan(getval(_floating(x))), axis=axis, keepdims=keepdims)
    return nansum(x, axis, keepdims) / count.astype(config.floatx())


def nanvar(x, axis=None, keepdims=False):
    x = _floating(x)
    centered = x - nanmean(x, axis, keepdims=True)
    return nanmean(centered * centered, axis, keepdims)


def nanstd(x, axis=None, keepdims=False):
    return anp.sqrt(nanvar(x, axis, keepdims))


def nancumsum(x, axis=None, dtype=None):
    return cumsum(_without_nan(x, 0.0), axis, dtype)


def nanargmax(x, axis=None, keepdims=False):
    return numpy.nanargmax(getval(_array_of(x)), axis=axis, keepdims=keepdims).astype(numpy.int32)


def nanargmin(x, axis=None, keepdims=False):
    return numpy.nanargmin(getval(_array_of(x)), axis=axis, keepdims=keepdims).astype(numpy.int32)


# -- more array functions ------------------------------------------------------------------

def diagflat(x, k=0):
    """A 2-D array with the flattened ``x`` on its ``k``-th diagonal."""
    return diag(ravel(x), k)


def vander(x, N=None, increasing=False):  # noqa: N803 -- Keras's argument name
    """Columns of powers of the 1-D ``x`` (decreasing unless ``increasing``)."""
    x = _floating(x)
    n = anp.shape(x)[0] if N is None else N
    powers = numpy.arange(n) if increasing else numpy.arange(n - 1, -1, -1)
    return anp.reshape(x, (-1, 1)) ** powers.astype(config.floatx())


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule (samples at ``x``, or ``dx`` apart)."""
    y = _floating(y)
    y = anp.moveaxis(y, axis, -1)
    widths = dx if x is None else anp.diff(_floating(x))
    return anp.sum((y[..., 1:] + y[..., :-1]) * widths, axis=-1) * 0.5


def corrcoef(x):
    """Pearson correlation coefficients between the rows of ``x``."""
    x = _floating(x)
    centered = x - mean(x, axis=1, keepdims=True)
    covariance = anp.matmul(centered, anp.transpose(centered))
    scale = anp.sqrt(diagonal(covariance))
    return covariance / (anp.reshape(scale, (-1, 1)) * anp.reshape(scale, (1, -1)))


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Sums of ``data``'s rows grouped by ``segment_ids`` (``num_segments`` defaults to the largest id + 1)."""
    ids = _indices(segment_ids)
    count = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    return _array.segment_sum(_array_of(data), ids, count)


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Maxima of ``data``'s rows grouped by ``segment_ids``; empty segments give ``-inf``."""
    ids = _indices(segment_ids)
    count = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    return _array.segment_max(_array_of(data), ids, count)


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Minima of ``data``'s rows grouped by ``segment_ids``; empty segments give ``inf``."""
    return -segment_max(-_array_of(data), segment_ids, num_segments, sorted)


# -- writing into arrays: each returns a new array, traced through both the array and the new values ----------

def scatter(indices, values, shape):
    """Zeros of ``shape`` with ``values`` added at ``indices`` (rows of leading coordinates; repeats add up)."""
    return _array.scatter(_floating(values), _indices(indices), tuple(shape))


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with the entries (or trailing slices) at ``indices`` replaced by ``updates``."""
    if reduction is not None:
        raise ValueError(f"scatter_update: only reduction=None is supported; received reduction={reduction!r}.")
    return _array.scatter_update(_array_of(inputs), _indices(indices), _array_of(updates))


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block starting at ``start_indices`` replaced by ``updates``."""
    starts = tuple(int(i) for i in numpy.asarray(getval(_array_of(start_indices))).ravel())
    return _array.slice_update(_array_of(inputs), starts, _array_of(updates))


# -- signal windows ------------------------------------------------------------------------

def bartlett(x):
    """The Bartlett (triangular) window of ``x`` points."""
    return numpy.bartlett(int(getval(x))).astype(config.floatx())


def blackman(x):
    """The Blackman window of ``x`` points."""
    return numpy.blackman(int(getval(x))).astype(config.floatx())


def hamming(x):
    """The Hamming window of ``x`` points."""
    return numpy.hamming(int(getval(x))).astype(config.floatx())


def hanning(x):
    """The Hann window of ``x`` points."""
    return numpy.hanning(int(getval(x))).astype(config.floatx())


def kaiser(x, beta):
    """The Kaiser window of ``x`` points with shape ``beta``."""
    return numpy.kaiser(int(getval(x)), beta).astype(config.floatx())


def i0(x):
    """The modified Bessel function of the first kind, order 0 (not differentiable)."""
    return numpy.i0(getval(_floating(x))).astype(config.floatx())


def cumprod(x, axis=None, dtype=None):
    """Running products along ``axis`` (of the flattened ``x`` if None)."""
    x = _array_of(x)
    if dtype is not None:
        x = cast(x, dtype)
    if axis is None:
        x, axis = anp.ravel(x), 0
    return _array.cumprod(x, axis % anp.ndim(x))


def nancumprod(x, axis=None, dtype=None):
    """Running products along ``axis`` with NaNs counted as 1."""
    return cumprod(_without_nan(x, 1.0), axis, dtype)


__all__ = ["abs", "absolute", "add", "all", "allclose", "amax", "amin", "angle", "any", "append", "arange",
           "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "argmax", "argmin",
           "argpartition", "argsort", "array", "array_split", "average", "bartlett", "bincount", "bitwise_and",
           "bitwise_invert", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift",
           "bitwise_xor", "blackman", "broadcast_to", "cast", "cbrt", "ceil", "clip", "concatenate", "conj",
           "conjugate", "convert_to_numpy", "convert_to_tensor", "copy", "corrcoef", "cos", "cosh",
           "count_nonzero", "cross", "cumprod", "cumsum", "deg2rad", "diag", "diagflat", "diagonal", "diff",
           "digitize", "divide", "divide_no_nan", "dot", "dsplit", "dstack", "dtype", "einsum", "empty",
           "empty_like", "equal", "exp", "exp2", "expand_dims", "expm1", "eye", "fabs", "flip", "fliplr",
           "flipud", "floor", "floor_divide", "fmax", "fmin", "fmod", "full", "full_like", "gcd", "geomspace",
           "get_item", "greater", "greater_equal", "hamming", "hanning", "heaviside", "histogram", "hsplit",
           "hstack", "hypot", "i0", "identity", "imag", "inner", "is_tensor", "isclose", "isfinite", "isin",
           "isinf", "isnan", "isneginf", "isposinf", "isreal", "kaiser", "kron", "lcm", "ldexp", "left_shift",
           "less", "less_equal", "linspace", "log", "log10", "log1p", "log2", "logaddexp", "logaddexp2",
           "logical_and", "logical_not", "logical_or", "logical_xor", "logspace", "matmul", "max", "maximum",
           "mean", "median", "meshgrid", "min", "minimum", "mod", "moveaxis", "multiply", "nan_to_num",
           "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean", "nanmin", "nanprod",
           "nanstd", "nansum", "nanvar", "ndim", "negative", "nextafter", "nonzero", "norm", "not_equal",
           "ones", "ones_like", "outer", "pad", "percentile", "power", "prod", "ptp", "quantile", "rad2deg",
           "ravel", "real", "reciprocal", "repeat", "reshape", "right_shift", "roll", "rot90", "round", "rsqrt",
           "saturate_cast", "scatter", "scatter_update", "searchsorted", "segment_max", "segment_min",
           "segment_sum", "select", "shape", "sign", "signbit", "sin", "sinc", "sinh", "size", "slice",
           "slice_update", "sort", "split", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum",
           "swapaxes", "take", "take_along_axis", "tan", "tanh", "tensordot", "tile", "trace", "transpose",
           "trapezoid", "tri", "tril", "triu", "true_divide", "trunc", "unique", "unravel_index", "vander",
           "var", "vdot", "vsplit", "vstack", "where", "zeros", "zeros_like"]
