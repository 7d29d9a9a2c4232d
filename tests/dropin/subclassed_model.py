"""A subclassed keras.Model: layers as attributes, call(inputs, training), fit/evaluate/predict."""

import numpy as np

import keras
from keras import layers, ops


class Classifier(keras.Model):
    def __init__(self, num_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(32, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.classifier = layers.Dense(num_classes)

    def call(self, inputs, training=False):
        x = self.hidden(inputs)
        x = self.dropout(x, training=training)
        return self.classifier(x)


keras.utils.set_random_seed(4)
rng = np.random.default_rng(4)
centers = rng.normal(scale=2.0, size=(3, 12))
y = rng.integers(0, 3, size=480)
x = (centers[y] + rng.normal(size=(480, 12))).astype("float32")

model = Classifier(name="classifier")
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(x[:400], y[:400], epochs=6, batch_size=32, verbose=0)
assert model.built and len(model.trainable_weights) == 4
assert history.history["loss"][-1] < history.history["loss"][0]
results = model.evaluate(x[400:], y[400:], verbose=0, return_dict=True)
assert results["accuracy"] > 0.9, results

# training=True turns dropout on; the default call is deterministic.
batch = x[:16]
a = ops.convert_to_numpy(model(batch))
b = ops.convert_to_numpy(model(batch))
c = ops.convert_to_numpy(model(batch, training=True))
np.testing.assert_allclose(a, b)
assert not np.allclose(a, c)
model.summary()
print("test accuracy:", results["accuracy"])
