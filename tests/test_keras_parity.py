"""Side by side with real Keras 3, when it is installed (skipped otherwise; never a dependency).

The rest of the suite pins Keras's numbers through its published formulas; this
module runs Keras itself (on JAX unless KERAS_BACKEND says otherwise) on the
same weights and data, for the optimizers, the losses and a whole fit, and for
the object model: layers and models inside models, subclassed models, frozen
subtrees, ``add_loss`` and regularizers, state updated by ``assign`` in
``call``, and an overridden ``train_step``.
"""

import os

import autograd.numpy as anp
import numpy
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import microkeras  # noqa: E402
from microkeras import optimizers  # noqa: E402
from tests.test_model_subclassing import GuideTrainStep  # noqa: E402

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


# ------------------------------------------------------------------ the object model
# Each model below is written once, as a function of the framework: ``k`` is the
# package (keras or microkeras) and ``np_`` its array functions (keras.ops, or
# autograd.numpy, which a microkeras ``call`` uses).
FRAMEWORKS = {"keras": (keras, keras.ops), "microkeras": (microkeras, anp)}


def build_both(build, seed=4):
    """``(theirs, ours)``: ``build(k, np_)`` run for Keras and for microkeras, each from fresh layer
    names, both then given the same initial weights, drawn here so that no test depends on how far
    Keras's random state has moved."""
    models = []
    for k, np_ in FRAMEWORKS.values():
        k.backend.clear_session()
        models.append(build(k, np_))
    theirs, ours = models
    rng = numpy.random.default_rng(seed)
    start = [rng.uniform(-0.7, 0.7, size=w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(start)
    ours.set_weights(start)
    return theirs, ours


def fit_both(theirs, ours, x, y, metrics=None, epochs=3, batch_size=8):
    """Compile both with Adam(0.01) and mse, fit in order, and check the Histories agree."""
    theirs.compile(keras.optimizers.Adam(0.01), "mse", metrics=metrics)
    ours.compile(optimizers.Adam(0.01), "mse", metrics=metrics)
    their_history = theirs.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0).history
    our_history = ours.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0).history
    assert sorted(our_history) == sorted(their_history)
    for key in their_history:
        numpy.testing.assert_allclose(our_history[key], their_history[key], rtol=1e-5)


def assert_same_weights(ours, theirs):
    assert [(w.path, w.name) for w in ours.weights] == [(w.path, w.name) for w in theirs.weights]
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-6)


def regression_data(samples=32):
    rng = numpy.random.default_rng(3)
    return rng.normal(size=(samples, 4)).astype("float32"), rng.normal(size=(samples, 2)).astype("float32")


def sequential_in_sequential(k, np_):
    inner = k.Sequential([k.Input((4,)), k.layers.Dense(3)])
    return k.Sequential([k.Input((4,)), inner, k.layers.Dense(2)])


def block_in_sequential(k, np_):
    class Block(k.layers.Layer):  # keras.io's MLPBlock pattern: sublayers as attributes
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = k.layers.Dense(3)
            self.d2 = k.layers.Dense(2)

        def call(self, inputs):
            return self.d2(np_.tanh(self.d1(inputs)))

    return k.Sequential([k.Input((4,)), Block(), k.layers.Dense(2)])


