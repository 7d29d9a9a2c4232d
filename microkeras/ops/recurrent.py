"""Whole LSTM and GRU sequences as one traced operation: the fast path of the ``LSTM`` and ``GRU`` layers.

The layers' general path runs their cell's forward code once per time step,
a dozen or more traced operations a step.  When nothing per-step is asked for
(no mask, no recurrent dropout, Keras's default activations; for GRU also
``reset_after=True`` and a bias), the layer takes this path instead, as
Keras 3 takes cuDNN's kernel under the same conditions: :func:`lstm_sequence`
and :func:`gru_sequence` run Keras's equations over all the steps in numpy
and their backward pass is written out (backpropagation through time), one
traced operation for the sequence.  ``tests/test_ops_recurrent.py`` checks
them against the cells, against finite differences and for float32
cotangents.
"""

import numpy
from autograd.extend import defvjp_argnums, primitive

#: Order of the arrays kept per step in the trace :func:`lstm_sequence` returns.
LSTM_TRACE = ("h", "c", "input_gate", "forget_gate", "candidate", "output_gate")
#: Order of the arrays kept per step in the trace :func:`gru_sequence` returns.
GRU_TRACE = ("h", "update_gate", "reset_gate", "candidate", "recurrent_candidate")


@primitive
def lstm_sequence(projected, recurrent_kernel, h0, c0):
    """Keras's LSTM over every step (first-order only).

    Parameters
    ----------
    projected : array, shape (batch, steps, 4 * units)
        ``inputs @ kernel + bias`` for all steps, the gates in Keras's order
        (input, forget, candidate, output).
    recurrent_kernel : array, shape (units, 4 * units)
    h0, c0 : arrays, shape (batch, units)
        The initial states.

    Returns
    -------
    array, shape (batch, steps, 6 * units)
        Per step, the blocks of :data:`LSTM_TRACE`: ``h`` (the output), ``c``, and
        the activated gates (kept for the backward pass).  With ``sigmoid``
        for the gates and ``tanh``: ``c = f * c_prev + i * g`` and
        ``h = o * tanh(c)``.
    """
    batch, steps, width = projected.shape
    units = width // 4
    dtype = numpy.result_type(projected, recurrent_kernel)
    trace = numpy.empty((steps, batch, 6 * units), dtype)  # time-major: each step's block is contiguous
    z = numpy.empty((batch, width), dtype)
    # All four gates in one tanh pass: sigmoid(z) = 0.5 * tanh(0.5 * z) + 0.5 on the sigmoid gates'
    # columns (scale 0.5, offset 0.5), tanh(z) on the candidate's (scale 1, offset 0).
    scale = numpy.full(width, 0.5, dtype)
    scale[2 * units:3 * units] = 1.0
    offset = 1.0 - scale
    h, c = h0, c0
    for t in range(steps):
        numpy.matmul(h, recurrent_kernel, out=z)
        z += projected[:, t]
        row = trace[t]
        gates = row[:, 2 * units:]
        numpy.multiply(z, scale, out=gates)
        numpy.tanh(gates, out=gates)
        gates *= scale
        gates += offset
        i, f, g, o = (row[:, k * units:(k + 1) * units] for k in range(2, 6))
        new_c = row[:, units:2 * units]
        numpy.multiply(f, c, out=new_c)
        new_c += i * g
        new_h = row[:, :units]
        numpy.tanh(new_c, out=new_h)
        new_h *= o
        h, c = new_h, new_c
    return trace.transpose(1, 0, 2)


