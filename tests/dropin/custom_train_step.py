"""Customizing fit(): a train_step that augments each batch, and a compute_loss with an extra term.

train_step receives ``(data,)`` on TensorFlow and PyTorch and ``(state, data)`` on
JAX; this override handles both by passing the leading arguments on untouched.
"""

import numpy as np

import keras
from keras import layers, ops


class MirrorAugmentedModel(keras.Model):
    """Trains on each batch and on its mirror image (the features reversed), with the same labels."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(32, activation="relu")
        self.logits = layers.Dense(num_classes)

    def call(self, inputs):
        return self.logits(self.hidden(inputs))

    def train_step(self, *args):
        *state, data = args
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x = ops.concatenate([x, ops.flip(x, axis=1)], axis=0)
        y = ops.concatenate([y, y], axis=0)
        return super().train_step(*state, (x, y))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)
        # Keep the logits small: a penalty on their mean square.
        return loss + 1e-3 * ops.mean(ops.square(y_pred))


keras.utils.set_random_seed(8)
rng = np.random.default_rng(8)

# The class is the position of a bump, counted from the nearer end: symmetric under mirroring.
n, length = 300, 16
y = rng.integers(0, 4, size=n)
x = rng.normal(scale=0.3, size=(n, length)).astype("float32")
left_side = rng.uniform(size=n) < 0.5
for i in range(n):
    position = int(y[i]) * 2
    x[i, position if left_side[i] else length - 1 - position] += 3.0

model = MirrorAugmentedModel(num_classes=4)
model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(x[:240], y[:240], batch_size=30, epochs=10, verbose=0)
assert sorted(history.history) == ["accuracy", "loss"]
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]

# Trained on mirrored batches too, it classifies mirrored test data as well as the originals.
_, accuracy = model.evaluate(x[240:], y[240:], verbose=0)
_, mirrored_accuracy = model.evaluate(x[240:, ::-1], y[240:], verbose=0)
assert accuracy > 0.9 and mirrored_accuracy > 0.9, (accuracy, mirrored_accuracy)
print("accuracy:", accuracy, "mirrored:", mirrored_accuracy)