def subclassed_model(k, np_, base=None):
    class TwoDense(base or k.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = k.layers.Dense(3, activation="tanh")
            self.out = k.layers.Dense(2)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    model = TwoDense()
    model(numpy.zeros((1, 4), "float32"))  # builds the weights (Keras's Model.build would not here)
    return model


def test_sequential_inside_sequential_trains_like_keras():
    x, y = regression_data()
    theirs, ours = build_both(sequential_in_sequential)
    fit_both(theirs, ours, x, y)
    assert_same_weights(ours, theirs)


def test_a_layer_holding_layers_trains_like_keras():
    x, y = regression_data()
    theirs, ours = build_both(block_in_sequential)
    fit_both(theirs, ours, x, y)
    assert_same_weights(ours, theirs)


def test_a_subclassed_model_trains_like_keras():
    x, y = regression_data()
    theirs, ours = build_both(subclassed_model)
    fit_both(theirs, ours, x, y)
    assert_same_weights(ours, theirs)


def test_freezing_an_inner_model_trains_and_counts_like_keras():
    def frozen_inner(k, np_):
        model = sequential_in_sequential(k, np_)
        model.layers[0].trainable = False
        return model

    def totals(model):
        lines = []
        model.summary(print_fn=lambda text, **kwargs: lines.extend(text.splitlines()))
        lines = [line.strip() for line in lines]
        return [line for line in lines if line.startswith(("Total", "Trainable", "Non-trainable", "Optimizer"))]

    x, y = regression_data()
    theirs, ours = build_both(frozen_inner)
    start = theirs.layers[0].get_weights()
    fit_both(theirs, ours, x, y)
    assert_same_weights(ours, theirs)
    for model in (theirs, ours):
        for before, after in zip(start, model.layers[0].get_weights()):
            numpy.testing.assert_array_equal(after, before)
    assert totals(ours) == totals(theirs)


def test_add_loss_and_regularizers_train_like_keras():
    # 20 samples in batches of 8: the last batch of 4 pins the activity penalty's division by the batch size.
    def penalized(k, np_):
        class OutputPenalty(k.layers.Layer):
            def call(self, inputs):
                self.add_loss(0.1 * np_.mean(np_.square(inputs)))
                return inputs

        return k.Sequential([k.Input((4,)), k.layers.Dense(3, kernel_regularizer=k.regularizers.L2(0.01),
                                                           activity_regularizer=k.regularizers.L1(0.05)),
                             OutputPenalty(), k.layers.Dense(2)])

    x, y = regression_data(20)
    theirs, ours = build_both(penalized)
    fit_both(theirs, ours, x, y)
    assert_same_weights(ours, theirs)


def running_mean_model(k, np_, read_after_update=False):
    class RunningMean(k.layers.Layer):
        """Subtracts a running mean of its batch means, updated only in training (momentum 0.9)."""

        def build(self, input_shape):
            self.moving_mean = self.add_weight(shape=(input_shape[-1],), initializer="zeros",
                                               trainable=False, name="moving_mean")

        def call(self, inputs, training=False):
            outputs = inputs - self.moving_mean
            if training:
                self.moving_mean.assign(0.9 * self.moving_mean + 0.1 * np_.mean(inputs, axis=0))
                if read_after_update:
                    outputs = inputs - self.moving_mean
            return outputs

    return k.Sequential([k.Input((4,)), k.layers.Dense(3), RunningMean(), k.layers.Dense(2)])


def test_a_state_update_in_call_matches_keras_in_fit_and_predict():
    x, y = regression_data()
    theirs, ours = build_both(running_mean_model)
    fit_both(theirs, ours, x, y)
    assert_same_weights(ours, theirs)
    their_mean, our_mean = theirs.layers[1].moving_mean.numpy(), ours.layers[1].moving_mean.numpy()
    assert numpy.abs(their_mean).min() > 1e-3  # it moved
    numpy.testing.assert_allclose(our_mean, their_mean, rtol=1e-5, atol=1e-6)
    # The weights agree to 1e-6; each output sums a dozen products of them, so it agrees to about 1e-5.
    numpy.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=2e-5)
    numpy.testing.assert_array_equal(theirs.layers[1].moving_mean.numpy(), their_mean)
    numpy.testing.assert_array_equal(ours.layers[1].moving_mean.numpy(), our_mean)


@pytest.mark.xfail(strict=True, reason=(
    "Keras 3.15 on JAX differentiates through a value assigned earlier in the same call (reading the "
    "variable returns the traced new value); microkeras reads the new value as a constant, so the "
    "gradients differ from the second step on: epoch losses 1.289702, 1.126342, 1.030013 here against "
    "Keras's 1.289671, 1.126215, 1.029824 (up to 1.8e-4 relative)"))
def test_reading_a_variable_after_assign_in_call_trains_like_keras():
    x, y = regression_data()
    theirs, ours = build_both(lambda k, np_: running_mean_model(k, np_, read_after_update=True))
    fit_both(theirs, ours, x, y)