def _lstm_sequence_vjp(argnums, ans, args, kwargs):
    projected, recurrent_kernel, h0, c0 = args

    def vjp(g):
        batch, steps, width = projected.shape
        units = width // 4
        dtype = ans.dtype
        trace, g = ans.transpose(1, 0, 2), numpy.asarray(g, dtype).transpose(1, 0, 2)  # time-major views
        # What does not depend on the cotangent, for all steps at once: the gates' derivatives
        # (sigmoid: s (1 - s); the candidate's tanh: 1 - g^2), tanh(c), and o (1 - tanh(c)^2).
        gates = trace[:, :, 2 * units:]
        slope = gates * (1.0 - gates)
        candidate = gates[:, :, 2 * units:3 * units]
        numpy.subtract(1.0, candidate * candidate, out=slope[:, :, 2 * units:3 * units])
        tanh_c = numpy.tanh(trace[:, :, units:2 * units])
        through_h = trace[:, :, 5 * units:] * (1.0 - tanh_c * tanh_c)
        own_gate_cotangents = bool(g[:, :, 2 * units:].any())  # a loss on the gates themselves (rare)
        d_projected = numpy.empty((steps, batch, width), dtype)
        d_h, d_c = numpy.zeros((batch, units), dtype), numpy.zeros((batch, units), dtype)
        for t in range(steps - 1, -1, -1):
            row = trace[t]
            i, f, cand = row[:, 2 * units:3 * units], row[:, 3 * units:4 * units], row[:, 4 * units:5 * units]
            c_prev = trace[t - 1][:, units:2 * units] if t else c0
            d_h += g[t][:, :units]
            d_c += g[t][:, units:2 * units]
            d_c += d_h * through_h[t]
            dz = d_projected[t]
            numpy.multiply(d_c, cand, out=dz[:, :units])
            numpy.multiply(d_c, c_prev, out=dz[:, units:2 * units])
            numpy.multiply(d_c, i, out=dz[:, 2 * units:3 * units])
            numpy.multiply(d_h, tanh_c[t], out=dz[:, 3 * units:])
            if own_gate_cotangents:
                dz += g[t][:, 2 * units:]
            dz *= slope[t]
            d_c *= f
            d_h = dz @ recurrent_kernel.T
        grads = {0: d_projected.transpose(1, 0, 2), 2: d_h, 3: d_c}
        if 1 in argnums:  # all steps' products at once: h_prev (steps*batch, units) by dz
            h_prev = numpy.concatenate([h0[None], trace[:-1, :, :units]], axis=0)
            grads[1] = h_prev.reshape(-1, units).T @ d_projected.reshape(-1, width)
        return tuple(grads[argnum] for argnum in argnums)

    return vjp


defvjp_argnums(lstm_sequence, _lstm_sequence_vjp)


@primitive
def gru_sequence(projected, recurrent_kernel, candidate_bias, h0):
    """Keras's GRU with ``reset_after=True`` over every step (first-order only).

    Parameters
    ----------
    projected : array, shape (batch, steps, 3 * units)
        ``inputs @ kernel + bias[0]`` for all steps, the gates in Keras's order
        (update ``z``, reset ``r``, candidate ``h``), with the recurrent bias
        of ``z`` and ``r`` (``bias[1]``'s first two blocks) added as well:
        outside the reset gate, it may join the input side.
    recurrent_kernel : array, shape (units, 3 * units)
    candidate_bias : array, shape (units,)
        The recurrent bias of the candidate, ``bias[1]``'s last block.
    h0 : array, shape (batch, units)
        The initial state.

    Returns
    -------
    array, shape (batch, steps, 5 * units)
        Per step, the blocks of :data:`GRU_TRACE`: ``h`` (the output), and
        what the backward pass needs: ``z``, ``r``, the candidate and
        ``n = h_prev @ U_h + candidate_bias``.  With ``sigmoid`` for the
        gates, ``candidate = tanh(x_h + r * n)`` and
        ``h = z * h_prev + (1 - z) * candidate``.
    """
    batch, steps, width = projected.shape
    units = width // 3
    dtype = numpy.result_type(projected, recurrent_kernel, candidate_bias)
    trace = numpy.empty((steps, batch, 5 * units), dtype)  # time-major: each step's block is contiguous
    product = numpy.empty((batch, width), dtype)
    h = h0
    for t in range(steps):
        numpy.matmul(h, recurrent_kernel, out=product)
        row = trace[t]
        gates = row[:, units:3 * units]
        numpy.add(projected[:, t, :2 * units], product[:, :2 * units], out=gates)
        gates *= 0.5  # sigmoid(a) = 0.5 * tanh(0.5 * a) + 0.5, finite at both ends
        numpy.tanh(gates, out=gates)
        gates *= 0.5
        gates += 0.5
        z, r = gates[:, :units], gates[:, units:]
        recurrent = row[:, 4 * units:]
        numpy.add(product[:, 2 * units:], candidate_bias, out=recurrent)
        candidate = row[:, 3 * units:4 * units]
        numpy.multiply(r, recurrent, out=candidate)
        candidate += projected[:, t, 2 * units:]
        numpy.tanh(candidate, out=candidate)
        new_h = row[:, :units]
        numpy.subtract(h, candidate, out=new_h)  # candidate + z * (h - candidate)
        new_h *= z
        new_h += candidate
        h = new_h
    return trace.transpose(1, 0, 2)


