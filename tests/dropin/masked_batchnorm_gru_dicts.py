"""Dicts of inputs and outputs written out of key order, a mask through BatchNormalization into a GRU."""

import os
import tempfile

import numpy as np

import keras
from keras import layers

tokens = keras.Input(shape=(12,), dtype="int32", name="tokens")
extra = keras.Input(shape=(3,), name="extra")
x = layers.Embedding(50, 8, mask_zero=True)(tokens)
x = layers.BatchNormalization()(x)  # its batch statistics leave the padding out
x = layers.GRU(16)(x)
merged = layers.concatenate([x, extra])
model = keras.Model({"tokens": tokens, "extra": extra},
                    {"score": layers.Dense(1, name="score_head")(merged),
                     "label": layers.Dense(3, activation="softmax", name="label_head")(merged)})

# A dict is flattened by sorted key: extra before tokens, label before score.
assert [tuple(t.shape) for t in model.inputs] == [(None, 3), (None, 12)]
assert [tuple(t.shape) for t in model.outputs] == [(None, 3), (None, 1)]

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)
n = 512
lengths = rng.integers(2, 13, size=n)
ids = rng.integers(1, 50, size=(n, 12))
ids[np.arange(12)[None, :] >= lengths[:, None]] = 0  # padded at the end
features = rng.normal(size=(n, 3)).astype("float32")
score = (features.sum(axis=1, keepdims=True) + lengths[:, None] / 6.0).astype("float32")
label = np.digitize(lengths, [5, 9])  # short, medium, long

model.compile(optimizer=keras.optimizers.Adam(5e-3), loss={"score": "mse", "label": "sparse_categorical_crossentropy"},
              metrics={"label": ["accuracy"]})
history = model.fit({"tokens": ids, "extra": features}, {"score": score, "label": label}, batch_size=32, epochs=12,
                    verbose=0)
losses = history.history["loss"]
assert losses[-1] < 0.5 * losses[0], losses
assert history.history["label_accuracy"][-1] > 0.6, history.history["label_accuracy"]

predictions = model.predict({"extra": features[:4], "tokens": ids[:4]}, verbose=0)
assert sorted(predictions) == ["label", "score"] and predictions["label"].shape == (4, 3)

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "model.keras")
    model.save(path)
    again = keras.saving.load_model(path)
again_predictions = again.predict({"extra": features[:4], "tokens": ids[:4]}, verbose=0)
for key in ("label", "score"):
    np.testing.assert_allclose(again_predictions[key], predictions[key], rtol=1e-4, atol=1e-5)
print("final loss:", losses[-1], "label accuracy:", history.history["label_accuracy"][-1])
