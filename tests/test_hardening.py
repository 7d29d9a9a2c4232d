"""Hostile inputs and faults: a shrinking file, values training cannot hold, sizes, misleading errors.

Each refusal is checked to happen before any weight changes.
"""

import contextlib
import gc
import os
import signal
import warnings

import numpy
import pytest

from microkeras import optimizers
from microkeras.layers import Dense, Flatten, Input
from microkeras.models import Sequential
from microkeras.models.data_adapter import ArrayAdapter
from microkeras.utils import Sequence, set_random_seed


def regressor(inputs=4, optimizer="sgd", loss="mse"):
    model = Sequential([Input((inputs,)), Dense(1)])
    model.compile(optimizer, loss)
    return model


def data(n=64, inputs=4, seed=0):
    rng = numpy.random.default_rng(seed)
    return rng.normal(size=(n, inputs)), rng.normal(size=(n, 1))


@contextlib.contextmanager
def weights_unchanged(model):
    """Assert the block leaves every weight of ``model`` bit for bit as it was."""
    before = [w.copy() for w in model.get_weights()]
    yield
    for old, new in zip(before, model.get_weights()):
        numpy.testing.assert_array_equal(old, new)


@contextlib.contextmanager
def deadline(seconds):
    """Fail instead of hanging when the block runs longer than ``seconds``."""
    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def memory_map(path, array):
    numpy.save(path, array)
    return numpy.load(path, mmap_mode="r")


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


# --------------------------------------------------------------------------- a shrinking file
@pytest.mark.skipif(not hasattr(os, "preadv"), reason="memory maps are read with os.preadv")
def test_truncated_memory_map_raises_naming_the_file_and_offset_instead_of_hanging(tmp_path):
    x, y = data(n=256)
    path = tmp_path / "x.npy"
    mapped = memory_map(path, x.astype(numpy.float32))
    header = os.path.getsize(path) - mapped.nbytes
    os.truncate(path, header + 100 * mapped.strides[0])  # 100 of 256 rows left
    model = regressor()
    with deadline(20), weights_unchanged(model):
        for run in (lambda: model.fit(mapped, y, verbose=0),
                    lambda: model.evaluate(mapped, y, verbose=0),
                    lambda: model.predict(mapped, verbose=0)):
            with pytest.raises(OSError, match=rf"x\.npy.* ends at byte {header + 100 * 16}.*offset"):
                run()


@pytest.mark.skipif(not hasattr(os, "preadv"), reason="memory maps are read with os.preadv")
def test_a_file_cut_during_an_epoch_stops_the_epoch_with_an_error(tmp_path):
    path = tmp_path / "x.npy"
    mapped = memory_map(path, numpy.ones((64, 4), numpy.float32))
    adapter = ArrayAdapter(mapped, batch_size=16, shuffle=True)
    batches = adapter.epoch()
    next(batches)
    os.truncate(path, 128)
    with deadline(20), pytest.raises(OSError, match="truncated or replaced"):
        list(batches)
    adapter.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_memory_map_readers_close_their_files(tmp_path):
    x, y = data()
    mapped = memory_map(tmp_path / "x.npy", x.astype(numpy.float32))
    model = regressor()
    gc.collect()
    before = open_descriptors()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        model.fit(mapped, y, validation_data=(mapped, y), steps_per_epoch=3, epochs=2, verbose=0)
        model.evaluate(mapped, y, verbose=0)
        model.predict(mapped, verbose=0)
        assert open_descriptors() == before  # closed when the call returns, not when collected
        gc.collect()


@pytest.mark.parametrize("shuffle", [True, "batch"])
def test_shuffled_epoch_over_a_memory_map_is_bit_identical_to_the_array_in_memory(tmp_path, shuffle):
    x, y = data(n=300, inputs=16)
    x = x.astype(numpy.float32)
    mapped = memory_map(tmp_path / "x.npy", x)
    weights = []
    for inputs in (x, mapped):
        set_random_seed(3)
        model = Sequential([Input((16,)), Dense(8, activation="tanh"), Dense(1)])
        model.compile("adam", "mse")
        model.fit(inputs, y, batch_size=32, epochs=3, shuffle=shuffle, verbose=0)
        weights.append(model.get_weights())
    for in_memory, from_file in zip(*weights):
        numpy.testing.assert_array_equal(in_memory, from_file)


def test_batches_from_a_memory_map_hold_the_rows_in_the_shuffled_order(tmp_path):
    x = numpy.arange(40, dtype=numpy.float32).reshape(20, 2)
    mapped = memory_map(tmp_path / "x.npy", x)
    set_random_seed(1)
    in_memory = [xb.copy() for xb, _, _ in ArrayAdapter(x, batch_size=8, shuffle=True).epoch()]
    set_random_seed(1)
    from_file = [xb.copy() for xb, _, _ in ArrayAdapter(mapped, batch_size=8, shuffle=True).epoch()]
    for a, b in zip(in_memory, from_file):
        numpy.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- values training cannot hold
