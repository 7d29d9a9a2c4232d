"""A toy ResNet with the functional API: residual connections with layers.add, global pooling."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(3)

inputs = keras.Input(shape=(10, 10, 1), name="img")
x = layers.Conv2D(8, 3, activation="relu")(inputs)
block_1_output = layers.MaxPooling2D(2)(x)

x = layers.Conv2D(8, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(8, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])

x = layers.Conv2D(8, 3, activation="relu", padding="same")(block_2_output)
x = layers.Add()([x, block_2_output])
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(2, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="toy_resnet")

assert tuple(block_1_output.shape) == (None, 4, 4, 8)
assert tuple(model.output_shape) == (None, 2)
assert sum(isinstance(layer, layers.Add) for layer in model.layers) == 2

# Images with a bright horizontal bar (class 0) or vertical bar (class 1), plus noise.
rng = np.random.default_rng(3)
n = 256
labels = rng.integers(0, 2, size=n)
images = rng.normal(scale=0.3, size=(n, 10, 10, 1)).astype("float32")
where = rng.integers(1, 9, size=n)
for i in range(n):
    if labels[i] == 0:
        images[i, where[i], 1:9, 0] += 1.5
    else:
        images[i, 1:9, where[i], 0] += 1.5

model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(images, labels, batch_size=32, epochs=8, validation_split=0.25, verbose=0)
assert history.history["val_accuracy"][-1] > 0.85, history.history
assert history.history["loss"][-1] < history.history["loss"][0]
print("val accuracy:", history.history["val_accuracy"][-1])
