"""The baseline: the same MLP, loss and Adam written by hand in numpy, float32.

Dense layers with ReLU hidden activations and a softmax output, categorical
crossentropy (mean over the batch), and Keras 3's Adam update (bias correction
folded into the step size, epsilon outside the square root), all in place with
preallocated buffers.  It is what a careful numpy programmer would write for
this one model; microkeras is measured against it.
"""

import math

import numpy


class InPlaceAdam:
    """Keras 3's Adam applied in place to ``self.params``, a list of float32 arrays.

    Subclasses set ``self.params`` and call :meth:`_init_adam`; ``_adam(grads)``
    then takes one step.  The update reads ``self.params`` at each step, so the
    list may be replaced by arrays of the same shapes (copied weights).
    """

    def _init_adam(self, learning_rate, beta_1, beta_2, epsilon):
        self.m = [numpy.zeros_like(p) for p in self.params]
        self.v = [numpy.zeros_like(p) for p in self.params]
        self.scratch = [numpy.empty_like(p) for p in self.params]
        self.lr, self.b1, self.b2, self.eps = learning_rate, beta_1, beta_2, epsilon
        self.t = 0

    def _adam(self, grads):
        self.t += 1
        alpha = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for p, g, m, v, s in zip(self.params, grads, self.m, self.v, self.scratch):
            numpy.subtract(g, m, out=s)
            s *= 1 - self.b1
            m += s
            numpy.multiply(g, g, out=s)
            s -= v
            s *= 1 - self.b2
            v += s
            numpy.sqrt(v, out=s)
            s += self.eps
            numpy.divide(m, s, out=s)
            s *= alpha
            p -= s


def glorot_uniform(rng, shape, fan_in, fan_out):
    """Keras's default kernel initializer: uniform in ``+-sqrt(6 / (fan_in + fan_out))``, float32."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(numpy.float32)


class HandwrittenMLP(InPlaceAdam):
    """``sizes = [inputs, hidden..., classes]``; weights initialized like Keras (Glorot uniform, zero bias).

    Every array a step writes -- activations, ReLU masks, deltas, gradients,
    softmax rows -- is allocated once per batch size and reused: matrix
    products write into them (``numpy.matmul(..., out=)``), and bias, ReLU,
    softmax and the masks are applied in place.
    """

    def __init__(self, sizes, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, seed=0):
        rng = numpy.random.default_rng(seed)
        self.sizes = list(sizes)
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            self.params.append(glorot_uniform(rng, (fan_in, fan_out), fan_in, fan_out))
            self.params.append(numpy.zeros(fan_out, numpy.float32))
        self.grads = [numpy.empty_like(p) for p in self.params]
        self._init_adam(learning_rate, beta_1, beta_2, epsilon)
        self._buffers = {}

    def _buffers_for(self, n):
        """The arrays of a step on ``n`` samples: outputs and deltas of each layer, the ReLU masks, a
        column for row-wise reductions and a scratch for the loss."""
        buffers = self._buffers.get(n)
        if buffers is None:
            outputs = [numpy.empty((n, size), numpy.float32) for size in self.sizes[1:]]
            buffers = self._buffers[n] = {
                "outputs": outputs,
                "deltas": [numpy.empty_like(out) for out in outputs],
                "masks": [numpy.empty((n, size), bool) for size in self.sizes[1:-1]],
                "row": numpy.empty((n, 1), numpy.float32),
                "scratch": numpy.empty((n, self.sizes[-1]), numpy.float32),
            }
        return buffers

    def _forward(self, x, buffers):
        """Fill ``buffers['outputs']``: ReLU hidden layers, then the softmax probabilities."""
        h = x
        last = len(self.params) // 2 - 1
        for layer, out in enumerate(buffers["outputs"]):
            numpy.matmul(h, self.params[2 * layer], out=out)
            out += self.params[2 * layer + 1]
            if layer < last:
                numpy.maximum(out, 0.0, out=out)
            h = out
        row = buffers["row"]
        numpy.max(h, axis=1, keepdims=True, out=row)
        h -= row
        numpy.exp(h, out=h)
        numpy.sum(h, axis=1, keepdims=True, out=row)
        h /= row
        return h

    def forward(self, x):
        """Class probabilities for ``x`` (a view of a reused buffer: copy it to keep it)."""
        return self._forward(x, self._buffers_for(len(x)))

    def train_step(self, x, y):
        """Forward, backward and one Adam update on a batch; returns the loss.

        The loss is Keras's crossentropy on clipped probabilities; its gradient
        with respect to the logits is ``(p - y) / n``.
        """
        n = len(x)
        buffers = self._buffers_for(n)
        probabilities = self._forward(x, buffers)
        scratch = buffers["scratch"]
        numpy.clip(probabilities, 1e-7, 1 - 1e-7, out=scratch)
        numpy.log(scratch, out=scratch)
        scratch *= y
        loss = -float(scratch.sum()) / n
        delta = buffers["deltas"][-1]
        numpy.subtract(probabilities, y, out=delta)
        delta *= numpy.float32(1.0 / n)
        outputs, deltas, masks = buffers["outputs"], buffers["deltas"], buffers["masks"]
        for layer in range(len(self.params) // 2 - 1, -1, -1):
            a = outputs[layer - 1] if layer else x
            numpy.matmul(a.T, delta, out=self.grads[2 * layer])
            numpy.sum(delta, axis=0, out=self.grads[2 * layer + 1])
            if layer:
                below = deltas[layer - 1]
                numpy.matmul(delta, self.params[2 * layer].T, out=below)
                numpy.greater(a, 0.0, out=masks[layer - 1])
                below *= masks[layer - 1]
                delta = below
        self._adam(self.grads)
        return loss
