"""The workloads W1-W6 and W5P: each times microkeras and the hand-written baseline alternately.

Each function returns ``{"id", "title", "unit", "target", "rows"}`` (and ``"targets"``, one per
row, where rows have different targets); ``rows``
holds one entry per implementation with its median and its ratio to
``numpy (hand-written)`` measured in the same run.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy

from benchmarks import peers
from benchmarks.handwritten import HandwrittenMLP
from benchmarks.handwritten_cnn import HandwrittenCNN
from benchmarks.handwritten_rnn import HandwrittenLSTM
from benchmarks.timing import alternate, summarize
from microkeras import callbacks, optimizers
from microkeras.datasets import digits
from microkeras.layers import LSTM, Conv2D, Dense, Flatten, Input, MaxPooling2D
from microkeras.models import Model, Sequential
from microkeras.utils import set_random_seed, to_categorical

BASELINE = "numpy (hand-written)"
MICROKERAS = "microkeras"


class EpochTimer(callbacks.Callback):
    """Seconds spent inside epochs (fit's set-up and tear-down left out)."""

    def __init__(self):
        super().__init__()
        self.seconds = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds += time.perf_counter() - self._start


def mlp(sizes):
    """The microkeras model matching ``HandwrittenMLP(sizes)``, compiled with Adam(1e-3)."""
    model = Sequential([Input((sizes[0],))] + [Dense(units, activation="relu") for units in sizes[1:-1]]
                       + [Dense(sizes[-1], activation="softmax")])
    model.compile(optimizers.Adam(1e-3), "categorical_crossentropy")
    return model


def mlp_functional(sizes):
    """:func:`mlp` built with the functional API: ``Model(inputs, outputs)``."""
    inputs = h = Input((sizes[0],))
    for units in sizes[1:-1]:
        h = Dense(units, activation="relu")(h)
    model = Model(inputs, Dense(sizes[-1], activation="softmax")(h))
    model.compile(optimizers.Adam(1e-3), "categorical_crossentropy")
    return model


def cnn(input_shape=(28, 28, 1), classes=10):
    """The microkeras model matching ``HandwrittenCNN()``, compiled with Adam(1e-3)."""
    model = Sequential([Input(input_shape), Conv2D(32, 3, activation="relu"), MaxPooling2D(),
                        Conv2D(64, 3, activation="relu"), MaxPooling2D(), Flatten(),
                        Dense(classes, activation="softmax")])
    model.compile(optimizers.Adam(1e-3), "categorical_crossentropy")
    return model


def lstm_classifier(steps=32, features=16, units=64, classes=10):
    """The microkeras model matching ``HandwrittenLSTM()``, compiled with Adam(1e-3)."""
    model = Sequential([Input((steps, features)), LSTM(units), Dense(classes, activation="softmax")])
    model.compile(optimizers.Adam(1e-3), "categorical_crossentropy")
    return model


def hand_epoch(net, x, y, batch_size, rng):
    """One shuffled epoch of the hand-written baseline, each batch gathered into reused arrays."""
    order = rng.permutation(len(x))
    batches = {}  # batch size -> (x batch, y batch)
    for start in range(0, len(x), batch_size):
        index = order[start:start + batch_size]
        if len(index) not in batches:
            batches[len(index)] = (numpy.empty((len(index),) + x.shape[1:], x.dtype),
                                   numpy.empty((len(index),) + y.shape[1:], y.dtype))
        xb, yb = batches[len(index)]
        numpy.take(x, index, axis=0, out=xb)
        numpy.take(y, index, axis=0, out=yb)
        net.train_step(xb, yb)


def mk_epoch(model, x, y, batch_size, epochs=1):
    timer = EpochTimer()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0, callbacks=[timer])
    return timer.seconds


def fit_call(model, x, y, batch_size):
    """``model.fit(x, y, epochs=1)`` as a user calls it, timed whole by :func:`alternate` (returns None)."""
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)


def mnist_shaped(n):
    """``n`` uniform 784-pixel samples and one-hot labels of 10 classes a linear model can learn."""
    rng = numpy.random.default_rng(0)
    x = rng.random((n, 784), dtype=numpy.float32)
    teacher = rng.normal(size=(784, 10)).astype(numpy.float32)
    return x, to_categorical(((x - 0.5) @ teacher).argmax(1), 10)


def mnist_images(n):
    """:func:`mnist_shaped` as ``(n, 28, 28, 1)`` images."""
    x, y = mnist_shaped(n)
    return x.reshape(n, 28, 28, 1), y


def sequences(n, steps=32, features=16, classes=10):
    """``n`` Gaussian sequences and one-hot labels of ``classes`` classes read from their mean over time."""
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(n, steps, features)).astype(numpy.float32)
    teacher = rng.normal(size=(features, classes)).astype(numpy.float32)
    return x, to_categorical((x.mean(axis=1) @ teacher).argmax(1), classes)


