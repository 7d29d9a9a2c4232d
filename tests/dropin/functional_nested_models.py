"""Models are callable like layers (the functional guide): an encoder and decoder in an autoencoder, and an ensemble."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(32)
rng = np.random.default_rng(32)

encoder_input = keras.Input(shape=(16,), name="original")
x = layers.Dense(8, activation="relu")(encoder_input)
encoder_output = layers.Dense(3, name="code")(x)
encoder = keras.Model(encoder_input, encoder_output, name="encoder")

decoder_input = keras.Input(shape=(3,), name="encoded")
x = layers.Dense(8, activation="relu")(decoder_input)
decoder_output = layers.Dense(16)(x)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")

autoencoder_input = keras.Input(shape=(16,), name="data")
encoded = encoder(autoencoder_input)
decoded = decoder(encoded)
autoencoder = keras.Model(autoencoder_input, decoded, name="autoencoder")
assert [layer.name for layer in autoencoder.layers] == ["data", "encoder", "decoder"]
assert len(autoencoder.weights) == len(encoder.weights) + len(decoder.weights) == 8

# Data on a 3-dimensional subspace: a 3-unit code can hold it.
basis = rng.normal(size=(3, 16))
data = (rng.normal(size=(512, 3)) @ basis).astype("float32")
autoencoder.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
history = autoencoder.fit(data, data, batch_size=32, epochs=12, verbose=0)
assert history.history["loss"][-1] < 0.2 * history.history["loss"][0], history.history["loss"]

# The parts share weights with the whole.
np.testing.assert_allclose(
    decoder.predict(encoder.predict(data[:8], verbose=0), verbose=0),
    autoencoder.predict(data[:8], verbose=0),
    rtol=1e-5,
    atol=1e-5,
)


# An ensemble: three models on one input, their outputs averaged.
def get_model():
    inputs = keras.Input(shape=(16,))
    return keras.Model(inputs, layers.Dense(1)(inputs))


members = [get_model() for _ in range(3)]
inputs = keras.Input(shape=(16,))
outputs = layers.average([member(inputs) for member in members])
ensemble = keras.Model(inputs, outputs)
expected = np.mean([member.predict(data[:8], verbose=0) for member in members], axis=0)
np.testing.assert_allclose(ensemble.predict(data[:8], verbose=0), expected, rtol=1e-5, atol=1e-6)
print("reconstruction loss:", history.history["loss"][-1])
