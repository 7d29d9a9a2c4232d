"""Files moving between microkeras and real Keras 3, both ways.

Keras to microkeras: ``tests/fixtures/keras/*.keras`` were written by Keras 3.15.1
(``tests/fixtures/keras/make_golden.py``) with, beside each, Keras's predictions
and its weights after one more epoch.  microkeras loads them, predicts the same,
and one more epoch of ``fit`` from the restored optimizer state lands on Keras's
weights.  These tests need no Keras.

microkeras to Keras: the tests at the end load microkeras's files into real
Keras; they run only where ``keras`` is importable, for instance with

    cd /work/main && KERAS_BACKEND=jax /path/to/keras-venv/bin/python -m pytest -q tests/test_saving_keras.py
"""

import os
import warnings

import numpy
import pytest

from microkeras import Input, Model, Sequential, layers, ops, optimizers
from microkeras.config import set_random_seed
from microkeras.models import load_model

pytest.importorskip("h5py")

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "keras")
GOLDEN = ["sequential_mlp", "functional_cnn", "embedding_sgd", "functional_ops"]


def _golden(name):
    with numpy.load(os.path.join(FIXTURES, name + ".npz"), allow_pickle=False) as data:
        arrays = dict(data)
    weights = [arrays.pop(f"weight_{i}") for i in range(len([k for k in arrays if k.startswith("weight_")]))]
    return arrays, weights


