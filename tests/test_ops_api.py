"""keras.ops: Keras 3's names and conventions, float32 gradients, the hand-written VJPs, and Keras's numbers."""

import os
import pathlib
import re

import autograd
import autograd.numpy as anp
import numpy
import pytest

import microkeras as keras
from microkeras import ops
from microkeras.ops import array_primitives
from microkeras.testing import assert_float32_backward, check_gradient, check_layer

# dir(keras.ops) of Keras 3.15.1, without its submodules (image, linalg, nn, numpy).
KERAS_OPS = """
    abs absolute adaptive_average_pool adaptive_max_pool add all allclose amax amin angle any append
    arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort array
    array_split associative_scan average average_pool bartlett batch_normalization binary_crossentropy
    bincount bitwise_and bitwise_invert bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift
    bitwise_xor blackman broadcast_to cast categorical_crossentropy cbrt cdist ceil celu cholesky
    cholesky_inverse clip concatenate cond conj conjugate conv conv_transpose convert_to_numpy
    convert_to_tensor copy corrcoef correlate cos cosh count_nonzero cross ctc_decode ctc_loss cumprod
    cumsum custom_gradient deg2rad depth_to_space depthwise_conv det diag diagflat diagonal diff
    digitize divide divide_no_nan dot dot_product_attention dsplit dstack dtype eig eigh einsum elu
    empty empty_like equal erf erfc erfinv exp exp2 expand_dims expm1 extract_sequences eye fabs fft
    fft2 flip fliplr flipud floor floor_divide fmax fmin fmod fold fori_loop full full_like gcd gelu
    geomspace get_item glu greater greater_equal hamming hanning hard_shrink hard_sigmoid hard_silu
    hard_swish hard_tanh heaviside histogram hsplit hstack hypot i0 identity ifft2 imag in_top_k inner
    inv irfft is_tensor isclose isfinite isin isinf isnan isneginf isposinf isreal istft jvp kaiser kron
    layer_normalization lcm ldexp leaky_relu left_shift less less_equal linspace log log10 log1p log2
    log_sigmoid log_softmax logaddexp logaddexp2 logdet logical_and logical_not logical_or logical_xor
    logspace logsumexp lstsq lu_factor map matmul matrix_rank max max_pool maximum mean median meshgrid
    min minimum mod moments moveaxis multi_hot multiply nan_to_num nanargmax nanargmin nancumprod
    nancumsum nanmax nanmean nanmedian nanmin nanpercentile nanprod nanquantile nanstd nansum nanvar
    ndim negative nextafter nonzero norm normalize not_equal one_hot ones ones_like outer pad percentile
    pinv polar power prod psnr ptp qr quantile rad2deg ravel real rearrange reciprocal relu relu6 repeat
    reshape rfft right_shift rms_normalization roll rot90 round rsqrt saturate_cast scan scatter
    scatter_update searchsorted segment_max segment_min segment_prod segment_sum select selu
    separable_conv shape sigmoid sign signbit silu sin sinc sinh size slice slice_update slogdet
    soft_shrink softmax softplus softsign solve solve_triangular sort space_to_depth
    sparse_categorical_crossentropy sparse_plus sparse_sigmoid sparsemax split sqrt square squareplus
    squeeze stack std stft stop_gradient subtract sum svd swapaxes swish switch take take_along_axis tan
    tanh tanh_shrink tensordot threshold tile top_k trace transpose trapezoid tri tril triu true_divide
    trunc unfold unique unravel_index unstack vander var vdot vectorize vectorized_map view
    view_as_complex view_as_real vsplit vstack where while_loop zeros zeros_like
""".split()

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "ops.md"
RNG = numpy.random.default_rng(0)
X = RNG.normal(size=(3, 4)).astype(numpy.float32)
Y = RNG.normal(size=(3, 4)).astype(numpy.float32)
ONE_HOT = numpy.eye(4, dtype=numpy.float32)[[0, 1, 3]]


