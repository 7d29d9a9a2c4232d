"""The hand-written LSTM of W6 computes Keras's LSTM, its gradients and Keras's Adam (nothing here is timed)."""

import math

import numpy
import pytest

from benchmarks.handwritten_rnn import HandwrittenLSTM
from benchmarks.workloads import hand_epoch

SMALL = dict(steps=5, features=3, units=4, classes=3)


def batch(n, steps, features, classes, dtype, seed=0):
    rng = numpy.random.default_rng(seed)
    x = rng.normal(size=(n, steps, features)).astype(dtype)
    return x, numpy.eye(classes, dtype=dtype)[rng.integers(0, classes, n)]


def sigmoid(z):
    return 1 / (1 + numpy.exp(-z))


def lstm_by_the_equations(params, x):
    """Keras's LSTM written plainly: gates i, f, c, o; the last output into a softmax Dense."""
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = [p.astype(numpy.float64) for p in params]
    units = recurrent_kernel.shape[0]
    h = c = numpy.zeros((len(x), units))
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i, f = sigmoid(z[:, :units]), sigmoid(z[:, units:2 * units])
        g, o = numpy.tanh(z[:, 2 * units:3 * units]), sigmoid(z[:, 3 * units:])
        c = f * c + i * g
        h = o * numpy.tanh(c)
    logits = h @ dense_kernel + dense_bias
    e = numpy.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_initializes_like_keras():
    net = HandwrittenLSTM()
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = net.params
    assert [p.shape for p in net.params] == [(16, 256), (64, 256), (256,), (64, 10), (10,)]
    assert all(p.dtype == numpy.float32 for p in net.params)
    bound = math.sqrt(6 / (16 + 256))  # glorot_uniform, fans 16 and 4 * 64
    assert 0.9 * bound < numpy.abs(kernel).max() <= bound
    numpy.testing.assert_allclose(recurrent_kernel @ recurrent_kernel.T, numpy.eye(64), atol=1e-5)  # orthogonal
    assert (bias[64:128] == 1).all() and not bias[:64].any() and not bias[128:].any()  # unit_forget_bias
    assert not dense_bias.any() and numpy.abs(dense_kernel).max() <= math.sqrt(6 / 74)


def test_forward_matches_the_gate_equations():
    net = HandwrittenLSTM(**SMALL, seed=3)
    rng = numpy.random.default_rng(1)
    net.params[2] += rng.normal(size=16).astype(numpy.float32)  # every gate's bias matters
    x, _ = batch(7, 5, 3, 3, numpy.float32)
    probs = net.forward(x)
    assert probs.dtype == numpy.float32
    numpy.testing.assert_allclose(probs, lstm_by_the_equations(net.params, x), rtol=1e-5, atol=1e-6)


def test_loss_is_the_crossentropy_of_the_forward_pass():
    net = HandwrittenLSTM(**SMALL)
    x, y = batch(6, 5, 3, 3, numpy.float32)
    loss, _ = net.loss_and_grads(x, y)
    expected = -numpy.mean(numpy.log((lstm_by_the_equations(net.params, x) * y).sum(axis=1)))
    assert loss == pytest.approx(expected, rel=1e-5)


def test_gradients_match_finite_differences():
    # The same code run in float64 on a tiny LSTM, every weight entry perturbed.
    net = HandwrittenLSTM(**SMALL, seed=1, dtype=numpy.float64)
    rng = numpy.random.default_rng(2)
    net.params[2] += rng.normal(size=16)
    net.params[1] += rng.normal(scale=0.3, size=(4, 16))  # a state that moves: the recurrence is exercised
    x, y = batch(6, 5, 3, 3, numpy.float64)
    _, grads = net.loss_and_grads(x, y)
    grads = [g.copy() for g in grads]
    eps = 1e-6
    for param, grad in zip(net.params, grads):
        numeric = numpy.empty_like(param)
        for index in numpy.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + eps
            plus, _ = net.loss_and_grads(x, y)
            param[index] = saved - eps
            minus, _ = net.loss_and_grads(x, y)
            param[index] = saved
            numeric[index] = (plus - minus) / (2 * eps)
        numpy.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_float32_throughout():
    net = HandwrittenLSTM(**SMALL)
    x, y = batch(6, 5, 3, 3, numpy.float32)
    net.train_step(x, y)
    buffers = net._buffers_for(6)
    arrays = [a for a in buffers.values() if isinstance(a, numpy.ndarray)] + buffers["grads"]
    assert {a.dtype for a in arrays + net.params + net.m + net.v + net.scratch} == {numpy.dtype(numpy.float32)}


