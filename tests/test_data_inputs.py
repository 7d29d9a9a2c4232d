"""fit/evaluate/predict inputs: dicts, generators, Sequences, memory maps, weights, steps."""

import tracemalloc
import warnings

import numpy
import pytest

from microkeras import optimizers
from microkeras.layers import Dense, Input
from microkeras.models import Sequential
from microkeras.utils import Sequence, set_random_seed, to_categorical
from tests.test_training import record_batches


def data(n=24, seed=0):
    rng = numpy.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 4)).astype(numpy.float32)
    x[numpy.arange(n), labels] += 2
    return x, to_categorical(labels, 3), labels


def classifier(optimizer="adam", metrics=("accuracy",), loss="categorical_crossentropy", **kw):
    model = Sequential([Input((4,), name="features"), Dense(3, activation="softmax", name="probs")])
    model.compile(optimizer, loss, metrics=list(metrics), **kw)
    return model


def frozen(loss="categorical_crossentropy", metrics=(), **kw):
    """A model whose weights never move (learning rate 0): losses can be compared exactly."""
    return classifier(optimizer=optimizers.SGD(learning_rate=0.0), loss=loss, metrics=metrics, **kw)


class Batches(Sequence):
    def __init__(self, x, y, batch_size, sample_weight=None):
        super().__init__()
        self.x, self.y, self.sw, self.batch_size = x, y, sample_weight, batch_size
        self.epochs_ended = 0
        self.seen = []

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        self.seen.append(index)
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        if self.sw is None:
            return self.x[part], self.y[part]
        return self.x[part], self.y[part], self.sw[part]

    def on_epoch_end(self):
        self.epochs_ended += 1


def generator(x, y, batch_size, repeat=True):
    while True:
        for start in range(0, len(x), batch_size):
            yield x[start:start + batch_size], y[start:start + batch_size]
        if not repeat:
            return


# --------------------------------------------------------------------------- structures
def test_x_and_y_as_dicts_keyed_by_input_and_output_names_or_one_element_lists():
    x, y, _ = data()
    model = frozen()
    expected = model.evaluate(x, y, verbose=0)
    assert model.evaluate({"features": x}, {"probs": y}, verbose=0) == expected
    assert model.evaluate([x], [y], verbose=0) == expected
    with pytest.raises(ValueError, match=r"single key 'features'.*\['pixels'\]"):
        model.evaluate({"pixels": x}, y, verbose=0)


