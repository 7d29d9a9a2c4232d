"""Sequence tagging: Bidirectional(GRU(return_sequences=True)) and TimeDistributed(Dense), one label per step."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(18)
rng = np.random.default_rng(18)

# Tag each token with whether the *next* token is larger: the backward direction sees the future.
n, steps = 320, 8
tokens = rng.integers(1, 6, size=(n, steps))
next_tokens = np.concatenate([tokens[:, 1:], np.zeros((n, 1), dtype=tokens.dtype)], axis=1)
tags = (next_tokens > tokens).astype("int64")

inputs = keras.Input(shape=(steps,), dtype="int32")
x = layers.Embedding(6, 8)(inputs)
x = layers.Bidirectional(layers.GRU(8, return_sequences=True))(x)
outputs = layers.TimeDistributed(layers.Dense(2, activation="softmax"))(x)
model = keras.Model(inputs, outputs)

assert tuple(model.layers[2].output.shape) == (None, steps, 16)
assert tuple(model.output_shape) == (None, steps, 2)
bidirectional = model.layers[2]
assert bidirectional.forward_layer.go_backwards is False and bidirectional.backward_layer.go_backwards is True
assert len(bidirectional.weights) == 6  # kernel, recurrent_kernel and bias for each direction

model.compile(optimizer=keras.optimizers.Adam(2e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(tokens[:256], tags[:256], batch_size=32, epochs=6, verbose=0)
_, accuracy = model.evaluate(tokens[256:], tags[256:], verbose=0)
assert accuracy > 0.9, (accuracy, history.history["accuracy"])

print("test accuracy:", accuracy)
