"""A custom RNN cell written with keras.ops and wrapped in keras.layers.RNN, beside stacked LSTM/SimpleRNN layers."""

import numpy as np

import keras
from keras import layers, ops


class MinimalRNNCell(layers.Layer):
    """h_t = tanh(x_t W + h_{t-1} U), the keras.io RNN guide's cell."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="orthogonal", name="recurrent_kernel"
        )

    def call(self, inputs, states):
        previous = states[0]
        output = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(previous, self.recurrent_kernel))
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


# The cell unrolled by hand agrees with the RNN layer.
rnn = layers.RNN(MinimalRNNCell(4), return_sequences=True)
sequence = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
outputs = ops.convert_to_numpy(rnn(sequence))
kernel, recurrent = (ops.convert_to_numpy(w) for w in rnn.cell.weights)
h = np.zeros((2, 4), dtype="float32")
for t in range(5):
    h = np.tanh(sequence[:, t] @ kernel + h @ recurrent)
    np.testing.assert_allclose(outputs[:, t], h, rtol=1e-4, atol=1e-5)

# Predict the running mean of a sequence's values, with each kind of recurrent layer.
keras.utils.set_random_seed(29)
rng = np.random.default_rng(29)
x = rng.normal(size=(256, 8, 1)).astype("float32")
y = x.mean(axis=1)

for recurrent_layers in (
    [layers.RNN(MinimalRNNCell(16))],
    [layers.SimpleRNN(16, return_sequences=True), layers.SimpleRNN(8)],
    [layers.LSTM(8, return_sequences=True), layers.LSTM(8)],
):
    model = keras.Sequential([keras.Input((8, 1)), *recurrent_layers, layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    history = model.fit(x, y, batch_size=32, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0], (recurrent_layers, history.history["loss"])
print("ok")
