"""keras.utils: to_categorical, normalize, pad_sequences options, and a PyDataset fed to fit/evaluate/predict."""

import math

import numpy as np

import keras
from keras import layers

# to_categorical
one_hot = keras.utils.to_categorical([0, 2, 1, 2], num_classes=3)
np.testing.assert_array_equal(one_hot, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])
assert keras.utils.to_categorical(np.array([[1], [3]])).shape == (2, 4)

# normalize: unit L2 norm along the last axis
normalized = keras.utils.normalize(np.array([[3.0, 4.0], [1.0, 0.0]]))
np.testing.assert_allclose(normalized, [[0.6, 0.8], [1.0, 0.0]], rtol=1e-6)

# pad_sequences: pre-padding and pre-truncation by default
sequences = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]]
np.testing.assert_array_equal(
    keras.utils.pad_sequences(sequences, maxlen=4), [[0, 1, 2, 3], [0, 0, 4, 5], [7, 8, 9, 10]]
)
np.testing.assert_array_equal(
    keras.utils.pad_sequences(sequences, maxlen=4, padding="post", truncating="post", value=-1),
    [[1, 2, 3, -1], [4, 5, -1, -1], [6, 7, 8, 9]],
)
assert keras.utils.pad_sequences(sequences).shape == (3, 5)


class NoisyLinearData(keras.utils.PyDataset):
    """Batches of (x, y) made on demand; `shuffle` the order at each epoch end."""

    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.epochs_ended = 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        low = index * self.batch_size
        high = min(low + self.batch_size, len(self.x))
        return self.x[low:high], self.y[low:high]

    def on_epoch_end(self):
        self.epochs_ended += 1


keras.utils.set_random_seed(19)
rng = np.random.default_rng(19)
x = rng.normal(size=(210, 4)).astype("float32")
y = (x @ np.array([[1.0], [2.0], [-1.0], [0.5]]) + 0.1 * rng.normal(size=(210, 1))).astype("float32")
train = NoisyLinearData(x[:180], y[:180], batch_size=32)
test = NoisyLinearData(x[180:], y[180:], batch_size=32)
assert len(train) == 6 and train[5][0].shape == (20, 4)

model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse", metrics=["mae"])
history = model.fit(train, epochs=8, validation_data=test, verbose=0)
assert history.history["loss"][-1] < 0.05 * history.history["loss"][0], history.history["loss"]
assert train.epochs_ended >= 8  # at each epoch end (Keras 3.15 also calls it once more at the end)
loss, mae = model.evaluate(test, verbose=0)
assert mae < 0.3, mae
assert model.predict(test, verbose=0).shape == (30, 1)
print("test mae:", mae)
