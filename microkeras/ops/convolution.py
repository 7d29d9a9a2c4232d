"""Convolutions with Keras 3's ``keras.ops`` signatures: conv, depthwise_conv, separable_conv, conv_transpose.

Every convolution here is im2col.  The input is padded and its windows are
gathered into one matrix of columns (:func:`im2col`); one matrix product per
group with the reshaped kernel gives the output.  The gradients follow from two
primitives that are each other's VJP: :func:`im2col` scatters its cotangent back
onto the input (:func:`col2im`, a loop over the kernel offsets), and autograd's
``matmul`` VJPs give ``cols^T @ g`` for the kernel and ``g @ K^T`` for the
columns.  Keeping the product outside the primitives means the columns made by
the forward pass are the ones the kernel gradient reads: nothing is gathered
twice.  ``conv_transpose`` is the same pair the other way round: one product,
then :func:`col2im`.

Layout and arithmetic are Keras's: inputs ``(batch, *spatial, channels)``
(``data_format="channels_first"`` is moved there and back), kernels
``(*kernel_size, in_channels // groups, filters)``, cross-correlation (no
kernel flip), and per spatial dimension, with effective kernel size
``span = dilation * (kernel - 1) + 1``:

- ``valid``: ``out = floor((n - span) / stride) + 1``, no padding;
- ``same``: ``out = ceil(n / stride)``, ``total = max((out - 1) * stride + span - n, 0)``
  split with the smaller half first (left/top);
- ``causal`` (one spatial dimension; Keras's ``Conv1D``): ``span - 1`` on the left.

Every function works for any number of spatial dimensions (1D, 2D, 3D) and is
first-order only; the VJPs keep the cotangent's dtype (float32 in, float32 out).
"""

import math
from typing import NamedTuple

import autograd.numpy as np
import numpy
from autograd.extend import defvjp, primitive
from numpy.lib.stride_tricks import as_strided

from microkeras.ops import nn
from microkeras.utils.argument_checks import standardize_data_format, standardize_padding, standardize_tuple


class Geometry(NamedTuple):
    """Where the windows of a convolution lie, per spatial dimension.

    ``size`` is the unpadded input's spatial shape, ``pads`` the
    ``(before, after)`` zeros added to it, ``out`` the number of windows;
    window ``o`` covers padded positions ``o * stride + j * dilation`` for
    ``j < kernel``.
    """

    size: tuple
    pads: tuple
    kernel: tuple
    strides: tuple
    dilation: tuple
    out: tuple

    @property
    def padded(self):
        """The spatial shape of the zero-padded input (at least as large as the windows reach)."""
        return tuple(max(n + before + after, (o - 1) * s + d * (k - 1) + 1)
                     for n, (before, after), k, s, d, o in
                     zip(self.size, self.pads, self.kernel, self.strides, self.dilation, self.out))

    @property
    def is_pointwise(self):
        """True when every window is one pixel of the unpadded input (a 1x1 convolution)."""
        return (all(k == 1 and s == 1 for k, s in zip(self.kernel, self.strides))
                and not any(any(p) for p in self.pads))


# ------------------------------------------------------------------ the primitives
@primitive
def im2col(x, geometry, groups=1):
    """The windows of ``x`` as columns (first-order only).

    Parameters
    ----------
    x : array, shape (batch, *geometry.size, channels)
    geometry : Geometry
    groups : int
        Channels are split into ``groups`` consecutive blocks.

    Returns
    -------
    array
        ``(batch * prod(out), prod(kernel) * channels)`` for one group, else
        ``(groups, batch * prod(out), prod(kernel) * channels // groups)``;
        within a row, kernel offsets vary slowest and channels fastest, the
        order of a Keras kernel's first axes.
    """
    batch, channels = x.shape[0], x.shape[-1]
    if any(any(p) for p in geometry.pads) or geometry.padded != tuple(x.shape[1:-1]):
        padded = numpy.zeros((batch,) + geometry.padded + (channels,), x.dtype)
        padded[_interior(geometry)] = x
        x = padded
    per_group = channels // groups
    if channels == 1:
        return _single_channel_columns(x, geometry)
    spatial = x.strides[1:-1]
    shape = (groups, batch) + geometry.out + geometry.kernel + (per_group,)
    strides = ((x.strides[-1] * per_group, x.strides[0])
               + tuple(step * s for step, s in zip(spatial, geometry.strides))
               + tuple(step * d for step, d in zip(spatial, geometry.dilation)) + (x.strides[-1],))
    windows = as_strided(x, shape, strides, writeable=False)
    rows = batch * math.prod(geometry.out)
    cols = windows.reshape(groups, rows, -1)  # the one copy: the gather
    return cols[0] if groups == 1 else cols


