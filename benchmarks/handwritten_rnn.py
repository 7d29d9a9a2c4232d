"""The recurrent baseline of W6: an LSTM classifier written by hand in numpy, float32.

LSTM(units) over ``(steps, features)`` sequences, its last output into
Dense(classes, softmax), categorical crossentropy (mean over the batch) and
Keras 3's Adam (:class:`benchmarks.handwritten.InPlaceAdam`).  Weights are laid
out as Keras's: ``kernel (features, 4 * units)``, ``recurrent_kernel (units,
4 * units)``, ``bias (4 * units,)`` with the gates in the order input, forget,
candidate, output; then the dense kernel and bias.  So ``get_weights`` of the
matching Keras or microkeras model can be assigned to ``params``.

Speed comes from the layout and the buffers:

- the batch is copied once into time-major order ``(steps, n, features)``, so
  every per-step slice below is contiguous;
- the input projection of all steps (and the bias) is one matrix product;
- each step is one fused ``(n, units) @ (units, 4 * units)`` product and the
  four gate activations in one pass: ``sigmoid(z) = 0.5 * tanh(z / 2) + 0.5``,
  so ``s * tanh(s * z) + (1 - s)`` with ``s`` 0.5 on the sigmoid columns and 1
  on the candidate's columns activates all gates with one ``tanh``; the
  derivative of every gate is kept on the way for the backward pass;
- backward through time is written out; the gate gradients of all steps are
  kept, and the kernel, recurrent kernel and bias gradients are then one
  product (or sum) each over all steps;
- every intermediate lives in a buffer allocated once per batch size, and
  every operation writes with ``out=``.
"""

import math

import numpy

from benchmarks.handwritten import InPlaceAdam, glorot_uniform


def orthogonal(rng, shape):
    """Keras's ``Orthogonal`` initializer (gain 1) drawn from ``rng``: orthonormal rows or columns."""
    rows, cols = shape
    q, r = numpy.linalg.qr(rng.normal(size=(max(rows, cols), min(rows, cols))))
    q *= numpy.sign(numpy.diag(r))
    return (q.T if rows < cols else q).astype(numpy.float32)


