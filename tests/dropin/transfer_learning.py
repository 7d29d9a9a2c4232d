"""Transfer learning: freeze a trained base (trainable = False), train a new head, then fine-tune everything."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(20)
rng = np.random.default_rng(20)
# The base learns from many labels of task A; the new head reuses its features for
# task B (the same features, the opposite labels), from few labels.
x = rng.normal(size=(400, 10)).astype("float32")
task_a = (x[:, :3].sum(axis=1) > 0).astype("int64")
x_b = rng.normal(size=(80, 10)).astype("float32")
task_b = (x_b[:, :3].sum(axis=1) < 0).astype("int64")

base = keras.Sequential(
    [
        keras.Input((10,)),
        layers.Dense(32, activation="relu"),
        layers.BatchNormalization(),
        layers.Dense(16, activation="relu"),
    ],
    name="base",
)
pretrain = keras.Sequential([base, layers.Dense(2, activation="softmax")])
pretrain.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
pretrain.fit(x, task_a, batch_size=32, epochs=8, verbose=0)

# Freeze the base: its weights, including BatchNormalization's gamma and beta, stop training.
base.trainable = False
assert base.trainable_weights == [] and len(base.non_trainable_weights) == 8
frozen_weights = [w.copy() for w in base.get_weights()]

inputs = keras.Input((10,))
features = base(inputs, training=False)  # BatchNormalization stays in inference mode
outputs = layers.Dense(2, activation="softmax")(features)
model = keras.Model(inputs, outputs)
assert len(model.trainable_weights) == 2
model.compile(optimizer=keras.optimizers.Adam(5e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_b, task_b, batch_size=16, epochs=8, verbose=0)
for before, after in zip(frozen_weights, base.get_weights()):
    np.testing.assert_array_equal(before, after)
head_accuracy = history.history["accuracy"][-1]
assert head_accuracy > 0.8, history.history["accuracy"]

# Fine-tune: unfreeze, recompile (trainable changes take effect at compile), small learning rate.
base.trainable = True
assert len(model.trainable_weights) == 2 + 6
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_b, task_b, batch_size=16, epochs=4, verbose=0)
assert any(not np.array_equal(a, b) for a, b in zip(frozen_weights, base.get_weights()))
assert history.history["accuracy"][-1] >= head_accuracy - 0.02
print("head:", head_accuracy, "fine-tuned:", history.history["accuracy"][-1])
