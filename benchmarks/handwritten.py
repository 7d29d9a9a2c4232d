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
    """``sizes = [inputs, hidden..., classes]``; weights initialized like Keras (Glorot uniform, zero bias)."""

    def __init__(self, sizes, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, seed=0):
        rng = numpy.random.default_rng(seed)
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            self.params.append(glorot_uniform(rng, (fan_in, fan_out), fan_in, fan_out))
            self.params.append(numpy.zeros(fan_out, numpy.float32))
        self._init_adam(learning_rate, beta_1, beta_2, epsilon)

    def forward(self, x):
        """Class probabilities for ``x`` (no tracing, nothing kept)."""
        h = x
        for i in range(0, len(self.params) - 2, 2):
            h = h @ self.params[i] + self.params[i + 1]
            h *= h > 0
        z = h @ self.params[-2] + self.params[-1]
        z -= z.max(axis=1, keepdims=True)
        numpy.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def train_step(self, x, y):
        """Forward, backward and one Adam update on a batch; returns the loss."""
        activations = [x]
        h = x
        for i in range(0, len(self.params) - 2, 2):
            h = h @ self.params[i] + self.params[i + 1]
            h *= h > 0
            activations.append(h)
        z = h @ self.params[-2] + self.params[-1]
        z -= z.max(axis=1, keepdims=True)
        log_probs = z - numpy.log(numpy.exp(z).sum(axis=1, keepdims=True))
        n = len(x)
        loss = -float((y * numpy.clip(log_probs, math.log(1e-7), math.log1p(-1e-7))).sum()) / n
        delta = (numpy.exp(log_probs) - y) / numpy.float32(n)
        grads = [None] * len(self.params)
        for layer in range(len(self.params) // 2 - 1, -1, -1):
            a = activations[layer]
            grads[2 * layer] = a.T @ delta
            grads[2 * layer + 1] = delta.sum(axis=0)
            if layer:
                delta = (delta @ self.params[2 * layer].T) * (a > 0)
        self._adam(grads)
        return loss