def test_sequence_feeds_fit_evaluate_predict_and_gets_on_epoch_end():
    x, y, _ = data()
    model = frozen()
    sequence = Batches(x, y, batch_size=10)
    history = model.fit(sequence, epochs=2, verbose=0, shuffle=False)
    assert history.params["steps"] == 3 and sequence.epochs_ended == 2
    assert sequence.seen == [0, 1, 2, 0, 1, 2]
    assert model.evaluate(sequence, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
    numpy.testing.assert_allclose(model.predict(sequence, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_sequence_with_shuffle_permutes_batch_order():
    x, y, _ = data(n=80)
    sequence = Batches(x, y, batch_size=10)
    set_random_seed(0)
    frozen().fit(sequence, epochs=1, verbose=0, shuffle=True)
    assert sorted(sequence.seen) == list(range(8)) and sequence.seen != list(range(8))


def test_generator_with_steps_per_epoch_trains_and_evaluates():
    x, y, _ = data()
    model = frozen()
    history = model.fit(generator(x, y, 8), steps_per_epoch=3, epochs=2, verbose=0)
    assert history.params["steps"] == 3 and len(history.history["loss"]) == 2
    assert history.history["loss"][0] == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
    assert model.evaluate(generator(x, y, 8), steps=3, verbose=0) == pytest.approx(
        model.evaluate(x, y, verbose=0), rel=1e-6)
    out = model.predict((xb for xb, _ in generator(x, y, 8, repeat=False)), verbose=0)
    numpy.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-6)


def test_finite_generator_without_steps_runs_one_epoch_then_warns_it_ran_out():
    x, y, _ = data()
    model = frozen()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(generator(x, y, 8, repeat=False), epochs=3, verbose=0)
    assert history.epoch == [0] and history.params["steps"] == 3


def test_generator_that_runs_out_mid_epoch_stops_with_a_warning():
    x, y, _ = data()
    with pytest.warns(UserWarning, match=r"steps_per_epoch \* epochs"):
        history = frozen().fit(generator(x, y, 8, repeat=False), steps_per_epoch=2, epochs=3, verbose=0)
    # 3 batches in all: epoch 0 takes 2, epoch 1 gets the last one, runs dry, and ends training.
    assert history.epoch == [0, 1]


def test_steps_per_epoch_with_arrays_cycles_through_the_data():
    x, y, _ = data(n=20)
    model = frozen()
    seen = record_batches(model)
    model.fit(x, y, batch_size=8, steps_per_epoch=2, epochs=3, shuffle=False, verbose=0)
    # 20 samples at batch size 8 make passes of batches [0:8], [8:16], [16:20]; six steps wrap around.
    starts = [float(batch[0, 0]) for batch in seen]
    assert starts == [x[0, 0], x[8, 0], x[16, 0], x[0, 0], x[8, 0], x[16, 0]]


def test_validation_data_as_sequence_and_generator_with_validation_steps():
    x, y, _ = data()
    model = frozen()
    expected = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, validation_data=Batches(x, y, 8), verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)
    history = model.fit(x, y, validation_data=generator(x, y, 8), validation_steps=3, epochs=2, verbose=0)
    assert history.history["val_loss"] == pytest.approx([expected, expected], rel=1e-6)


def test_validation_freq_validates_every_nth_epoch():
    x, y, _ = data()
    seen = []
    from microkeras.callbacks import Callback

    class Keys(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append("val_loss" in logs)

    frozen().fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, callbacks=[Keys()], verbose=0)
    assert seen == [False, True, False, True]


def test_initial_epoch_starts_counting_there():
    x, y, _ = data()
    history = frozen().fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]


def test_shuffle_batch_permutes_whole_chunks():
    x, y, _ = data(n=30)
    model = frozen()
    batches = record_batches(model)
    set_random_seed(3)
    model.fit(x, y, batch_size=8, shuffle="batch", verbose=0)
    seen = [batch[:, 0] for batch in batches]
    # Three full chunks of 8 in some order, each contiguous, then the partial tail [24:30].
    chunks = {float(x[start, 0]): start for start in (0, 8, 16)}
    for batch in seen[:3]:
        start = chunks[float(batch[0])]
        numpy.testing.assert_array_equal(batch, x[start:start + 8, 0])
    numpy.testing.assert_array_equal(seen[3], x[24:, 0])


# --------------------------------------------------------------------------- weights
def test_sample_weight_uses_keras_3_reduction_sum_over_batch_size():
    # Keras 3: sum(w * l) / number of loss elements, not / sum(w).
    x, y, _ = data(n=4)
    model = frozen()
    w = numpy.array([1.0, 0.0, 2.0, 0.5], numpy.float32)
    p = numpy.clip(model.predict(x, verbose=0).astype(numpy.float64), 1e-7, 1 - 1e-7)
    per_sample = -(y * numpy.log(p)).sum(axis=1)
    expected = float((w * per_sample).sum() / 4)
    assert model.evaluate(x, y, sample_weight=w, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert model.fit(x, y, sample_weight=w, batch_size=4, verbose=0).history["loss"][0] == pytest.approx(
        expected, rel=1e-5)


def test_class_weight_for_one_hot_sparse_and_column_labels_missing_classes_weigh_one():
    x, y, labels = data(n=12)
    weights = {0: 2.0, 2: 0.5}  # class 1 missing: weight 1.0
    expected_w = numpy.array([weights.get(c, 1.0) for c in labels], numpy.float32)
    dense = frozen()
    target = dense.evaluate(x, y, sample_weight=expected_w, verbose=0)
    assert dense.fit(x, y, class_weight=weights, batch_size=12, verbose=0).history["loss"][0] == pytest.approx(
        target, rel=1e-6)
    sparse = frozen(loss="sparse_categorical_crossentropy")
    sparse.set_weights(dense.get_weights())
    for sparse_labels in (labels, labels[:, None]):
        history = sparse.fit(x, sparse_labels, class_weight=weights, batch_size=12, verbose=0)
        assert history.history["loss"][0] == pytest.approx(target, rel=1e-5)


def test_class_weight_for_per_timestep_sparse_labels():
    # y of shape (N, T) with class ids, outputs (N, T, K): every timestep weighs its class's weight.
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(6, 5, 2)).astype(numpy.float32)
    labels = rng.integers(0, 3, (6, 5))
    model = Sequential([Input((5, 2)), Dense(3, activation="softmax")])
    model.compile(optimizers.SGD(learning_rate=0.0), "sparse_categorical_crossentropy")
    weights = {0: 3.0, 1: 0.5, 2: 1.0}
    per_step = numpy.vectorize(weights.get)(labels).astype(numpy.float32)
    target = model.evaluate(x, labels, sample_weight=per_step, verbose=0)
    assert model.fit(x, labels, class_weight=weights, batch_size=6, verbose=0).history["loss"][0] == \
        pytest.approx(target, rel=1e-6)


