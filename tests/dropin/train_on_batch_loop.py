"""A hand-written training loop: train_on_batch, test_on_batch, predict_on_batch, reset_metrics, a Progbar."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(22)
rng = np.random.default_rng(22)
x = rng.normal(size=(256, 6)).astype("float32")
y = (x[:, :2].sum(axis=1) > 0).astype("float32").reshape(-1, 1)

model = keras.Sequential(
    [keras.Input((6,)), layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")]
)
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="binary_crossentropy", metrics=["accuracy"]
)

batch_size = 32
steps = len(x) // batch_size
losses = []
for epoch in range(5):
    model.reset_metrics()
    order = rng.permutation(len(x))
    progbar = keras.utils.Progbar(steps, verbose=0)
    for step in range(steps):
        batch = order[step * batch_size:(step + 1) * batch_size]
        logs = model.train_on_batch(x[batch], y[batch], return_dict=True)
        progbar.update(step + 1, values=[("loss", logs["loss"])])
    losses.append(logs["loss"])

assert set(logs) == {"loss", "accuracy"}
assert losses[-1] < losses[0], losses
assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 5 * steps

loss, accuracy = model.test_on_batch(x, y)
assert accuracy > 0.9, accuracy
probabilities = model.predict_on_batch(x[:10])
assert probabilities.shape == (10, 1) and ((probabilities >= 0) & (probabilities <= 1)).all()

# The learning rate can be changed between steps.
model.optimizer.learning_rate = 0.01
assert abs(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) - 0.01) < 1e-8
model.train_on_batch(x[:32], y[:32])
print("accuracy:", accuracy)