@pytest.mark.parametrize("argument", ["x", "sample_weight"])
def test_float64_values_beyond_float32_range_are_refused_naming_the_argument(argument):
    x, y = data()
    sample_weight = numpy.ones(len(x))
    {"x": x, "sample_weight": sample_weight}[argument][2] = 1e39  # finite in float64, inf in float32
    model = regressor()
    with weights_unchanged(model), pytest.raises(ValueError, match=rf"`{argument}` holds values too large "
                                                                    r"for float32.*sample 2: 1e\+39"):
        model.fit(x, y, sample_weight=sample_weight, verbose=0)


@pytest.mark.parametrize("bad", [None, numpy.nan, -numpy.inf])
def test_float32_values_whose_sum_overflows_are_accepted_and_a_bad_one_among_them_is_named(bad):
    # A float32 sum of these overflows though every value is finite: the check must not see a bad value.
    x = numpy.full((4, 16), 3e38, numpy.float32)
    y = numpy.zeros((4, 1), numpy.float32)
    model = Sequential([Input((16,)), Dense(1, kernel_initializer="zeros")])
    model.compile("sgd", "mse")
    if bad is None:
        model.train_on_batch(x, y)
        return
    x[3, 7] = bad
    with weights_unchanged(model), pytest.raises(ValueError, match=r"`x` contains NaN or infinite values \(first at sample 3\)"):
        model.train_on_batch(x, y)


def test_validation_data_beyond_float32_range_is_refused_before_training():
    x, y = data()
    x_val = x.copy()
    x_val[0, 0] = -1e39
    model = regressor()
    with weights_unchanged(model), pytest.raises(ValueError, match="`validation_data: x` holds values too"):
        model.fit(x, y, validation_data=(x_val, y), verbose=0)


