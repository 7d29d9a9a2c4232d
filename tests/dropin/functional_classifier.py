"""The functional API: Input -> layers -> Model, logits with from_logits=True, metric objects."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(7)

inputs = keras.Input(shape=(64,), name="pixels")
x = layers.Dense(32, activation="relu", name="dense_1")(inputs)
x = layers.Dense(32, activation="relu", name="dense_2")(x)
outputs = layers.Dense(4, name="logits")(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="toy_model")

assert model.name == "toy_model"
assert tuple(model.input_shape) == (None, 64) and tuple(model.output_shape) == (None, 4)
assert [layer.name for layer in model.layers] == ["pixels", "dense_1", "dense_2", "logits"]

# Four classes, each a noisy 8x8 "glyph".
rng = np.random.default_rng(3)
glyphs = rng.uniform(0, 1, size=(4, 64))
y = rng.integers(0, 4, size=800)
x_all = (glyphs[y] + rng.normal(scale=0.5, size=(800, 64))).astype("float32")

model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
history = model.fit(x_all[:600], y[:600], batch_size=64, epochs=6, validation_data=(x_all[600:], y[600:]), verbose=0)
assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}
assert history.history["loss"][-1] < history.history["loss"][0]

test_loss, test_acc = model.evaluate(x_all[600:], y[600:], verbose=0)
assert test_acc > 0.9, test_acc

logits = model.predict(x_all[600:], verbose=0)
probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))
np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)
assert abs((probabilities.argmax(axis=-1) == y[600:]).mean() - test_acc) < 1e-6

# Calling the model on new symbolic inputs reuses its weights.
new_inputs = keras.Input(shape=(64,))
wrapped = keras.Model(new_inputs, layers.Softmax()(model(new_inputs)))
np.testing.assert_allclose(wrapped.predict(x_all[600:], verbose=0), probabilities, rtol=1e-5, atol=1e-6)
print("test accuracy:", test_acc)
