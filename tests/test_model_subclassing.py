"""Model subclassing, overridden steps, GradientTape, callback logs, and configs of custom layers."""

import json

import autograd.numpy as np
import numpy
import pytest

import microkeras
from microkeras import GradientTape, Input, Layer, Model, Sequential, callbacks, metrics, models, optimizers
from microkeras.layers import Dense
from tests.test_training import blobs


class MLP(Model):
    def __init__(self, hidden=8, classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(hidden, activation="relu")
        self.out = Dense(classes, activation="softmax")

    def call(self, inputs, training=False):
        return self.out(self.hidden(inputs))


class GuideTrainStep(Model):
    """``train_step`` as keras.io's "Customizing what happens in fit()" (TensorFlow) writes it, with
    microkeras.GradientTape in place of tf.GradientTape."""

    def train_step(self, data):
        x, y = data
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class GuideModel(GuideTrainStep):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(8, activation="relu")
        self.out = Dense(3, activation="softmax")
        self.steps_seen = 0

    def call(self, inputs, training=False):
        return self.out(self.hidden(inputs))

    def train_step(self, data):
        self.steps_seen += 1
        return super().train_step(data)


def test_a_subclassed_model_compiles_fits_evaluates_predicts_and_summarizes():
    x, y, labels = blobs(n=120)
    microkeras.utils.set_random_seed(0)
    model = MLP()
    assert isinstance(model, Model) and models.Model is Model and microkeras.Model is Model
    assert isinstance(Sequential(), Model)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=100, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.9 and numpy.isfinite(loss)
    assert model.predict(x[:5], verbose=0).shape == (5, 3)
    lines = []
    model.summary(print_fn=lines.append)
    assert any(model.hidden.name in line and "(None, 8)" in line for line in lines)
    assert [w.path for w in model.weights][0] == f"{model.name}/{model.hidden.name}/kernel"


def test_the_keras_guide_train_step_written_with_gradient_tape_trains_like_the_default():
    x, y, _ = blobs(n=64)
    microkeras.utils.set_random_seed(3)
    custom = GuideModel()
    custom.build((None, 4))
    default = MLP()
    default.build((None, 4))
    default.set_weights(custom.get_weights())
    histories = []
    for model in (custom, default):
        model.compile(microkeras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["mae"])
        histories.append(model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history)
    assert custom.steps_seen == 12
    # The guide's loop updates the loss metric with each batch's mean, unweighted: batches are equal here.
    for key in ("loss", "mae"):
        numpy.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-5)
    for ours, theirs in zip(custom.get_weights(), default.get_weights()):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)


def test_overridden_test_step_and_predict_step_get_keras_3_data():
    seen = {}

    class Custom(MLP):
        def test_step(self, data):
            seen["test"] = (type(data).__name__, len(data))
            return super().test_step(data)

        def predict_step(self, data):
            seen["predict"] = type(data).__name__
            return super().predict_step(data) * 2

    x, y, _ = blobs(n=8)
    model = Custom()
    model.compile("sgd", "categorical_crossentropy")
    model.evaluate(x, y, verbose=0)
    model.evaluate(x, y, sample_weight=numpy.ones(8), verbose=0)
    assert seen["test"] == ("tuple", 3)
    predictions = model.predict(x, verbose=0)
    assert seen["predict"] == "ndarray"  # Keras hands predict_step the bare batch
    numpy.testing.assert_allclose(predictions.sum(axis=1), 2.0, rtol=1e-5)


