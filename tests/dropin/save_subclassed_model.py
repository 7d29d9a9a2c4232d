"""Saving a subclassed model: get_config/from_config, register_keras_serializable, and load_model."""

import numpy as np

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="dropin")
class ResidualRegressor(keras.Model):
    def __init__(self, hidden_units=16, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.inner = layers.Dense(hidden_units, activation="relu")
        self.back = layers.Dense(4)
        self.head = layers.Dense(1)

    def call(self, inputs):
        return self.head(inputs + self.back(self.inner(inputs)))

    def get_config(self):
        return {**super().get_config(), "hidden_units": self.hidden_units}


keras.utils.set_random_seed(30)
rng = np.random.default_rng(30)
x = rng.normal(size=(200, 4)).astype("float32")
y = (np.sin(x).sum(axis=1, keepdims=True)).astype("float32")

model = ResidualRegressor(hidden_units=12)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
model.fit(x, y, batch_size=20, epochs=5, verbose=0)
expected = model.predict(x, verbose=0)

model.save("regressor.keras")
restored = keras.models.load_model("regressor.keras")
assert type(restored) is ResidualRegressor and restored.hidden_units == 12
np.testing.assert_allclose(restored.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)

# The restored model keeps training from the saved optimizer state.
assert int(keras.ops.convert_to_numpy(restored.optimizer.iterations)) == 5 * 10
before = restored.evaluate(x, y, verbose=0)
restored.fit(x, y, batch_size=20, epochs=3, verbose=0)
assert restored.evaluate(x, y, verbose=0) < before

# from_config makes a fresh, untrained model of the same shape.
fresh = ResidualRegressor.from_config(model.get_config())
fresh(x[:1])
assert [tuple(w.shape) for w in fresh.weights] == [tuple(w.shape) for w in model.weights]
print("restored loss:", before)