def w1_fit_epoch(quick, with_peers):
    """W1: one training epoch of a 784-512-512-10 MLP on MNIST-shaped data, batch 128.

    The same model built with the functional API is timed alongside: it must train as fast.  So is
    the epoch as a user calls it, ``fit(x, y, epochs=1)`` timed whole (data checks and set-up
    included), beside the epoch alone (``on_epoch_begin`` to ``on_epoch_end``).
    """
    n, reps = (8_000, 3) if quick else (60_000, 5)
    x, y = mnist_shaped(n)
    sizes = [784, 512, 512, 10]
    set_random_seed(0)
    model, net, rng = mlp(sizes), HandwrittenMLP(sizes), numpy.random.default_rng(0)
    functional = mlp_functional(sizes)
    functional.set_weights(model.get_weights())
    for warm_up in (model, functional):
        mk_epoch(warm_up, x[:4096], y[:4096], 128)
    hand_epoch(net, x[:4096], y[:4096], 128, rng)
    candidates = {BASELINE: lambda: hand_epoch(net, x, y, 128, rng),
                  MICROKERAS: lambda: mk_epoch(model, x, y, 128),
                  MICROKERAS + " (functional)": lambda: mk_epoch(functional, x, y, 128),
                  MICROKERAS + " fit call": lambda: fit_call(model, x, y, 128)}
    if with_peers:
        candidates.update(peers.w1_candidates(x, y, sizes, 128))
    rows = summarize(alternate(candidates, reps), BASELINE)
    return {"id": "W1", "title": f"fit, one epoch, MLP 784-512-512-10, {n} samples, batch 128",
            "unit": "s/epoch", "target": 1.10, "rows": rows,
            "targets": {MICROKERAS: 1.10, MICROKERAS + " (functional)": 1.10, MICROKERAS + " fit call": 1.10}}


def w2_small_steps(quick, with_peers):
    """W2: time per training step of a small MLP on the bundled digits, batch 32."""
    epochs, reps = (2, 3) if quick else (10, 21)  # short repetitions: many of them
    (x, labels), _ = digits.load_data()
    x = x.reshape(len(x), 64).astype(numpy.float32) / 16
    y = to_categorical(labels, 10)
    sizes, batch = [64, 32, 10], 32
    steps = -(-len(x) // batch)
    set_random_seed(0)
    model, net, rng = mlp(sizes), HandwrittenMLP(sizes), numpy.random.default_rng(0)
    on_batch = mlp(sizes)
    batches = [(x[s:s + batch], y[s:s + batch]) for s in range(0, len(x), batch)]

    def hand():
        start = time.perf_counter()
        for _ in range(epochs):
            hand_epoch(net, x, y, batch, rng)
        return time.perf_counter() - start

    def train_on_batch():
        start = time.perf_counter()
        for _ in range(epochs):
            for xb, yb in batches:
                on_batch.train_on_batch(xb, yb)
        return time.perf_counter() - start

    candidates = {BASELINE: hand, MICROKERAS: lambda: mk_epoch(model, x, y, batch, epochs),
                  MICROKERAS + " train_on_batch": train_on_batch}
    if with_peers:
        candidates.update(peers.w2_candidates(x, y, sizes, batch, epochs))
    for run in candidates.values():  # warm-up
        run()
    rows = summarize(alternate(candidates, reps), BASELINE, scale=1e6 / (epochs * steps))
    return {"id": "W2", "title": f"time per training step, MLP 64-32-10 on digits ({len(x)} samples), batch 32",
            "unit": "us/step", "target": 2.5, "targets": {MICROKERAS: 2.5, MICROKERAS + " train_on_batch": 2.8},
            "rows": rows}


def w3_predict(quick, with_peers):
    """W3: predict on W1's data with the W1 model, batch 1024."""
    n, reps = (20_000, 5) if quick else (60_000, 15)
    x, _ = mnist_shaped(n)
    sizes = [784, 512, 512, 10]
    set_random_seed(0)
    model, net = mlp(sizes), HandwrittenMLP(sizes)
    net.params = [w.copy() for w in model.get_weights()]

    def hand():
        out = numpy.empty((len(x), 10), numpy.float32)
        for start in range(0, len(x), 1024):
            out[start:start + 1024] = net.forward(x[start:start + 1024])
        return None

    def predict(model, x):
        model.predict(x, batch_size=1024, verbose=0)

    candidates = {BASELINE: hand, MICROKERAS: lambda: predict(model, x)}
    if with_peers:
        candidates.update(peers.w3_candidates(x, sizes, 1024))
    for run in candidates.values():
        run()
    numpy.testing.assert_allclose(model.predict(x[:1024], verbose=0), net.forward(x[:1024]), rtol=1e-4, atol=1e-6)
    rows = summarize(alternate(candidates, reps), BASELINE)
    return {"id": "W3", "title": f"predict, MLP 784-512-512-10, {n} samples, batch 1024",
            "unit": "s", "target": 1.05, "rows": rows}


def w4_memory(quick, with_peers, sizes_mb=None):
    """W4: peak resident-memory growth of ``fit`` on a memory-mapped float32 file, at two file sizes."""
    sizes_mb = sizes_mb or ((64, 128) if quick else (512, 1100))
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("MICROKERAS_BENCH_TMP")) as folder:
        for size in sizes_mb:
            path = pathlib.Path(folder) / f"x_{size}mb.npy"
            result = subprocess.run([sys.executable, "-m", "benchmarks.memory", str(path), str(size)],
                                    capture_output=True, text=True, check=True,
                                    cwd=pathlib.Path(__file__).resolve().parent.parent)
            measured = json.loads(result.stdout.strip().splitlines()[-1])
            rows.append({"implementation": f"microkeras fit, {size} MB memory map", "median": measured["growth_mb"],
                         "ratio": None, "repetitions": 1, "file_mb": measured["file_mb"],
                         "baseline_mb": measured["baseline_mb"]})
    return {"id": "W4", "title": "peak RSS growth of fit on a memory-mapped float32 array (one epoch, shuffled)",
            "unit": "MB", "target": 100, "rows": rows}