def test_an_overridden_train_step_trains_like_keras_default_fit():
    # Keras on JAX takes a stateless train_step, so ours (the guide's override) faces Keras's default
    # fit. The guide's loss tracker weighs every batch alike: 32 samples in batches of 8 keep the
    # mean the same as Keras's, which weighs by batch size.
    def build(k, np_):
        return subclassed_model(k, np_, base=GuideTrainStep if k is microkeras else None)

    x, y = regression_data()
    theirs, ours = build_both(build)
    assert type(ours).train_step is GuideTrainStep.train_step
    fit_both(theirs, ours, x, y, metrics=["mae"])
    assert_same_weights(ours, theirs)


# --------------------------------------------------------- pooling and reshaping layers
POOLING_AND_RESHAPING = [  # (class name, constructor arguments, input shape)
    ("MaxPooling1D", {}, (2, 7, 3)), ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3)),
    ("MaxPooling2D", {}, (2, 5, 6, 3)),
    ("MaxPooling2D", {"pool_size": (3, 2), "strides": (2, 1), "padding": "same"}, (2, 5, 6, 3)),
    ("MaxPooling2D", {"pool_size": 4, "strides": 2, "padding": "same"}, (2, 7, 7, 2)),
    ("AveragePooling1D", {"pool_size": 3, "padding": "same"}, (2, 7, 3)),
    ("AveragePooling2D", {"pool_size": (2, 3), "strides": (1, 2)}, (2, 5, 6, 3)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 7, 2)),
    ("GlobalAveragePooling1D", {}, (2, 7, 3)), ("GlobalAveragePooling2D", {"keepdims": True}, (2, 5, 6, 3)),
    ("GlobalMaxPooling1D", {"keepdims": True}, (2, 7, 3)), ("GlobalMaxPooling2D", {}, (2, 5, 6, 3)),
    ("ZeroPadding1D", {"padding": (1, 2)}, (2, 4, 3)), ("ZeroPadding2D", {"padding": ((1, 0), (2, 3))}, (2, 3, 4, 2)),
    ("Cropping1D", {"cropping": (2, 1)}, (2, 6, 3)), ("Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 4, 5, 2)),
    ("UpSampling1D", {"size": 3}, (2, 4, 3)), ("UpSampling2D", {"size": (2, 3)}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (3, 2), "interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)), ("RepeatVector", {"n": 3}, (2, 4)),
]


@pytest.mark.parametrize("name, kwargs, input_shape", POOLING_AND_RESHAPING,
                         ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(POOLING_AND_RESHAPING)])
def test_pooling_and_reshaping_layers_match_keras(name, kwargs, input_shape):
    import json

    import autograd

    jax = pytest.importorskip("jax")
    if keras.backend.backend() != "jax":
        pytest.skip("the gradient comparison uses jax.grad")
    # ReLU'd data: zeros tie inside windows, so the routing of max pooling's gradient is compared too.
    x = numpy.maximum(numpy.random.default_rng(5).normal(size=input_shape), 0).astype("float32")
    theirs, ours = getattr(keras.layers, name)(**kwargs), getattr(microkeras.layers, name)(**kwargs)
    their_out = numpy.asarray(theirs(x))
    numpy.testing.assert_allclose(ours(x), their_out, rtol=1e-6, atol=1e-6)
    assert ours.compute_output_shape((None,) + input_shape[1:]) == tuple(
        theirs.compute_output_shape((None,) + input_shape[1:]))
    # The same config keys and values (Keras's tuples are our JSON lists), names and dtype policies aside.
    their_config, our_config = theirs.get_config(), ours.get_config()
    assert sorted(our_config) == sorted(their_config)
    for key in set(our_config) - {"name", "dtype"}:
        assert our_config[key] == json.loads(json.dumps(their_config[key])), key
    probe = numpy.random.default_rng(6).normal(size=their_out.shape).astype("float32")
    their_grad = jax.grad(lambda v: (theirs(v) * probe).sum())(x)
    our_grad = autograd.grad(lambda v: anp.sum(ours(v) * probe))(x)
    numpy.testing.assert_allclose(our_grad, numpy.asarray(their_grad), rtol=1e-6, atol=1e-6)


