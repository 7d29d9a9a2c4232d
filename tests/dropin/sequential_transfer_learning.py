"""Transfer learning with Sequential models (the Sequential guide): freeze layers, stack a trained model in another."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(31)
rng = np.random.default_rng(31)
x = rng.normal(size=(300, 12)).astype("float32")
y_old = (x[:, :4].sum(axis=1) > 0).astype("int64")
y_new = (x[:, :4].sum(axis=1) > 0.5).astype("float32")

pretrained = keras.Sequential(
    [
        keras.Input(shape=(12,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(2, activation="softmax"),
    ]
)
pretrained.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
pretrained.fit(x, y_old, batch_size=32, epochs=5, verbose=0)

# Freeze all layers except the last one, then fine-tune only that one.
for layer in pretrained.layers[:-1]:
    layer.trainable = False
assert len(pretrained.trainable_weights) == 2
frozen = [w.copy() for w in pretrained.layers[0].get_weights()]
pretrained.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
pretrained.fit(x, y_old, batch_size=32, epochs=1, verbose=0)
for before, after in zip(frozen, pretrained.layers[0].get_weights()):
    np.testing.assert_array_equal(before, after)

# Stack the feature layers, as a frozen base, under a new head.
base_model = keras.Sequential([keras.Input(shape=(12,)), *pretrained.layers[:-1]], name="base")
base_model.trainable = False
model = keras.Sequential([base_model, layers.Dense(1, activation="sigmoid")])
model.summary()
assert tuple(model.output_shape) == (None, 1)
assert model.count_params() == (12 * 32 + 32) + (32 * 16 + 16) + (16 + 1)
assert len(model.trainable_weights) == 2

model.compile(optimizer=keras.optimizers.Adam(2e-2), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y_new, batch_size=32, epochs=8, verbose=0)
assert history.history["accuracy"][-1] > 0.8, history.history["accuracy"]
for before, after in zip(frozen, base_model.layers[0].get_weights()):
    np.testing.assert_array_equal(before, after)
print("accuracy:", history.history["accuracy"][-1])
