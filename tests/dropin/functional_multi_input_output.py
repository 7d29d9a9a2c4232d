"""The functional guide's ticket model: three inputs, two outputs, losses and weights per output."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(0)

num_tags = 12
num_words = 100
num_departments = 4

title_input = keras.Input(shape=(None,), name="title")
body_input = keras.Input(shape=(None,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")

title_features = layers.Embedding(num_words, 16)(title_input)
body_features = layers.Embedding(num_words, 16)(body_input)
title_features = layers.LSTM(8)(title_features)
body_features = layers.LSTM(8)(body_features)
x = layers.concatenate([title_features, body_features, tags_input])

priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, name="department")(x)

model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs={"priority": priority_pred, "department": department_pred},
)
model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
)

# Synthetic tickets: the department is told by the tags, the priority by word 1 in the title.
rng = np.random.default_rng(0)
n = 256
title_data = rng.integers(2, num_words, size=(n, 5))
urgent = rng.integers(0, 2, size=n)
title_data[urgent == 1, 0] = 1
body_data = rng.integers(2, num_words, size=(n, 6))
department = rng.integers(0, num_departments, size=n)
tags_data = rng.integers(0, 2, size=(n, num_tags)).astype("float32")
tags_data[:, :num_departments] = keras.utils.to_categorical(department, num_departments)
priority_targets = urgent.reshape(n, 1).astype("float32")
dept_targets = keras.utils.to_categorical(department, num_departments)

history = model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=12,
    batch_size=64,
    verbose=0,
)
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], history.history["loss"]

predictions = model.predict({"title": title_data, "body": body_data, "tags": tags_data}, verbose=0)
assert predictions["priority"].shape == (n, 1) and predictions["department"].shape == (n, num_departments)
assert (predictions["department"].argmax(axis=1) == department).mean() > 0.9
assert ((predictions["priority"][:, 0] > 0) == urgent).mean() > 0.9
print("final loss:", history.history["loss"][-1])
