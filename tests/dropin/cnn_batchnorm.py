"""A small convnet: Conv2D, BatchNormalization, MaxPooling2D, Dropout; moving statistics and inference mode."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(11)

# 8x8 images: class k has a bright 4x4 patch in quadrant k.
rng = np.random.default_rng(11)
n = 400
y = rng.integers(0, 4, size=n)
x = rng.normal(scale=0.5, size=(n, 8, 8, 1)).astype("float32")
for i, k in enumerate(y):
    row, col = divmod(int(k), 2)
    x[i, 4 * row:4 * row + 4, 4 * col:4 * col + 4, 0] += 1.0
x = 3.0 * x + 2.0  # far from zero mean / unit variance, for BatchNormalization to fix

model = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(8, kernel_size=(3, 3), padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(4, activation="softmax"),
    ]
)
assert tuple(model.output_shape) == (None, 4)
batch_norm = model.layers[1]
assert [w.name for w in batch_norm.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
assert len(batch_norm.trainable_weights) == 2 and len(batch_norm.non_trainable_weights) == 2

y_onehot = keras.utils.to_categorical(y, 4)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x[:320], y_onehot[:320], batch_size=32, epochs=6, verbose=0)
loss, accuracy = model.evaluate(x[320:], y_onehot[320:], verbose=0)
assert accuracy > 0.9, (loss, accuracy)

# Training moved the moving mean away from its initial zeros (the inputs are far from zero mean).
moving_mean = keras.ops.convert_to_numpy(batch_norm.moving_mean)
assert np.abs(moving_mean).max() > 0.1

# Inference is deterministic (dropout off, moving statistics used).
first = model.predict(x[320:], verbose=0)
second = keras.ops.convert_to_numpy(model(x[320:], training=False))
np.testing.assert_allclose(first, second, rtol=1e-4, atol=1e-5)
print("test accuracy:", accuracy)