def _single_channel_columns(x, geometry):
    """:func:`im2col` of a one-channel input: one copy per kernel offset, each moving whole rows of
    pixels (a window's row holds single floats, too short a run for the strided gather: about 3x
    faster on 28x28 images)."""
    batch = x.shape[0]
    cols = numpy.empty((batch,) + geometry.out + geometry.kernel + (1,), x.dtype)
    rank = len(geometry.out)
    for offset in numpy.ndindex(*geometry.kernel):
        where = tuple(slice(j * d, j * d + (o - 1) * s + 1, s)
                      for j, d, o, s in zip(offset, geometry.dilation, geometry.out, geometry.strides))
        cols[(slice(None),) * (rank + 1) + offset] = x[(slice(None),) + where]
    return cols.reshape(batch * math.prod(geometry.out), -1)


@primitive
def col2im(cols, geometry, groups, batch, channels):
    """Add columns back onto the input positions they were gathered from (first-order only).

    The adjoint of :func:`im2col`: ``cols`` has the shape ``im2col`` returns
    for an input of shape ``(batch, *geometry.size, channels)``, and so does
    the result.  A window position covered by several windows receives the sum
    of their entries.  One slice-add per kernel offset.
    """
    rank = len(geometry.size)
    per_group = channels // groups
    # (groups, batch, *out, *kernel, per_group) -> (batch, *out, *kernel, groups, per_group), views only
    windows = numpy.moveaxis(cols.reshape((groups, batch) + geometry.out + geometry.kernel + (per_group,)), 0, -2)
    padded = numpy.zeros((batch,) + geometry.padded + (channels,), cols.dtype)
    target = padded.reshape((batch,) + geometry.padded + (groups, per_group))
    reach = [(o - 1) * s + 1 for o, s in zip(geometry.out, geometry.strides)]
    for offset in numpy.ndindex(*geometry.kernel):
        where = tuple(slice(j * d, j * d + r, s)
                      for j, d, r, s in zip(offset, geometry.dilation, reach, geometry.strides))
        target[(slice(None),) + where] += windows[(slice(None),) * (rank + 1) + offset]
    return padded[_interior(geometry)]


def _columns(x, geometry):
    """The windows of a one-group convolution's input as rows: ``x`` itself for a 1x1 kernel, else
    :func:`im2col`."""
    return np.reshape(x, (-1, x.shape[-1])) if geometry.is_pointwise else im2col(x, geometry)


def _interior(geometry):
    """The index of the unpadded input inside the padded one."""
    return (slice(None),) + tuple(slice(before, before + n) for n, (before, _) in zip(geometry.size, geometry.pads))


def _im2col_vjp(ans, x, geometry, groups=1):
    batch, channels = x.shape[0], x.shape[-1]  # close over the shape, not the input (kept alive otherwise)
    return lambda g: col2im(g, geometry, groups, batch, channels)


defvjp(im2col, _im2col_vjp)
defvjp(col2im, lambda ans, cols, geometry, groups, batch, channels: lambda g: im2col(g, geometry, groups))


