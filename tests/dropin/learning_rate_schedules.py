"""Learning-rate schedules: built-in ones, a custom LearningRateSchedule, and the LearningRateScheduler callback."""

import math

import numpy as np

import keras
from keras import layers, ops
from keras.optimizers.schedules import CosineDecay, ExponentialDecay, LearningRateSchedule, PiecewiseConstantDecay


def value(schedule, step):
    return float(ops.convert_to_numpy(schedule(step)))


exponential = ExponentialDecay(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=True)
assert math.isclose(value(exponential, 0), 0.1, rel_tol=1e-6)
assert math.isclose(value(exponential, 9), 0.1, rel_tol=1e-6)
assert math.isclose(value(exponential, 25), 0.1 * 0.5**2, rel_tol=1e-6)

piecewise = PiecewiseConstantDecay(boundaries=[5, 10], values=[1.0, 0.5, 0.1])
assert [round(value(piecewise, step), 6) for step in (0, 5, 6, 10, 11)] == [1.0, 1.0, 0.5, 0.5, 0.1]

cosine = CosineDecay(initial_learning_rate=1.0, decay_steps=100, alpha=0.0)
assert math.isclose(value(cosine, 50), 0.5, rel_tol=1e-5)
assert abs(value(cosine, 100)) < 1e-6
assert ExponentialDecay.from_config(exponential.get_config()).get_config() == exponential.get_config()


class LinearWarmup(LearningRateSchedule):
    def __init__(self, peak, warmup_steps):
        self.peak = peak
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        return self.peak * ops.minimum(1.0, (step + 1.0) / self.warmup_steps)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps}


keras.utils.set_random_seed(15)
rng = np.random.default_rng(15)
x = rng.normal(size=(128, 3)).astype("float32")
y = (x @ np.array([[2.0], [-1.0], [0.5]])).astype("float32")

# A schedule as the optimizer's learning rate: the step is the optimizer's iteration count.
model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
optimizer = keras.optimizers.SGD(learning_rate=exponential)
model.compile(optimizer=optimizer, loss="mse")
history = model.fit(x, y, batch_size=32, epochs=6, verbose=0)
assert int(ops.convert_to_numpy(optimizer.iterations)) == 6 * 4
assert math.isclose(float(ops.convert_to_numpy(optimizer.learning_rate)), 0.1 * 0.5**2, rel_tol=1e-5)
assert history.history["loss"][-1] < 0.05 * history.history["loss"][0], history.history["loss"]

model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=LinearWarmup(0.2, 8)), loss="mse")
history = model.fit(x, y, batch_size=32, epochs=6, verbose=0)
assert history.history["loss"][-1] < 0.1 * history.history["loss"][0], history.history["loss"]


# The callback sets the rate at each epoch's start.
def scheduler(epoch, lr):
    return lr if epoch < 2 else lr * 0.5


model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.08), loss="mse")
history = model.fit(
    x, y, batch_size=32, epochs=5, callbacks=[keras.callbacks.LearningRateScheduler(scheduler)], verbose=0
)
np.testing.assert_allclose(history.history["learning_rate"], [0.08, 0.08, 0.04, 0.02, 0.01], rtol=1e-6)
np.testing.assert_allclose(float(ops.convert_to_numpy(model.optimizer.learning_rate)), 0.01, rtol=1e-6)
print("final loss:", history.history["loss"][-1])
