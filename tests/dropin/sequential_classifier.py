"""A Sequential classifier: compile, fit with a validation split, evaluate, predict."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(42)

# Three Gaussian blobs in 20 dimensions.
rng = np.random.default_rng(0)
centers = rng.normal(scale=2.0, size=(3, 20))
y = rng.integers(0, 3, size=600)
x = (centers[y] + rng.normal(size=(600, 20))).astype("float32")
x_train, y_train, x_test, y_test = x[:500], y[:500], x[500:], y[500:]

model = keras.Sequential(
    [
        keras.Input(shape=(20,)),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(3, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-2),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=32, epochs=8, validation_split=0.2, verbose=0)

assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"], history.history.keys()
assert len(history.history["loss"]) == 8
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
assert history.history["val_accuracy"][-1] > 0.9

results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
assert set(results) == {"loss", "accuracy"} and results["accuracy"] > 0.9, results

probabilities = model.predict(x_test[:5], verbose=0)
assert probabilities.shape == (5, 3)
np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
print("test accuracy:", results["accuracy"])
