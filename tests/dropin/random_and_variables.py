"""keras.random with seeds and SeedGenerator, reproducibility from set_random_seed, and keras.Variable."""

import numpy as np

import keras
from keras import ops


def as_numpy(x):
    return ops.convert_to_numpy(x)


# Draws: shapes, dtypes, ranges.
normal = as_numpy(keras.random.normal((1000, 4), mean=1.0, stddev=2.0, seed=1))
assert normal.shape == (1000, 4) and normal.dtype == np.float32
assert abs(normal.mean() - 1.0) < 0.2 and abs(normal.std() - 2.0) < 0.2
uniform = as_numpy(keras.random.uniform((500,), minval=-1.0, maxval=3.0, seed=2))
assert uniform.min() >= -1.0 and uniform.max() < 3.0
integers = as_numpy(keras.random.randint((200,), minval=0, maxval=5, seed=3))
assert set(np.unique(integers)) <= {0, 1, 2, 3, 4} and np.issubdtype(integers.dtype, np.integer)
truncated = as_numpy(keras.random.truncated_normal((1000,), stddev=1.0, seed=4))
assert np.abs(truncated).max() <= 2.0
shuffled = as_numpy(keras.random.shuffle(ops.arange(10), seed=5))
assert sorted(shuffled.tolist()) == list(range(10))

# An integer seed gives the same draw every time.
np.testing.assert_array_equal(as_numpy(keras.random.normal((3,), seed=7)), as_numpy(keras.random.normal((3,), seed=7)))

# A SeedGenerator gives new draws on each call, and the same sequence from the same seed.
generator = keras.random.SeedGenerator(seed=42)
first = as_numpy(keras.random.uniform((4,), seed=generator))
second = as_numpy(keras.random.uniform((4,), seed=generator))
assert not np.allclose(first, second)
replay = keras.random.SeedGenerator(seed=42)
np.testing.assert_array_equal(as_numpy(keras.random.uniform((4,), seed=replay)), first)

# Dropout zeroes about `rate` of the values and scales the rest by 1 / (1 - rate).
dropped = as_numpy(keras.random.dropout(ops.ones((10000,)), rate=0.25, seed=6))
np.testing.assert_allclose(np.unique(dropped), [0.0, 1 / 0.75], rtol=1e-6)
assert abs((dropped == 0).mean() - 0.25) < 0.03

# set_random_seed makes weight initialization reproducible.
def first_kernel():
    keras.utils.set_random_seed(1234)
    layer = keras.layers.Dense(3)
    layer.build((None, 5))
    return as_numpy(layer.kernel)


np.testing.assert_array_equal(first_kernel(), first_kernel())

# keras.Variable: initial value or initializer, assign, assign_add, use in ops.
v = keras.Variable(initializer="zeros", shape=(2, 2), dtype="float32", name="counter")
assert v.shape == (2, 2) and v.name == "counter" and v.trainable
v.assign(np.full((2, 2), 3.0, dtype="float32"))
v.assign_add(ops.ones((2, 2)))
v.assign_sub(np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32"))
np.testing.assert_array_equal(as_numpy(v), [[3.0, 4.0], [4.0, 3.0]])
assert float(as_numpy(ops.sum(v * 2))) == 28.0
w = keras.Variable(np.arange(3, dtype="float32"), trainable=False)
assert not w.trainable and as_numpy(ops.add(w, 1.0)).tolist() == [1.0, 2.0, 3.0]
k = keras.Variable(initializer=keras.initializers.GlorotUniform(seed=0), shape=(4, 4))
assert np.abs(as_numpy(k)).max() <= np.sqrt(6 / 8)
print("ok")
