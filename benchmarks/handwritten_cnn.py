"""The CNN baseline of W5: a small convolutional network written by hand in numpy, float32.

Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2)
-> Flatten -> Dense(classes, softmax), ``valid`` padding throughout, channels
last, categorical crossentropy (mean over the batch) and Keras 3's Adam
(:class:`benchmarks.handwritten.InPlaceAdam`).  Weights are laid out as
Keras's (kernels ``(kh, kw, cin, cout)``), so ``get_weights`` of the matching
Keras or microkeras model can be assigned to ``params``.

Each convolution is im2col into a preallocated buffer and one matrix
product; its input gradient is one product and col2im, one strided add per
kernel offset.  Pooling reshapes to ``(n, h/2, 2, w/2, 2, c)`` (odd sizes
drop the last row and column, as ``valid`` pooling does) and takes the
maximum pair by pair.  Buffers are kept per batch size.
"""

import math

import numpy
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks.handwritten import InPlaceAdam, glorot_uniform

KERNEL = 3
CELLS = ((0, 0), (0, 1), (1, 0), (1, 1))  # the cells of a 2x2 pooling window, in window order


class HandwrittenCNN(InPlaceAdam):
    """The W5 model for inputs of shape ``input_shape`` (height, width, channels).

    ``params`` is ``[kernel1, bias1, kernel2, bias2, dense_kernel, dense_bias]``,
    Keras's order and shapes; kernels are Glorot uniform (fans ``kh * kw * cin``
    and ``kh * kw * cout``), biases zero, as Keras initializes them.
    """

    def __init__(self, input_shape=(28, 28, 1), filters=(32, 64), classes=10, learning_rate=1e-3, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-7, seed=0):
        rng = numpy.random.default_rng(seed)
        height, width, channels = input_shape
        self.params = []
        for cin, cout in zip((channels,) + tuple(filters[:-1]), filters):
            area = KERNEL * KERNEL
            self.params.append(glorot_uniform(rng, (KERNEL, KERNEL, cin, cout), area * cin, area * cout))
            self.params.append(numpy.zeros(cout, numpy.float32))
            height, width = (height - KERNEL + 1) // 2, (width - KERNEL + 1) // 2
        features = height * width * filters[-1]
        self.params.append(glorot_uniform(rng, (features, classes), features, classes))
        self.params.append(numpy.zeros(classes, numpy.float32))
        self.input_shape, self.filters = tuple(input_shape), tuple(filters)
        self._buffers = {}
        self._init_adam(learning_rate, beta_1, beta_2, epsilon)

    # ----------------------------------------------------------- buffers
    def _buffers_for(self, n):
        """Every intermediate of a step on ``n`` samples, allocated once per batch size."""
        if n in self._buffers:
            return self._buffers[n]
        height, width, channels = self.input_shape
        layers = []
        for cin, cout in zip((channels,) + self.filters[:-1], self.filters):
            oh, ow = height - KERNEL + 1, width - KERNEL + 1
            ph, pw = oh // 2, ow // 2
            layer = {
                "cols": numpy.empty((n, oh, ow, KERNEL, KERNEL, cin), numpy.float32),
                "z": numpy.empty((n, oh, ow, cout), numpy.float32),  # conv + bias, then ReLU in place
                "rows": numpy.empty((n, ph, pw, 2, cout), numpy.float32),  # the maximum of each row pair
                "pooled": numpy.empty((n, ph, pw, cout), numpy.float32),
                "mask": numpy.empty((n, ph, 2, pw, 2, cout), bool),  # the cell that gets a window's gradient
                "taken": numpy.empty((n, ph, pw, cout), bool),
                "positive": numpy.empty((n, ph, pw, cout), bool),
                "target": numpy.empty((n, ph, pw, cout), numpy.float32),
                "gz": numpy.zeros((n, oh, ow, cout), numpy.float32),  # odd sizes: the dropped edge stays 0
                "gkernel": numpy.empty((KERNEL * KERNEL * cin, cout), numpy.float32),
                "gbias": numpy.empty(cout, numpy.float32),
            }
            if layers:  # the first convolution needs no input gradient
                layer["gcols"] = numpy.empty((n * oh * ow, KERNEL * KERNEL * cin), numpy.float32)
                layer["ginput"] = numpy.empty((n, height, width, cin), numpy.float32)
            layers.append(layer)
            height, width = ph, pw
        dense = {"gkernel": numpy.empty_like(self.params[-2]), "gbias": numpy.empty_like(self.params[-1])}
        self._buffers[n] = (layers, dense)
        return self._buffers[n]

    # ----------------------------------------------------------- the layers
    @staticmethod
    def _im2col(x, cols):
        """Copy the 3x3 windows of ``x`` into ``cols`` (n, oh, ow, kh, kw, cin) and return it as a matrix."""
        if x.shape[-1] == 1:
            # One channel: a window row is 3 floats, too short a run for the strided copy; one
            # copy per kernel offset moves whole image rows instead (3x faster here).
            oh, ow = cols.shape[1:3]
            for i in range(KERNEL):
                for j in range(KERNEL):
                    cols[:, :, :, i, j, :] = x[:, i:i + oh, j:j + ow, :]
        else:
            windows = sliding_window_view(x, (KERNEL, KERNEL), axis=(1, 2))  # (n, oh, ow, cin, kh, kw)
            numpy.copyto(cols, windows.transpose(0, 1, 2, 4, 5, 3))
        return cols.reshape(-1, cols.shape[3] * cols.shape[4] * cols.shape[5])

    def _conv_relu(self, x, kernel, bias, layer):
        """``relu(conv(x) + bias)`` into ``layer['z']``; returns the im2col matrix (the kernel gradient reads it)."""
        cols = self._im2col(x, layer["cols"])
        z = layer["z"].reshape(-1, kernel.shape[-1])
        numpy.matmul(cols, kernel.reshape(-1, kernel.shape[-1]), out=z)
        z += bias
        numpy.maximum(z, 0, out=z)
        return cols

    @staticmethod
    def _pairs(a):
        """``a`` (n, h, w, c) without an odd last row/column, viewed as (n, h/2, 2, w/2, 2, c)."""
        n, h, w, c = a.shape
        return a[:, :h - h % 2, :w - w % 2].reshape((n, h // 2, 2, w // 2, 2, c), copy=False)

    def _pool(self, a, layer):
        pairs = self._pairs(a)
        rows, pooled = layer["rows"], layer["pooled"]
        numpy.maximum(pairs[:, :, 0], pairs[:, :, 1], out=rows)
        numpy.maximum(rows[:, :, :, 0], rows[:, :, :, 1], out=pooled)
        return pooled

    @staticmethod
    def _pool_mask(a, pooled, layer):
        """Where each window's gradient goes, the ReLU's derivative included; computed once, on the forward pass.

        A window's gradient goes to its maximum, and the ReLU passes it only if
        that maximum is positive: windows of ReLU zeros compare with NaN, so no
        cell of theirs is chosen.  Ties between positive values (a flat image
        region) go to the first maximum in window order, row by row, as Keras
        (TensorFlow, JAX) and microkeras route them; the fix-up runs only for
        batches that have such ties.
        """
        mask, positive, target = layer["mask"], layer["positive"], layer["target"]
        numpy.greater(pooled, 0, out=positive)
        target.fill(numpy.nan)
        numpy.copyto(target, pooled, where=positive)
        numpy.equal(HandwrittenCNN._pairs(a), target[:, :, None, :, None, :], out=mask)
        if numpy.count_nonzero(mask) > numpy.count_nonzero(positive):
            taken = layer["taken"]
            cells = [mask[:, :, i, :, j] for i, j in CELLS]
            numpy.copyto(taken, cells[0])
            for cell in cells[1:]:
                cell &= ~taken
                taken |= cell
        return mask

    @staticmethod
    def _unpool_relu(g, layer):
        """The gradient of ``relu(conv + bias)`` from that of the pooled output, into ``layer['gz']``."""
        numpy.multiply(layer["mask"], g[:, :, None, :, None, :], out=HandwrittenCNN._pairs(layer["gz"]))
        return layer["gz"].reshape(-1, layer["gz"].shape[-1])

    @staticmethod
    def _col2im(gcols, ginput):
        """Add the column gradients back onto the input positions they were gathered from."""
        n, h, w, cin = ginput.shape
        oh, ow = h - KERNEL + 1, w - KERNEL + 1
        windows = gcols.reshape(n, oh, ow, KERNEL, KERNEL, cin)
        ginput.fill(0)
        for i in range(KERNEL):
            for j in range(KERNEL):
                ginput[:, i:i + oh, j:j + ow] += windows[:, :, :, i, j]
        return ginput

    # ----------------------------------------------------------- the model
    def forward(self, x):
        """Class probabilities for ``x`` (n, height, width, channels); nothing kept for a backward pass."""
        layers, _ = self._buffers_for(len(x))
        h = x
        for k, layer in enumerate(layers):
            self._conv_relu(h, self.params[2 * k], self.params[2 * k + 1], layer)
            h = self._pool(layer["z"], layer)
        z = h.reshape(len(x), -1) @ self.params[-2] + self.params[-1]
        z -= z.max(axis=1, keepdims=True)
        numpy.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def train_step(self, x, y):
        """Forward, backward and one Adam update on a batch; returns the loss."""
        n = len(x)
        layers, dense = self._buffers_for(n)
        inputs, cols = [], []
        h = x
        for k, layer in enumerate(layers):
            inputs.append(h)
            cols.append(self._conv_relu(h, self.params[2 * k], self.params[2 * k + 1], layer))
            h = self._pool(layer["z"], layer)
            self._pool_mask(layer["z"], h, layer)
        features = h.reshape(n, -1)
        z = features @ self.params[-2] + self.params[-1]
        z -= z.max(axis=1, keepdims=True)
        log_probs = z - numpy.log(numpy.exp(z).sum(axis=1, keepdims=True))
        loss = -float((y * numpy.clip(log_probs, math.log(1e-7), math.log1p(-1e-7))).sum()) / n
        delta = (numpy.exp(log_probs) - y) / numpy.float32(n)
        numpy.matmul(features.T, delta, out=dense["gkernel"])
        delta.sum(axis=0, out=dense["gbias"])
        g = (delta @ self.params[-2].T).reshape(layers[-1]["pooled"].shape)
        for k in range(len(layers) - 1, -1, -1):
            layer = layers[k]
            gz = self._unpool_relu(g, layer)
            numpy.matmul(cols[k].T, gz, out=layer["gkernel"])
            # Summed over the batch first: long rows; summing (n*oh*ow, c) over axis 0 is 4x slower.
            gz.reshape(n, -1).sum(axis=0).reshape(-1, gz.shape[-1]).sum(axis=0, out=layer["gbias"])
            if k:
                kernel = self.params[2 * k]
                numpy.matmul(gz, kernel.reshape(-1, kernel.shape[-1]).T, out=layer["gcols"])
                g = self._col2im(layer["gcols"], layer["ginput"])
        grads = []
        for k, layer in enumerate(layers):
            grads += [layer["gkernel"].reshape(self.params[2 * k].shape), layer["gbias"]]
        self._adam(grads + [dense["gkernel"], dense["gbias"]])
        return loss
