"""Keras 3 callbacks: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, CSVLogger,
TerminateOnNaN and LambdaCallback.

Exact stopping and reduction epochs are pinned with a fake model and hand-made logs
(``run_epochs`` calls the hooks in fit's order); real ``fit`` runs check the wiring
and the printed messages.
"""

import math
import warnings

import numpy
import pytest

from microkeras import callbacks, metrics, optimizers
from microkeras.layers import Dense
from microkeras.models import Sequential
from microkeras.utils import set_random_seed


class FakeModel:
    """Just what the callbacks touch: weights, an optimizer, metrics and ``stop_training``.

    ``run_epochs`` writes the epoch number into the single weight, so restored
    weights tell which epoch they came from.
    """

    def __init__(self, learning_rate=1.0, metrics=()):
        self.optimizer = optimizers.SGD(learning_rate=learning_rate)
        self.metrics = list(metrics)
        self.stop_training = False
        self.weight = numpy.zeros(1, numpy.float32)

    def get_weights(self):
        return [self.weight.copy()]

    def set_weights(self, weights):
        self.weight[...] = weights[0]


def run_epochs(callback, values, monitor="val_loss", model=None):
    """Feed ``{monitor: value}`` epoch by epoch as fit would; return (model, epochs run, logs)."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    epochs, all_logs = [], []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        model.weight[...] = epoch
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        epochs.append(epoch)
        all_logs.append(logs)
        if model.stop_training:
            break
    callback.on_train_end()
    return model, epochs, all_logs


def tiny_regression(n=8, seed=0):
    rng = numpy.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(numpy.float32)
    y = (x @ numpy.array([[1.0], [-2.0]], numpy.float32) + 0.5).astype(numpy.float32)
    return x, y


def tiny_model(learning_rate=0.1, metrics=()):
    set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate), loss="mse", metrics=list(metrics))
    return model


# --------------------------------------------------------------------- EarlyStopping
def test_early_stopping_stops_when_patience_runs_out_and_remembers_best_epoch():
    # val_loss 1.0, 0.9, 0.95, 0.96, 0.97 with patience 2:
    #   epoch 0: first value improves on nothing yet -> best 1.0, wait 0
    #   epoch 1: 0.9 < 1.0                           -> best 0.9, best_epoch 1, wait 0
    #   epoch 2: no improvement                      -> wait 1 (< 2)
    #   epoch 3: no improvement                      -> wait 2 >= 2 and epoch > 0: stop
    # so epoch 4 never runs.
    early_stopping = callbacks.EarlyStopping(patience=2)
    model, epochs, _ = run_epochs(early_stopping, [1.0, 0.9, 0.95, 0.96, 0.97])
    assert epochs == [0, 1, 2, 3]
    assert model.stop_training
    assert (early_stopping.stopped_epoch, early_stopping.best_epoch) == (3, 1)
    assert (early_stopping.best, early_stopping.wait) == (0.9, 2)


def test_early_stopping_patience_zero_stops_at_the_first_epoch_without_improvement():
    early_stopping = callbacks.EarlyStopping(monitor="loss")
    _, epochs, _ = run_epochs(early_stopping, [1.0, 0.5, 0.5, 0.1], monitor="loss")
    assert epochs == [0, 1, 2] and early_stopping.stopped_epoch == 2


def test_early_stopping_min_delta_counts_small_gains_as_no_improvement():
    # min mode, min_delta 0.1: a value improves only if value + 0.1 < best.
    #   epoch 0: best 1.0 | epoch 1: 0.95 + 0.1 < 1.0? no, wait 1 | epoch 2: 0.92 + 0.1 < 1.0? no, wait 2: stop
    early_stopping = callbacks.EarlyStopping(min_delta=0.1, patience=2)
    _, epochs, _ = run_epochs(early_stopping, [1.0, 0.95, 0.92, 0.5])
    assert epochs == [0, 1, 2] and early_stopping.best == 1.0
    # Without min_delta both are improvements and training goes on.
    _, epochs, _ = run_epochs(callbacks.EarlyStopping(patience=2), [1.0, 0.95, 0.92, 0.5])
    assert epochs == [0, 1, 2, 3]


def test_early_stopping_min_delta_is_subtracted_in_max_mode_and_its_sign_is_ignored():
    # max mode: improvement means value - 0.1 > best.  0.55 - 0.1 > 0.5 fails; 0.7 - 0.1 > 0.5 holds.
    early_stopping = callbacks.EarlyStopping(monitor="val_accuracy", mode="max", min_delta=-0.1, patience=5)
    run_epochs(early_stopping, [0.5, 0.55, 0.7], monitor="val_accuracy")
    assert (early_stopping.best, early_stopping.best_epoch, early_stopping.wait) == (0.7, 2, 0)


def test_early_stopping_baseline_must_be_beaten_to_reset_patience():
    # baseline 0.5, patience 2, values 0.8, 0.7, 0.75:
    #   epoch 0: improves (first value) but 0.8 is not below 0.5 -> wait stays 1
    #   epoch 1: improves on 0.8, still not below 0.5            -> wait 2, no reset (no stop on improving epochs)
    #   epoch 2: no improvement                                 -> wait 3 >= 2: stop
    early_stopping = callbacks.EarlyStopping(patience=2, baseline=0.5)
    _, epochs, _ = run_epochs(early_stopping, [0.8, 0.7, 0.75, 0.6])
    assert epochs == [0, 1, 2] and early_stopping.best == 0.7
    # With baseline 0.75, epoch 1's 0.7 beats it, so wait resets and epoch 2 only brings it to 1.
    _, epochs, _ = run_epochs(callbacks.EarlyStopping(patience=2, baseline=0.75), [0.8, 0.7, 0.75, 0.6])
    assert epochs == [0, 1, 2, 3]


def test_early_stopping_start_from_epoch_ignores_the_warm_up_epochs():
    # Epochs 0 and 1 are not monitored: epoch 2 sets best 1.0, epoch 3 (1.1) exhausts patience 1.
    early_stopping = callbacks.EarlyStopping(patience=1, start_from_epoch=2)
    _, epochs, _ = run_epochs(early_stopping, [0.1, 0.2, 1.0, 1.1, 1.2])
    assert epochs == [0, 1, 2, 3]
    assert (early_stopping.best, early_stopping.best_epoch) == (1.0, 2)
    # Monitored from epoch 0, the same values stop at epoch 1.
    _, epochs, _ = run_epochs(callbacks.EarlyStopping(patience=1), [0.1, 0.2, 1.0, 1.1, 1.2])
    assert epochs == [0, 1]


def test_early_stopping_restores_best_weights_when_it_stops():
    early_stopping = callbacks.EarlyStopping(patience=1, restore_best_weights=True)
    model, epochs, _ = run_epochs(early_stopping, [1.0, 0.5, 0.7, 0.2])
    assert epochs == [0, 1, 2]
    assert model.weight[0] == 1.0  # the weights written at epoch 1, the best


def test_early_stopping_restores_best_weights_also_when_training_runs_to_the_end():
    # Keras 3 restores at on_train_end whenever best weights exist, stopped early or not.
    early_stopping = callbacks.EarlyStopping(patience=10, restore_best_weights=True)
    model, epochs, _ = run_epochs(early_stopping, [1.0, 0.3, 0.7, 0.8])
    assert epochs == [0, 1, 2, 3] and early_stopping.stopped_epoch == 0
    assert model.weight[0] == 1.0


def test_early_stopping_can_be_reused_for_a_second_fit():
    early_stopping = callbacks.EarlyStopping(patience=1)
    run_epochs(early_stopping, [0.1, 0.2])
    _, epochs, _ = run_epochs(early_stopping, [5.0, 4.0, 3.0])  # worse than 0.1, but a new run
    assert epochs == [0, 1, 2] and early_stopping.best == 3.0


def test_mode_auto_maximizes_accuracy_metrics_and_minimizes_losses_and_errors():
    model = FakeModel(metrics=[metrics.Mean(name="loss"), metrics.CategoricalAccuracy(name="accuracy"),
                               metrics.MeanSquaredError(name="mse"), metrics.AUC(name="auc")])
    early_stopping = callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    _, epochs, _ = run_epochs(early_stopping, [0.5, 0.6, 0.55], monitor="val_accuracy", model=model)
    assert early_stopping.monitor_op is numpy.greater
    assert epochs == [0, 1, 2] and (early_stopping.best, early_stopping.best_epoch) == (0.6, 1)
    for monitor, op in [("val_loss", numpy.less), ("loss", numpy.less), ("val_mse", numpy.less),
                        ("auc", numpy.greater)]:
        early_stopping = callbacks.EarlyStopping(monitor=monitor)
        run_epochs(early_stopping, [1.0, 2.0], monitor=monitor, model=FakeModel(metrics=model.metrics))
        assert early_stopping.monitor_op is op, monitor


def test_mode_auto_reads_the_direction_of_a_real_models_accuracy_metric():
    x, y = tiny_regression()
    model = tiny_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["acc"])
    early_stopping = callbacks.EarlyStopping(monitor="val_acc", patience=5)
    model.fit(x, (y > 0).astype("float32"), epochs=2, validation_data=(x, (y > 0).astype("float32")),
              callbacks=[early_stopping], verbose=0)
    assert early_stopping.monitor_op is numpy.greater


def test_mode_auto_on_a_metric_of_unknown_direction_raises_asking_for_a_mode():
    early_stopping = callbacks.EarlyStopping(monitor="val_my_score")
    with pytest.raises(ValueError, match=r"monitor='val_my_score'.*mode='max'.*mode='min'"):
        run_epochs(early_stopping, [1.0, 2.0], monitor="val_my_score")
    early_stopping = callbacks.EarlyStopping(monitor="val_my_score", mode="max")
    run_epochs(early_stopping, [1.0, 2.0], monitor="val_my_score")
    assert early_stopping.best == 2.0


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="EarlyStopping mode 'lowest' is unknown, fallback to auto mode."):
        early_stopping = callbacks.EarlyStopping(mode="lowest")
    with pytest.warns(UserWarning, match="ReduceLROnPlateau mode 'up' is unknown"):
        reduce_lr = callbacks.ReduceLROnPlateau(mode="up")
    assert early_stopping.mode == reduce_lr.mode == "auto"


def test_missing_monitor_warns_listing_the_available_keys():
    model = FakeModel()
    early_stopping = callbacks.EarlyStopping(monitor="val_acc")
    early_stopping.set_model(model)
    early_stopping.on_train_begin()
    with pytest.warns(UserWarning) as record:
        early_stopping.on_epoch_end(0, {"accuracy": 0.5, "loss": 1.0, "val_accuracy": 0.4, "val_loss": 1.1})
    assert str(record[0].message) == ("Early stopping conditioned on metric `val_acc` which is not available. "
                                      "Available metrics are: accuracy,loss,val_accuracy,val_loss")
    assert not model.stop_training

    reduce_lr = callbacks.ReduceLROnPlateau(monitor="val_acc")
    reduce_lr.set_model(model)
    with pytest.warns(UserWarning) as record:
        reduce_lr.on_epoch_end(0, {"loss": 1.0})
    assert str(record[0].message) == ("Learning rate reduction is conditioned on metric `val_acc` which is not "
                                      "available. Available metrics are: loss,learning_rate.")


def test_missing_val_loss_in_a_fit_without_validation_warns_and_training_continues():
    x, y = tiny_regression()
    model = tiny_model()
    with pytest.warns(UserWarning, match="`val_loss` which is not available. Available metrics are: loss"):
        history = model.fit(x, y, epochs=2, callbacks=[callbacks.EarlyStopping()], verbose=0)
    assert len(history.history["loss"]) == 2


def test_early_stopping_in_fit_prints_keras_messages_and_restores_best_weights(capsys):
    # mode='max' on a falling training loss makes epoch 0 the best: patience 1 stops at epoch 1
    # ("Epoch 2" 1-based) and restores epoch 0's weights, which differ from the final ones.
    x, y = tiny_regression()
    model = tiny_model()
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
    early_stopping = callbacks.EarlyStopping(monitor="loss", mode="max", patience=1, verbose=1,
                                             restore_best_weights=True)
    history = model.fit(x, y, epochs=5, batch_size=4, callbacks=[record, early_stopping], verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert history.epoch == [0, 1]
    assert capsys.readouterr().out == ("Epoch 2: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 1.\n")
    for restored, best, last in zip(model.get_weights(), seen[0], seen[1]):
        numpy.testing.assert_array_equal(restored, best)
        assert not numpy.array_equal(restored, last)


def test_early_stopping_rejects_a_negative_patience():
    with pytest.raises(ValueError, match=r"`patience` must be an integer >= 0; received patience=-1"):
        callbacks.EarlyStopping(patience=-1)


# ----------------------------------------------------------------- ReduceLROnPlateau
def test_reduce_lr_on_plateau_reduces_after_patience_and_logs_the_rate_used_that_epoch():
    # lr 1.0, factor 0.5, patience 2, min_delta 1e-4, monitor val_loss:
    #   epoch 0: best 1.0 | 1: 0.9 improves | 2: wait 1 | 3: wait 2 -> lr 0.5 | 4: wait 1 | 5: wait 2 -> lr 0.25
    # Each epoch logs the rate it trained with, i.e. the value before that epoch's reduction.
    reduce_lr = callbacks.ReduceLROnPlateau(factor=0.5, patience=2)
    model, _, logs = run_epochs(reduce_lr, [1.0, 0.9, 0.9, 0.9, 0.9, 0.9])
    assert [entry["learning_rate"] for entry in logs] == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    assert model.optimizer.learning_rate == 0.25


def test_reduce_lr_on_plateau_min_delta_default_ignores_tiny_gains():
    # 0.99995 is below 1.0 by less than min_delta=1e-4, so it is no improvement: reduce at epoch 1.
    reduce_lr = callbacks.ReduceLROnPlateau(factor=0.5, patience=1)
    model, _, _ = run_epochs(reduce_lr, [1.0, 0.99995])
    assert model.optimizer.learning_rate == 0.5


def test_reduce_lr_on_plateau_cooldown_skips_epochs_after_a_reduction():
    # patience 1, cooldown 2, flat loss:
    #   epoch 1: wait 1 -> reduce (lr 0.5), cooldown_counter 2
    #   epoch 2: counter 2 -> 1, still cooling down: not counted
    #   epoch 3: counter 1 -> 0, no longer cooling down: wait 1 -> reduce (lr 0.25), counter 2
    #   epoch 4: counter -> 1 | epoch 5: counter -> 0, wait 1 -> reduce (lr 0.125)
    reduce_lr = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)
    _, _, logs = run_epochs(reduce_lr, [1.0] * 7)
    assert [entry["learning_rate"] for entry in logs] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    # Without cooldown, every flat epoch after the first reduces.
    _, _, logs = run_epochs(callbacks.ReduceLROnPlateau(factor=0.5, patience=1), [1.0] * 4)
    assert [entry["learning_rate"] for entry in logs] == [1.0, 1.0, 0.5, 0.25]


def test_reduce_lr_on_plateau_stops_at_min_lr():
    # 1.0 -> 0.5 -> max(0.25, 0.3) = 0.3, then the rate is at min_lr and stays there.
    reduce_lr = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.3)
    model, _, logs = run_epochs(reduce_lr, [1.0] * 6)
    assert [entry["learning_rate"] for entry in logs] == [1.0, 1.0, 0.5, 0.3, 0.3, 0.3]
    assert model.optimizer.learning_rate == 0.3
    # At the bound nothing happens, so wait is no longer reset: epochs 3, 4, 5 count 1, 2, 3.
    assert reduce_lr.wait == 3


def test_reduce_lr_on_plateau_rejects_a_factor_of_one_or_more():
    with pytest.raises(ValueError, match=r"does not support a factor >= 1.0. Received factor=1.5"):
        callbacks.ReduceLROnPlateau(factor=1.5)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        callbacks.ReduceLROnPlateau(patients=3)


def test_reduce_lr_on_plateau_in_fit_prints_keras_message_and_adds_learning_rate_to_history(capsys):
    # mode='max' on a falling loss: no epoch after the first improves, patience 1 reduces at
    # epochs 1 and 2: 0.1 -> 0.05 -> 0.025 (Python floats: 0.1 * 0.5 == 0.05 exactly as printed).
    x, y = tiny_regression()
    model = tiny_model(learning_rate=0.1)
    reduce_lr = callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=1, verbose=1)
    history = model.fit(x, y, epochs=3, callbacks=[reduce_lr], verbose=0)
    assert history.history["learning_rate"] == [0.1, 0.1, 0.05]
    assert model.optimizer.learning_rate == 0.025
    assert capsys.readouterr().out == ("\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05.\n"
                                       "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.025.\n")


# ------------------------------------------------------------- LearningRateScheduler
def test_learning_rate_scheduler_sets_the_optimizer_rate_and_records_it_in_history(capsys):
    x, y = tiny_regression()
    model = tiny_model(learning_rate=0.1)
    calls = []

    def halve(epoch, lr):
        calls.append((epoch, lr))
        return lr * 0.5

    history = model.fit(x, y, epochs=3, callbacks=[callbacks.LearningRateScheduler(halve, verbose=1)],
                        verbose=0)
    assert calls == [(0, 0.1), (1, 0.05), (2, 0.025)]
    assert history.history["learning_rate"] == [0.05, 0.025, 0.0125]
    assert model.optimizer.learning_rate == 0.0125
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.05.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.025.\n"
        "\nEpoch 3: LearningRateScheduler setting learning rate to 0.0125.\n")


def test_learning_rate_scheduler_falls_back_to_a_one_argument_schedule():
    scheduler = callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    model, _, logs = run_epochs(scheduler, [1.0, 1.0, 1.0])
    assert [entry["learning_rate"] for entry in logs] == [0.1, 0.05, 0.1 / 3]
    assert model.optimizer.learning_rate == 0.1 / 3


def test_learning_rate_scheduler_accepts_numpy_floats_and_rejects_other_results():
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: numpy.float32(0.25))
    model, _, _ = run_epochs(scheduler, [1.0])
    assert model.optimizer.learning_rate == 0.25
    with pytest.raises(ValueError, match=r"should be a float. Got: 1 of type int"):
        run_epochs(callbacks.LearningRateScheduler(lambda epoch, lr: 1), [1.0])
    with pytest.raises(TypeError, match="`schedule` must be a function"):
        callbacks.LearningRateScheduler(0.1)


# ------------------------------------------------------------------------ CSVLogger
def test_csv_logger_writes_a_sorted_header_and_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger = callbacks.CSVLogger(path)
    logger.set_model(FakeModel())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"val_loss": 0.75, "loss": 1.5, "accuracy": 0.5})
    logger.on_epoch_end(1, {"val_loss": 0.25, "loss": 1.0, "accuracy": 0.625})
    logger.on_train_end()
    assert logger.csv_file.closed
    # Python's csv excel dialect ends lines with \r\n, as Keras's files do.
    assert path.read_bytes().decode() == ("epoch,accuracy,loss,val_loss\r\n"
                                          "0,0.5,1.5,0.75\r\n"
                                          "1,0.625,1.0,0.25\r\n")


def test_csv_logger_reserves_val_columns_and_writes_na_for_missing_values(tmp_path):
    # Keras 3: a first epoch without val_ keys reserves val_<key> for every key (validation_freq > 1).
    path = tmp_path / "log.csv"
    logger = callbacks.CSVLogger(str(path), separator=";")
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 2.0, "mse": 3.0})
    logger.on_epoch_end(1, {"loss": 1.0, "mse": 1.5, "val_loss": 0.5, "val_mse": 0.75, "extra": 9.0})
    logger.on_train_end()
    assert path.read_bytes().decode() == ("epoch;loss;mse;val_loss;val_mse\r\n"
                                          "0;2.0;3.0;NA;NA\r\n"
                                          "1;1.0;1.5;0.5;0.75\r\n")


def test_csv_logger_append_continues_the_file_without_repeating_the_header(tmp_path):
    path = tmp_path / "log.csv"
    for first_epoch, append in [(0, False), (2, True)]:
        logger = callbacks.CSVLogger(path, append=append)
        logger.on_train_begin()
        logger.on_epoch_end(first_epoch, {"loss": 1.0 / (first_epoch + 1), "val_loss": 0.5})
        logger.on_train_end()
    assert path.read_bytes().decode() == "epoch,loss,val_loss\r\n0,1.0,0.5\r\n2,0.3333333333333333,0.5\r\n"
    # append=False overwrites.
    logger = callbacks.CSVLogger(path)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 4.0, "val_loss": 0.5})
    logger.on_train_end()
    assert path.read_bytes().decode() == "epoch,loss,val_loss\r\n0,4.0,0.5\r\n"


def test_csv_logger_in_fit_matches_the_history(tmp_path):
    path = tmp_path / "fit.csv"
    x, y = tiny_regression()
    model = tiny_model()
    history = model.fit(x, y, epochs=2, validation_data=(x, y), callbacks=[callbacks.CSVLogger(path)],
                        verbose=0)
    rows = [line.split(",") for line in path.read_text().splitlines()]
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert rows[1:] == [[str(epoch), repr(history.history["loss"][epoch]), repr(history.history["val_loss"][epoch])]
                        for epoch in (0, 1)]


# ------------------------------------------------------------------- TerminateOnNaN
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_terminate_on_nan_stops_or_raises_on_an_invalid_loss(bad, capsys):
    model = FakeModel()
    terminate = callbacks.TerminateOnNaN()
    terminate.set_model(model)
    terminate.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    terminate.on_train_batch_end(3, {"loss": bad})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 3: Invalid loss, terminating training\n"
    with pytest.raises(RuntimeError, match=r"NaN or Inf loss encountered at batch 3. Loss value: (nan|inf)"):
        callbacks.TerminateOnNaN(raise_error=True).on_train_batch_end(3, {"loss": bad})


def test_terminate_on_nan_ends_a_diverging_fit_after_the_first_bad_batch(capsys):
    # SGD with learning rate 1e30 sends the weights to ~1e30 after one step; the next batch's squared
    # error overflows float32 to inf (then nan), and training ends after that batch.
    x, y = tiny_regression()
    model = tiny_model(learning_rate=1e30)
    batches = []
    count = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow warnings
        history = model.fit(x, y, epochs=3, batch_size=2, callbacks=[count, callbacks.TerminateOnNaN()],
                            verbose=0)
    assert history.epoch == [0]
    assert not math.isfinite(history.history["loss"][0])
    assert capsys.readouterr().out == f"Batch {batches[-1]}: Invalid loss, terminating training\n"
    assert batches == list(range(len(batches))) and len(batches) < 4


# ------------------------------------------------------------------- LambdaCallback
def test_lambda_callback_calls_each_given_function_with_the_hook_arguments():
    x, y = tiny_regression()
    model = tiny_model()
    events = []
    spy = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: events.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch} {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"),
        on_test_end=lambda logs: events.append(f"test_end {sorted(logs)}"))
    model.fit(x, y, epochs=2, batch_size=8, validation_data=(x, y), callbacks=[spy], verbose=0)
    assert events == ["train_begin",
                      "epoch_begin 0", "batch_begin 0", "batch_end 0 ['loss']", "test_end ['loss']",
                      "epoch_end 0 ['loss', 'val_loss']",
                      "epoch_begin 1", "batch_begin 0", "batch_end 0 ['loss']", "test_end ['loss']",
                      "epoch_end 1 ['loss', 'val_loss']",
                      "train_end"]


def test_lambda_callback_rejects_unknown_hook_names_and_non_functions():
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\): on_epoch_ends"):
        callbacks.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="`on_epoch_end` must be a function"):
        callbacks.LambdaCallback(on_epoch_end="print")
