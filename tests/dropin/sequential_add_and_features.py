"""A Sequential model built with add(): summary, weights, pop, and a feature extractor."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(1)

model = keras.Sequential(name="regressor")
model.add(keras.Input(shape=(8,)))
model.add(layers.Dense(16, activation="relu", name="hidden_1"))
model.add(layers.Dense(16, activation="relu", name="hidden_2"))
model.add(layers.Dense(1, name="output"))
model.summary()

assert [layer.name for layer in model.layers] == ["hidden_1", "hidden_2", "output"]
assert model.count_params() == (8 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
hidden = model.get_layer("hidden_1")
assert tuple(hidden.kernel.shape) == (8, 16) and tuple(hidden.bias.shape) == (16,)
assert len(model.weights) == 6 and len(model.trainable_weights) == 6

# A smooth target the model can learn.
rng = np.random.default_rng(1)
x = rng.uniform(-1, 1, size=(512, 8)).astype("float32")
y = (np.sin(x[:, :1] * 2) + x[:, 1:2] * x[:, 2:3]).astype("float32")
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
history = model.fit(x, y, batch_size=32, epochs=15, verbose=0)
assert history.history["loss"][-1] < 0.4 * history.history["loss"][0], history.history["loss"]

# Feature extraction, as in the Sequential model guide.
extractor = keras.Model(inputs=model.inputs, outputs=model.get_layer("hidden_2").output)
features = extractor.predict(x[:10], verbose=0)
assert features.shape == (10, 16) and (features >= 0).all()

# set_weights / get_weights round trip into a fresh clone.
clone = keras.Sequential.from_config(model.get_config())
clone.set_weights(model.get_weights())
np.testing.assert_allclose(clone.predict(x[:10], verbose=0), model.predict(x[:10], verbose=0), rtol=1e-5, atol=1e-6)

model.pop()
assert len(model.layers) == 2 and model.layers[-1].name == "hidden_2"
print("final loss:", history.history["loss"][-1])
