"""compile / fit / evaluate / predict: Keras semantics, History, progress output, errors."""

import re

import numpy
import pytest

from microkeras import callbacks, optimizers
from microkeras.datasets import digits
from microkeras.layers import Activation, Dense, Dropout
from microkeras.models import Sequential
from microkeras.utils import set_random_seed, to_categorical
from tests.test_dtypes import assert_step_is_float32
from tests.test_layers import Linear


def small_classifier(inputs=4, classes=3, hidden=8, optimizer="adam", metrics=("accuracy",), **compile_kw):
    model = Sequential([Dense(hidden, activation="relu", input_shape=(inputs,)), Dense(classes),
                        Activation("softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=list(metrics), **compile_kw)
    return model


def blobs(n=60, inputs=4, classes=3, seed=0):
    """Linearly separable-ish blobs: class k centred at 2*e_k."""
    rng = numpy.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    x = rng.normal(scale=0.5, size=(n, inputs)).astype(numpy.float32)
    x[numpy.arange(n), labels % inputs] += 2.0
    return x, to_categorical(labels, classes), labels


def record_batches(model):
    """Make ``model.train_step`` append a copy of each batch's ``x`` to the returned list."""
    seen = []
    original = model.train_step

    def recording_step(data):
        seen.append(numpy.array(data[0]))
        return original(data)

    model.train_step = recording_step
    return seen


class BatchRecorder(callbacks.Callback):
    """Records the hook calls and batch sizes seen during fit."""

    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None): self.events.append("train_begin")
    def on_train_end(self, logs=None): self.events.append("train_end")
    def on_epoch_begin(self, epoch, logs=None): self.events.append(f"epoch_begin {epoch}")
    def on_epoch_end(self, epoch, logs=None): self.events.append(f"epoch_end {epoch} {sorted(logs)}")
    def on_train_batch_begin(self, batch, logs=None): self.events.append(f"train_batch_begin {batch}")
    def on_train_batch_end(self, batch, logs=None): self.events.append(f"train_batch_end {batch}")
    def on_batch_begin(self, batch, logs=None): self.events.append(f"batch_begin {batch}")
    def on_batch_end(self, batch, logs=None): self.events.append(f"batch_end {batch}")
    def on_test_begin(self, logs=None): self.events.append("test_begin")
    def on_test_batch_begin(self, batch, logs=None): self.events.append(f"test_batch_begin {batch}")
    def on_test_batch_end(self, batch, logs=None): self.events.append(f"test_batch_end {batch}")
    def on_test_end(self, logs=None): self.events.append("test_end")


# --------------------------------------------------------------------------- learning
def test_fit_on_bundled_digits_learns():
    set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16
    x_test = x_test.reshape(-1, 64).astype("float32") / 16
    model = Sequential([Dense(32, input_shape=(64,)), Activation("relu"), Dense(10), Activation("softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, to_categorical(y_train), epochs=10, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    _, accuracy = model.evaluate(x_test, to_categorical(y_test), verbose=0)
    assert accuracy > 0.9


def test_custom_layer_written_like_keras_example_trains_through_fit():
    set_random_seed(1)
    x, y, _ = blobs()
    model = Sequential([Linear(3, input_shape=(4,)), Activation("softmax")])
    model.compile("adam", "categorical_crossentropy")
    before = model.get_weights()
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not numpy.allclose(before[0], model.get_weights()[0])


# --------------------------------------------------------------------------- History
def test_history_keys_are_the_strings_given_with_val_prefixes_sorted():
    x, y, _ = blobs()
    model = small_classifier(metrics=["acc", "mse"])
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    assert list(history.history) == ["acc", "loss", "mse", "val_acc", "val_loss", "val_mse"]
    assert all(isinstance(v, float) for values in history.history.values() for v in values)
    assert all(len(values) == 2 for values in history.history.values())
    assert history.epoch == [0, 1] and model.history is history
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 2}


def test_history_missing_key_error_lists_available_keys():
    x, y, _ = blobs()
    history = small_classifier(metrics=["accuracy"]).fit(x, y, verbose=0)
    with pytest.raises(KeyError, match=r"'acc'.*Available keys: \['accuracy', 'loss'\]"):
        history.history["acc"]


def test_epoch_loss_is_batch_size_weighted_mean_of_batch_losses():
    # With a zero learning rate the weights never move, so the epoch's running mean
    # sum_b(n_b * loss_b) / N must equal the loss of the whole set (sum over samples / N),
    # even with unequal batches (10 samples at batch size 4: 4, 4, 2).
    x, y, _ = blobs(n=10)
    model = small_classifier(optimizer=optimizers.SGD(learning_rate=0.0), metrics=[])
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    full = model.evaluate(x, y, batch_size=10, verbose=0)
    assert history.history["loss"][0] == pytest.approx(full, rel=1e-6)


def test_batch_size_none_means_32_and_last_batch_is_partial():
    x, y, _ = blobs(n=100)
    model = small_classifier(metrics=[])
    seen = record_batches(model)
    history = model.fit(x, y, verbose=0)
    assert [len(batch) for batch in seen] == [32, 32, 32, 4]
    assert history.params["steps"] == 4


# --------------------------------------------------------------------------- validation
def test_validation_split_takes_the_tail_before_shuffling():
    x, y, _ = blobs(n=40)
    model = small_classifier()
    seen = record_batches(model)
    history = model.fit(x, y, batch_size=8, epochs=1, validation_split=0.25, shuffle=True, verbose=0)
    trained = numpy.concatenate(seen)
    # floor(40 * 0.75) = 30 training samples: exactly the first 30 rows, in some order.
    assert sorted(map(tuple, trained)) == sorted(map(tuple, x[:30]))
    val_loss, val_acc = model.evaluate(x[30:], y[30:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(val_acc)


def test_validation_data_wins_over_validation_split():
    x, y, _ = blobs(n=40)
    xv, yv, _ = blobs(n=12, seed=5)
    model = small_classifier()
    history = model.fit(x, y, batch_size=8, validation_split=0.5, validation_data=(xv, yv), verbose=0)
    assert history.params["steps"] == 5  # all 40 samples train
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(xv, yv, verbose=0)[0], rel=1e-6)


def test_validation_runs_with_dropout_off_and_hooks_in_keras_order():
    x, y, _ = blobs(n=8)
    model = Sequential([Dense(4, input_shape=(4,)), Dropout(0.5), Dense(3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    recorder = BatchRecorder()
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x[:4], y[:4]), callbacks=[recorder], verbose=0)
    epoch = ["train_batch_begin 0", "batch_begin 0", "train_batch_end 0", "batch_end 0",
             "train_batch_begin 1", "batch_begin 1", "train_batch_end 1", "batch_end 1",
             "test_begin", "test_batch_begin 0", "test_batch_end 0", "test_end"]
    assert recorder.events == (["train_begin", "epoch_begin 0"] + epoch + ["epoch_end 0 ['loss', 'val_loss']",
                               "epoch_begin 1"] + epoch + ["epoch_end 1 ['loss', 'val_loss']", "train_end"])
    # Deterministic validation: dropout is off, so evaluating again gives the same number.
    assert model.evaluate(x[:4], y[:4], verbose=0) == model.evaluate(x[:4], y[:4], verbose=0)


def test_stop_training_ends_fit_after_the_current_batch():
    x, y, _ = blobs(n=40)
    seen = []

    class StopAtThree(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 2:
                self.model.stop_training = True

    history = small_classifier().fit(x, y, batch_size=4, epochs=3, callbacks=[StopAtThree()], verbose=0)
    assert seen == [0, 1, 2] and len(history.epoch) == 1


# --------------------------------------------------------------------------- shuffle and seeds
def test_set_random_seed_makes_two_runs_bit_identical():
    x, y, _ = blobs()

    def run():
        set_random_seed(123)
        model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dropout(0.3), Dense(3),
                            Activation("softmax")])
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
        return model.get_weights(), history.history

    (w1, h1), (w2, h2) = run(), run()
    assert h1 == h2
    for a, b in zip(w1, w2):
        numpy.testing.assert_array_equal(a, b)


def test_shuffle_false_keeps_order_and_true_permutes_each_epoch():
    x, y, _ = blobs(n=16)
    for shuffle, expect_sorted in ((False, True), (True, False)):
        model = small_classifier()
        batches = record_batches(model)
        set_random_seed(0)
        model.fit(x, y, batch_size=16, epochs=2, shuffle=shuffle, verbose=0)
        seen = [batch[:, 0] for batch in batches]
        assert numpy.array_equal(seen[0], x[:, 0]) == expect_sorted
        assert numpy.array_equal(seen[0], seen[1]) == expect_sorted


# --------------------------------------------------------------------------- progress output
_BAR = "━" * 20
_FINAL = re.compile(r"^(\d+)/(\d+) " + _BAR + r" \d+s \d+(us|ms|s)/step( - [a-z_]+: \d\.\d{4}(e[-+]\d+)?)+$")


def test_progress_output_without_a_terminal_is_one_clean_line_per_epoch(capsys):
    x, y, _ = blobs(n=20)
    small_classifier().fit(x, y, batch_size=8, epochs=2, verbose=1, validation_data=(x, y))
    out = capsys.readouterr().out
    assert "\r" not in out and "\b" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    for line in (lines[1], lines[3]):
        assert _FINAL.match(line), line
        assert line.startswith("3/3 ")
        assert re.search(r" - accuracy: \S+ - loss: \S+ - val_accuracy: \S+ - val_loss: \S+$", line)


def test_single_epoch_prints_no_epoch_header_and_verbose_0_is_silent(capsys):
    x, y, _ = blobs(n=20)
    model = small_classifier()
    model.fit(x, y, batch_size=8, epochs=1, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and _FINAL.match(lines[0])
    model.fit(x, y, epochs=3, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_2_prints_one_plain_line_per_epoch(capsys):
    x, y, _ = blobs(n=20)
    small_classifier().fit(x, y, batch_size=8, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and len(lines) == 4
    assert re.match(r"^3/3 - \d+s - \d+(us|ms|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}$", lines[1]), lines[1]


def test_evaluate_and_predict_draw_their_own_bar(capsys):
    x, y, _ = blobs(n=20)
    model = small_classifier()
    model.evaluate(x, y, batch_size=8)
    model.predict(x, batch_size=8)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and _FINAL.match(lines[0])
    assert re.match(r"^3/3 " + _BAR + r" \d+s \d+(us|ms|s)/step$", lines[1]), lines[1]


# --------------------------------------------------------------------------- evaluate / predict / on_batch
def test_evaluate_returns_scalar_list_or_dict():
    x, y, _ = blobs(n=20)
    assert isinstance(small_classifier(metrics=[]).evaluate(x, y, verbose=0), float)
    model = small_classifier(metrics=["accuracy", "mae"])
    values = model.evaluate(x, y, verbose=0)
    assert isinstance(values, list) and len(values) == 3
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss", "mae"]
    assert [logs["loss"], logs["accuracy"], logs["mae"]] == values


def test_predict_is_batched_and_equals_calling_the_model():
    x, y, _ = blobs(n=50)
    model = small_classifier()
    out = model.predict(x, batch_size=7, verbose=0)
    assert out.shape == (50, 3) and out.dtype == numpy.float32
    numpy.testing.assert_allclose(out, model(x), rtol=1e-6)
    numpy.testing.assert_allclose(model.predict_on_batch(x[:5]), out[:5], rtol=1e-6)


def test_train_on_batch_returns_that_batchs_loss_and_metrics():
    x, y, _ = blobs(n=16)
    model = small_classifier(optimizer=optimizers.SGD(learning_rate=0.0))
    loss, acc = model.train_on_batch(x, y)
    assert (loss, acc) == tuple(model.test_on_batch(x, y))
    assert loss == pytest.approx(model.evaluate(x, y, verbose=0)[0], rel=1e-6)
    assert model.train_on_batch(x[:4], y[:4], return_dict=True)["loss"] == pytest.approx(
        model.evaluate(x[:4], y[:4], verbose=0)[0], rel=1e-6)


# --------------------------------------------------------------------------- numerics
def test_softmax_crossentropy_training_loss_matches_keras_clipped_formula():
    # The trainer fuses the final softmax into the loss; the reported value must still be Keras's:
    # mean over samples of -sum(y * log(clip(softmax(z), 1e-7, 1 - 1e-7))).
    x, y, _ = blobs(n=12)
    model = small_classifier(optimizer=optimizers.SGD(learning_rate=0.0), metrics=[])
    p = numpy.clip(model.predict(x, verbose=0).astype(numpy.float64), 1e-7, 1 - 1e-7)
    expected = numpy.mean(-(y * numpy.log(p)).sum(axis=1))
    assert model.train_on_batch(x, y) == pytest.approx(expected, rel=1e-5)


def test_sparse_labels_train_with_sparse_categorical_crossentropy_and_accuracy():
    x, _, labels = blobs()
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, labels, epochs=2, verbose=0)
    assert type(model._metrics[0]).__name__ == "SparseCategoricalAccuracy"
    assert history.history["loss"][1] < history.history["loss"][0]


def test_fit_keeps_float32_everywhere_including_the_backward_pass():
    x, y, _ = blobs(n=16)
    x64 = x.astype(numpy.float64)  # float64 data is cast once, at the boundary
    model = small_classifier(metrics=[])
    model.fit(x64, y, batch_size=8, verbose=0)
    assert all(w.dtype == numpy.float32 for w in model.get_weights())
    assert model.predict(x64, verbose=0).dtype == numpy.float32
    assert_step_is_float32(model, x[:8], y[:8])


def test_model_input_float64_or_int_is_cast_to_float32():
    model = small_classifier()
    assert model(numpy.ones((2, 4), numpy.float64)).dtype == numpy.float32
    assert model(numpy.ones((2, 4), numpy.int64)).dtype == numpy.float32


# --------------------------------------------------------------------------- bad input
def _bad_fit_cases():
    x, y, labels = blobs(n=20)
    return [
        (dict(x=x, y=y[:10]), ValueError, r"x has 20.*y has 10"),
        (dict(x=x, y=labels), ValueError, r"sparse_categorical_crossentropy"),
        (dict(x=x, y=numpy.ones((20, 5), numpy.float32)), ValueError, r"3 units"),
        (dict(x=x[:, :3], y=y), ValueError, r"`x` has shape \(20, 3\).*\(None, 4\)"),
        (dict(x=numpy.where(numpy.arange(80).reshape(20, 4) == 7, numpy.nan, x), y=y), ValueError, r"`x`.*NaN"),
        (dict(x=x, y=y, batch_size=0), ValueError, r"batch_size"),
        (dict(x=x, y=y, batch_size=-3), ValueError, r"batch_size"),
        (dict(x=x, y=y, validation_split=1.5), ValueError, r"validation_split"),
        (dict(x=x, y=y, validation_split=0.99), ValueError, r"validation_split.*no training"),
        (dict(x=x, y=y, epochz=3), TypeError, r"epochz"),
        (dict(x=x, y=y, shuffle="yes"), ValueError, r"shuffle"),
        (dict(x=x, y=y, verbose=3), ValueError, r"verbose"),
        (dict(x=x, y=y, class_weight={0: 1.0}, sample_weight=numpy.ones(20)), ValueError, r"class_weight"),
        (dict(x=x, y=y, validation_data=(x,)), ValueError, r"validation_data"),
        (dict(x="abc", y=y), TypeError, r"`x` must hold numbers"),
    ]


@pytest.mark.parametrize("kwargs, error, pattern", _bad_fit_cases())
def test_bad_fit_arguments_raise_before_any_weight_changes(kwargs, error, pattern):
    model = small_classifier()
    before = model.get_weights()
    with pytest.raises(error, match=pattern):
        model.fit(**{"verbose": 0, **kwargs})
    for a, b in zip(before, model.get_weights()):
        numpy.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 0


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(optimizer="adamm", loss="mse"), r"optimizer"),
    (dict(optimizer="adam", loss="msee"), r"loss"),
    (dict(optimizer="adam", loss="mse", metrics=["acuracy"]), r"metric"),
    (dict(optimizer="adam", loss="mse", sample_weight_mode="spatial"), r"sample_weight_mode"),
    (dict(optimizer="adam", loss="mse", jit=True), r"jit"),
])
def test_bad_compile_arguments_raise_naming_the_argument(kwargs, pattern):
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises((ValueError, TypeError), match=pattern):
        model.compile(**kwargs)


def test_unknown_activation_name_raises_naming_activation():
    with pytest.raises(ValueError, match="activation"):
        Dense(3, activation="relu7")


def test_fit_before_compile_raises():
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        Sequential([Dense(2, input_shape=(3,))]).fit(numpy.ones((4, 3)), numpy.ones((4, 2)))


# --------------------------------------------------------------------------- compile options
def test_loss_weights_scale_the_single_loss():
    x, y, _ = blobs(n=12)
    model = small_classifier(optimizer=optimizers.SGD(learning_rate=0.0), metrics=[])
    plain = model.evaluate(x, y, verbose=0)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="categorical_crossentropy", loss_weights=[0.5])
    assert model.evaluate(x, y, verbose=0) == pytest.approx(0.5 * plain, rel=1e-6)


def test_target_tensors_are_used_when_fit_gets_no_y():
    x, y, _ = blobs(n=12)
    model = small_classifier(metrics=[], target_tensors=[y])
    history = model.fit(x, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


def test_regularization_penalty_is_added_to_the_reported_loss():
    # L2(0.1) adds 0.1 * sum(kernel**2) to the loss (Keras: no 1/2 factor).
    x, y, _ = blobs(n=12)
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,), kernel_regularizer="l2")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="categorical_crossentropy")
    p = numpy.clip(model.predict(x, verbose=0).astype(numpy.float64), 1e-7, 1 - 1e-7)
    data_loss = numpy.mean(-(y * numpy.log(p)).sum(axis=1))
    penalty = 0.01 * float((numpy.asarray(model.layers[0].kernel, numpy.float64) ** 2).sum())  # 'l2' is L2(0.01)
    assert model.train_on_batch(x, y) == pytest.approx(data_loss + penalty, rel=1e-5)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(data_loss + penalty, rel=1e-5)


def test_train_on_batch_notices_a_layer_frozen_between_calls():
    x, y, _ = blobs(n=8)
    model = small_classifier(optimizer="sgd")
    model.train_on_batch(x, y)
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()
    model.train_on_batch(x, y)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_activity_regularization_is_added_to_the_loss_as_keras_3_does():
    # Keras 3.15 adds activity_regularizer(outputs) divided by the batch size
    # (keras/src/layers/layer.py, Layer.__call__: divide_no_nan(loss, batch_size)):
    # L1(0.01) gives 0.01 * sum(|outputs|) / N.
    x, y, _ = blobs(n=12)
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,), activity_regularizer="l1")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="categorical_crossentropy")
    p = model.predict(x, verbose=0).astype(numpy.float64)
    data_loss = numpy.mean(-(y * numpy.log(numpy.clip(p, 1e-7, 1 - 1e-7))).sum(axis=1))
    penalty = 0.01 * numpy.abs(p).sum() / 12  # 'l1' is L1(0.01); 12 softmax outputs, each summing to 1
    assert model.train_on_batch(x, y) == pytest.approx(data_loss + penalty, rel=1e-5)
    assert model.evaluate(x, y, batch_size=12, verbose=0) == pytest.approx(data_loss + penalty, rel=1e-5)
    assert model.layers[0].losses and not any(hasattr(v, "_node") for v in model.layers[0].losses)


