"""Conv1D over a signal: Conv1D, MaxPooling1D, GlobalAveragePooling1D, predicting a frequency."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(26)
rng = np.random.default_rng(26)

# Noisy sine waves; the target is their frequency.
n, length = 384, 32
frequency = rng.uniform(0.5, 3.0, size=(n, 1)).astype("float32")
phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
t = np.linspace(0, 2 * np.pi, length)
signals = (np.sin(frequency * t + phase) + 0.1 * rng.normal(size=(n, length)))[..., None].astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(length, 1)),
        layers.Conv1D(16, kernel_size=5, activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(16, kernel_size=3, activation="relu", padding="same"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(1),
    ]
)
assert tuple(model.layers[0].output.shape) == (None, 28, 16)
assert tuple(model.layers[1].output.shape) == (None, 14, 16)

model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
baseline = float(np.mean((frequency[320:] - frequency[:320].mean()) ** 2))
history = model.fit(signals[:320], frequency[:320], batch_size=32, epochs=12, verbose=0)
test_mse, test_mae = model.evaluate(signals[320:], frequency[320:], verbose=0)
assert test_mse < 0.3 * baseline, (test_mse, baseline)
print("test mse:", test_mse, "baseline:", baseline)