def test_adam_steps_follow_the_keras_formula():
    net = HandwrittenLSTM(**SMALL)
    x, y = batch(6, 5, 3, 3, numpy.float32)
    params = [p.astype(numpy.float64) for p in net.params]
    m = [numpy.zeros_like(p) for p in params]
    v = [numpy.zeros_like(p) for p in params]
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7
    for t in (1, 2):
        _, grads = net.loss_and_grads(x, y)
        grads = [g.astype(numpy.float64) for g in grads]
        net.train_step(x, y)
        for k, g in enumerate(grads):
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            params[k] = params[k] - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m[k] / (numpy.sqrt(v[k]) + eps)
        for mine, expected in zip(net.params, params):
            numpy.testing.assert_allclose(mine, expected, rtol=1e-6, atol=1e-7)


def test_batch_sizes_keep_their_own_buffers():
    # The last batch of an epoch is smaller: it gets buffers of its own and the full-size ones stay.
    net = HandwrittenLSTM(**SMALL)
    x, y = batch(10, 5, 3, 3, numpy.float32)
    full = net.loss_and_grads(x[:4], y[:4])[0]
    net.loss_and_grads(x[8:], y[8:])
    assert net.loss_and_grads(x[:4], y[:4])[0] == full
    numpy.testing.assert_allclose(net.forward(x[8:]), lstm_by_the_equations(net.params, x[8:]), rtol=1e-5)


def test_epochs_step_once_per_batch_and_learn():
    net = HandwrittenLSTM(**SMALL, learning_rate=1e-2)
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(200, 5, 3)).astype(numpy.float32)
    teacher = numpy.array([[1, -1, 0], [0, 1, -1], [-1, 0, 1]], numpy.float32)
    y = numpy.eye(3, dtype=numpy.float32)[(x.sum(axis=1) @ teacher).argmax(1)]
    before, _ = net.loss_and_grads(x, y)
    for _ in range(30):
        hand_epoch(net, x, y, 64, rng)
    assert net.t == 30 * 4  # 200 samples in batches of 64: 4 steps an epoch
    after, _ = net.loss_and_grads(x, y)
    assert after < 0.5 * before


def test_matches_microkeras_forward_and_three_steps():
    # The floor does the same work as the W6 model: same initial weights, the same forward pass,
    # and three Adam steps on the same batches give the same losses and weights as train_on_batch.
    from benchmarks.workloads import lstm_classifier, sequences
    from microkeras.utils import set_random_seed
    from tests.test_benchmark_floors import THREE_BATCHES_OF_16, assert_floor_trains_like

    x, y = sequences(48, steps=6, features=5, classes=4)
    set_random_seed(0)
    model, net = lstm_classifier(steps=6, features=5, units=8, classes=4), HandwrittenLSTM(6, 5, 8, 4)
    assert [w.shape for w in model.get_weights()] == [p.shape for p in net.params]
    net.params = [w.copy() for w in model.get_weights()]
    numpy.testing.assert_allclose(net.forward(x[:16]), model.predict(x[:16], verbose=0), rtol=1e-5, atol=1e-6)
    assert_floor_trains_like(model, net, x, y, THREE_BATCHES_OF_16, weight_atol=1e-6)