@pytest.mark.parametrize("name", GOLDEN)
def test_a_keras_file_loads_predicts_and_keeps_training_as_keras_does(name):
    arrays, keras_weights = _golden(name)
    model = load_model(os.path.join(FIXTURES, name + ".keras"))
    numpy.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["predictions"], atol=2e-6)
    assert model.optimizer.iterations == 2 * len(arrays["x"]) // 8
    model.fit(arrays["x"], arrays["y"], epochs=1, batch_size=8, shuffle=False, verbose=0)
    ours = model.get_weights()
    assert len(ours) == len(keras_weights)
    for mine, theirs in zip(ours, keras_weights):
        numpy.testing.assert_allclose(mine, theirs, atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("name", GOLDEN)
def test_a_keras_file_saved_again_by_microkeras_keeps_the_same_layout(name, tmp_path):
    h5py = pytest.importorskip("h5py")
    import io
    import zipfile

    model = load_model(os.path.join(FIXTURES, name + ".keras"))
    model.save(tmp_path / "again.keras")

    def layout(path):
        with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
            found = {}
            f.visititems(lambda key, item: found.update({key: getattr(item, "shape", None)}))
            return found
    assert layout(tmp_path / "again.keras") == layout(os.path.join(FIXTURES, name + ".keras"))


# ------------------------------------------------------- microkeras to Keras
def _models():
    """microkeras models with every kind of layer both sides have, compiled and trained for a step."""
    set_random_seed(5)
    rng = numpy.random.default_rng(5)
    mlp = Sequential([Input((6,)), layers.Dense(8, activation="tanh", kernel_regularizer="l2"),
                      layers.BatchNormalization(), layers.Dropout(0.0), layers.LayerNormalization(),
                      layers.Dense(3, activation="softmax")])
    mlp.compile(optimizer=optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    image = Input((8, 8, 2))
    x = layers.Conv2D(3, 3, activation="relu")(image)
    x = layers.SeparableConv2D(4, 2, padding="same")(x)
    x = layers.AveragePooling2D(2)(x)
    x = layers.Conv2DTranspose(2, 2, strides=2)(x)
    x = layers.GroupNormalization(groups=2)(x)
    x = layers.ZeroPadding2D(1)(x)
    x = layers.GlobalMaxPooling2D()(x)
    side = layers.Flatten()(layers.UpSampling2D(1)(layers.Cropping2D(3)(image)))
    x = layers.Concatenate()([x, layers.PReLU()(layers.Dense(3)(side))])
    cnn = Model(image, layers.Dense(1)(x))
    cnn.compile(optimizer=optimizers.RMSprop(0.005, momentum=0.5, centered=True), loss="mse", metrics=["mae"])
    ids = Sequential([Input((5,), dtype="int32"), layers.Embedding(12, 4), layers.Conv1D(3, 2),
                      layers.MaxPooling1D(2), layers.Permute((2, 1)), layers.GlobalAveragePooling1D(),
                      layers.RepeatVector(2), layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    ids.compile(optimizer=optimizers.SGD(0.1, momentum=0.9, nesterov=True), loss="binary_crossentropy")
    data = {
        "mlp": (rng.random((16, 6)).astype("float32"), numpy.eye(3, dtype="float32")[rng.integers(0, 3, 16)]),
        "cnn": (rng.random((16, 8, 8, 2)).astype("float32"), rng.random((16, 1)).astype("float32")),
        "ids": (rng.integers(0, 12, (16, 5)), rng.integers(0, 2, (16, 1)).astype("float32")),
    }
    vector = Input((6,))
    hidden = layers.Dense(8, activation="relu")(vector)
    mixed = ops.concatenate([0.5 * (hidden + layers.Dense(8)(hidden)), ops.square(vector)], axis=-1)[:, 1:13]
    with_ops = Model(vector, layers.Dense(1)(ops.clip(ops.sum(ops.reshape(-abs(mixed), (-1, 3, 4)), axis=1), -4, 4)))
    with_ops.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    data["ops"] = (rng.random((16, 6)).astype("float32"), rng.random((16, 1)).astype("float32"))
    models = {"mlp": mlp, "cnn": cnn, "ids": ids, "ops": with_ops}
    recurrent = [name for name in ("SimpleRNN", "GRU", "LSTM") if hasattr(layers, name)]
    if recurrent:  # the recurrent layers this checkout has, stacked
        stack = [getattr(layers, name)(3, return_sequences=True) for name in recurrent]
        if hasattr(layers, "Bidirectional"):
            stack.append(layers.Bidirectional(getattr(layers, recurrent[-1])(2)))
        models["rnn"] = Sequential([Input((5, 2)), *stack, layers.Flatten(), layers.Dense(1)])
        models["rnn"].compile(optimizer=optimizers.Adam(0.01), loss="mse")
        data["rnn"] = (rng.random((16, 5, 2)).astype("float32"), rng.random((16, 1)).astype("float32"))
    return models, data


@pytest.mark.parametrize("name", ["mlp", "cnn", "ids", "ops", "rnn"])
def test_a_microkeras_file_loads_in_keras_predicts_and_keeps_training_the_same(name, tmp_path):
    keras = pytest.importorskip("keras")
    models, data = _models()
    if name not in models:
        pytest.skip("this checkout has no recurrent layers")
    model, (x, y) = models[name], data[name]
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = keras.models.load_model(path)
    numpy.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), atol=2e-6)
    assert int(theirs.optimizer.iterations.numpy()) == model.optimizer.iterations
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    theirs.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for mine, keras_weight in zip(model.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, atol=2e-5, rtol=1e-4)
    # And back: Keras's file loads here with Keras's state.
    theirs.save(str(tmp_path / "back.keras"))
    back = load_model(str(tmp_path / "back.keras"))
    numpy.testing.assert_allclose(back.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=2e-6)


def test_microkeras_weights_files_load_into_a_keras_model(tmp_path):
    keras = pytest.importorskip("keras")
    models, data = _models()
    model = models["mlp"]
    model.save_weights(str(tmp_path / "mlp.weights.h5"))
    theirs = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"),
                               keras.layers.BatchNormalization(), keras.layers.Dropout(0.0),
                               keras.layers.LayerNormalization(), keras.layers.Dense(3, activation="softmax")])
    theirs.load_weights(str(tmp_path / "mlp.weights.h5"))
    x = data["mlp"][0]
    numpy.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), atol=2e-6)


