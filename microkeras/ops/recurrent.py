"""A whole LSTM sequence as one traced operation: the fast path of the ``LSTM`` layer.

The ``LSTM`` layer's general path runs its cell's forward code once per time
step, about sixteen traced operations a step.  When nothing per-step is asked
for (no mask, no recurrent dropout, Keras's default activations), the layer
takes this path instead, as Keras 3 takes cuDNN's kernel under the same
conditions: :func:`lstm_sequence` runs Keras's equations over all the steps
in numpy and its backward pass is written out (backpropagation through time),
one traced operation for the sequence.  ``tests/test_ops_recurrent.py``
checks it against the cell, against finite differences and for float32
cotangents.
"""

import numpy
from autograd.extend import defvjp_argnums, primitive

#: Order of the arrays kept per step in the trace :func:`lstm_sequence` returns.
TRACE = ("h", "c", "input_gate", "forget_gate", "candidate", "output_gate")


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
        Per step, the blocks of :data:`TRACE`: ``h`` (the output), ``c``, and
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