def pooling_stack(k, np_):
    """Dense -> 4x4x2 maps (ReLU zeros tie inside windows) -> the pooling and reshaping layers -> Dense."""
    return k.Sequential([k.Input((6,)), k.layers.Dense(32, activation="relu"), k.layers.Reshape((4, 4, 2)),
                         k.layers.ZeroPadding2D(((1, 0), (0, 1))), k.layers.MaxPooling2D(2, 1),
                         k.layers.AveragePooling2D(3, 2, padding="same"), k.layers.UpSampling2D((2, 3)),
                         k.layers.Cropping2D(((0, 1), (1, 1))), k.layers.MaxPooling2D(2, padding="same"),
                         k.layers.GlobalMaxPooling2D(), k.layers.RepeatVector(2), k.layers.Permute((2, 1)),
                         k.layers.GlobalAveragePooling1D(), k.layers.Dense(2)])


def test_a_model_of_pooling_and_reshaping_layers_trains_like_keras():
    rng = numpy.random.default_rng(7)
    x, y = rng.normal(size=(32, 6)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    theirs, ours = build_both(pooling_stack)
    fit_both(theirs, ours, x, y)
    assert_same_weights(ours, theirs)


# ------------------------------------- normalization, regularization, preprocessing and activation layers
ELEMENTWISE_AND_NORMALIZATION = [  # (class name, constructor arguments, input shape)
    ("BatchNormalization", {}, (6, 4)), ("BatchNormalization", {"axis": 1, "momentum": 0.9, "epsilon": 0.01},
                                         (4, 3, 5)),
    ("BatchNormalization", {"center": False}, (4, 2, 2, 3)),
    ("LayerNormalization", {}, (3, 6)), ("LayerNormalization", {"axis": [1, 2], "scale": False}, (3, 4, 5)),
    ("GroupNormalization", {"groups": 2}, (3, 4, 6)), ("GroupNormalization", {"groups": -1, "axis": 1}, (3, 4, 5)),
    ("UnitNormalization", {}, (3, 5)), ("UnitNormalization", {"axis": [1, 2]}, (3, 4, 5)),
    ("Rescaling", {"scale": 0.5, "offset": -1.0}, (3, 4)),
    ("Normalization", {"mean": [1.0, -2.0, 0.5], "variance": [4.0, 0.25, 1.0]}, (4, 3)),
    ("Normalization", {"axis": None, "mean": 2.0, "variance": 9.0, "invert": True}, (4, 3)),
    ("ActivityRegularization", {"l1": 0.1, "l2": 0.2}, (4, 3)),
    ("ReLU", {}, (3, 5)), ("ReLU", {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.3}, (3, 5)),
    ("LeakyReLU", {}, (3, 5)), ("PReLU", {"shared_axes": [1]}, (3, 4, 5)), ("ELU", {"alpha": 0.5}, (3, 5)),
    ("Softmax", {}, (3, 5)), ("Softmax", {"axis": 1}, (3, 4, 5)), ("Softmax", {"axis": [1, 2]}, (3, 4, 5)),
    ("GaussianNoise", {"stddev": 0.3}, (3, 5)), ("GaussianDropout", {"rate": 0.3}, (3, 5)),
    ("SpatialDropout1D", {"rate": 0.3}, (3, 4, 5)), ("SpatialDropout2D", {"rate": 0.3}, (3, 4, 4, 5)),
]
NOISE = {"GaussianNoise", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D"}


@pytest.mark.parametrize("name, kwargs, input_shape", ELEMENTWISE_AND_NORMALIZATION,
                         ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(ELEMENTWISE_AND_NORMALIZATION)])
def test_normalization_regularization_preprocessing_and_activation_layers_match_keras(name, kwargs, input_shape):
    jax = pytest.importorskip("jax")
    import autograd

    if keras.backend.backend() != "jax":
        pytest.skip("the gradient comparison uses jax.grad")
    rng = numpy.random.default_rng(10)
    x = (rng.normal(size=input_shape) * 2 + 0.5).astype("float32")
    theirs, ours = getattr(keras.layers, name)(**kwargs), getattr(microkeras.layers, name)(**kwargs)
    theirs(x)
    ours(x)
    assert [(w.name, w.shape) for w in ours.weights] == [(w.name, tuple(w.shape)) for w in theirs.weights]
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    # Weights away from their initial values (variances positive), the same for both.
    weights = [rng.uniform(0.5, 2.0, size=w.shape).astype("float32") for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    for training in (False, True):
        if training and name in NOISE:
            continue  # different random streams; both are the identity at inference
        their_out = numpy.asarray(theirs(x, training=training))
        numpy.testing.assert_allclose(ours(x, training=training), their_out, rtol=1e-5, atol=1e-5)
        # The gradient with respect to the input (through the batch statistics while training).
        probe = rng.normal(size=their_out.shape).astype("float32")
        their_values = ([v.value for v in theirs.trainable_variables], [v.value for v in theirs.non_trainable_variables])
        our_values = ([w.numpy() for w in ours.trainable_weights], [w.numpy() for w in ours.non_trainable_weights])
        flag = {"training": training} if theirs._call_has_training_arg else {}
        their_grad = jax.grad(lambda v: (theirs.stateless_call(*their_values, v, **flag)[0] * probe).sum())(x)
        our_grad = autograd.grad(lambda v: anp.sum(ours.stateless_call(*our_values, v, **flag)[0] * probe))(x)
        numpy.testing.assert_allclose(our_grad, numpy.asarray(their_grad), rtol=1e-4, atol=1e-5)
    # BatchNormalization's call with training=True updated its moving statistics, in both.
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, rtol=1e-6, atol=1e-7)
    if name == "ActivityRegularization":
        numpy.testing.assert_allclose(ours.losses[0], numpy.asarray(theirs.losses[0]), rtol=1e-6)
    # The same config keys; Keras 3.15's ELU leaves its alpha out (a reloaded Keras ELU has alpha=1).
    their_keys = set(theirs.get_config()) | ({"alpha"} if name == "ELU" else set())
    assert set(ours.get_config()) == their_keys


def test_normalization_adapt_matches_keras():
    features = numpy.random.default_rng(11).normal(3.0, 2.0, size=(40, 3, 2)).astype("float32")
    for axis in (-1, (1, 2), None):
        theirs, ours = keras.layers.Normalization(axis=axis), microkeras.layers.Normalization(axis=axis)
        theirs.adapt(features)
        ours.adapt(features)
        assert [(w.name, w.shape) for w in ours.weights] == [(w.name, tuple(w.shape)) for w in theirs.weights]
        for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
            numpy.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(ours(features), numpy.asarray(theirs(features)), rtol=1e-5, atol=1e-5)


def batch_normalized_model(k, np_, frozen=False):
    # No bias before a BatchNormalization: its gradient is zero up to rounding, which Adam would amplify.
    return k.Sequential([k.Input((4,)), k.layers.Dense(6, use_bias=False), k.layers.BatchNormalization(momentum=0.8),
                         k.layers.Dense(5, activation="tanh"),
                         k.layers.BatchNormalization(axis=-1, center=False, trainable=not frozen),
                         k.layers.Dense(2)])


@pytest.mark.parametrize("frozen", [False, True], ids=["trainable", "frozen"])
def test_a_model_with_batch_normalization_trains_and_predicts_like_keras(frozen):
    x, y = regression_data()
    theirs, ours = build_both(lambda k, np_: batch_normalized_model(k, np_, frozen))
    weights = [numpy.abs(w) + 0.5 if "moving_variance" in v.path else w
               for w, v in zip(theirs.get_weights(), theirs.weights)]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    frozen_start = ours.layers[3].get_weights()
    fit_both(theirs, ours, x, y)
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    # Dividing by a batch's standard deviation amplifies float32 rounding: after 12 steps the weights agree
    # to about 1e-6 in absolute terms, also where they are small.
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=5e-6)
    numpy.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=2e-5)
    if frozen:  # Keras 3 runs a frozen BatchNormalization in inference mode inside fit: nothing of it moved
        for before, after in zip(frozen_start, ours.layers[3].get_weights()):
            numpy.testing.assert_array_equal(after, before)