def test_weight_decay_exclusions_match_weight_names():
    # Keras order: w <- w * (1 - weight_decay * lr), then the SGD step. With lr 0.1 and decay 0.5 the
    # decayed kernel ends 0.05 * kernel0 below the plain one; the excluded bias ends where the plain one does.
    # Keras 3 matches the patterns against variable.name ('bias'), not the path ('dense_x/bias')
    # (keras/src/optimizers/base_optimizer.py, _use_weight_decay).
    x, y, _ = blobs(n=8)
    models = []
    for weight_decay in (0.5, None):
        optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=weight_decay)
        optimizer.exclude_from_weight_decay(var_names=["^bias$"])
        model = Sequential([Dense(3, activation="softmax", input_shape=(4,), name="dense_x",
                                  bias_initializer="ones", kernel_initializer="ones")])
        model.compile(optimizer, "categorical_crossentropy")
        model.train_on_batch(x, y)
        models.append(model.layers[0])
    decayed, plain = models
    numpy.testing.assert_allclose(decayed.kernel, plain.kernel - 0.05, rtol=1e-6)
    numpy.testing.assert_array_equal(decayed.bias, plain.bias)


def test_predict_and_evaluate_never_trace(monkeypatch):
    import autograd.core

    created = []
    original = autograd.core.VJPNode.__init__

    def counting(self, *args):
        created.append(args[1])
        original(self, *args)

    x, y, _ = blobs(n=20)
    model = small_classifier(metrics=["accuracy"])
    model.fit(x, y, verbose=0, validation_split=0.2)
    monkeypatch.setattr(autograd.core.VJPNode, "__init__", counting)
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.test_on_batch(x, y)
    model.predict_on_batch(x)
    assert created == []
    model.train_on_batch(x, y)
    assert created  # the same patch does see a training step's operations
