"""Custom losses: a plain function of (y_true, y_pred) and a keras.losses.Loss subclass with a config."""

import numpy as np

import keras
from keras import ops


def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class WeightedCrossentropy(keras.losses.Loss):
    """Categorical crossentropy on probabilities, with a weight per class."""

    def __init__(self, class_weights, name="weighted_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.class_weights = class_weights

    def call(self, y_true, y_pred):
        y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        weights = ops.convert_to_tensor(self.class_weights, dtype=y_pred.dtype)
        return -ops.sum(weights * y_true * ops.log(y_pred), axis=-1)

    def get_config(self):
        return {**super().get_config(), "class_weights": self.class_weights}


# The losses compute what their formulas say.
loss = WeightedCrossentropy([1.0, 2.0])
value = loss(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[0.5, 0.5], [0.8, 0.2]]))
expected = (2.0 * -np.log(0.5) + 1.0 * -np.log(0.8)) / 2
np.testing.assert_allclose(float(value), expected, rtol=1e-5)
assert WeightedCrossentropy.from_config(loss.get_config()).class_weights == [1.0, 2.0]

np.testing.assert_allclose(
    ops.convert_to_numpy(custom_mean_squared_error(np.ones((2, 3)), np.zeros((2, 3)))), [1.0, 1.0]
)

# Both losses in training.
keras.utils.set_random_seed(9)
rng = np.random.default_rng(9)
x = rng.normal(size=(300, 6)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("int64")


def make_classifier():
    return keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2, activation="softmax")]
    )


model = make_classifier()
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=WeightedCrossentropy([1.0, 3.0]), metrics=["accuracy"])
history = model.fit(x, keras.utils.to_categorical(y, 2), batch_size=50, epochs=15, verbose=0)
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], history.history["loss"]

regressor = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
regressor.compile(optimizer=keras.optimizers.SGD(0.1), loss=custom_mean_squared_error)
target = (x @ np.arange(6.0).reshape(6, 1)).astype("float32")
history = regressor.fit(x, target, batch_size=30, epochs=10, verbose=0)
assert history.history["loss"][-1] < 0.01 * history.history["loss"][0], history.history["loss"]
print("final regression loss:", history.history["loss"][-1])
