"""Custom layers written with keras.ops: add_weight in build, non-trainable state, add_loss, nesting, config."""

import numpy as np

import keras
from keras import ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class ComputeSum(keras.layers.Layer):
    """Keeps a running sum of its inputs in a non-trainable weight."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class ActivityRegularization(keras.layers.Layer):
    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


class MLPBlock(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.linear_1 = Linear(32)
        self.regularizer = ActivityRegularization(1e-2)
        self.linear_2 = Linear(1)

    def call(self, inputs):
        x = ops.relu(self.linear_1(inputs))
        x = self.regularizer(x)
        return self.linear_2(x)


# Weights are created on first call, from the input shape.
linear = Linear(4)
y = linear(ops.ones((2, 3)))
assert tuple(y.shape) == (2, 4) and len(linear.weights) == 2 and len(linear.trainable_weights) == 2

summer = ComputeSum(2)
summer(ops.ones((2, 2)))
total = summer(ops.ones((2, 2)))
np.testing.assert_allclose(ops.convert_to_numpy(total), [4.0, 4.0])
assert summer.weights and not summer.trainable_weights

# Config round trip.
restored = Linear.from_config(linear.get_config())
assert restored.units == 4 and restored.name == linear.name

# Nested layers are tracked; the activity loss is collected on each call.
block = MLPBlock()
out = block(ops.ones((3, 5)))
assert tuple(out.shape) == (3, 1)
assert len(block.weights) == 4 and len(block.trainable_weights) == 4
assert len(block.losses) == 1

# The block trains inside a model; add_loss terms join the training loss.
keras.utils.set_random_seed(2)
rng = np.random.default_rng(2)
x = rng.normal(size=(256, 5)).astype("float32")
target = (x @ rng.normal(size=(5, 1))).astype("float32")
inputs = keras.Input(shape=(5,))
model = keras.Model(inputs, MLPBlock()(inputs))
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
history = model.fit(x, target, batch_size=32, epochs=10, verbose=0)
assert history.history["loss"][-1] < 0.1 * history.history["loss"][0], history.history["loss"]
print("final loss:", history.history["loss"][-1])
