"""Shared layers: one encoder applied to two inputs (a siamese model), merged with ops in a layer."""

import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(5)

encoder = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(8)], name="encoder")


class AbsoluteDifference(layers.Layer):
    def call(self, inputs):
        a, b = inputs
        return ops.abs(a - b)


left = keras.Input(shape=(10,), name="left")
right = keras.Input(shape=(10,), name="right")
distance = AbsoluteDifference()([encoder(left), encoder(right)])
same = layers.Dense(1, activation="sigmoid", name="same")(distance)
model = keras.Model([left, right], same)

# The encoder is shared: its weights appear once.
assert len(encoder.weights) == 4
assert len(model.weights) == 4 + 2

# Pairs of points from 4 clusters; the target says whether both come from the same cluster.
rng = np.random.default_rng(5)
centers = rng.normal(scale=3.0, size=(4, 10))
n = 1024
a_cls = rng.integers(0, 4, size=n)
b_cls = np.where(rng.uniform(size=n) < 0.5, a_cls, rng.integers(0, 4, size=n))
a = (centers[a_cls] + rng.normal(size=(n, 10))).astype("float32")
b = (centers[b_cls] + rng.normal(size=(n, 10))).astype("float32")
target = (a_cls == b_cls).astype("float32")

model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit([a, b], target, batch_size=64, epochs=10, verbose=0)
assert history.history["accuracy"][-1] > 0.9, history.history["accuracy"]

# The model is symmetric in its inputs because the encoder is shared.
p_ab = model.predict([a[:50], b[:50]], verbose=0)
p_ba = model.predict([b[:50], a[:50]], verbose=0)
np.testing.assert_allclose(p_ab, p_ba, rtol=1e-5, atol=1e-6)
print("accuracy:", history.history["accuracy"][-1])