def test_the_names_keras_has_and_microkeras_lacks_are_the_ones_docs_ops_md_lists():
    missing = {name for name in KERAS_OPS if not hasattr(ops, name)}
    section = DOCS.read_text().split("## Not provided", 1)[1]
    table = [line for line in section.splitlines() if line.startswith("|")]
    listed = set(re.findall(r"`(\w+)`", "\n".join(table)))
    assert missing == listed
    assert len(KERAS_OPS) - len(missing) >= 290


@pytest.mark.parametrize("name", ["matmul", "dot", "einsum", "add", "subtract", "multiply", "divide", "sum", "mean",
                                  "max", "min", "std", "var", "prod", "exp", "log", "log1p", "sqrt", "square", "abs",
                                  "clip", "where", "maximum", "minimum", "reshape", "transpose", "expand_dims",
                                  "squeeze", "concatenate", "stack", "split", "take", "take_along_axis", "one_hot",
                                  "argmax", "argmin", "cast", "convert_to_tensor", "convert_to_numpy", "shape",
                                  "zeros", "ones", "zeros_like", "ones_like", "full", "arange", "linspace", "eye",
                                  "stop_gradient", "norm", "cumsum", "sort", "argsort", "tile", "repeat", "pad",
                                  "flip", "roll", "tril", "triu", "logical_and", "logical_or", "logical_not",
                                  "logical_xor", "equal", "not_equal", "greater", "less", "sign", "round", "floor",
                                  "ceil", "power", "cond", "fori_loop", "scan", "relu", "relu6", "sigmoid",
                                  "hard_sigmoid", "softmax", "log_softmax", "gelu", "silu", "swish", "softplus",
                                  "softsign", "elu", "selu", "leaky_relu", "tanh", "conv", "depthwise_conv",
                                  "conv_transpose", "max_pool", "average_pool", "moments", "batch_normalization",
                                  "categorical_crossentropy", "sparse_categorical_crossentropy",
                                  "binary_crossentropy"])
def test_the_ops_custom_code_needs_exist(name):
    assert callable(getattr(ops, name))


# -- the primitives: float64 finite differences and float32 cotangents ------------------------

PRIMITIVE_CASES = {
    "where": lambda v: array_primitives.where(X > 0, v, 2.0 * v[:1]),
    "maximum": lambda v: array_primitives.maximum(v, v[:1] * 0.5),
    "minimum": lambda v: array_primitives.minimum(0.1, v),
    "take": lambda v: ops.take(v, numpy.array([[0, 2], [-1, 2]]), axis=1),
    "take_flat": lambda v: ops.take(v, numpy.array([5, 1, 5])),
    "take_along_axis": lambda v: ops.take_along_axis(v, numpy.array([[0, 0, 1, 2], [2, 1, 1, 0]]), axis=0),
    "sort": lambda v: ops.sort(v, axis=0),
    "flip": lambda v: ops.flip(v, 1),
    "pad_constant": lambda v: ops.pad(v, ((1, 2), (0, 1)), constant_values=3.0),
    "pad_reflect": lambda v: ops.pad(v, ((1, 1), (2, 2)), mode="reflect"),
    "pad_wrap": lambda v: ops.pad(v, ((2, 0), (1, 3)), mode="wrap"),
    "broadcast_to": lambda v: ops.broadcast_to(v[:, :1], (2, 3, 4)),
    "astype": lambda v: array_primitives.astype(v, v.dtype) * v,
    "scatter": lambda v: ops.scatter(numpy.array([[0, 1], [0, 1], [2, 3]]), v[0, :3], (3, 4)) * v,
    "scatter_update": lambda v: ops.scatter_update(v, numpy.array([[0, 1], [2, 2]]), v[1, :2] * 3.0),
    "scatter_update_rows": lambda v: ops.scatter_update(v, numpy.array([[1]]), v[:1] * 2.0),
    "slice_update": lambda v: ops.slice_update(v, (1, 1), v[:2, :2] * v[:2, 2:]),
    "segment_sum": lambda v: ops.segment_sum(v, numpy.array([0, 2, 0]), 3),
    "segment_max": lambda v: ops.segment_max(v, numpy.array([0, 1, 0])),
    "cumprod": lambda v: ops.cumprod(v, axis=1),
    "cumprod_with_zero": lambda v: ops.cumprod(ops.slice_update(v, (0, 1), numpy.zeros((3, 1))), axis=1),
    "cumprod_flat": lambda v: ops.cumprod(v[:2]),
}


