"""Weight regularizers (their losses join the training loss) and weight constraints (applied after each step)."""

import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(23)
rng = np.random.default_rng(23)
x = rng.normal(size=(200, 10)).astype("float32")
y = (x @ rng.normal(size=(10, 1))).astype("float32")

regularized = layers.Dense(
    8,
    activation="relu",
    kernel_regularizer=keras.regularizers.L2(1e-2),
    bias_regularizer=keras.regularizers.L1(1e-3),
    activity_regularizer=keras.regularizers.L1L2(l1=1e-4, l2=1e-4),
)
constrained = layers.Dense(1, kernel_constraint=keras.constraints.MaxNorm(0.5))
model = keras.Sequential([keras.Input((10,)), regularized, constrained])

# The kernel penalty is 0.01 * sum(kernel**2), one loss per regularizer (the activity one after a call).
kernel = ops.convert_to_numpy(regularized.kernel)
model(x[:4])
assert len(model.losses) == 3, model.losses
penalties = sorted(float(ops.convert_to_numpy(loss)) for loss in model.losses)
assert any(abs(p - 1e-2 * (kernel**2).sum()) < 1e-5 for p in penalties), penalties

model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
history = model.fit(x, y, batch_size=20, epochs=5, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]

# MaxNorm keeps every column of the kernel within norm 0.5 after each update.
column_norms = np.sqrt((ops.convert_to_numpy(constrained.kernel) ** 2).sum(axis=0))
assert (column_norms <= 0.5 + 1e-5).all(), column_norms

# Regularizers are part of the layer's config.
config = regularized.get_config()
assert config["kernel_regularizer"]["class_name"] == "L2"
rebuilt = layers.Dense.from_config(config)
assert isinstance(rebuilt.kernel_regularizer, keras.regularizers.L2)
assert abs(rebuilt.kernel_regularizer.l2 - 1e-2) < 1e-9
print("column norms:", column_norms)