# --------------------------------------------------------------- the operations
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (cross-correlation), as ``keras.ops.conv``.

    Parameters
    ----------
    inputs : array, shape (batch, *spatial, channels)
        Or ``(batch, channels, *spatial)`` with ``data_format="channels_first"``.
    kernel : array, shape (*kernel_size, channels // groups, filters)
        ``groups`` is inferred as Keras infers it, ``channels // kernel.shape[-2]``:
        filter ``f`` sees the channels of group ``f // (filters // groups)``.
    strides, dilation_rate : int or tuple of int, one per spatial dimension
    padding : {'valid', 'same', 'causal'}
        ``'causal'`` (one spatial dimension only) is what Keras's ``Conv1D``
        does by padding the input itself.
    data_format : {'channels_last', 'channels_first'}, optional

    Returns
    -------
    array, shape (batch, *out, filters) (channels first with ``channels_first``)
    """
    x = _to_channels_last(inputs, data_format, "conv")
    rank = _check_ranks(x, kernel, "conv")
    channels, in_per_group, filters = x.shape[-1], kernel.shape[-2], kernel.shape[-1]
    if in_per_group < 1 or channels % in_per_group:
        raise ValueError(f"conv: the input's {channels} channels must be a multiple of the kernel's input channels "
                         f"(kernel.shape[-2]); received inputs of shape {tuple(inputs.shape)} and a kernel of shape "
                         f"{tuple(kernel.shape)}.")
    groups = channels // in_per_group
    if filters % groups:
        raise ValueError(f"conv: the kernel's {filters} filters must be a multiple of the {groups} groups "
                         f"(input channels {channels} // kernel input channels {in_per_group}).")
    geometry = conv_geometry(x.shape[1:-1], kernel.shape[:rank], strides, padding, dilation_rate, "conv")
    if groups == 1:
        outputs = np.matmul(_columns(x, geometry), np.reshape(kernel, (-1, filters)))
    else:
        kernel = np.transpose(np.reshape(kernel, (-1, groups, filters // groups)), (1, 0, 2))
        outputs = np.transpose(np.matmul(im2col(x, geometry, groups), kernel), (1, 0, 2))
    outputs = np.reshape(outputs, (x.shape[0],) + geometry.out + (filters,))
    return _from_channels_last(outputs, data_format)


def conv_bias(inputs, kernel, bias, strides=1, padding="valid", data_format=None, dilation_rate=1, relu=False):
    """``conv(...) + bias``, then ``relu`` with ``relu=True``: what the convolution layers compute.

    For channels-last inputs and one group, the bias and the ReLU join the
    convolution's matrix product (:func:`microkeras.ops.nn.affine` or
    ``affine_relu``): one traced operation instead of three, with no
    intermediate array of the output's size.
    """
    channels_first = standardize_data_format(data_format, "conv") == "channels_first"
    if channels_first or np.shape(inputs)[-1] != np.shape(kernel)[-2]:  # channels first, or groups
        outputs = conv(inputs, kernel, strides, padding, data_format, dilation_rate)
        if channels_first:
            bias = np.reshape(bias, (-1,) + (1,) * (np.ndim(outputs) - 2))
        outputs = outputs + bias
        return nn.relu(outputs) if relu else outputs
    rank = _check_ranks(inputs, kernel, "conv")
    filters = kernel.shape[-1]
    geometry = conv_geometry(inputs.shape[1:-1], kernel.shape[:rank], strides, padding, dilation_rate, "conv")
    product = nn.affine_relu if relu else nn.affine
    outputs = product(_columns(inputs, geometry), np.reshape(kernel, (-1, filters)), bias)
    return np.reshape(outputs, (inputs.shape[0],) + geometry.out + (filters,))


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution, as ``keras.ops.depthwise_conv``.

    ``kernel`` has shape ``(*kernel_size, channels, depth_multiplier)``; input
    channel ``c`` is convolved with its own ``depth_multiplier`` filters, which
    give output channels ``c * depth_multiplier + m``.  Computed as Keras does:
    a convolution with one group per input channel.
    """
    x = _to_channels_last(inputs, data_format, "depthwise_conv")
    _check_ranks(x, kernel, "depthwise_conv")
    if kernel.shape[-2] != x.shape[-1]:
        raise ValueError(f"depthwise_conv: the kernel's input channels (kernel.shape[-2] = {kernel.shape[-2]}) "
                         f"must equal the input's {x.shape[-1]} channels; received inputs of shape "
                         f"{tuple(inputs.shape)} and a kernel of shape {tuple(kernel.shape)}.")
    grouped = np.reshape(kernel, tuple(kernel.shape[:-2]) + (1, kernel.shape[-2] * kernel.shape[-1]))
    return _from_channels_last(conv(x, grouped, strides, padding, None, dilation_rate), data_format)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """A depthwise convolution followed by a 1x1 convolution, as ``keras.ops.separable_conv``.

    ``depthwise_kernel``: ``(*kernel_size, channels, depth_multiplier)``;
    ``pointwise_kernel``: ``(1, ..., 1, channels * depth_multiplier, filters)``.
    Strides, padding and dilation apply to the depthwise step.
    """
    x = _to_channels_last(inputs, data_format, "separable_conv")
    depthwise = depthwise_conv(x, depthwise_kernel, strides, padding, None, dilation_rate)
    if any(k != 1 for k in pointwise_kernel.shape[:-2]):
        raise ValueError(f"separable_conv: `pointwise_kernel` must have size 1 in every spatial dimension; "
                         f"received shape {tuple(pointwise_kernel.shape)}.")
    return _from_channels_last(conv(depthwise, pointwise_kernel), data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """Transposed convolution, as ``keras.ops.conv_transpose``: the gradient of ``conv`` with respect to its input.

    Parameters
    ----------
    inputs : array, shape (batch, *spatial, channels)
    kernel : array, shape (*kernel_size, filters, channels)
        Keras's transposed layout: output channels before input channels.
    strides, dilation_rate : int or tuple of int
    padding : {'valid', 'same'}
    output_padding : int or tuple of int, optional
        Extra rows/columns at the end of the output.  Without it the output
        is ``(n - 1) * stride + max(span, stride)`` long (``valid``) or
        ``n * stride`` (``same``); with it, ``(n - 1) * stride + span +
        output_padding`` (``valid``) or ``(n - 1) * stride + span % 2 +
        output_padding`` (``same``).

    Each input pixel ``i`` adds ``kernel[j] @ x[i]`` to output position
    ``i * stride + j * dilation - crop``, where ``crop`` is the left padding
    Keras's JAX backend trims (0 for ``valid``).
    """
    x = _to_channels_last(inputs, data_format, "conv_transpose")
    rank = _check_ranks(x, kernel, "conv_transpose")
    channels, filters = x.shape[-1], kernel.shape[-2]
    if kernel.shape[-1] != channels:
        raise ValueError(f"conv_transpose: the kernel's input channels (kernel.shape[-1] = {kernel.shape[-1]}) "
                         f"must equal the input's {channels} channels; received inputs of shape "
                         f"{tuple(inputs.shape)} and a kernel of shape {tuple(kernel.shape)}.")
    geometry = conv_transpose_geometry(x.shape[1:-1], kernel.shape[:rank], strides, padding, output_padding,
                                       dilation_rate, "conv_transpose")
    rows = np.matmul(np.reshape(x, (-1, channels)), np.transpose(np.reshape(kernel, (-1, channels))))
    return _from_channels_last(col2im(rows, geometry, 1, x.shape[0], filters), data_format)


# ---------------------------------------------------------------- the arithmetic
def conv_geometry(size, kernel_size, strides, padding, dilation_rate, caller):
    """The :class:`Geometry` of a convolution over inputs of spatial shape ``size``, by Keras's arithmetic.

    Raises ``ValueError`` naming ``caller`` for bad arguments or when the
    kernel does not fit in the (padded) input.
    """
    rank = len(size)
    strides = standardize_tuple(strides, rank, "strides", caller)
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate", caller)
    padding = standardize_padding(padding, caller, allow_causal=rank == 1)
    pads, out = zip(*(conv_padding(n, k, s, d, padding) for n, k, s, d in zip(size, kernel_size, strides, dilation)))
    if any(o < 1 for o in out):
        raise ValueError(f"{caller}: the kernel does not fit in the input: spatial input shape {tuple(size)} with "
                         f"padding={padding!r}, kernel size {tuple(kernel_size)}, dilation_rate {dilation} and "
                         f"strides {strides} would give an output of spatial shape {out}. Use a smaller kernel "
                         "or dilation_rate, larger inputs, or padding='same'.")
    return Geometry(tuple(size), pads, tuple(kernel_size), strides, dilation, out)


def conv_padding(n, kernel, stride, dilation, padding):
    """``((before, after), out)``: Keras's padding and output length for one spatial dimension of length ``n``."""
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        return (0, 0), (n - span) // stride + 1
    if padding == "causal":
        return (span - 1, 0), (n - 1) // stride + 1
    out = -(-n // stride)  # same: ceil(n / stride)
    total = max((out - 1) * stride + span - n, 0)
    return (total // 2, total - total // 2), out


def conv_transpose_geometry(size, kernel_size, strides, padding, output_padding, dilation_rate, caller):
    """The :class:`Geometry` of the convolution whose input gradient ``conv_transpose`` computes.

    Its ``out`` is ``size`` (the transposed convolution's input), its ``size``
    the transposed convolution's output.
    """
    rank = len(size)
    strides = standardize_tuple(strides, rank, "strides", caller)
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate", caller)
    padding = standardize_padding(padding, caller)
    extra = ((None,) * rank if output_padding is None
             else standardize_tuple(output_padding, rank, "output_padding", caller, minimum=0))
    pads, lengths = zip(*(conv_transpose_padding(n, k, s, d, padding, op)
                          for n, k, s, d, op in zip(size, kernel_size, strides, dilation, extra)))
    if any(length < 1 for length in lengths):
        raise ValueError(f"{caller}: spatial input shape {tuple(size)} with kernel size {tuple(kernel_size)}, "
                         f"strides {strides}, padding={padding!r} and output_padding={output_padding!r} gives an "
                         f"empty output of spatial shape {lengths}.")
    return Geometry(lengths, pads, tuple(kernel_size), strides, dilation, tuple(size))


def conv_transpose_padding(n, kernel, stride, dilation, padding, output_padding=None):
    """``((before, after), length)`` for one spatial dimension of a transposed convolution's input of length ``n``.

    ``length`` is Keras's output length.  ``before`` is the crop: input pixel
    ``i`` and kernel offset ``j`` land on output position ``i * stride + j *
    dilation - before``.  Keras's JAX backend dilates the input by the stride
    and pads it with ``span - 1`` (valid) or half of ``stride + span - 2``
    (same, larger half first, at most ``span - 1``) before a flipped-kernel
    correlation; the crop is ``span - 1`` minus that left padding.
    """
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        jax_before = span - 1
        length = (n - 1) * stride + span + (max(span, stride) - span if output_padding is None else output_padding)
    else:
        total = stride + span - 2 if output_padding is None else span + span % 2 - 2 + output_padding
        jax_before = min(total // 2 + total % 2, span - 1)
        length = n * stride if output_padding is None else (n - 1) * stride + span % 2 + output_padding
    crop = span - 1 - jax_before
    return (crop, max((n - 1) * stride + span - crop - length, 0)), length


def _to_channels_last(inputs, data_format, caller):
    if standardize_data_format(data_format, caller) == "channels_first":
        return np.moveaxis(inputs, 1, -1)
    return inputs


def _from_channels_last(outputs, data_format):
    return np.moveaxis(outputs, -1, 1) if data_format == "channels_first" else outputs


def _check_ranks(x, kernel, caller):
    """The number of spatial dimensions, after checking the input and the kernel agree on it."""
    if len(x.shape) < 3 or len(kernel.shape) != len(x.shape):
        raise ValueError(f"{caller}: inputs need shape (batch, *spatial, channels) and the kernel one dimension "
                         f"per spatial dimension plus two; received inputs of shape {tuple(x.shape)} and a kernel "
                         f"of shape {tuple(kernel.shape)}.")
    return len(x.shape) - 2
