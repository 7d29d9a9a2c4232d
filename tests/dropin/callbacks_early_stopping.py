"""EarlyStopping with restore_best_weights and ReduceLROnPlateau on a model that overfits."""

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(12)
rng = np.random.default_rng(12)

# Few noisy training samples and a big model: validation loss soon goes up.
x_train = rng.normal(size=(40, 20)).astype("float32")
y_train = (x_train[:, 0] + rng.normal(scale=1.5, size=40) > 0).astype("float32")
x_val = rng.normal(size=(200, 20)).astype("float32")
y_val = (x_val[:, 0] > 0).astype("float32")

model = keras.Sequential(
    [
        keras.Input((20,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="binary_crossentropy")

early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True, verbose=1)
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-4, verbose=1)
history = model.fit(
    x_train,
    y_train,
    batch_size=8,
    epochs=100,
    validation_data=(x_val, y_val),
    callbacks=[early_stopping, reduce_lr],
    verbose=0,
)

val_losses = history.history["val_loss"]
epochs_run = len(val_losses)
assert epochs_run < 100, epochs_run
best_epoch = int(np.argmin(val_losses))
# Training stopped `patience` epochs after the best one.
assert epochs_run == best_epoch + 1 + 3, (epochs_run, best_epoch)
assert early_stopping.stopped_epoch == epochs_run - 1

# The best weights are back.
restored_loss = model.evaluate(x_val, y_val, verbose=0)
np.testing.assert_allclose(restored_loss, min(val_losses), rtol=1e-4)

# The learning rate was halved on plateaus, and is logged.
assert "learning_rate" in history.history
final_lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
halvings = np.log2(0.003 / final_lr)
assert halvings >= 1 and abs(halvings - round(halvings)) < 1e-4, final_lr
assert history.history["learning_rate"][0] == np.float32(0.003)
print("stopped after", epochs_run, "epochs; learning rate", final_lr)