def test_temporal_sample_weight_mode_and_two_dimensional_weights():
    rng = numpy.random.default_rng(1)
    x = rng.normal(size=(4, 3, 2)).astype(numpy.float32)
    y = rng.normal(size=(4, 3, 1)).astype(numpy.float32)
    model = Sequential([Input((3, 2)), Dense(1)])
    model.compile(optimizers.SGD(learning_rate=0.0), "mse", sample_weight_mode="temporal")
    w = numpy.array([[1, 0, 0]] * 4, numpy.float32)  # only the first timestep counts
    err = (model.predict(x, verbose=0) - y)[..., 0] ** 2
    # sum over (N, T) of w * l divided by the N*T = 12 loss elements
    assert model.evaluate(x, y, sample_weight=w, verbose=0) == pytest.approx(float((w * err).sum() / 12), rel=1e-5)
    with pytest.raises(ValueError, match="temporal"):
        model.evaluate(x, y, sample_weight=numpy.ones(4), verbose=0)


def test_weighted_metrics_use_sample_weights_and_get_their_own_keys():
    x, y, labels = data(n=12)
    model = frozen(metrics=["accuracy"], weighted_metrics=["accuracy"])
    w = (labels == 0).astype(numpy.float32)  # only class-0 samples count
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert sorted(logs) == ["accuracy", "loss", "weighted_accuracy"]
    pred = model.predict(x, verbose=0).argmax(1)
    assert logs["accuracy"] == pytest.approx(float((pred == labels).mean()))
    assert logs["weighted_accuracy"] == pytest.approx(float(((pred == labels) * w).sum() / w.sum()))


def test_loss_weights_as_dict_keyed_by_output_name():
    x, y, _ = data()
    model = frozen()
    plain = model.evaluate(x, y, verbose=0)
    model.compile(optimizers.SGD(learning_rate=0.0), "categorical_crossentropy", loss_weights={"probs": 3.0})
    assert model.evaluate(x, y, verbose=0) == pytest.approx(3 * plain, rel=1e-6)


