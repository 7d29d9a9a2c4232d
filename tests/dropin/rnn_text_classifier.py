"""Variable-length token sequences: pad_sequences, Embedding(mask_zero=True), LSTM, and what the mask does."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(17)
rng = np.random.default_rng(17)

# Sentences of 3 to 10 tokens from a 30-word vocabulary (0 is padding); positive when word 7 occurs.
vocabulary = 30
sentences, labels = [], []
for _ in range(300):
    length = int(rng.integers(3, 11))
    tokens = list(rng.integers(8, vocabulary, size=length))
    label = int(rng.uniform() < 0.5)
    if label:
        tokens[int(rng.integers(0, length))] = 7
    sentences.append(tokens)
    labels.append(label)
labels = np.array(labels, dtype="float32")

padded = keras.utils.pad_sequences(sentences, maxlen=10, padding="post")
assert padded.shape == (300, 10) and padded.dtype == np.int32
assert list(padded[0][: len(sentences[0])]) == list(sentences[0]) and (padded[0][len(sentences[0]):] == 0).all()

model = keras.Sequential(
    [
        keras.Input(shape=(None,), dtype="int32"),
        layers.Embedding(input_dim=vocabulary, output_dim=8, mask_zero=True),
        layers.LSTM(16),
        layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(padded[:240], labels[:240], batch_size=32, epochs=8, verbose=0)
_, accuracy = model.evaluate(padded[240:], labels[240:], verbose=0)
assert accuracy > 0.85, (accuracy, history.history)

# The embedding's mask marks the padding.
mask = model.layers[0].compute_mask(padded[:2])
np.testing.assert_array_equal(keras.ops.convert_to_numpy(mask), padded[:2] != 0)

# Masked steps are skipped: more padding does not change the predictions.
longer = keras.utils.pad_sequences(sentences[240:], maxlen=15, padding="post")
np.testing.assert_allclose(
    model.predict(longer, verbose=0), model.predict(padded[240:], verbose=0), rtol=1e-4, atol=1e-5
)
print("test accuracy:", accuracy)
