"""ModelCheckpoint and BackupAndRestore: Keras 3's file names, messages and resume rules."""

import contextlib
import io
import json
import os

import numpy
import pytest

from microkeras import Input, Sequential, layers, optimizers
from microkeras.callbacks import BackupAndRestore, Callback, ModelCheckpoint
from microkeras.config import set_random_seed
from microkeras.models import load_model

pytest.importorskip("h5py")


def _model():
    set_random_seed(7)
    model = Sequential([Input((3,)), layers.Dense(6, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def _data():
    rng = numpy.random.default_rng(7)
    return rng.random((20, 3)).astype(numpy.float32), rng.random((20, 1)).astype(numpy.float32)


# ----------------------------------------------------------- ModelCheckpoint
def test_epoch_and_logged_values_fill_the_filepath_template(tmp_path):
    x, y = _data()
    template = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.3f}.keras")
    history = _model().fit(x, y, epochs=3, batch_size=5, validation_split=0.2, verbose=0,
                           callbacks=[ModelCheckpoint(template)])
    expected = sorted(f"ckpt-{epoch + 1:02d}-{loss:.3f}.keras" for epoch, loss in
                      enumerate(history.history["val_loss"]))
    assert sorted(os.listdir(tmp_path)) == expected
    assert load_model(tmp_path / expected[-1]).optimizer.iterations == 3 * 4


def test_save_best_only_keeps_the_best_epoch_and_prints_keras_messages(tmp_path):
    x, y = _data()
    path = str(tmp_path / "best.keras")

    class Scripted(Callback):  # val_loss of 0.5, 0.3, 0.4 for epochs 1..3
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = [0.5, 0.3, 0.4][epoch]
            self.weights.append(self.model.get_weights())

    scripted = Scripted()
    scripted.weights = []
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        _model().fit(x, y, epochs=3, batch_size=10, verbose=0,
                     callbacks=[scripted, ModelCheckpoint(path, save_best_only=True, verbose=1)])
    assert printed.getvalue().strip().split("\n\n") == [
        f"Epoch 1: val_loss improved from None to 0.50000, saving model to {path}",
        f"Epoch 2: val_loss improved from 0.50000 to 0.30000, saving model to {path}",
        "Epoch 3: val_loss did not improve from 0.30000"]
    for saved, at_epoch_2 in zip(load_model(path).get_weights(), scripted.weights[1]):
        numpy.testing.assert_array_equal(saved, at_epoch_2)


def test_initial_value_threshold_must_be_beaten_before_the_first_save(tmp_path):
    x, y = _data()
    checkpoint = ModelCheckpoint(str(tmp_path / "m.keras"), monitor="loss", save_best_only=True,
                                 initial_value_threshold=0.0)
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    assert os.listdir(tmp_path) == [] and checkpoint.best == 0.0


def test_weights_only_and_an_integer_save_freq_save_every_n_batches(tmp_path):
    x, y = _data()
    template = str(tmp_path / "w-{epoch}-{batch}.weights.h5")
    _model().fit(x, y, epochs=2, batch_size=5, verbose=0,
                 callbacks=[ModelCheckpoint(template, save_weights_only=True, save_freq=3)])
    # 4 batches an epoch: saves after batches 3 (epoch 1), 2 (epoch 2: 3 seen since) and none after.
    assert sorted(os.listdir(tmp_path)) == ["w-1-3.weights.h5", "w-2-2.weights.h5"]
    fresh = _model()
    fresh.load_weights(tmp_path / "w-2-2.weights.h5")
    assert fresh.optimizer.iterations == 6


def test_model_checkpoint_checks_its_arguments_as_keras_does(tmp_path):
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        ModelCheckpoint(str(tmp_path / "m.h5x"))
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="batch")
    x, y = _data()
    with pytest.raises(KeyError, match="Failed to format this callback filepath.*val_acc.*not a logged value"):
        _model().fit(x, y, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "{val_acc}.keras"))])


# ---------------------------------------------------------- BackupAndRestore
class Interrupt(Callback):
    """Raise at the start of epoch ``at`` (0-based), as a crash would."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt(f"interrupted at epoch {epoch}")


def test_an_interrupted_fit_run_again_resumes_and_ends_with_the_uninterrupted_weights(tmp_path):
    x, y = _data()
    straight = _model()
    straight.fit(x, y, epochs=4, batch_size=5, shuffle=False, verbose=0)

    backup = str(tmp_path / "backup")
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=4, batch_size=5, shuffle=False, verbose=0,
                  callbacks=[BackupAndRestore(backup), Interrupt(at=2)])
    with open(os.path.join(backup, "training_metadata.json")) as file:
        assert json.load(file) == {"epoch": 2, "batch": 0}
    assert sorted(os.listdir(backup)) == ["latest.weights.h5", "training_metadata.json"]

    model = _model()  # a new process would start from a fresh model
    epochs = []
    history = model.fit(x, y, epochs=4, batch_size=5, shuffle=False, verbose=0,
                        callbacks=[BackupAndRestore(backup), Epochs(epochs)])
    assert epochs == [2, 3] and len(history.history["loss"]) == 2
    assert model.optimizer.iterations == straight.optimizer.iterations
    for ours, theirs in zip(model.get_weights(), straight.get_weights()):
        numpy.testing.assert_array_equal(ours, theirs)
    assert not os.path.exists(backup)  # deleted once fit ends normally


class Epochs(Callback):
    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(epoch)


def test_backup_and_restore_checks_its_arguments_and_damaged_metadata(tmp_path):
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore(str(tmp_path), save_freq=0)
    (tmp_path / "training_metadata.json").write_text('{"epoch": -1}')
    x, y = _data()
    with pytest.raises(ValueError, match="training_metadata.json is not a valid"):
        _model().fit(x, y, verbose=0, callbacks=[BackupAndRestore(str(tmp_path))])


def test_double_checkpoint_falls_back_to_the_previous_backup_when_the_latest_is_damaged(tmp_path):
    x, y = _data()
    backup = str(tmp_path / "backup")
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=4, batch_size=5, shuffle=False, verbose=0,
                  callbacks=[BackupAndRestore(backup, double_checkpoint=True), Interrupt(at=3)])
    assert sorted(os.listdir(backup)) == ["latest.weights.h5", "latest.weights.h5.bkp", "training_metadata.json",
                                          "training_metadata.json.bkp"]
    with open(os.path.join(backup, "latest.weights.h5"), "wb") as file:
        file.write(b"damaged")
    epochs = []
    _model().fit(x, y, epochs=4, batch_size=5, shuffle=False, verbose=0,
                 callbacks=[BackupAndRestore(backup, double_checkpoint=True), Epochs(epochs)])
    assert epochs == [2, 3]  # the backup of epoch 2's end