def test_a_custom_train_step_may_return_its_own_logs():
    class Counting(MLP):
        def train_step(self, data):
            logs = super().train_step(data)
            return {"loss": logs["loss"], "steps": numpy.float32(self.optimizer.iterations)}

    x, y, _ = blobs(n=32)
    model = Counting()
    model.compile("sgd", "categorical_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert history.history["steps"] == [2.0, 4.0] and type(history.history["steps"][0]) is float


def test_compute_loss_can_be_overridden():
    class DoubledLoss(MLP):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return 2.0 * super().compute_loss(x, y, y_pred, sample_weight, training)

    x, y, _ = blobs(n=16)
    plain, doubled = MLP(), DoubledLoss()
    doubled.build((None, 4))
    plain.build((None, 4))
    plain.set_weights(doubled.get_weights())
    for model in (plain, doubled):
        model.compile("sgd", "categorical_crossentropy")
    assert doubled.evaluate(x, y, verbose=0) == pytest.approx(2 * plain.evaluate(x, y, verbose=0), rel=1e-6)


# --------------------------------------------------------------- GradientTape
def test_gradient_tape_returns_the_structure_given_and_none_for_unused_weights():
    used, unused = Dense(2), Dense(2)
    x = numpy.ones((3, 4), numpy.float32)
    used(x), unused(x)
    with GradientTape() as tape:
        loss = np.sum(used(x))
    grads = tape.gradient(loss, {"k": used.kernel, "b": used.bias, "other": unused.kernel})
    numpy.testing.assert_array_equal(grads["k"], numpy.full((4, 2), 3.0))
    numpy.testing.assert_array_equal(grads["b"], numpy.full(2, 3.0))
    assert grads["other"] is None and grads["k"].dtype == numpy.float32
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(loss, used.kernel)


def test_a_persistent_tape_differentiates_twice_and_two_tapes_share_one_pass():
    layer = Dense(1, kernel_initializer="ones")
    x = numpy.ones((2, 3), numpy.float32)
    layer(x)
    with GradientTape(persistent=True) as tape:
        out = layer(x)
        a, b = np.sum(out), np.sum(out * out)
    numpy.testing.assert_array_equal(tape.gradient(a, layer.bias), [2.0])
    numpy.testing.assert_array_equal(tape.gradient(b, layer.bias), [12.0])  # 2 * sum(out) = 2 * 6
    with GradientTape() as first, GradientTape() as second:  # the GAN pattern
        out = layer(x)
        a, b = np.sum(out), np.sum(out * out)
    numpy.testing.assert_array_equal(first.gradient(a, layer.bias), [2.0])
    numpy.testing.assert_array_equal(second.gradient(b, layer.bias), [12.0])


def test_watch_traces_a_non_trainable_variable_read_through_value():
    scale = microkeras.Variable(2.0, trainable=False, name="scale")
    with GradientTape() as tape:
        tape.watch(scale)
        loss = scale.value * 3.0
    assert float(tape.gradient(loss, scale)) == 3.0
    with GradientTape() as tape:
        loss = scale.value * 3.0
    assert tape.gradient(loss, scale) is None


# ----------------------------------------------------------------- callbacks
def test_every_callback_hook_receives_a_dict_as_in_keras_3():
    received = []

    class Spy(callbacks.Callback):
        def _record(self, hook, logs):
            received.append((hook, type(logs).__name__))

    for hook in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_test_begin",
                 "on_test_batch_begin", "on_predict_begin", "on_predict_batch_begin", "on_predict_end"):
        setattr(Spy, hook, lambda self, *args, _hook=hook: self._record(_hook, args[-1]))
    x, y, _ = blobs(n=8)
    model = MLP()
    model.compile("sgd", "categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[Spy()])
    model.predict(x, verbose=0, callbacks=[Spy()])
    assert received and all(kind == "dict" for _, kind in received)
    assert {hook for hook, _ in received} >= {"on_train_begin", "on_epoch_begin", "on_predict_end"}


def test_metrics_held_as_model_attributes_are_reset_each_epoch_when_listed():
    class Tracked(MLP):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.calls = metrics.Sum(name="calls")

        def train_step(self, data):
            self.calls.update_state(1.0)
            return {**super().train_step(data), "calls": self.calls.result()}

        @property
        def metrics(self):
            return super().metrics + [self.calls]

    x, y, _ = blobs(n=32)
    model = Tracked()
    model.compile("sgd", "categorical_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert history.history["calls"] == [2.0, 2.0]


# -------------------------------------------------------------------- config
class Scaled(Layer):
    def __init__(self, units, alpha=0.5, **kwargs):
        super().__init__(**kwargs)
        self.units, self.alpha = units, alpha

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units))

    def call(self, x):
        return self.alpha * (x @ self.kernel)


