"""The hand-written baselines of the benchmarks do the same work as microkeras (nothing here is timed)."""

import numpy
import pytest

from benchmarks.handwritten_cnn import HandwrittenCNN
from benchmarks.workloads import cnn, mnist_images
from microkeras.utils import set_random_seed


def assert_floor_trains_like(model, net, x, y, batches, weight_atol):
    """From the same weights, each batch's step of the floor ``net`` must give the loss of
    ``train_on_batch``, and then the same weights (the floor does microkeras's work)."""
    for batch in batches:
        hand_loss = net.train_step(x[batch], y[batch])
        assert model.train_on_batch(x[batch], y[batch]) == pytest.approx(hand_loss, rel=1e-5)
    for mine, theirs in zip(model.get_weights(), net.params):
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=weight_atol)


THREE_BATCHES_OF_16 = [slice(0, 16), slice(16, 32), slice(32, 48)]


def test_handwritten_cnn_initializes_like_keras():
    set_random_seed(0)
    model, net = cnn(), HandwrittenCNN()
    for mine, theirs in zip(model.get_weights(), net.params):
        assert mine.shape == theirs.shape and theirs.dtype == numpy.float32
        if mine.ndim > 1:  # glorot_uniform, fans kh * kw * cin and kh * kw * cout: both fill the same bound
            fan_in, fan_out = numpy.prod(mine.shape[:-1]), numpy.prod(mine.shape[:-2]) * mine.shape[-1]
            bound = (6 / (fan_in + fan_out)) ** 0.5
            assert 0.9 * bound < numpy.abs(theirs).max() <= bound
            assert 0.9 * bound < numpy.abs(mine).max() <= bound
        else:
            assert not theirs.any()


def test_handwritten_cnn_matches_microkeras_forward_and_three_steps():
    # Same initial weights; the forward pass must match predict, and three Adam steps on the same
    # batches must give the same losses and the same weights as train_on_batch.
    x, y = mnist_images(48)
    set_random_seed(0)
    model, net = cnn(), HandwrittenCNN()
    net.params = [w.copy() for w in model.get_weights()]
    numpy.testing.assert_allclose(net.forward(x[:16]), model.predict(x[:16], verbose=0), rtol=1e-5, atol=1e-6)
    assert_floor_trains_like(model, net, x, y, THREE_BATCHES_OF_16, weight_atol=1e-5)
    numpy.testing.assert_allclose(net.forward(x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_handwritten_cnn_routes_ties_to_the_first_maximum():
    # A flat image: every window of the first pooling holds equal values.  The gradient must go to
    # one cell per window (the first), as microkeras and Keras route it, not to all four.
    x = numpy.full((4, 28, 28, 1), 0.5, numpy.float32)
    y = numpy.eye(10, dtype=numpy.float32)[[0, 1, 2, 3]]
    set_random_seed(1)
    model, net = cnn(), HandwrittenCNN()
    weights = model.get_weights()
    weights[1] = numpy.abs(weights[1]) + 0.1  # positive biases: the flat windows are positive ties
    model.set_weights(weights)
    net.params = [w.copy() for w in weights]
    assert model.train_on_batch(x, y) == pytest.approx(net.train_step(x, y), rel=1e-5)
    first = net._buffers[4][0][0]
    mask, pairs = first["mask"], net._pairs(first["z"])
    positive = first["pooled"] > 0
    assert (mask.sum(axis=(2, 4)) == positive).all()  # one cell per window with a positive maximum, else none
    flat = (pairs == pairs[:, :, :1, :, :1]).all(axis=(2, 4)) & positive  # four equal positive cells
    assert flat.mean() > 0.3 and mask[:, :, 0, :, 0][flat].all()
    for mine, theirs in zip(model.get_weights(), net.params):
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(12, 12, 3), (13, 11, 2)])
def test_handwritten_cnn_other_shapes_match(shape):
    # Odd sizes drop the last row/column at each pooling, as valid pooling does.
    from microkeras import optimizers
    from microkeras.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
    from microkeras.models import Sequential

    rng = numpy.random.default_rng(1)
    x = rng.random((8,) + shape, dtype=numpy.float32)
    y = numpy.eye(3, dtype=numpy.float32)[rng.integers(0, 3, 8)]
    set_random_seed(0)
    model = Sequential([Input(shape), Conv2D(4, 3, activation="relu"), MaxPooling2D(),
                        Conv2D(5, 3, activation="relu"), MaxPooling2D(), Flatten(),
                        Dense(3, activation="softmax")])
    model.compile(optimizers.Adam(1e-3), "categorical_crossentropy")
    net = HandwrittenCNN(shape, filters=(4, 5), classes=3)
    assert [w.shape for w in model.get_weights()] == [p.shape for p in net.params]
    net.params = [w.copy() for w in model.get_weights()]
    for _ in range(2):
        assert model.train_on_batch(x, y) == pytest.approx(net.train_step(x, y), rel=1e-5)
    for mine, theirs in zip(model.get_weights(), net.params):
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-5)


def test_handwritten_mlp_reuses_its_buffers_and_matches_microkeras_over_steps_of_two_sizes():
    # The floor writes every step into arrays kept per batch size; three steps on batches of 16, 7
    # and 16 (back to the first buffers) must match microkeras's losses and weights.
    from benchmarks.handwritten import HandwrittenMLP
    from benchmarks.workloads import mlp

    rng = numpy.random.default_rng(1)
    x = rng.random((39, 8), dtype=numpy.float32)
    y = numpy.eye(3, dtype=numpy.float32)[rng.integers(0, 3, 39)]
    model, net = mlp([8, 6, 5, 3]), HandwrittenMLP([8, 6, 5, 3])
    net.params = [w.copy() for w in model.get_weights()]
    assert_floor_trains_like(model, net, x, y, [slice(0, 16), slice(16, 23), slice(23, 39)], weight_atol=1e-6)
    numpy.testing.assert_allclose(net.forward(x[:16]), model.predict(x[:16], verbose=0), rtol=1e-5, atol=1e-6)


def test_hand_epoch_gathers_the_same_batches_as_indexing():
    from benchmarks.workloads import hand_epoch

    class Recorder:
        def __init__(self):
            self.batches = []

        def train_step(self, xb, yb):
            self.batches.append((xb.copy(), yb.copy()))

    x = numpy.arange(50, dtype=numpy.float32).reshape(25, 2)
    y = numpy.arange(25, dtype=numpy.float32)[:, None]
    recorder = Recorder()
    hand_epoch(recorder, x, y, 10, numpy.random.default_rng(3))
    order = numpy.random.default_rng(3).permutation(25)
    assert [len(xb) for xb, _ in recorder.batches] == [10, 10, 5]
    for start, (xb, yb) in zip(range(0, 25, 10), recorder.batches):
        numpy.testing.assert_array_equal(xb, x[order[start:start + 10]])
        numpy.testing.assert_array_equal(yb, y[order[start:start + 10]])
