"""Two outputs given as a list: one loss and metric per output, and the History keys Keras 3 reports."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(33)
rng = np.random.default_rng(33)
x = rng.normal(size=(400, 6)).astype("float32")
y_class = (x[:, 0] > 0).astype("int64")
y_value = (x[:, 1:3].sum(axis=1, keepdims=True)).astype("float32")

inputs = keras.Input(shape=(6,))
shared = layers.Dense(16, activation="relu")(inputs)
class_out = layers.Dense(2, activation="softmax", name="label")(shared)
value_out = layers.Dense(1, name="value")(shared)
model = keras.Model(inputs, [class_out, value_out])

model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss=["sparse_categorical_crossentropy", "mse"],
    metrics=[["accuracy"], ["mae"]],
)
history = model.fit(x, [y_class, y_value], batch_size=32, epochs=8, validation_split=0.2, verbose=0)
expected_keys = {"loss", "label_accuracy", "value_mae", "val_loss", "val_label_accuracy", "val_value_mae"}
assert expected_keys <= set(history.history), history.history.keys()
assert history.history["label_accuracy"][-1] > 0.9
assert history.history["value_mae"][-1] < 0.5 * history.history["value_mae"][0]

results = model.evaluate(x, [y_class, y_value], verbose=0, return_dict=True)
assert results["label_accuracy"] > 0.9 and results["value_mae"] < 0.3, results
probabilities, values = model.predict(x[:5], verbose=0)
assert probabilities.shape == (5, 2) and values.shape == (5, 1)
assert sorted(results) == ["label_accuracy", "label_loss", "loss", "value_loss", "value_mae"], sorted(results)
print(results)
