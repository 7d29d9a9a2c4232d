"""ops.recurrent.lstm_sequence: Keras's LSTM equations over a whole sequence, backward by hand."""

import autograd
import autograd.numpy as anp
import numpy
import pytest

from microkeras.ops.recurrent import lstm_sequence
from microkeras.testing import assert_float32_backward, check_gradient

BATCH, STEPS, UNITS = 3, 5, 4


def arguments(seed=0, dtype=numpy.float64):
    rng = numpy.random.default_rng(seed)
    projected = rng.normal(size=(BATCH, STEPS, 4 * UNITS))
    kernel = rng.normal(size=(UNITS, 4 * UNITS)) * 0.5
    h0, c0 = rng.normal(size=(BATCH, UNITS)), rng.normal(size=(BATCH, UNITS))
    return [a.astype(dtype) for a in (projected, kernel, h0, c0)]


def reference(projected, kernel, h0, c0):
    """The gate equations, written out: i, f, g, o = split(z); c = f c + i g; h = o tanh(c)."""
    def sigmoid(v):
        return 1.0 / (1.0 + numpy.exp(-v))

    h, c, blocks = h0, c0, []
    for t in range(projected.shape[1]):
        z = projected[:, t] + h @ kernel
        i, f, g, o = sigmoid(z[:, :UNITS]), sigmoid(z[:, UNITS:2 * UNITS]), numpy.tanh(z[:, 2 * UNITS:3 * UNITS]), \
            sigmoid(z[:, 3 * UNITS:])
        c = f * c + i * g
        h = o * numpy.tanh(c)
        blocks.append(numpy.concatenate([h, c, i, f, g, o], axis=1))
    return numpy.stack(blocks, axis=1)


def test_the_trace_holds_h_c_and_the_gates_of_every_step():
    args = arguments()
    numpy.testing.assert_allclose(lstm_sequence(*args), reference(*args), rtol=1e-12, atol=1e-12)
    # Very negative and positive gate inputs stay finite (the sigmoid reads exp(-|z|) only).
    args[0][0, 0, :] = -1e4
    args[0][1, 0, :] = 1e4
    assert numpy.isfinite(lstm_sequence(*args)).all()


@pytest.mark.parametrize("argnum", [0, 1, 2, 3], ids=["projected", "recurrent_kernel", "h0", "c0"])
def test_gradients_match_finite_differences(argnum):
    # The contraction weighs every block of the trace, gates included.
    args = arguments(1)

    def f(value):
        return lstm_sequence(*(value if k == argnum else a for k, a in enumerate(args)))

    check_gradient(f, args[argnum])


def test_all_gradients_at_once_equal_each_alone():
    args = arguments(2)

    def loss(*values):
        trace = lstm_sequence(*values)
        return anp.sum(trace[:, :, :UNITS] ** 2) + anp.sum(trace[:, -1, UNITS:2 * UNITS])

    together = autograd.grad(loss, argnum=(0, 1, 2, 3))(*args)
    for k in range(4):
        numpy.testing.assert_allclose(together[k], autograd.grad(loss, argnum=k)(*args), rtol=1e-12)


@pytest.mark.parametrize("argnum", [0, 1, 2, 3])
def test_forward_and_backward_stay_float32(argnum):
    args = arguments(3, numpy.float32)
    assert lstm_sequence(*args).dtype == numpy.float32

    def loss(value):
        trace = lstm_sequence(*(value if k == argnum else a for k, a in enumerate(args)))
        return anp.sum(trace[:, :, :2 * UNITS] ** 2)

    assert_float32_backward(loss, args[argnum])


@pytest.mark.parametrize("options", [{}, {"return_sequences": True}, {"return_state": True, "go_backwards": True},
                                     {"return_sequences": True, "dropout": 0.3}],
                         ids=["last", "sequences", "state-backwards", "input-dropout"])
def test_the_lstm_layer_gives_the_same_outputs_and_gradients_on_both_paths(options):
    # use_cudnn=False forces the cell's step-by-step forward code; "auto" takes lstm_sequence here.
    from microkeras.layers import LSTM

    x = numpy.random.default_rng(4).normal(size=(2, 6, 3)).astype(numpy.float32)
    fast, slow = LSTM(4, **options), LSTM(4, use_cudnn=False, **options)
    fast.build(x.shape)
    slow.build(x.shape)
    slow.set_weights(fast.get_weights())
    dropout_mask = [(numpy.random.default_rng(5).random((2, 3)) > 0.3).astype(numpy.float32) / 0.7]
    for layer in (fast, slow):  # the same input dropout mask on both paths
        layer.cell.get_dropout_mask = lambda step_input: dropout_mask

    def run(layer, weights):
        outputs, _ = layer.stateless_call(weights, [], x, training=True)
        return sum(anp.sum(o ** 2) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs]))

    weights = [w.numpy() for w in fast.trainable_weights]
    assert run(fast, weights) == pytest.approx(run(slow, weights), rel=1e-5)
    for a, b in zip(autograd.grad(lambda w: run(fast, w))(weights), autograd.grad(lambda w: run(slow, w))(weights)):
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
