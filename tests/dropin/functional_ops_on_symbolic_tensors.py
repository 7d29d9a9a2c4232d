"""The functional API with keras.ops and operators on symbolic tensors (x + y, x * 0.5, ops.concatenate...)."""

import numpy as np

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="dropin")
class Gate(layers.Layer):
    """A layer taking two tensors as separate arguments: gated = x * sigmoid(gate)."""

    def call(self, x, gate):
        return x * ops.sigmoid(gate)


inputs = keras.Input(shape=(8,))
hidden = layers.Dense(16, activation="relu")(inputs)
residual = hidden + layers.Dense(16, activation="relu")(hidden)  # operators on KerasTensors
scaled = residual * 0.5
joined = ops.concatenate([scaled, ops.square(inputs)], axis=-1)  # keras.ops on KerasTensors
gated = Gate()(joined, layers.Dense(24)(joined))
outputs = layers.Dense(1)(gated)
model = keras.Model(inputs, outputs)

assert tuple(residual.shape) == (None, 16) and tuple(joined.shape) == (None, 24)
assert tuple(model.output_shape) == (None, 1)

keras.utils.set_random_seed(25)
rng = np.random.default_rng(25)
x = rng.normal(size=(256, 8)).astype("float32")
y = ((x**2).sum(axis=1, keepdims=True) - x[:, :1]).astype("float32")
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
history = model.fit(x, y, batch_size=32, epochs=10, verbose=0)
assert history.history["loss"][-1] < 0.1 * history.history["loss"][0], history.history["loss"]

# The model reloads from its config, symbolic ops included.
clone = keras.Model.from_config(model.get_config())
clone.set_weights(model.get_weights())
np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-4, atol=1e-4)
print("final loss:", history.history["loss"][-1])
