"""Saving: model.save("model.keras") and keras.models.load_model with a registered custom layer; weights files; JSON."""

import numpy as np

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="dropin")
class Scale(layers.Layer):
    def __init__(self, init_value=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.init_value), name="scale"
        )

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "init_value": self.init_value}


keras.utils.set_random_seed(16)
rng = np.random.default_rng(16)
x = rng.normal(size=(200, 6)).astype("float32")
y = (np.abs(x).sum(axis=1) > 4.5).astype("int64")

inputs = keras.Input(shape=(6,), name="features")
h = Scale(0.5, name="scale")(inputs)
h = layers.Dense(16, activation="relu")(h)
h = layers.BatchNormalization()(h)
outputs = layers.Dense(2, activation="softmax")(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=25, epochs=3, verbose=0)

model.save("model.keras")
restored = keras.models.load_model("model.keras")

# Same architecture, same weights, same predictions, and the custom layer is a Scale again.
assert isinstance(restored.get_layer("scale"), Scale)
assert restored.get_layer("scale").init_value == 0.5
np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
for a, b in zip(model.get_weights(), restored.get_weights()):
    np.testing.assert_array_equal(a, b)

# The compile settings and the optimizer state came back: training resumes where it stopped.
assert int(ops.convert_to_numpy(restored.optimizer.iterations)) == 3 * 8
loss_before = restored.evaluate(x, y, verbose=0)[0]
restored.fit(x, y, batch_size=25, epochs=2, verbose=0)
assert restored.evaluate(x, y, verbose=0)[0] < loss_before

# Weights alone, into a model built from the config.
model.save_weights("model.weights.h5")
clone = keras.Model.from_config(model.get_config())
clone.load_weights("model.weights.h5")
np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)

# The architecture as JSON.
from_json = keras.models.model_from_json(model.to_json())
assert [layer.name for layer in from_json.layers] == [layer.name for layer in model.layers]
assert from_json.count_params() == model.count_params()
print("restored and resumed; loss", loss_before)
