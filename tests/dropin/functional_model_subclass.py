"""A keras.Model subclass built the functional way, CustomModel(inputs, outputs), with its own loss and metrics."""

import numpy as np

import keras
from keras import layers, ops


class CustomModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = ops.mean(ops.square(y_pred - y))
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return loss

    def reset_metrics(self):
        self.loss_tracker.reset_state()
        self.mae_metric.reset_state()

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


keras.utils.set_random_seed(6)
rng = np.random.default_rng(6)
x = rng.normal(size=(256, 8)).astype("float32")
y = (x @ rng.normal(size=(8, 1)) + 0.5).astype("float32")

inputs = keras.Input(shape=(8,))
outputs = layers.Dense(1)(layers.Dense(16, activation="relu")(inputs))
model = CustomModel(inputs, outputs)
assert isinstance(model, CustomModel) and isinstance(model, keras.Model)
assert tuple(model.output_shape) == (None, 1)

model.compile(optimizer=keras.optimizers.Adam(1e-2))
history = model.fit(x, y, batch_size=32, epochs=10, verbose=0)
assert sorted(history.history) == ["loss", "mae"], history.history.keys()
assert history.history["loss"][-1] < 0.1 * history.history["loss"][0], history.history["loss"]
print("final loss:", history.history["loss"][-1])