@pytest.mark.parametrize("kwargs", [{"momentum": 0.8}, {"axis": 1, "epsilon": 0.01}], ids=["last-axis", "axis-1"])
def test_batch_normalization_with_a_mask_matches_keras(kwargs):
    jax = pytest.importorskip("jax")
    import autograd

    if keras.backend.backend() != "jax":
        pytest.skip("the gradient comparison uses jax.grad")
    rng = numpy.random.default_rng(12)
    x = (rng.normal(size=(4, 5, 3)) * 2 + 0.5).astype("float32")
    mask = rng.random((4, 5)) > 0.4
    mask[:, 0], mask[:, 4] = True, False  # step 4 masked everywhere: on axis 1, a channel with nothing kept
    theirs, ours = keras.layers.BatchNormalization(**kwargs), microkeras.layers.BatchNormalization(**kwargs)
    theirs(x)
    ours(x)
    weights = [rng.uniform(0.5, 2.0, size=w.shape).astype("float32") for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    for training in (True, False):
        their_out = numpy.asarray(theirs(x, training=training, mask=mask))
        numpy.testing.assert_allclose(ours(x, training=training, mask=mask), their_out, rtol=1e-5, atol=1e-5)
    # The training call updated the moving statistics from the masked moments, in both.
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, rtol=1e-6, atol=1e-7)
    # Gradients with respect to gamma, beta and the input, through the masked moments.
    probe = rng.normal(size=x.shape).astype("float32")
    their_moving = [v.value for v in theirs.non_trainable_variables]
    our_moving = [w.numpy() for w in ours.non_trainable_weights]

    def their_loss(values):
        return (theirs.stateless_call(values[:2], their_moving, values[2], training=True, mask=mask)[0] * probe).sum()

    def our_loss(values):
        return anp.sum(ours.stateless_call(values[:2], our_moving, values[2], training=True, mask=mask)[0] * probe)

    their_grads = jax.grad(their_loss)([v.value for v in theirs.trainable_variables] + [x])
    our_grads = autograd.grad(our_loss)([w.numpy() for w in ours.trainable_weights] + [x])
    for mine, keras_grad in zip(our_grads, their_grads):
        numpy.testing.assert_allclose(mine, numpy.asarray(keras_grad), rtol=1e-4, atol=1e-5)