def epochs_against_floor(model, net, x, y, batch_size, reps, warm_up, others):
    """Rows of ``reps`` shuffled epochs of ``model.fit`` and of the floor ``net``, alternately, after
    one warm-up epoch of each on the first ``warm_up`` samples; ``others`` are more candidates (peers)."""
    rng = numpy.random.default_rng(0)
    mk_epoch(model, x[:warm_up], y[:warm_up], batch_size)
    hand_epoch(net, x[:warm_up], y[:warm_up], batch_size, rng)
    candidates = {BASELINE: lambda: hand_epoch(net, x, y, batch_size, rng),
                  MICROKERAS: lambda: mk_epoch(model, x, y, batch_size), **others}
    return summarize(alternate(candidates, reps), BASELINE)


def w5_cnn_epoch(quick, with_peers):
    """W5: one training epoch of a small CNN on MNIST-shaped 28x28x1 images, batch 128."""
    n, reps = (4_096, 3) if quick else (60_000, 3)
    x, y = mnist_images(n)
    set_random_seed(0)
    peer_candidates = peers.w5_candidates(x, y, 128) if with_peers else {}
    rows = epochs_against_floor(cnn(), HandwrittenCNN(), x, y, 128, reps, warm_up=512, others=peer_candidates)
    return {"id": "W5", "title": f"fit, one epoch, CNN conv32-pool-conv64-pool-dense10 on 28x28x1, {n} samples, "
                                 "batch 128", "unit": "s/epoch", "target": 1.3, "rows": rows}


def w5p_cnn_predict(quick, with_peers):
    """W5P: predict with W5's CNN on W5's images, batch 128 (target: W5's)."""
    n, reps = (4_096, 3) if quick else (20_000, 5)
    x, _ = mnist_images(n)
    set_random_seed(0)
    model, net = cnn(), HandwrittenCNN()
    net.params = [w.copy() for w in model.get_weights()]

    def hand():
        out = numpy.empty((len(x), 10), numpy.float32)
        for start in range(0, len(x), 128):
            out[start:start + 128] = net.forward(x[start:start + 128])

    def predict():
        model.predict(x, batch_size=128, verbose=0)

    candidates = {BASELINE: hand, MICROKERAS: predict}
    if with_peers:
        candidates.update(peers.w5p_candidates(x, 128))
    for run in candidates.values():
        run()
    numpy.testing.assert_allclose(model.predict(x[:256], verbose=0), net.forward(x[:256]), rtol=1e-4, atol=1e-6)
    rows = summarize(alternate(candidates, reps), BASELINE)
    return {"id": "W5P", "title": f"predict, W5's CNN, {n} samples, batch 128", "unit": "s", "target": 1.3,
            "rows": rows}


def w6_lstm_epoch(quick, with_peers):
    """W6: one training epoch of LSTM(64) over 32 steps of 16 features, then Dense(10, softmax), batch 64."""
    n, reps = (1_280, 3) if quick else (12_800, 5)
    x, y = sequences(n)
    set_random_seed(0)
    peer_candidates = peers.w6_candidates(x, y, 64) if with_peers else {}
    rows = epochs_against_floor(lstm_classifier(), HandwrittenLSTM(), x, y, 64, reps, warm_up=640,
                                others=peer_candidates)
    return {"id": "W6", "title": f"fit, one epoch, LSTM(64) over 32 steps of 16 features then Dense(10), {n} "
                                 "sequences, batch 64", "unit": "s/epoch", "target": 2.0, "rows": rows}


WORKLOADS = {"W1": w1_fit_epoch, "W2": w2_small_steps, "W3": w3_predict, "W4": w4_memory, "W5": w5_cnn_epoch,
             "W5P": w5p_cnn_predict, "W6": w6_lstm_epoch}
