"""ModelCheckpoint: the best model by val_loss to a .keras file, and weights every epoch to .weights.h5 files."""

import os

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(14)
rng = np.random.default_rng(14)
x = rng.normal(size=(200, 5)).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")


def make_model():
    model = keras.Sequential(
        [keras.Input((5,)), layers.Dense(8, activation="relu"), layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


model = make_model()
callbacks = [
    keras.callbacks.ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True),
    keras.callbacks.ModelCheckpoint("weights_{epoch:02d}.weights.h5", save_weights_only=True),
]
history = model.fit(x, y, epochs=4, batch_size=20, validation_split=0.25, callbacks=callbacks, verbose=0)

assert sorted(name for name in os.listdir(".") if name.endswith(".weights.h5")) == [
    f"weights_{epoch:02d}.weights.h5" for epoch in range(1, 5)
]

# The last epoch's weights, loaded into a fresh model, predict what the trained model does.
fresh = make_model()
fresh.load_weights("weights_04.weights.h5")
np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)

# The best checkpoint is a whole model that evaluates to the best val_loss.
best = keras.models.load_model("best.keras")
best_val_loss = best.evaluate(x[150:], y[150:], verbose=0)[0]
np.testing.assert_allclose(best_val_loss, min(history.history["val_loss"]), rtol=1e-4)
print("best val_loss:", best_val_loss)