def embedded_batch_normalized(k, np_):
    return k.Sequential([k.Input((6,), dtype="int32"), k.layers.Embedding(7, 4, mask_zero=True),
                         k.layers.BatchNormalization(momentum=0.8), k.layers.GlobalAveragePooling1D(),
                         k.layers.Dense(2)])


def test_a_model_with_batch_normalization_after_a_masking_embedding_trains_like_keras():
    rng = numpy.random.default_rng(13)
    ids = rng.integers(1, 7, size=(24, 6)).astype("int32")
    ids[numpy.arange(6)[None, :] >= rng.integers(1, 7, size=(24, 1))] = 0  # lengths 1 to 6, padded with 0
    y = rng.normal(size=(24, 2)).astype("float32")
    theirs, ours = build_both(embedded_batch_normalized)
    weights = [numpy.abs(w) + 0.5 if "moving_variance" in v.path else w
               for w, v in zip(theirs.get_weights(), theirs.weights)]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    fit_both(theirs, ours, ids, y)
    assert_same_weights(ours, theirs)
    numpy.testing.assert_allclose(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0), rtol=1e-5, atol=2e-5)


def normalization_and_activation_stack(k, np_):
    """The stock normalization, activation and preprocessing layers in one model (and noise of stddev 0)."""
    return k.Sequential([
        k.Input((6,)), k.layers.Rescaling(0.5, offset=0.1),
        k.layers.Normalization(mean=[0.0, 1.0, 0.0, 1.0, 0.0, 1.0], variance=[1.0, 2.0, 1.0, 2.0, 1.0, 2.0]),
        k.layers.Dense(12), k.layers.Reshape((3, 4)), k.layers.GroupNormalization(groups=2),
        k.layers.PReLU(shared_axes=[1]), k.layers.LayerNormalization(axis=[1, 2]), k.layers.LeakyReLU(),
        k.layers.GaussianNoise(0.0), k.layers.UnitNormalization(),
        k.layers.ELU(alpha=0.7), k.layers.Flatten(), k.layers.Dense(4),
        k.layers.ActivityRegularization(l1=0.01, l2=0.01), k.layers.ReLU(max_value=2.0, negative_slope=0.1),
        k.layers.Dense(2), k.layers.Softmax()])


