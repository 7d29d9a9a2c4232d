"""The convolution ops: outputs against loops over output pixels, gradients against finite differences, float32.

The references below are written from Keras's documented arithmetic, not from
``microkeras.ops.convolution``: per spatial dimension, with ``span = d * (k - 1) + 1``,
``valid`` gives ``floor((n - span) / s) + 1`` outputs and no padding, ``same``
gives ``ceil(n / s)`` outputs with ``max((out - 1) * s + span - n, 0)`` zeros,
the smaller half first, and ``causal`` pads ``span - 1`` zeros on the left.
A transposed convolution is computed as Keras's JAX backend defines it: the
input spread out by the stride, padded, and correlated with the kernel flipped.
"""

import itertools
import re

import autograd.numpy as anp
import numpy
import pytest

from microkeras import ops
from microkeras.ops.convolution import conv_padding
from microkeras.testing import assert_float32_backward, check_gradient


# ------------------------------------------------------------------ references
def keras_padding(n, k, s, d, padding):
    """``(before, out)`` for one spatial dimension, by Keras's formulas."""
    span = d * (k - 1) + 1
    if padding == "valid":
        return 0, (n - span) // s + 1
    if padding == "causal":
        return span - 1, (n - 1) // s + 1
    out = -(-n // s)
    return max((out - 1) * s + span - n, 0) // 2, out


def reference_conv(x, kernel, strides, padding, dilation):
    """Grouped cross-correlation, one output pixel at a time (float64)."""
    rank = x.ndim - 2
    sizes, kernel_size = x.shape[1:-1], kernel.shape[:rank]
    per_group, filters = kernel.shape[-2], kernel.shape[-1]
    per_group_filters = filters // (x.shape[-1] // per_group)
    geometry = [keras_padding(n, k, s, d, padding) for n, k, s, d in zip(sizes, kernel_size, strides, dilation)]
    out = numpy.zeros((x.shape[0],) + tuple(o for _, o in geometry) + (filters,))
    for position in itertools.product(*(range(o) for _, o in geometry)):
        for f in range(filters):
            group = f // per_group_filters
            channels = slice(group * per_group, (group + 1) * per_group)
            total = numpy.zeros(x.shape[0])
            for offset in itertools.product(*(range(k) for k in kernel_size)):
                where = [p * s + j * d - before for p, j, s, d, (before, _)
                         in zip(position, offset, strides, dilation, geometry)]
                if all(0 <= w < n for w, n in zip(where, sizes)):  # outside: a padding zero
                    total += x[(slice(None), *where, channels)] @ kernel[offset + (slice(None), f)]
            out[(slice(None), *position, f)] = total
    return out


def reference_depthwise_conv(x, kernel, strides, padding, dilation):
    """Each channel ``c`` convolved alone with ``kernel[..., c, m]`` into output channel ``c * M + m``."""
    channels, multiplier = kernel.shape[-2:]
    outputs = [reference_conv(x[..., c:c + 1], kernel[..., c:c + 1, m:m + 1], strides, padding, dilation)
               for c in range(channels) for m in range(multiplier)]
    return numpy.concatenate(outputs, axis=-1)


def keras_transpose_padding(n, k, s, d, padding, output_padding):
    """``(before, after, length)``: the padding Keras's JAX backend gives the stride-dilated input, and the length."""
    span = d * (k - 1) + 1
    if padding == "valid":
        extra = max(span, s) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra, (n - 1) * s + span + extra
    if output_padding is None:
        total, length = s + span - 2, n * s
    else:
        total, length = span + span % 2 - 2 + output_padding, (n - 1) * s + span % 2 + output_padding
    before = min(total // 2 + total % 2, span - 1)
    return before, total - before, length


def reference_conv_transpose(x, kernel, strides, padding, output_padding, dilation):
    """Spread the input by the stride, pad it, then correlate with the flipped kernel, one output pixel at a time."""
    rank = x.ndim - 2
    kernel_size = kernel.shape[:rank]
    extras = [None] * rank if output_padding is None else output_padding
    pads = [keras_transpose_padding(n, k, s, d, padding, e)
            for n, k, s, d, e in zip(x.shape[1:-1], kernel_size, strides, dilation, extras)]
    spread = numpy.zeros((x.shape[0],) + tuple((n - 1) * s + 1 + before + after for n, s, (before, after, _)
                                               in zip(x.shape[1:-1], strides, pads)) + (x.shape[-1],))
    spread[(slice(None),) + tuple(slice(before, before + (n - 1) * s + 1, s) for n, s, (before, _, _)
                                  in zip(x.shape[1:-1], strides, pads))] = x
    flipped = numpy.swapaxes(kernel[tuple(slice(None, None, -1) for _ in range(rank))], -1, -2)
    out = reference_conv(spread, flipped, (1,) * rank, "valid", dilation)
    assert out.shape[1:-1] == tuple(length for _, _, length in pads)
    return out


# ------------------------------------------------------------------------ conv
# (input shape, kernel size, kernel input channels, filters, strides, padding, dilation)
CONV_CASES = [
    ((2, 7, 3), (3,), 3, 4, (1,), "valid", (1,)),
    ((2, 9, 2), (4,), 2, 3, (2,), "same", (1,)),
    ((2, 8, 2), (3,), 2, 3, (1,), "causal", (2,)),
    ((2, 8, 4), (2,), 2, 4, (3,), "causal", (1,)),
    ((2, 6, 5, 3), (3, 3), 3, 4, (1, 1), "valid", (1, 1)),
    ((2, 7, 6, 2), (4, 3), 2, 3, (2, 2), "same", (1, 1)),
    ((2, 7, 7, 2), (3, 2), 2, 2, (1, 1), "same", (2, 3)),
    ((1, 8, 7, 4), (3, 3), 2, 6, (2, 1), "valid", (1, 1)),  # 2 groups
    ((2, 5, 5, 4), (2, 2), 1, 4, (1, 1), "same", (1, 1)),  # 4 groups of one channel
    ((2, 4, 5, 3), (1, 1), 3, 2, (1, 1), "valid", (1, 1)),  # pointwise
    ((1, 4, 5, 4, 2), (2, 3, 2), 2, 2, (1, 2, 1), "same", (1, 1, 1)),  # 3D
    ((2, 8, 7, 1), (3, 2), 1, 3, (2, 1), "same", (1, 2)),  # one channel: copied per kernel offset
    ((2, 9, 1), (3,), 1, 2, (1,), "causal", (2,)),
]
CONV_IDS = [f"{len(c[0]) - 2}d-{c[5]}-k{'x'.join(map(str, c[1]))}-s{c[4][0]}-d{c[6][0]}-g{c[0][-1] // c[2]}"
            for c in CONV_CASES]


def conv_case(case, seed=0):
    shape, kernel_size, per_group, filters, strides, padding, dilation = case
    rng = numpy.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=kernel_size + (per_group, filters)), strides, padding, dilation


@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_matches_a_loop_over_output_pixels(case):
    x, kernel, strides, padding, dilation = conv_case(case)
    numpy.testing.assert_allclose(ops.conv(x, kernel, strides, padding, dilation_rate=dilation),
                                  reference_conv(x, kernel, strides, padding, dilation), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_gradients_match_finite_differences(case):
    x, kernel, strides, padding, dilation = conv_case(case)
    check_gradient(lambda v: ops.conv(v, kernel, strides, padding, dilation_rate=dilation), x)
    check_gradient(lambda k: ops.conv(x, k, strides, padding, dilation_rate=dilation), kernel)


@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_is_float32_forward_and_backward(case):
    x, kernel, strides, padding, dilation = (a.astype(numpy.float32) if isinstance(a, numpy.ndarray) else a
                                             for a in conv_case(case))
    assert ops.conv(x, kernel, strides, padding, dilation_rate=dilation).dtype == numpy.float32
    assert_float32_backward(lambda v, k: anp.sum(ops.conv(v, k, strides, padding, dilation_rate=dilation) ** 2),
                            x, kernel)
    assert_float32_backward(lambda k: anp.sum(ops.conv(x, k, strides, padding, dilation_rate=dilation) ** 2), kernel)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_bias_is_conv_plus_bias_with_checked_gradients(case, relu):
    # Fused into the product for one group; the grouped cases take the unfused path.
    from microkeras.ops.convolution import conv_bias

    x, kernel, strides, padding, dilation = conv_case(case)
    bias = numpy.random.default_rng(1).normal(size=kernel.shape[-1])
    expected = ops.conv(x, kernel, strides, padding, dilation_rate=dilation) + bias
    expected = numpy.maximum(expected, 0) if relu else expected
    numpy.testing.assert_allclose(conv_bias(x, kernel, bias, strides, padding, dilation_rate=dilation, relu=relu),
                                  expected, rtol=1e-12, atol=1e-12)
    check_gradient(lambda b: conv_bias(x, kernel, b, strides, padding, dilation_rate=dilation, relu=relu), bias)
    check_gradient(lambda k: conv_bias(x, k, bias, strides, padding, dilation_rate=dilation, relu=relu), kernel)
    x32, k32, b32 = (a.astype(numpy.float32) for a in (x, kernel, bias))
    assert_float32_backward(lambda v: anp.sum(conv_bias(v, k32, b32, strides, padding, dilation_rate=dilation,
                                                        relu=relu) ** 2), x32)


def test_same_padding_puts_the_extra_zero_last():
    # Keras: k=4, s=2, n=7 -> out 4, total padding (4-1)*2 + 4 - 7 = 3, split (1, 2).
    assert conv_padding(7, 4, 2, 1, "same") == ((1, 2), 4)
    assert conv_padding(7, 4, 2, 1, "valid") == ((0, 0), 2)
    assert conv_padding(7, 3, 1, 2, "causal") == ((4, 0), 7)


def test_causal_output_sees_no_later_step():
    x, kernel, _, _, _ = conv_case(((1, 9, 2), (3,), 2, 2, (1,), "causal", (2,)))
    changed = x.copy()
    changed[:, 6:] += 1.0
    before, after = (ops.conv(v, kernel, padding="causal", dilation_rate=2) for v in (x, changed))
    numpy.testing.assert_array_equal(before[:, :6], after[:, :6])
    assert not numpy.allclose(before[:, 6:], after[:, 6:])


@pytest.mark.parametrize("op", ["conv", "depthwise_conv", "conv_transpose"])
def test_channels_first_is_channels_last_transposed(op):
    rng = numpy.random.default_rng(1)
    x = rng.normal(size=(2, 5, 6, 3))
    kernel = rng.normal(size=(3, 2, 3, 2)) if op != "conv_transpose" else rng.normal(size=(3, 2, 2, 3))
    last = getattr(ops, op)(x, kernel, 2, "same")
    # C order: numeric_gradient perturbs its input through reshape(-1), a view only for C-ordered arrays.
    x_first = numpy.ascontiguousarray(numpy.moveaxis(x, -1, 1))
    first = getattr(ops, op)(x_first, kernel, 2, "same", data_format="channels_first")
    numpy.testing.assert_allclose(first, numpy.moveaxis(last, -1, 1), rtol=1e-12)
    check_gradient(lambda v: getattr(ops, op)(v, kernel, 2, "same", data_format="channels_first"), x_first)


# ---------------------------------------------------------- depthwise, separable
DEPTHWISE_CASES = [((2, 6, 5, 3), (3, 3), 1, (1, 1), "valid", (1, 1)),
                   ((2, 7, 6, 2), (3, 2), 2, (2, 2), "same", (1, 1)),
                   ((1, 9, 3), (3,), 3, (1,), "same", (2,))]


@pytest.mark.parametrize("shape, kernel_size, multiplier, strides, padding, dilation", DEPTHWISE_CASES)
def test_depthwise_conv_matches_reference_gradients_and_float32(shape, kernel_size, multiplier, strides, padding,
                                                                dilation):
    rng = numpy.random.default_rng(2)
    x, kernel = rng.normal(size=shape), rng.normal(size=kernel_size + (shape[-1], multiplier))
    out = ops.depthwise_conv(x, kernel, strides, padding, dilation_rate=dilation)
    numpy.testing.assert_allclose(out, reference_depthwise_conv(x, kernel, strides, padding, dilation), rtol=1e-12)
    check_gradient(lambda v: ops.depthwise_conv(v, kernel, strides, padding, dilation_rate=dilation), x)
    check_gradient(lambda k: ops.depthwise_conv(x, k, strides, padding, dilation_rate=dilation), kernel)
    x32, k32 = x.astype(numpy.float32), kernel.astype(numpy.float32)
    assert_float32_backward(lambda v, k: anp.sum(ops.depthwise_conv(v, k, strides, padding,
                                                                     dilation_rate=dilation) ** 2), x32, k32)


def test_separable_conv_is_depthwise_then_pointwise():
    rng = numpy.random.default_rng(3)
    x = rng.normal(size=(2, 6, 7, 3))
    depthwise, pointwise = rng.normal(size=(3, 3, 3, 2)), rng.normal(size=(1, 1, 6, 4))
    expected = reference_depthwise_conv(x, depthwise, (2, 2), "same", (1, 1)) @ pointwise[0, 0]
    numpy.testing.assert_allclose(ops.separable_conv(x, depthwise, pointwise, 2, "same"), expected, rtol=1e-12)
    check_gradient(lambda v: ops.separable_conv(v, depthwise, pointwise, 2, "same"), x)
    check_gradient(lambda k: ops.separable_conv(x, k, pointwise, 2, "same"), depthwise)
    check_gradient(lambda k: ops.separable_conv(x, depthwise, k, 2, "same"), pointwise)
    x32, d32, p32 = (a.astype(numpy.float32) for a in (x, depthwise, pointwise))
    assert_float32_backward(lambda v, d, p: anp.sum(ops.separable_conv(v, d, p, 2, "same") ** 2), x32, d32, p32)


# -------------------------------------------------------------- conv_transpose
# (input shape, kernel size, filters, strides, padding, output_padding, dilation)
TRANSPOSE_CASES = [
    ((2, 4, 3, 2), (3, 3), 3, (2, 2), "valid", None, (1, 1)),
    ((2, 4, 3, 2), (3, 3), 3, (2, 2), "same", None, (1, 1)),
    ((2, 3, 4, 2), (4, 2), 2, (2, 3), "same", None, (1, 1)),
    ((1, 3, 3, 3), (2, 2), 2, (3, 3), "valid", None, (1, 1)),  # stride > kernel: gaps of zeros
    ((2, 3, 3, 2), (3, 3), 2, (3, 2), "valid", (2, 1), (1, 1)),
    ((2, 3, 4, 2), (4, 3), 2, (2, 2), "same", (1, 0), (1, 1)),
    ((2, 4, 3, 2), (2, 3), 2, (1, 1), "same", None, (2, 2)),
    ((2, 5, 3), (3,), 2, (2,), "same", None, (1,)),
]
TRANSPOSE_IDS = [f"{len(c[0]) - 2}d-{c[4]}-k{'x'.join(map(str, c[1]))}-s{'x'.join(map(str, c[3]))}-op{c[5]}-d{c[6][0]}"
                 for c in TRANSPOSE_CASES]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=TRANSPOSE_IDS)
def test_conv_transpose_matches_reference_gradients_and_float32(case):
    shape, kernel_size, filters, strides, padding, output_padding, dilation = case
    rng = numpy.random.default_rng(4)
    x, kernel = rng.normal(size=shape), rng.normal(size=kernel_size + (filters, shape[-1]))

    def transposed(v, k):
        return ops.conv_transpose(v, k, strides, padding, output_padding, dilation_rate=dilation)

    numpy.testing.assert_allclose(transposed(x, kernel), reference_conv_transpose(x, kernel, strides, padding,
                                                                                  output_padding, dilation),
                                  rtol=1e-12, atol=1e-12)
    check_gradient(lambda v: transposed(v, kernel), x)
    check_gradient(lambda k: transposed(x, k), kernel)
    assert transposed(x.astype(numpy.float32), kernel.astype(numpy.float32)).dtype == numpy.float32
    assert_float32_backward(lambda v, k: anp.sum(transposed(v, k) ** 2), x.astype(numpy.float32),
                            kernel.astype(numpy.float32))


def test_conv_transpose_is_the_adjoint_of_conv():
    # <conv(y, K), x> == <y, conv_transpose(x, K)> when conv maps the transposed output's shape back.
    rng = numpy.random.default_rng(5)
    x, kernel = rng.normal(size=(2, 4, 4, 3)), rng.normal(size=(3, 3, 2, 3))
    up = ops.conv_transpose(x, kernel, 2, "same")
    y = rng.normal(size=up.shape)
    assert numpy.sum(ops.conv(y, kernel, 2, "same") * x) == pytest.approx(numpy.sum(y * up), rel=1e-12)


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, message", [
    (lambda: ops.conv(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 2, 4))), "multiple of the kernel's input"),
    (lambda: ops.conv(numpy.zeros((1, 5, 5, 4)), numpy.zeros((3, 3, 2, 3))), "multiple of the 2 groups"),
    (lambda: ops.conv(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 4))), "kernel of shape (3, 3, 4)"),
    (lambda: ops.conv(numpy.zeros((1, 2, 5, 3)), numpy.zeros((3, 3, 3, 4))), "does not fit"),
    (lambda: ops.conv(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 3, 4)), padding="full"), "padding='full'"),
    (lambda: ops.conv(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 3, 4)), padding="causal"), "one spatial"),
    (lambda: ops.conv(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 3, 4)), strides=0), "strides=0"),
    (lambda: ops.conv(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 3, 4)), strides=(1, 2, 1)), "2 positive"),
    (lambda: ops.conv(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 3, 4)), data_format="NHWC"), "data_format"),
    (lambda: ops.depthwise_conv(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 2, 1))), "kernel.shape[-2] = 2"),
    (lambda: ops.conv_transpose(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 3, 2))), "kernel.shape[-1] = 2"),
    (lambda: ops.conv_transpose(numpy.zeros((1, 5, 5, 3)), numpy.zeros((3, 3, 2, 3)), padding="causal"), "'valid'"),
])
def test_bad_arguments_raise_errors_naming_them(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
