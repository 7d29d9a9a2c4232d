"""Imbalanced classes: class_weight, sample_weight, and weighted_metrics."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(21)
rng = np.random.default_rng(21)

# 5% positives, overlapping with the negatives.
n = 1000
y = (rng.uniform(size=n) < 0.05).astype("int64")
x = (rng.normal(size=(n, 4)) + 1.5 * y[:, None]).astype("float32")


def train(**fit_kwargs):
    keras.utils.set_random_seed(21)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(5e-2), loss="binary_crossentropy", weighted_metrics=["accuracy"])
    history = model.fit(x, y, batch_size=100, epochs=10, verbose=0, **fit_kwargs)
    predicted = model.predict(x, verbose=0)[:, 0] > 0.5
    recall = predicted[y == 1].mean()
    return model, history, recall


_, _, plain_recall = train()
_, _, weighted_recall = train(class_weight={0: 1.0, 1: 19.0})
# Weighting the rare class makes the model find far more of it.
assert weighted_recall > plain_recall + 0.3, (plain_recall, weighted_recall)
assert weighted_recall > 0.7

# The same effect through per-sample weights, which weighted_metrics see too.
sample_weight = np.where(y == 1, 19.0, 1.0)
model, history, sample_recall = train(sample_weight=sample_weight)
assert sample_recall > 0.7, sample_recall
assert set(history.history) == {"loss", "accuracy"}

# evaluate takes sample weights. A zero weight drops a sample's loss, but the mean still
# divides by the number of samples ("sum_over_batch_size"), not by the sum of the weights.
keep = np.where(y == 1, 0.0, 1.0)
loss_negatives_only = model.evaluate(x, y, sample_weight=keep, verbose=0)[0]
loss_direct = model.evaluate(x[y == 0], y[y == 0], verbose=0)[0]
np.testing.assert_allclose(loss_negatives_only, loss_direct * (y == 0).mean(), rtol=1e-4)
print("recall without weights:", plain_recall, "with class weights:", weighted_recall)