@pytest.mark.parametrize("case", PRIMITIVE_CASES, ids=str)
def test_primitive_gradient_matches_finite_differences(case):
    check_gradient(PRIMITIVE_CASES[case], X.astype(numpy.float64))


@pytest.mark.parametrize("case", PRIMITIVE_CASES, ids=str)
def test_primitive_cotangents_stay_float32(case):
    assert_float32_backward(lambda v: anp.sum(PRIMITIVE_CASES[case](v) * 1.5), X)


def test_ties_share_the_gradient_of_maximum_and_minimum_half_and_half():
    grad = autograd.grad(lambda v: anp.sum(ops.maximum(v, 1.0)))(numpy.array([0.0, 1.0, 2.0], numpy.float32))
    numpy.testing.assert_array_equal(grad, [0.0, 0.5, 1.0])


def test_repeated_indices_add_up_in_take_gradients():
    grad = autograd.grad(lambda v: anp.sum(ops.take(v, numpy.array([1, 1, -3]))))(numpy.zeros(3, numpy.float32))
    numpy.testing.assert_array_equal(grad, [1.0, 2.0, 0.0])


def test_primitives_agree_with_numpy():
    numpy.testing.assert_array_equal(ops.take(X, [[0, 2]], axis=1), numpy.take(X, [[0, 2]], axis=1))
    numpy.testing.assert_array_equal(ops.sort(X, axis=0), numpy.sort(X, axis=0))
    numpy.testing.assert_array_equal(ops.pad(X, ((1, 0), (0, 2)), mode="symmetric"),
                                     numpy.pad(X, ((1, 0), (0, 2)), mode="symmetric"))
    numpy.testing.assert_array_equal(ops.where(X > 0, X, Y), numpy.where(X > 0, X, Y))


# -- float32 through every traced op --------------------------------------------------------

FLOAT32_CASES = {
    "mean_axis": lambda v: ops.mean(v, axis=1), "mean": ops.mean, "var": lambda v: ops.var(v, axis=0),
    "std": ops.std, "max": lambda v: ops.max(v, axis=1), "min": lambda v: ops.min(v, axis=0, keepdims=True),
    "norm": lambda v: ops.norm(v, axis=1), "norm_inf": lambda v: ops.norm(v, ord=numpy.inf), "log2": lambda v:
    ops.log2(ops.abs(v) + 1.0), "where": lambda v: ops.where(v > 0, v, 0.1 * v), "divide_no_nan":
    lambda v: ops.divide_no_nan(v, ops.round(v)), "cumsum": lambda v: ops.cumsum(v, axis=1), "median":
    lambda v: ops.median(v, axis=0), "logsumexp": lambda v: ops.logsumexp(v, axis=1), "log_softmax": ops.log_softmax,
    "gelu": ops.gelu, "elu": ops.elu, "selu": ops.selu, "leaky_relu": ops.leaky_relu, "softplus": ops.softplus,
    "silu": ops.silu, "hard_sigmoid": ops.hard_sigmoid, "celu": ops.celu, "sparse_plus": ops.sparse_plus,
    "moments": lambda v: ops.moments(v, axes=[0])[1], "layer_normalization": ops.layer_normalization,
    "rms_normalization": ops.rms_normalization, "normalize": ops.normalize,
    "batch_normalization": lambda v: ops.batch_normalization(v, ops.mean(v, 0), ops.var(v, 0), axis=1,
                                                             scale=numpy.full(4, 2.0, numpy.float32)),
    "categorical_crossentropy": lambda v: ops.categorical_crossentropy(ONE_HOT, v, from_logits=True),
    "sparse_categorical_crossentropy":
        lambda v: ops.sparse_categorical_crossentropy(numpy.array([0, 1, 3]), ops.softmax(v)),
    "binary_crossentropy": lambda v: ops.binary_crossentropy(ONE_HOT, ops.sigmoid(v)),
    "top_k": lambda v: ops.top_k(v, 2)[0], "cast": lambda v: ops.cast(v, "float16"),
    "scan": lambda v: ops.scan(lambda carry, row: (carry + row, carry * row), ops.zeros(4), v)[1],
    "fori_loop": lambda v: ops.fori_loop(0, 3, lambda i, value: value * v, ops.ones_like(v)),
    "while_loop": lambda v: ops.while_loop(lambda a, n: n < 2, lambda a, n: (a * a, n + 1), (v, 0))[0],
}