def test_masked_arrays_are_refused_with_the_fix():
    x, y = data()
    masked = numpy.ma.masked_invalid(numpy.where(numpy.arange(x.size).reshape(x.shape) == 5, numpy.nan, x))
    model = regressor()
    with weights_unchanged(model):
        with pytest.raises(TypeError, match=r"`x` is a masked array \(numpy.ma\).*x.filled\(value\)"):
            model.fit(masked, y, verbose=0)
        with pytest.raises(TypeError, match="`y` is a masked array"):
            model.fit(x, numpy.ma.masked_array(y), verbose=0)


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), 1e39])
def test_non_finite_class_weight_names_class_weight(weight):
    x, _ = data()
    labels = numpy.arange(len(x)) % 3
    model = Sequential([Input((4,)), Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with weights_unchanged(model), pytest.raises(ValueError, match=r"`class_weight` values must be finite.*"
                                                                    r"for class 0"):
        model.fit(x, labels, class_weight={0: weight, 1: 1.0}, verbose=0)


# --------------------------------------------------------------------------- all-or-nothing optimizer state
def test_optimizer_set_weights_checks_every_array_before_writing_any():
    optimizer = optimizers.Adam(0.1)
    w = numpy.ones((2, 3), numpy.float32)
    optimizer.apply([numpy.ones((2, 3), numpy.float32)], [w])
    good = [v.copy() for v in optimizer.variables]  # iterations, learning rate, momentum, velocity
    bad_lists = [
        ([-1] + good[1:], r"weights\[0\]` \(the iteration count\) must be >= 0"),
        ([2.5] + good[1:], r"weights\[0\]` must hold whole numbers"),
        (good[:1] + [numpy.float32("nan")] + good[2:], r"weights\[1\]` must hold finite numbers"),
        (good[:1] + [-0.5] + good[2:], r"weights\[1\]` \(the learning rate\) must be >= 0"),
        (good[:2] + [numpy.full((2, 3), 1e39)] + good[3:], r"weights\[2\]` must hold finite numbers"),
        (good[:3] + [numpy.full((2, 3), "a")], r"weights\[3\]` must hold numbers"),
        (good[:3] + [numpy.zeros((3, 2))], r"weights\[3\]` must have shape \(2, 3\)"),
        (good[:3], "must have 4 entries"),
    ]
    for weights, message in bad_lists:
        with pytest.raises((ValueError, TypeError), match=message):
            optimizer.set_weights(weights)
        assert optimizer.iterations == 1 and optimizer.learning_rate == 0.1
        for old, now in zip(good, optimizer.variables):
            numpy.testing.assert_array_equal(old, now)


# --------------------------------------------------------------------------- sizes
def test_batch_size_beyond_the_data_is_one_batch_of_all_samples_without_a_huge_buffer():
    x, y = data(n=100)
    adapter = ArrayAdapter(x.astype(numpy.float32), y.astype(numpy.float32), batch_size=10**7, shuffle=True)
    batches = list(adapter.epoch())
    assert adapter.num_batches == 1 and len(batches) == 1 and batches[0][0].shape == (100, 4)
    assert adapter._buffers[0].shape == (100, 4)  # not (10**7, 4)
    history = regressor().fit(x, y, batch_size=10**7, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


class Batches(Sequence):
    def __init__(self, length, x=None, y=None):
        super().__init__()
        self.length, self.x, self.y = length, x, y

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        return self.x[index * 8:(index + 1) * 8], self.y[index * 8:(index + 1) * 8]


def test_empty_sequence_is_refused_in_fit_evaluate_and_predict():
    x, y = data()
    model = regressor()
    with weights_unchanged(model):
        for run in (lambda: model.fit(Batches(0), verbose=0), lambda: model.evaluate(Batches(0), verbose=0),
                    lambda: model.predict(Batches(0), verbose=0)):
            with pytest.raises(ValueError, match="`x` is a Sequence of length 0: it has no batches"):
                run()
        with pytest.raises(ValueError, match="`validation_data` is a Sequence of length 0"):
            model.fit(x, y, validation_data=Batches(0), verbose=0)


def test_sequence_whose_len_is_not_an_int_is_named():
    x, y = data()
    model = regressor()
    with weights_unchanged(model):
        with pytest.raises(TypeError, match=r"`x` is a Sequence whose __len__ returned 2.5 \(float\); "
                                            "it must return the number of batches as an int"):
            model.fit(Batches(2.5, x, y), verbose=0)
        with pytest.raises(TypeError, match=r"returned True \(bool\)"):
            model.fit(Batches(True, x, y), verbose=0)


def test_empty_sequential_is_refused_before_training():
    x, y = data()
    for model in (Sequential(), Sequential([Input((4,))])):
        model.compile("sgd", "mse")
        for run in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0),
                    lambda: model.predict(x, verbose=0)):
            with pytest.raises(ValueError, match=r"has no layers.*model.add\(layer\)"):
                run()


# --------------------------------------------------------------------------- messages that point at the cause
@pytest.mark.parametrize("loss, labels", [
    ("sparse_categorical_crossentropy", numpy.arange(16) % 10),
    ("categorical_crossentropy", numpy.eye(10)[numpy.arange(16) % 10]),
])
def test_output_rank_that_does_not_fit_the_labels_shows_the_output_shape_and_suggests_flatten(loss, labels):
    model = Sequential([Input((8, 5)), Dense(10, activation="softmax")])  # no Flatten: output (None, 8, 10)
    model.compile("adam", loss)
    with weights_unchanged(model), pytest.raises(ValueError, match=r"output has shape \(None, 8, 10\).*"
                                                                   r"add a Flatten\(\) layer.*\(None, 10\)"):
        model.fit(numpy.ones((16, 8, 5)), labels, verbose=0)
    fixed = Sequential([Input((8, 5)), Flatten(), Dense(10, activation="softmax")])
    fixed.compile("adam", loss)
    fixed.fit(numpy.ones((16, 8, 5)), labels, verbose=0)


@pytest.mark.parametrize("returned", ["hello", None, ["a"]])
def test_custom_loss_returning_a_non_number_is_named(returned):
    def my_loss(y_true, y_pred):
        return returned

    x, y = data()
    model = Sequential([Input((4,)), Dense(1)])
    model.compile("sgd", my_loss)
    with weights_unchanged(model), pytest.raises(TypeError, match="The loss 'my_loss' returned .*a loss "
                                                                  "must return a number or an array"):
        model.fit(x, y, verbose=0)


def test_plain_python_list_of_labels_is_accepted():
    x, y = data()
    as_list = [numpy.float64(v) for v in y[:, 0]]  # numpy scalars, as list(array) gives
    set_random_seed(0)
    from_list = regressor().fit(x, as_list, shuffle=False, verbose=0).history["loss"]
    set_random_seed(0)
    from_floats = regressor().fit(x, [float(v) for v in y[:, 0]], shuffle=False, verbose=0).history["loss"]
    set_random_seed(0)
    from_array = regressor().fit(x, y[:, 0], shuffle=False, verbose=0).history["loss"]
    assert from_list == from_floats == from_array
    classifier = Sequential([Input((4,)), Dense(3, activation="softmax")])
    classifier.compile("sgd", "sparse_categorical_crossentropy")
    classifier.fit(x, [i % 3 for i in range(len(x))], verbose=0)