# --------------------------------------------------------------------------- memory maps
def _fit_peak_bytes(path, rows, width=64):
    """tracemalloc's peak while fitting one shuffled epoch on a memory-mapped file of ``rows`` rows."""
    array = numpy.lib.format.open_memmap(path, mode="w+", dtype=numpy.float32, shape=(rows, width))
    for start in range(0, rows, 8192):
        array[start:start + 8192] = numpy.random.default_rng(start).normal(size=(min(8192, rows - start), width))
    array.flush()
    del array
    x = numpy.load(path, mmap_mode="r")
    y = (numpy.arange(rows) % 2).astype(numpy.float32)[:, None]
    model = Sequential([Input((width,)), Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    model.fit(x[:1024], y[:1024], batch_size=512, verbose=0)  # warm up
    tracemalloc.start()
    model.fit(x, y, batch_size=512, epochs=1, shuffle=True, verbose=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_memory_mapped_data_is_batched_without_loading_it(tmp_path):
    # 16 MB and 32 MB files: fit's extra memory is set by the batch, the NaN scan's 4 MB chunk
    # and the index permutation (8 bytes a row), not by the size of the file.
    small = _fit_peak_bytes(tmp_path / "small.npy", 65_536)
    large = _fit_peak_bytes(tmp_path / "large.npy", 131_072)
    assert small < 8 * 2**20, small  # well under the 16 MB file
    assert large - small < 131_072 * 8 + 2**16, (small, large)  # grows only by the permutation's int64s


# --------------------------------------------------------------------------- errors
def test_generator_misuse_is_rejected_by_name():
    x, y, _ = data()
    model = frozen()
    cases = [
        (dict(x=generator(x, y, 8), batch_size=8), "batch_size"),
        (dict(x=generator(x, y, 8), y=y), "`y`"),
        (dict(x=generator(x, y, 8), sample_weight=numpy.ones(8)), "sample_weight"),
        (dict(x=generator(x, y, 8), validation_split=0.2), "validation_split"),
        (dict(x=x, y=y, validation_data=generator(x, y, 8)), "validation_steps"),
        (dict(x=x, y=y, validation_data=(x, y), validation_steps=9), "validation_steps=9"),
        (dict(x=x, y=y, validation_split=0.25, validation_steps=2), "validation_steps=2"),
        (dict(x=x, y=y, class_weight={"a": 1.0}), "class_weight"),
        (dict(x=x, y=y, class_weight={5: 1.0}), r"class indices in \[0, 3\)"),
        (dict(x=x, y=y, sample_weight=numpy.ones(5)), "sample_weight"),
        (dict(x=x, y=y, sample_weight=numpy.ones((24, 2))), "sample_weight"),
        (dict(x=x, y=y, steps_per_epoch=0), "steps_per_epoch"),
    ]
    before = model.get_weights()
    for kwargs, pattern in cases:
        with pytest.raises((ValueError, TypeError), match=pattern):
            model.fit(**{"verbose": 0, "steps_per_epoch": 1, **kwargs} if "generator" in repr(kwargs.get("x"))
                      else {"verbose": 0, **kwargs})
    for a, b in zip(before, model.get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_generator_yielding_the_wrong_tuple_is_named():
    x, y, _ = data()
    model = frozen()
    bad = iter([(x[:4], y[:4], numpy.ones(4), "extra")])
    with pytest.raises(ValueError, match=r"must yield tuples \(x,\), \(x, y\) or \(x, y, sample_weight\)"):
        model.fit(bad, steps_per_epoch=1, verbose=0)
    with pytest.raises(ValueError, match="without targets"):
        model.fit(iter([(x[:4],)]), steps_per_epoch=1, verbose=0)


def test_no_warning_for_a_generator_that_lasts():
    x, y, _ = data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frozen().fit(generator(x, y, 8), steps_per_epoch=3, epochs=3, verbose=0)


def test_copy_on_write_memory_maps_are_read_with_their_changes(tmp_path):
    numpy.save(tmp_path / "ones.npy", numpy.ones((8, 4), numpy.float32))
    x = numpy.load(tmp_path / "ones.npy", mmap_mode="c")
    x[:] = 0.0  # a private change: the file still holds ones
    model = Sequential([Input((4,)), Dense(1, kernel_initializer="ones", use_bias=False)])
    model.compile("sgd", "mse")
    assert model.evaluate(x, numpy.zeros((8, 1)), verbose=0) == 0.0


def test_a_bad_generator_batch_is_reported_with_its_source():
    x, y, labels = data()
    with pytest.raises(ValueError, match=r"In a batch yielded by `x`: .*sparse_categorical_crossentropy"):
        frozen().fit(iter([(x[:4], labels[:4])]), steps_per_epoch=1, verbose=0)


def test_shuffled_batches_are_gathered_into_one_reused_buffer():
    from microkeras.models.data_adapter import ArrayAdapter

    x, y, _ = data(n=40)
    adapter = ArrayAdapter(x, y, batch_size=8, shuffle=True)
    bases = {id(xb.base) for xb, yb, _ in adapter.epoch()}
    assert len(bases) == 1  # five batches, one buffer: no per-batch allocation of the data