class HandwrittenLSTM(InPlaceAdam):
    """The W6 model: LSTM(units) on ``(steps, features)`` inputs, then Dense(classes, softmax).

    ``params`` is ``[kernel, recurrent_kernel, bias, dense_kernel, dense_bias]``.
    Kernels are Glorot uniform, the recurrent kernel orthogonal, the bias zero
    but 1 for the forget gate (``unit_forget_bias``), as Keras initializes them.
    ``dtype`` is float32 for timing; the tests run a float64 copy against
    finite differences.
    """

    def __init__(self, steps=32, features=16, units=64, classes=10, learning_rate=1e-3, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-7, seed=0, dtype=numpy.float32):
        rng = numpy.random.default_rng(seed)
        gates = 4 * units
        bias = numpy.zeros(gates, dtype)
        bias[units:2 * units] = 1
        self.params = [glorot_uniform(rng, (features, gates), features, gates).astype(dtype),
                       orthogonal(rng, (units, gates)).astype(dtype), bias,
                       glorot_uniform(rng, (units, classes), units, classes).astype(dtype),
                       numpy.zeros(classes, dtype)]
        self.steps, self.features, self.units, self.classes, self.dtype = steps, features, units, classes, dtype
        # Per gate column: the scale s of s * tanh(s * z) + (1 - s), the shift 1 - s, and s**2.
        self.scale = numpy.full(gates, 0.5, dtype)
        self.scale[2 * units:3 * units] = 1
        self.shift = 1 - self.scale
        self.scale_sq = self.scale * self.scale
        self._buffers = {}
        self._init_adam(learning_rate, beta_1, beta_2, epsilon)

    def _buffers_for(self, n):
        """Every intermediate of a step on ``n`` samples, allocated once per batch size."""
        if n in self._buffers:
            return self._buffers[n]
        steps, units, dtype = self.steps, self.units, self.dtype

        def empty(*shape):
            return numpy.empty(shape, dtype)

        buffers = {
            "x": empty(steps, n, self.features),  # the batch, time-major
            "gates": empty(steps, n, 4 * units),  # input projection, then pre-activations, then activations
            "slope": empty(steps, n, 4 * units),  # each gate's derivative, then the gates' gradients
            "c": numpy.zeros((steps + 1, n, units), dtype),  # c[0] = 0 is the initial state
            "tanh_c": empty(steps, n, units),
            "h": numpy.zeros((steps + 1, n, units), dtype),  # h[0] = 0
            "recurrent": empty(n, 4 * units),
            "grad_a": empty(n, 4 * units),  # gradient of the activated gates at one step
            "dh": empty(n, units), "dc": empty(n, units), "tmp": empty(n, units), "tmp2": empty(n, units),
            "logits": empty(n, self.classes), "row": empty(n, 1), "delta": empty(n, self.classes),
            "grads": [numpy.empty_like(p) for p in self.params],
        }
        self._buffers[n] = buffers
        return buffers

    # ----------------------------------------------------------- forward
    def _lstm_forward(self, x, b, keep):
        """Run the LSTM on ``x`` (n, steps, features); returns the last output ``h[steps]``.

        With ``keep`` the derivatives the backward pass needs are stored too.
        """
        kernel, recurrent_kernel, bias = self.params[:3]
        steps, units = self.steps, self.units
        xt, gates, slope, c, tanh_c, h = b["x"], b["gates"], b["slope"], b["c"], b["tanh_c"], b["h"]
        numpy.copyto(xt, x.transpose(1, 0, 2))
        numpy.matmul(xt.reshape(-1, self.features), kernel, out=gates.reshape(-1, 4 * units))
        gates += bias
        for t in range(steps):
            z = gates[t]
            if t:  # h[0] = 0: the first step has no recurrent term
                numpy.matmul(h[t], recurrent_kernel, out=b["recurrent"])
                z += b["recurrent"]
            z *= self.scale
            numpy.tanh(z, out=z)
            if keep:  # d/dz of s * tanh(s * z) + (1 - s) is s**2 * (1 - tanh(s * z)**2)
                numpy.multiply(z, z, out=slope[t])
                numpy.subtract(1, slope[t], out=slope[t])
                slope[t] *= self.scale_sq
            z *= self.scale
            z += self.shift
            i, f, g, o = z[:, :units], z[:, units:2 * units], z[:, 2 * units:3 * units], z[:, 3 * units:]
            numpy.multiply(f, c[t], out=c[t + 1])
            numpy.multiply(i, g, out=b["tmp"])
            c[t + 1] += b["tmp"]
            numpy.tanh(c[t + 1], out=tanh_c[t])
            numpy.multiply(o, tanh_c[t], out=h[t + 1])
        return h[steps]

    def _log_softmax(self, last, b):
        """Log class probabilities of the last LSTM output, in ``b['logits']``."""
        logits, row = b["logits"], b["row"]
        numpy.matmul(last, self.params[3], out=logits)
        logits += self.params[4]
        numpy.max(logits, axis=1, keepdims=True, out=row)
        logits -= row
        numpy.exp(logits, out=b["delta"])
        numpy.sum(b["delta"], axis=1, keepdims=True, out=row)
        numpy.log(row, out=row)
        logits -= row
        return logits

    def forward(self, x):
        """Class probabilities for ``x`` (n, steps, features); a new array, nothing kept for a backward pass."""
        b = self._buffers_for(len(x))
        return numpy.exp(self._log_softmax(self._lstm_forward(x, b, keep=False), b))

    # ----------------------------------------------------------- backward
    def loss_and_grads(self, x, y):
        """The loss on a batch and the gradients of ``params`` (buffers, overwritten by the next call)."""
        n = len(x)
        b = self._buffers_for(n)
        steps, units = self.steps, self.units
        last = self._lstm_forward(x, b, keep=True)
        log_probs = self._log_softmax(last, b)
        delta = b["delta"]
        # Keras clips the probabilities to [eps, 1 - eps] inside the loss.
        numpy.clip(log_probs, math.log(1e-7), math.log1p(-1e-7), out=delta)
        delta *= y
        loss = -float(delta.sum()) / n
        numpy.exp(log_probs, out=delta)
        delta -= y
        delta /= self.dtype(n)
        g_kernel, g_recurrent, g_bias, g_dense, g_dense_bias = b["grads"]
        numpy.matmul(last.T, delta, out=g_dense)
        numpy.sum(delta, axis=0, out=g_dense_bias)
        dh, dc, tmp, tmp2, grad_a = b["dh"], b["dc"], b["tmp"], b["tmp2"], b["grad_a"]
        numpy.matmul(delta, self.params[3].T, out=dh)
        dc.fill(0)
        gates, slope, c, tanh_c = b["gates"], b["slope"], b["c"], b["tanh_c"]
        recurrent_t = self.params[1].T
        for t in range(steps - 1, -1, -1):
            a = gates[t]
            i, f, g, o = a[:, :units], a[:, units:2 * units], a[:, 2 * units:3 * units], a[:, 3 * units:]
            # h = o * tanh(c): the output gate's gradient, and c's through tanh.
            numpy.multiply(dh, tanh_c[t], out=grad_a[:, 3 * units:])
            numpy.multiply(dh, o, out=tmp)
            numpy.multiply(tanh_c[t], tanh_c[t], out=tmp2)
            numpy.subtract(1, tmp2, out=tmp2)
            tmp *= tmp2
            dc += tmp
            # c = f * c_prev + i * g
            numpy.multiply(dc, g, out=grad_a[:, :units])
            numpy.multiply(dc, c[t], out=grad_a[:, units:2 * units])
            numpy.multiply(dc, i, out=grad_a[:, 2 * units:3 * units])
            dc *= f
            slope[t] *= grad_a  # now the gradient of the pre-activations
            if t:
                numpy.matmul(slope[t], recurrent_t, out=dh)
        dz = slope.reshape(-1, 4 * units)
        numpy.matmul(b["x"].reshape(-1, self.features).T, dz, out=g_kernel)
        # h[0] = 0 adds nothing to the recurrent kernel's gradient: leave step 0 out.
        numpy.matmul(b["h"][1:steps].reshape(-1, units).T, slope[1:].reshape(-1, 4 * units), out=g_recurrent)
        numpy.sum(dz, axis=0, out=g_bias)
        return loss, b["grads"]

    def train_step(self, x, y):
        """Forward, backward and one Adam update on a batch; returns the loss."""
        loss, grads = self.loss_and_grads(x, y)
        self._adam(grads)
        return loss