def _gru_sequence_vjp(argnums, ans, args, kwargs):
    projected, recurrent_kernel, candidate_bias, h0 = args

    def vjp(g):
        batch, steps, width = projected.shape
        units = width // 3
        dtype = ans.dtype
        trace, g = ans.transpose(1, 0, 2), numpy.asarray(g, dtype).transpose(1, 0, 2)  # time-major views
        # What does not depend on the cotangent, for all steps at once: the factors that carry h's
        # cotangent to the update gate's input, (h_prev - candidate) z (1 - z), to the candidate's,
        # (1 - z)(1 - candidate^2), and from there to the reset gate's, n r (1 - r).
        h_prev = numpy.concatenate([h0[None].astype(dtype, copy=False), trace[:-1, :, :units]], axis=0)
        gates = trace[:, :, units:3 * units]
        slope = gates * (1.0 - gates)
        z, r = gates[:, :, :units], gates[:, :, units:]
        candidate, recurrent = trace[:, :, 3 * units:4 * units], trace[:, :, 4 * units:]
        candidate_slope = 1.0 - candidate * candidate
        through_z = (h_prev - candidate) * slope[:, :, :units]
        through_candidate = (1.0 - z) * candidate_slope
        through_r = recurrent * slope[:, :, units:]
        own = g[:, :, units:]
        own_gate_cotangents = bool(own.any())  # a loss on the gates themselves (rare)
        if own_gate_cotangents:  # each adds to one pre-activation (or to n) at its own step
            own_candidate = own[:, :, 2 * units:3 * units] * candidate_slope
            own_recurrent = numpy.concatenate([own[:, :, :2 * units] * slope, own[:, :, 3 * units:]], axis=2)
        d_recurrent = numpy.empty((steps, batch, width), dtype)  # d(h_prev @ U + [0, 0, b]) per step
        d_candidate = numpy.empty((steps, batch, units), dtype)  # d(x_h) per step
        d_h = numpy.zeros((batch, units), dtype)
        for t in range(steps - 1, -1, -1):
            d_h += g[t][:, :units]
            dm, da = d_recurrent[t], d_candidate[t]
            numpy.multiply(d_h, through_z[t], out=dm[:, :units])
            numpy.multiply(d_h, through_candidate[t], out=da)
            if own_gate_cotangents:
                da += own_candidate[t]
            numpy.multiply(da, through_r[t], out=dm[:, units:2 * units])
            numpy.multiply(da, r[t], out=dm[:, 2 * units:])
            if own_gate_cotangents:
                dm += own_recurrent[t]
            d_h *= z[t]
            d_h += dm @ recurrent_kernel.T
        grads = {3: d_h}
        if 0 in argnums:
            grads[0] = numpy.concatenate([d_recurrent[:, :, :2 * units], d_candidate], axis=2).transpose(1, 0, 2)
        if 1 in argnums:  # all steps' products at once: h_prev (steps*batch, units) by d_recurrent
            grads[1] = h_prev.reshape(-1, units).T @ d_recurrent.reshape(-1, width)
        if 2 in argnums:
            grads[2] = d_recurrent[:, :, 2 * units:].sum(axis=(0, 1))
        return tuple(grads[argnum] for argnum in argnums)

    return vjp


defvjp_argnums(gru_sequence, _gru_sequence_vjp)