@pytest.mark.parametrize("case", FLOAT32_CASES, ids=str)
def test_traced_ops_are_float32_forward_and_backward(case):
    out = FLOAT32_CASES[case](X)
    assert numpy.asarray(out).dtype in (numpy.float32, numpy.float16)
    assert_float32_backward(lambda v: anp.sum(ops.cast(FLOAT32_CASES[case](v), "float32")), X)


# -- Keras's conventions --------------------------------------------------------------------

def test_dtypes_follow_keras():
    assert ops.convert_to_tensor(1.5).dtype == numpy.float32
    assert ops.convert_to_tensor([1, 2]).dtype == numpy.int32
    assert ops.convert_to_tensor(numpy.ones(2)).dtype == numpy.float32
    assert ops.zeros((2,)).dtype == ops.ones((2,)).dtype == ops.eye(2).dtype == numpy.float32
    assert ops.arange(3).dtype == numpy.int32 and ops.arange(0.0, 1.0, 0.5).dtype == numpy.float32
    assert ops.argmax(X, axis=1).dtype == ops.argsort(X).dtype == numpy.int32
    assert ops.divide(numpy.array([1, 2]), 2).dtype == numpy.float32
    assert ops.mean(numpy.array([1, 2])).dtype == numpy.float32
    assert ops.one_hot(numpy.array([0, 3]), 4).dtype == numpy.float32
    assert ops.shape(X) == (3, 4) and ops.dtype(X) == "float32"


def test_reductions_take_axis_tuples_and_keepdims():
    x = RNG.normal(size=(2, 3, 4)).astype(numpy.float32)
    for name in ("sum", "mean", "max", "min", "std", "var", "prod"):
        numpy.testing.assert_allclose(getattr(ops, name)(x, axis=(0, 2), keepdims=True),
                                      getattr(numpy, name)(x, axis=(0, 2), keepdims=True), rtol=1e-5)


def test_expand_dims_takes_a_tuple_and_one_hot_an_axis():
    assert ops.expand_dims(X, (0, 3)).shape == (1, 3, 4, 1)
    numpy.testing.assert_array_equal(ops.one_hot(numpy.array([2, -1]), 3, axis=0), [[0, 0], [0, 0], [1, 0]])


def test_variables_are_accepted_everywhere():
    v = keras.Variable(X)
    numpy.testing.assert_allclose(ops.sum(ops.matmul(v, ops.transpose(v))), (X @ X.T).sum(), rtol=1e-5)
    assert ops.take(v, [0], axis=0).shape == (1, 4)


def test_control_flow():
    assert ops.cond(ops.greater(2, 1), lambda: "yes", lambda: "no") == "yes"
    assert ops.switch(5, [lambda x: x, lambda x: -x], 3) == -3  # the index is clamped
    final, ys = ops.scan(lambda c, x: (c + x, c), 0.0, numpy.arange(4.0))
    assert final == 6.0 and list(ys) == [0.0, 0.0, 1.0, 3.0]
    assert ops.while_loop(lambda i: i < 10, lambda i: i + 3, 0) == 12
    assert ops.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (0, 1)) == (3, 8)
    numpy.testing.assert_array_equal(ops.map(lambda r: r * 2, X), X * 2)