def test_a_registered_custom_layer_travels_to_keras_by_its_registered_name(tmp_path):
    keras = pytest.importorskip("keras")
    from microkeras.saving import register_keras_serializable

    @register_keras_serializable(package="Interop")
    class Twice(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    @keras.saving.register_keras_serializable(package="Interop")
    class KerasTwice(keras.layers.Layer):  # the Keras side's own class of the same registered name
        def call(self, inputs):
            return inputs * 2.0

    KerasTwice.__name__ = "Twice"
    keras.saving.get_custom_objects()["Interop>Twice"] = KerasTwice
    model = Sequential([Input((3,)), layers.Dense(2), Twice()])
    model.save(str(tmp_path / "custom.keras"))
    theirs = keras.models.load_model(str(tmp_path / "custom.keras"))
    x = numpy.ones((2, 3), numpy.float32)
    numpy.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_a_subclassed_models_weights_file_moves_both_ways(tmp_path):
    keras = pytest.importorskip("keras")

    def define(base, dense, normalization):
        class Blocks(base):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.hidden = dense(3)
                self.blocks = [dense(3), normalization(), dense(2)]
                self.out = dense(1)  # found through `layers` too: stored at layers/dense_3, as Keras does

            def call(self, x):
                x = self.hidden(x)
                for block in self.blocks:
                    x = block(x)
                return self.out(x)
        return Blocks()

    x, y = numpy.random.default_rng(0).random((8, 4)).astype("float32"), numpy.ones((8, 1), "float32")
    ours = define(Model, layers.Dense, layers.BatchNormalization)
    theirs = define(keras.Model, keras.layers.Dense, keras.layers.BatchNormalization)
    for model in (ours, theirs):
        model(x[:2])
        model.compile(optimizer="adam", loss="mse")
    ours.fit(x, y, batch_size=4, verbose=0)
    ours.save_weights(str(tmp_path / "ours.weights.h5"))
    theirs.optimizer.build(theirs.trainable_variables)
    theirs.load_weights(str(tmp_path / "ours.weights.h5"))
    numpy.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0), atol=2e-6)
    theirs.fit(x, y, batch_size=4, verbose=0, shuffle=False)
    theirs.save_weights(str(tmp_path / "theirs.weights.h5"))
    ours.load_weights(str(tmp_path / "theirs.weights.h5"))
    assert ours.optimizer.iterations == 4
    numpy.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=2e-6)


def test_to_json_and_model_from_json_move_architectures_both_ways():
    keras = pytest.importorskip("keras")
    from microkeras.models import model_from_json

    model = Sequential([Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
    theirs = keras.models.model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in theirs.layers] == ["Dense", "Dense"]
    inputs = Input((4,))
    functional = Model(inputs, layers.Dense(2)(inputs))
    back = model_from_json(keras.models.model_from_json(functional.to_json()).to_json())
    assert type(back).__name__ == "Functional" and back.output_shape == (None, 2)


def test_a_learning_rate_schedule_travels_to_keras_and_back(tmp_path):
    keras = pytest.importorskip("keras")
    x = numpy.random.default_rng(1).random((8, 4)).astype("float32")
    y = numpy.random.default_rng(2).random((8, 2)).astype("float32")
    model = Sequential([Input((4,)), layers.Dense(2)])
    model.compile(optimizer=optimizers.Adam(optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)), loss="mse")
    model.fit(x, y, batch_size=4, verbose=0)
    model.save(str(tmp_path / "schedule.keras"))
    theirs = keras.models.load_model(str(tmp_path / "schedule.keras"))
    model.fit(x, y, batch_size=4, verbose=0, shuffle=False)
    theirs.fit(x, y, batch_size=4, verbose=0, shuffle=False)
    for mine, keras_weight in zip(model.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, atol=2e-6)
    theirs.save(str(tmp_path / "back.keras"))
    back = load_model(str(tmp_path / "back.keras"))
    assert type(back.optimizer._learning_rate).__name__ == "ExponentialDecay" and back.optimizer.iterations == 4


@pytest.mark.parametrize("name", sorted(__import__("tests.test_saving", fromlist=["LAYERS"]).LAYERS))
def test_every_layer_type_saved_here_predicts_the_same_in_keras(name, tmp_path):
    keras = pytest.importorskip("keras")
    from tests.test_saving import LAYERS

    make, shape = LAYERS[name]
    model = Sequential([Input(shape), make()])
    rng = numpy.random.default_rng(4)
    model.set_weights([w + rng.random(w.shape).astype(w.dtype) * 0.5 for w in model.get_weights()])
    model.save(str(tmp_path / "layer.keras"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = keras.models.load_model(str(tmp_path / "layer.keras"))
    x = rng.random((3, *shape)).astype("float32")
    numpy.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in model.get_weights()]


def test_a_model_with_dict_outputs_loads_in_keras(tmp_path):
    keras = pytest.importorskip("keras")
    from tests.test_saving import _two_output_model

    model, x, _ = _two_output_model()
    model.save(str(tmp_path / "two.keras"))
    theirs = keras.models.load_model(str(tmp_path / "two.keras"))
    ours, keras_outputs = model.predict(x, verbose=0), theirs.predict(x, verbose=0)
    for name in ("a", "b"):
        numpy.testing.assert_allclose(keras_outputs[name], ours[name], atol=2e-6)
