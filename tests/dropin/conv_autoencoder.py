"""A convolutional autoencoder: Conv2D with strides down, Conv2DTranspose and UpSampling2D back up."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(27)
rng = np.random.default_rng(27)

# 8x8 images of soft blobs at random places.
n = 192
grid = np.stack(np.meshgrid(np.arange(8), np.arange(8), indexing="ij"), axis=-1)
centers = rng.uniform(1, 7, size=(n, 1, 1, 2))
images = np.exp(-((grid[None] - centers) ** 2).sum(axis=-1) / 2.0)[..., None].astype("float32")

encoder = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
    ],
    name="encoder",
)
decoder = keras.Sequential(
    [
        keras.Input(shape=(2, 2, 4)),
        layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ],
    name="decoder",
)
autoencoder = keras.Sequential([keras.Input(shape=(8, 8, 1)), encoder, decoder])
assert tuple(encoder.output_shape) == (None, 2, 2, 4)
assert tuple(autoencoder.output_shape) == (None, 8, 8, 1)

autoencoder.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
history = autoencoder.fit(images, images, batch_size=32, epochs=12, verbose=0)
assert history.history["loss"][-1] < 0.4 * history.history["loss"][0], history.history["loss"]

codes = encoder.predict(images[:5], verbose=0)
reconstructions = decoder.predict(codes, verbose=0)
np.testing.assert_allclose(reconstructions, autoencoder.predict(images[:5], verbose=0), rtol=1e-5, atol=1e-6)
print("reconstruction loss:", history.history["loss"][-1])
