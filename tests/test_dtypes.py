"""float32 end to end: every stock activation and loss inside a real training step.

The per-function tests check each VJP in isolation; these walk the cotangents
of whole ``train_step`` calls (a Dense layer, the activation, the loss, the
reduction, the penalties), so an upcast anywhere in the chain fails.
"""

import numpy
import pytest
from autograd.tracer import getval

from microkeras import activations, losses, optimizers
from microkeras.layers import Dense, Dropout, Flatten, Input, Reshape
from microkeras.models import Sequential, data_preparation
from microkeras.testing import record_backward_dtypes

ACTIVATIONS = sorted(activations._BY_NAME)
LOSSES = sorted(losses._FUNCTIONS)


def assert_step_is_float32(model, x, y, sample_weight=None):
    """One ``train_step``: float32 loss and predictions, every cotangent and every weight float32."""
    seen = {}
    compute_loss = model.compute_loss

    def recording_compute_loss(x, y, y_pred, sample_weight=None, training=True):
        loss = compute_loss(x, y, y_pred, sample_weight, training)
        seen["loss"], seen["y_pred"] = getval(loss).dtype, getval(y_pred).dtype
        return loss

    model.compute_loss = recording_compute_loss
    with record_backward_dtypes() as records:
        model.train_step((x, y) if sample_weight is None else (x, y, sample_weight))
    assert records, "nothing was traced"
    upcast = [r for r in records if "float64" in repr(r)]
    assert not upcast, f"float64 in the backward pass: {upcast}"
    assert seen == {"loss": numpy.float32, "y_pred": numpy.float32}, seen
    assert all(w.dtype == numpy.float32 for w in model.get_weights())


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_training_step_with_each_activation_stays_float32(name):
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(8, 5)).astype(numpy.float32)
    y = rng.normal(size=(8, 3)).astype(numpy.float32)
    model = Sequential([Input((5,)), Dense(4, activation=name, kernel_regularizer="l1_l2"), Dropout(0.2),
                        Dense(3)])
    model.compile("adam", "mse")
    assert_step_is_float32(model, x, y)


def _targets(name, rng):
    if name == "sparse_categorical_crossentropy":
        return rng.integers(0, 3, 8)
    if name in ("hinge", "squared_hinge", "categorical_hinge"):
        return numpy.eye(3, dtype=numpy.float32)[rng.integers(0, 3, 8)]
    return rng.dirichlet(numpy.ones(3), size=8).astype(numpy.float32)


@pytest.mark.parametrize("name", LOSSES)
def test_training_step_with_each_loss_stays_float32(name):
    rng = numpy.random.default_rng(1)
    x = rng.normal(size=(8, 2, 3)).astype(numpy.float32)
    model = Sequential([Input((2, 3)), Flatten(), Dense(6), Reshape((2, 3)), Flatten(),
                        Dense(3, activation="softmax")])
    model.compile(optimizers.SGD(0.01), name)
    y = data_preparation.checked_arrays(model, x, _targets(name, rng), None)[1]
    assert_step_is_float32(model, x, y, numpy.linspace(0.5, 1.5, 8).astype(numpy.float32))
