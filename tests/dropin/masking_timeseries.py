"""Variable-length float sequences: a Masking layer, GRU, and predictions that ignore the padded steps."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(34)
rng = np.random.default_rng(34)

# Sequences of 2 to 8 steps of 2 features; the target is the sum of the first feature.
n, max_steps = 256, 8
lengths = rng.integers(2, max_steps + 1, size=n)
x = np.zeros((n, max_steps, 2), dtype="float32")
for i, length in enumerate(lengths):
    x[i, :length] = rng.uniform(0.1, 1.0, size=(length, 2))
y = x[:, :, :1].sum(axis=1)

model = keras.Sequential(
    [keras.Input(shape=(None, 2)), layers.Masking(mask_value=0.0), layers.GRU(16), layers.Dense(1)]
)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
history = model.fit(x, y, batch_size=32, epochs=10, verbose=0)
assert history.history["loss"][-1] < 0.1 * history.history["loss"][0], history.history["loss"]

mask = keras.ops.convert_to_numpy(model.layers[0].compute_mask(x[:3]))
np.testing.assert_array_equal(mask, np.arange(max_steps)[None, :] < lengths[:3, None])

# Appending more all-zero (masked) steps leaves the predictions unchanged.
longer = np.concatenate([x, np.zeros((n, 4, 2), dtype="float32")], axis=1)
np.testing.assert_allclose(model.predict(longer, verbose=0), model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
print("final loss:", history.history["loss"][-1])