def test_a_model_of_normalization_and_activation_layers_trains_like_keras():
    rng = numpy.random.default_rng(12)
    x, y = rng.normal(size=(32, 6)).astype("float32"), numpy.eye(2, dtype="float32")[rng.integers(0, 2, 32)]
    theirs, ours = build_both(normalization_and_activation_stack)
    for model, k in ((theirs, keras), (ours, microkeras)):
        model.layers[-4].set_weights([w * 0.5 for w in model.layers[-4].get_weights()])
    fit_both(theirs, ours, x, y)
    assert_same_weights(ours, theirs)


# ------------------------------------------------------------------ convolution layers
CONVOLUTIONS = [  # (class name, constructor arguments, input shape)
    ("Conv1D", {"filters": 4, "kernel_size": 3}, (2, 9, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same", "groups": 2}, (2, 9, 4)),
    ("Conv1D", {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 9, 2)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}, (2, 6, 7, 3)),
    ("Conv2D", {"filters": 4, "kernel_size": (4, 3), "strides": 2, "padding": "same"}, (2, 7, 8, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "dilation_rate": (2, 1), "groups": 3, "use_bias": False},
     (2, 7, 6, 3)),
    ("Conv2D", {"filters": 3, "kernel_size": 2, "data_format": "channels_first"}, (2, 2, 5, 6)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 3, 4, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 3, 4, 3)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": (3, 4), "strides": (3, 2), "padding": "same",
                         "output_padding": (1, 1)}, (2, 3, 3, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "output_padding": 0}, (2, 3, 4, 2)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 5, 3)),
    ("DepthwiseConv2D", {"kernel_size": (2, 3), "strides": 2, "padding": "same"}, (2, 7, 6, 2)),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, (2, 6, 5, 3)),
    ("SeparableConv2D", {"filters": 2, "kernel_size": 2, "dilation_rate": 2}, (2, 6, 6, 2)),
]


@pytest.mark.parametrize("name, kwargs, input_shape", CONVOLUTIONS,
                         ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(CONVOLUTIONS)])
def test_convolution_layers_match_keras_for_its_weights(name, kwargs, input_shape):
    import json

    x = numpy.random.default_rng(8).normal(size=input_shape).astype("float32")
    theirs, ours = getattr(keras.layers, name)(**kwargs), getattr(microkeras.layers, name)(**kwargs)
    their_out = numpy.asarray(theirs(x))
    ours(x)
    assert [(w.name, w.shape) for w in ours.weights] == [(w.name, tuple(w.shape)) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    numpy.testing.assert_allclose(ours(x), their_out, rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape((None,) + input_shape[1:]) == tuple(
        theirs.compute_output_shape((None,) + input_shape[1:]))
    their_config, our_config = theirs.get_config(), ours.get_config()
    assert sorted(our_config) == sorted(their_config)
    for key in set(our_config) - {"name", "dtype", "kernel_initializer", "depthwise_initializer",
                                  "pointwise_initializer", "bias_initializer"}:
        assert our_config[key] == json.loads(json.dumps(their_config[key])), key


def convolution_stack(k, np_):
    """Every convolution layer in one model: 8x8x2 images -> 2 outputs."""
    return k.Sequential([k.Input((8, 8, 2)), k.layers.Conv2D(4, 3, padding="same", activation="tanh"),
                         k.layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, activation="tanh"),
                         k.layers.SeparableConv2D(4, 2, padding="same", activation="tanh"),
                         k.layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="tanh"),
                         k.layers.Reshape((12, 9)), k.layers.Conv1D(2, 3, padding="causal", dilation_rate=2),
                         k.layers.Flatten(), k.layers.Dense(2)])


def test_a_model_of_convolution_layers_trains_like_keras():
    rng = numpy.random.default_rng(9)
    x, y = rng.normal(size=(32, 8, 8, 2)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    theirs, ours = build_both(convolution_stack)
    fit_both(theirs, ours, x, y)
    assert_same_weights(ours, theirs)  # paths included: conv2d/kernel, depthwise_conv2d/kernel, ...
