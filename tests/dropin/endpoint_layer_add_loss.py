"""The endpoint-layer pattern: a layer takes the targets as an input and add_loss()es the loss; compile() gets none."""

import numpy as np

import keras
from keras import layers, ops


class LogisticEndpoint(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, logits, targets=None, sample_weight=None):
        if targets is not None:
            self.add_loss(self.loss_fn(targets, logits, sample_weight))
        return ops.sigmoid(logits)


inputs = keras.Input(shape=(3,), name="inputs")
targets = keras.Input(shape=(4,), name="targets")
logits = layers.Dense(4)(inputs)
predictions = LogisticEndpoint(name="predictions")(logits, targets)
model = keras.Model(inputs=[inputs, targets], outputs=predictions)
model.compile(optimizer=keras.optimizers.Adam(5e-2))  # no loss argument: the endpoint adds it

keras.utils.set_random_seed(28)
rng = np.random.default_rng(28)
x = rng.normal(size=(256, 3)).astype("float32")
y = (x @ rng.normal(size=(3, 4)) > 0).astype("float32")
data = {"inputs": x, "targets": y}
history = model.fit(data, batch_size=32, epochs=8, verbose=0)
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], history.history["loss"]

probabilities = model.predict(data, verbose=0)
assert probabilities.shape == (256, 4)
assert ((probabilities > 0.5) == (y > 0.5)).mean() > 0.9
print("final loss:", history.history["loss"][-1])
