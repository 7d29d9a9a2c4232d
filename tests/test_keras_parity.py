"""Side by side with real Keras 3, when it is installed (skipped otherwise; never a dependency).

The rest of the suite pins Keras's numbers through its published formulas; this
module runs Keras itself (on JAX unless KERAS_BACKEND says otherwise) on the
same weights and data, for the optimizers, the losses and a whole fit.
"""

import os

import numpy
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import microkeras  # noqa: E402
from microkeras import optimizers  # noqa: E402

OPTIMIZERS = [("SGD", {"momentum": 0.9, "nesterov": True}), ("RMSprop", {"centered": True, "momentum": 0.5}),
              ("Adam", {"amsgrad": True}), ("AdamW", {}), ("Adagrad", {}), ("Adadelta", {"learning_rate": 1.0}),
              ("Adamax", {}), ("Nadam", {})]
LOSSES = ["categorical_crossentropy", "binary_crossentropy", "mean_squared_error", "mean_absolute_error",
          "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "kl_divergence", "poisson",
          "huber", "log_cosh", "cosine_similarity", "hinge", "squared_hinge", "categorical_hinge"]


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_three_optimizer_steps_match_keras(name, kwargs):
    rng = numpy.random.default_rng(0)
    start = rng.normal(size=(3, 2)).astype("float32")
    grads = [rng.normal(size=(3, 2)).astype("float32") for _ in range(3)]
    theirs, ours = keras.Variable(start.copy()), start.copy()
    their_optimizer, our_optimizer = getattr(keras.optimizers, name)(**kwargs), getattr(optimizers, name)(**kwargs)
    for grad in grads:
        their_optimizer.apply([keras.ops.convert_to_tensor(grad)], [theirs])
        our_optimizer.apply([grad], [ours])
    numpy.testing.assert_allclose(ours, numpy.asarray(theirs.value), rtol=1e-6, atol=2e-7)


@pytest.mark.parametrize("name", LOSSES)
def test_losses_match_keras(name):
    rng = numpy.random.default_rng(1)
    y_true = rng.dirichlet(numpy.ones(4), size=5).astype("float32")
    y_pred = rng.dirichlet(numpy.ones(4), size=5).astype("float32")
    numpy.testing.assert_allclose(getattr(microkeras.losses, name)(y_true, y_pred),
                                  numpy.asarray(getattr(keras.losses, name)(y_true, y_pred)), rtol=2e-6, atol=1e-7)


def test_a_whole_fit_matches_keras():
    rng = numpy.random.default_rng(2)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = numpy.eye(3, dtype="float32")[rng.integers(0, 3, 64)]
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                               keras.layers.Dense(3, activation="softmax")])
    ours = microkeras.Sequential([microkeras.Input((5,)), microkeras.layers.Dense(4, activation="relu"),
                                  microkeras.layers.Dense(3, activation="softmax")])
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.SGD(0.1, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
    ours.compile(optimizers.SGD(0.1, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
    their_history = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    our_history = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    assert sorted(our_history) == sorted(their_history)
    for key in their_history:
        numpy.testing.assert_allclose(our_history[key], their_history[key], rtol=1e-5)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5)