class NoKeywords(Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units


class TakesAnArray(Layer):
    def __init__(self, table, **kwargs):
        super().__init__(**kwargs)
        self.table = table


def test_a_custom_layer_without_get_config_round_trips_its_constructor_arguments():
    layer = Scaled(3, alpha=0.25, name="scaled")
    config = layer.get_config()
    assert config["units"] == 3 and config["alpha"] == 0.25 and config["name"] == "scaled"
    rebuilt = Scaled.from_config(json.loads(json.dumps(config)))
    assert (rebuilt.units, rebuilt.alpha, rebuilt.name) == (3, 0.25, "scaled")
    model = Sequential([Input((2,)), Scaled(4)])
    clone = microkeras.models.model_from_json(model.to_json())
    assert clone.layers[0].units == 4 and clone.count_params() == 8


def test_a_constructor_without_keywords_gets_only_the_arguments_it_accepts():
    config = NoKeywords(5).get_config()
    assert config == {"units": 5}
    assert NoKeywords.from_config(config).units == 5


def test_get_config_of_a_layer_built_from_non_plain_values_asks_for_a_get_config():
    with pytest.raises(NotImplementedError, match="Write a `get_config\\(\\)` method"):
        TakesAnArray(numpy.ones(3)).get_config()


def test_a_subclass_of_a_stock_layer_adds_its_new_arguments_to_the_stock_config():
    class ScaledDense(Dense):
        def __init__(self, units, factor=2.0, **kwargs):
            super().__init__(units, **kwargs)
            self.factor = factor

    config = ScaledDense(3, factor=4.0, activation="relu").get_config()
    assert config["factor"] == 4.0 and config["units"] == 3 and config["activation"] == "relu"
    assert ScaledDense.from_config(config).factor == 4.0


def test_two_custom_layer_classes_of_one_name_must_be_told_apart_on_loading():
    first = type("Twin", (Layer,), {"__module__": "lab_a"})
    second = type("Twin", (Layer,), {"__module__": "lab_b"})
    config = Sequential([Input((2,)), first()]).to_json()
    with pytest.raises(ValueError, match=r"Several Layer classes are named 'Twin' \(lab_a.Twin, lab_b.Twin\)"):
        microkeras.models.model_from_json(config)
    loaded = microkeras.models.model_from_json(config, custom_objects={"Twin": first})
    assert type(loaded.layers[0]) is first
    # A class defined again under the same module and name (a re-run notebook cell) replaces the old one.
    third = type("Twin", (Layer,), {"__module__": "lab_b"})
    with pytest.raises(ValueError, match=r"\(lab_a.Twin, lab_b.Twin\)"):
        microkeras.models.model_from_json(config)
    assert type(microkeras.models.model_from_json(config, custom_objects={"Twin": third}).layers[0]) is third


def test_a_custom_class_named_like_a_stock_layer_does_not_shadow_it_on_loading():
    type("Dense", (Layer,), {"__module__": "lab_c"})
    loaded = microkeras.models.model_from_json(Sequential([Input((2,)), Dense(3)]).to_json())
    assert type(loaded.layers[0]) is Dense


def test_a_model_subclass_built_from_a_graph_keeps_its_train_step():
    # keras.io's "customizing what happens in fit": CustomModel(inputs, outputs) with its own train_step
    # is a functional model whose class is still CustomModel (Keras 3 puts Functional in its bases).
    import microkeras

    calls = []

    class CustomModel(Model):
        def train_step(self, data):
            calls.append(len(data[0]))
            return super().train_step(data)

    class Named(Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.note = "kept"

    inputs = Input((4,))
    outputs = microkeras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    assert isinstance(model, CustomModel) and type(model).__name__ == "CustomModel"
    assert model.inputs == [inputs] and len(model.layers) == 2
    model.compile("sgd", "mse")
    x = numpy.ones((8, 4), "float32")
    model.fit(x, numpy.zeros((8, 1), "float32"), batch_size=4, epochs=1, verbose=0)
    assert calls == [4, 4]
    named = Named(inputs=inputs, outputs=outputs, name="named")
    assert (named.name, named.note) == ("named", "kept")
    numpy.testing.assert_allclose(named.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(CustomModel(inputs, outputs)) is type(model)  # one functional variant per class


def test_compile_without_a_loss_trains_on_the_layers_losses_and_needs_no_targets():
    # Keras 3's endpoint-layer pattern: compile() gets no loss, a layer add_loss()es it, fit gets no y.
    # With no loss anywhere, fit refuses before any weight changes.
    class SquaredOutput(Layer):
        def call(self, inputs):
            self.add_loss(np.mean(inputs ** 2))
            return inputs

    model = Sequential([Input((3,)), Dense(2), SquaredOutput()])
    model.compile(optimizers.SGD(0.1))
    x = numpy.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    history = model.fit(x, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][2] < history.history["loss"][0]
    plain = Sequential([Input((3,)), Dense(2)])
    plain.compile("sgd")
    before = [w.copy() for w in plain.get_weights()]
    with pytest.raises(ValueError, match="No loss to compute"):
        plain.fit(x, numpy.zeros((16, 2), "float32"), verbose=0)
    for old, new in zip(before, plain.get_weights()):
        numpy.testing.assert_array_equal(old, new)
