"""A custom keras.metrics.Metric with add_variable, update_state, result and reset_state (the keras.io guide's)."""

import numpy as np

import keras
from keras import ops


class CategoricalTruePositives(keras.metrics.Metric):
    """How many samples were classified correctly (the keras.io guide's metric)."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.cast(sample_weight, "float32"))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return ops.convert_to_tensor(self.true_positives)

    def reset_state(self):
        self.true_positives.assign(0.0)


metric = CategoricalTruePositives()
metric.update_state(np.array([[0], [1], [1]]), np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]))
assert float(metric.result()) == 2.0
metric.reset_state()
assert float(metric.result()) == 0.0


# The metric in training: it counts over the epoch, as the built-in metrics average over it.
keras.utils.set_random_seed(9)
rng = np.random.default_rng(9)
x = rng.normal(size=(300, 6)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("int64")


def make_classifier():
    return keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2, activation="softmax")]
    )


model = make_classifier()
model.compile(
    optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=[CategoricalTruePositives()]
)
history = model.fit(x, y.reshape(-1, 1), batch_size=50, epochs=15, verbose=0)
assert set(history.history) == {"loss", "categorical_true_positives"}
assert history.history["categorical_true_positives"][-1] > 0.9 * 300, history.history
print("true positives:", history.history["categorical_true_positives"][-1])