class ScaledSoftmax(keras.layers.Layer):
    """A custom layer written only with keras.ops, as a Keras user would write it."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs):
        z = ops.multiply(inputs, self.scale)
        z = ops.where(ops.greater(z, 0.0), z, ops.multiply(z, 0.1))
        return ops.softmax(z - ops.max(z, axis=-1, keepdims=True))


def test_a_custom_layer_written_with_keras_ops_passes_check_layer():
    check_layer(ScaledSoftmax(), (2, 5))


# -- Keras's numbers ------------------------------------------------------------------------

PARITY = [
    ("mean", (X,), {"axis": 1}), ("std", (X,), {}), ("var", (X,), {"axis": 0, "keepdims": True}),
    ("norm", (X,), {"axis": 1}), ("logsumexp", (X,), {"axis": 1}), ("log_softmax", (X,), {}),
    ("gelu", (X,), {}), ("elu", (X,), {}), ("selu", (X,), {}), ("softplus", (X,), {}), ("silu", (X,), {}),
    ("hard_sigmoid", (X,), {}), ("leaky_relu", (X,), {}), ("relu6", (X * 4,), {}), ("celu", (X,), {}),
    ("take", (X, numpy.array([[0, 3], [1, 1]])), {"axis": 1}),
    ("take_along_axis", (X, numpy.argsort(X, 1)), {"axis": 1}),
    ("sort", (X,), {"axis": 0}), ("cumsum", (X,), {"axis": 1}), ("pad", (X, ((1, 0), (2, 1))), {}),
    ("flip", (X,), {"axis": 0}), ("roll", (X, 1), {"axis": 1}), ("tril", (X,), {}),
    ("one_hot", (numpy.array([0, 2, 5]), 4), {}),
    ("moments", (X, [0]), {}), ("categorical_crossentropy", (ONE_HOT, X), {"from_logits": True}),
    ("sparse_categorical_crossentropy", (numpy.array([0, 1, 3]), X), {"from_logits": True}),
    ("binary_crossentropy", (ONE_HOT, X), {"from_logits": True}), ("top_k", (X, 2), {}),
    ("median", (X,), {"axis": 1}), ("quantile", (X, [0.25, 0.9]), {"axis": 0}), ("layer_normalization", (X,), {}),
    ("rms_normalization", (X,), {}), ("einsum", ("ij,kj->ik", X, Y), {}), ("divide_no_nan", (X, numpy.round(Y)), {}),
    ("maximum", (X, Y), {}), ("where", (X > 0, X, Y), {}), ("argmax", (X,), {"axis": 1}),
    ("depth_to_space", (X.reshape(1, 1, 3, 4), 2), {}),
    ("space_to_depth", (X.reshape(1, 2, 6, 1), 2), {}), ("corrcoef", (X,), {}), ("trapezoid", (X,), {}),
    ("vander", (X[0],), {}), ("det", (X[:, :3],), {}), ("inv", (X[:, :3],), {}), ("slogdet", (X[:, :3],), {}),
    ("solve", (X[:, :3], Y), {}), ("segment_sum", (X, numpy.array([0, 2, 0])), {"num_segments": 3}),
    ("segment_max", (X, numpy.array([0, 1, 0])), {"num_segments": 2}),
    ("scatter", (numpy.array([[0, 1], [0, 1], [1, 0]]), X[0, :3], (2, 2)), {}),
    ("scatter_update", (X, numpy.array([[0, 1], [2, 2]]), Y[0, :2]), {}),
    ("slice_update", (X, (1, 1), Y[:2, :2]), {}), ("nanmean", (numpy.where(X > 1, numpy.nan, X),), {"axis": 0}),
    ("quantile", (X, 0.3), {}), ("diag", (X,), {"k": 1}), ("trace", (X,), {}), ("rot90", (X,), {}),
    ("fmod", (X, numpy.float32(0.3)), {}), ("rms_normalization", (X,), {"axis": 0}), ("celu", (X,), {}),
    ("glu", (X,), {}), ("squareplus", (X,), {}), ("sparse_plus", (X,), {}), ("soft_shrink", (X,), {}),
    ("log_sigmoid", (X,), {}), ("normalize", (X,), {}), ("logaddexp", (X, Y), {}), ("hard_silu", (X,), {}),
    ("histogram", (X[0],), {"bins": 4}), ("cumprod", (X,), {"axis": 0}), ("bincount", (numpy.array([0, 3, 3, 1]),), {}),
]


def test_sparsemax_projects_onto_the_simplex():
    # tau = (sum of the k largest - 1) / k, with k the largest count such that 1 + k z_(k) > sum of the k largest.
    # (Keras 3.15 sums the running sums instead, so its rows need not add up to 1 when two or more entries stay.)
    x = numpy.array([[2.0, 2.1, -1.0, 0.0], [0.1, 0.2, 1.5, 0.3]], numpy.float32)
    numpy.testing.assert_allclose(ops.sparsemax(x), [[0.45, 0.55, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]], atol=1e-6)
    numpy.testing.assert_allclose(ops.sum(ops.sparsemax(X * 0.3), axis=-1), numpy.ones(3), rtol=1e-6)


def test_attention_matches_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    q, k, v = (RNG.normal(size=(2, 5, 4, 3)).astype(numpy.float32) for _ in range(3))
    mask = RNG.random((2, 1, 5, 5)) > 0.3
    for kwargs in ({}, {"is_causal": True}, {"mask": mask, "scale": 0.2}, {"bias": q[:, :, :, :1] * 0.0 + 1.0}):
        if "bias" in kwargs:
            kwargs = {"bias": RNG.normal(size=(2, 4, 5, 5)).astype(numpy.float32)}
        numpy.testing.assert_allclose(ops.dot_product_attention(q, k, v, **kwargs),
                                      real.ops.dot_product_attention(q, k, v, **kwargs), rtol=1e-5, atol=1e-6)
    grouped = real.ops.dot_product_attention(q, k[:, :, :2], v[:, :, :2])  # 2 key/value heads for 4 query heads
    numpy.testing.assert_allclose(ops.dot_product_attention(q, k[:, :, :2], v[:, :, :2]), grouped, rtol=1e-5,
                                  atol=1e-6)


@pytest.mark.parametrize("name, args, kwargs", PARITY, ids=[case[0] for case in PARITY])
def test_values_match_keras(name, args, kwargs):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    mine, theirs = getattr(ops, name)(*args, **kwargs), getattr(real.ops, name)(*args, **kwargs)
    mine = mine if isinstance(mine, (tuple, list)) else (mine,)
    theirs = theirs if isinstance(theirs, (tuple, list)) else (theirs,)
    for a, b in zip(mine, theirs):
        b = real.ops.convert_to_numpy(b)
        assert numpy.asarray(a).dtype == b.dtype
        numpy.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


# autograd primitives show autograd's (*args) signature; they take Keras's arguments by position and keyword.
PRIMITIVE_SIGNATURES = {"erf", "relu", "sigmoid", "softmax", "tanh", "stop_gradient", "stack"}


def test_argument_names_match_keras():
    import inspect

    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")

    def names(function):
        return [p.name for p in inspect.signature(function).parameters.values() if p.kind != p.VAR_KEYWORD]

    differ = []
    for theirs_module, mine_module in ((real.ops, ops), (real.random, keras.random),
                                       (real.optimizers.schedules, keras.optimizers.schedules)):
        for name in dir(theirs_module):
            theirs, mine = getattr(theirs_module, name), getattr(mine_module, name, None)
            if name.startswith("_") or mine is None or name in PRIMITIVE_SIGNATURES or not callable(theirs):
                continue
            if isinstance(theirs, type):
                theirs, mine = theirs.__init__, mine.__init__
            if names(theirs) != names(mine):
                differ.append((name, names(theirs), names(mine)))
    assert differ == []


@ops.custom_gradient
def log1pexp(x):
    # The example of Keras's custom_gradient docs: d/dx log(1 + e^x) = 1 - 1 / (1 + e^x).
    e = ops.exp(x)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

    return ops.log(1 + e), grad


@ops.custom_gradient
def scaled_product(x, y):
    def grad(upstream):
        return upstream * y * 2.0, upstream * x * 2.0  # twice the true gradient, to see it is used

    return x * y, grad


def test_custom_gradient_is_used_and_stays_float32():
    check_gradient(log1pexp, X.astype(numpy.float64))
    assert_float32_backward(lambda v: anp.sum(log1pexp(v)), X)
    gx, gy = autograd.grad(lambda a, b: anp.sum(scaled_product(a, b)), argnum=(0, 1))(X, Y)
    numpy.testing.assert_allclose(gx, 2 * Y)
    numpy.testing.assert_allclose(gy, 2 * X)
    numpy.testing.assert_allclose(log1pexp(X), numpy.log1p(numpy.exp(X)), rtol=1e-6)
