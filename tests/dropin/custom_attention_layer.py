"""A self-attention layer written with keras.ops (einsum, softmax), in a small transformer-style classifier."""

import math

import numpy as np

import keras
from keras import layers, ops


class SelfAttention(layers.Layer):
    """Single-head scaled dot-product self-attention over (batch, steps, features)."""

    def __init__(self, key_dim, **kwargs):
        super().__init__(**kwargs)
        self.key_dim = key_dim

    def build(self, input_shape):
        features = input_shape[-1]
        self.query = self.add_weight(shape=(features, self.key_dim), initializer="glorot_uniform", name="query")
        self.key = self.add_weight(shape=(features, self.key_dim), initializer="glorot_uniform", name="key")
        self.value = self.add_weight(shape=(features, features), initializer="glorot_uniform", name="value")

    def call(self, inputs):
        q = ops.einsum("btf,fk->btk", inputs, self.query)
        k = ops.einsum("btf,fk->btk", inputs, self.key)
        v = ops.einsum("btf,fg->btg", inputs, self.value)
        scores = ops.einsum("bqk,btk->bqt", q, k) / math.sqrt(self.key_dim)
        weights = ops.softmax(scores, axis=-1)
        return ops.einsum("bqt,btg->bqg", weights, v)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "key_dim": self.key_dim}


# The layer's arithmetic, checked against numpy on one example.
attention = SelfAttention(4)
sample = np.random.default_rng(0).normal(size=(1, 3, 5)).astype("float32")
out = ops.convert_to_numpy(attention(sample))
wq, wk, wv = (ops.convert_to_numpy(w) for w in (attention.query, attention.key, attention.value))
scores = (sample[0] @ wq) @ (sample[0] @ wk).T / 2.0
expected = np.exp(scores - scores.max(axis=1, keepdims=True))
expected = (expected / expected.sum(axis=1, keepdims=True)) @ (sample[0] @ wv)
np.testing.assert_allclose(out[0], expected, rtol=1e-4, atol=1e-5)

# Label: do tokens 1 and 2 both occur in the sequence? (the tokens must meet to tell)
keras.utils.set_random_seed(24)
rng = np.random.default_rng(24)
n, steps = 320, 6
tokens = rng.integers(3, 10, size=(n, steps))
for i in range(n):
    present = rng.permutation([1, 2])[: int(rng.integers(0, 3))]
    tokens[i, rng.permutation(steps)[: len(present)]] = present
labels = np.array([int(1 in row and 2 in row) for row in tokens])

inputs = keras.Input(shape=(steps,), dtype="int32")
x = layers.Embedding(10, 16)(inputs)
x = layers.LayerNormalization()(layers.Add()([x, SelfAttention(8)(x)]))
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dense(16, activation="relu")(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(tokens[:256], labels[:256], batch_size=32, epochs=8, verbose=0)
_, accuracy = model.evaluate(tokens[256:], labels[256:], verbose=0)
assert accuracy > 0.9, (accuracy, history.history["accuracy"])
print("test accuracy:", accuracy)
