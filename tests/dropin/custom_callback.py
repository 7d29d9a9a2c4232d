"""A custom keras.callbacks.Callback: the hooks fit and evaluate call, logs, and stopping training from a callback."""

import numpy as np

import keras
from keras import layers


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []
        self.batches_seen = 0
        self.epoch_logs = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch_begin_{epoch}")

    def on_train_batch_end(self, batch, logs=None):
        self.batches_seen += 1
        assert "loss" in logs

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end_{epoch}")
        self.epoch_logs.append(dict(logs))

    def on_train_end(self, logs=None):
        self.events.append("train_end")

    def on_test_begin(self, logs=None):
        self.events.append("test_begin")


class StopAtLoss(keras.callbacks.Callback):
    """Stops training once the epoch's loss is below `threshold`."""

    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold

    def on_epoch_end(self, epoch, logs=None):
        if logs["loss"] < self.threshold:
            self.model.stop_training = True


keras.utils.set_random_seed(13)
rng = np.random.default_rng(13)
x = rng.normal(size=(100, 4)).astype("float32")
y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]])).astype("float32")

model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")

recorder = Recorder()
epoch_ends = []
lambda_callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epoch_ends.append(epoch))
history = model.fit(
    x, y, batch_size=20, epochs=3, validation_split=0.2, callbacks=[recorder, lambda_callback], verbose=0
)

# 80 training samples in batches of 20: 4 batches per epoch; validation runs at each epoch's end.
assert recorder.batches_seen == 3 * 4
assert recorder.events[0] == "train_begin" and recorder.events[-1] == "train_end"
assert recorder.events[1:4] == ["epoch_begin_0", "test_begin", "epoch_end_0"], recorder.events
assert epoch_ends == [0, 1, 2]
assert recorder.model is model
assert [logs["loss"] for logs in recorder.epoch_logs] == history.history["loss"]
assert all(set(logs) == {"loss", "val_loss"} for logs in recorder.epoch_logs)

history = model.fit(x, y, batch_size=20, epochs=200, callbacks=[StopAtLoss(0.01)], verbose=0)
assert len(history.history["loss"]) < 200 and history.history["loss"][-1] < 0.01
assert all(loss >= 0.01 for loss in history.history["loss"][:-1])
print("stopped after", len(history.history["loss"]), "epochs")
