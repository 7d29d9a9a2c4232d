"""Saving and loading: ``.keras`` files and ``.weights.h5`` files in Keras 3's layout.

Round trips for every layer type, the file layout Keras 3 writes (checked
against real Keras files in ``test_saving_keras.py``), resuming training from
a file, and every way a file can be wrong: each raises an error naming the
file and leaves the model as it was.
"""

import json
import os
import warnings
import zipfile

import numpy
import pytest

import microkeras
from microkeras import Input, Model, Sequential, layers, optimizers
from microkeras.config import set_random_seed
from microkeras.models import load_model
from microkeras.saving import (deserialize_keras_object, h5_weights, register_keras_serializable,
                               saving_api, serialize_keras_object)

h5py = pytest.importorskip("h5py")

RNG = numpy.random.default_rng(0)


def _x(*shape):
    return RNG.random(shape).astype(numpy.float32)


# (constructor, sample shape) for every layer type with weights or a config worth keeping.
LAYERS = {
    "Dense": (lambda: layers.Dense(3, activation="relu", kernel_regularizer="l2"), (4,)),
    "Activation": (lambda: layers.Activation("tanh"), (4,)),
    "Dropout": (lambda: layers.Dropout(0.3, seed=1), (4,)),
    "Flatten": (lambda: layers.Flatten(), (2, 3)),
    "Reshape": (lambda: layers.Reshape((3, 2)), (6,)),
    "Conv1D": (lambda: layers.Conv1D(2, 3, padding="same"), (6, 2)),
    "Conv2D": (lambda: layers.Conv2D(2, 3, strides=2), (7, 7, 2)),
    "Conv2DTranspose": (lambda: layers.Conv2DTranspose(2, 3), (4, 4, 2)),
    "DepthwiseConv2D": (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (5, 5, 2)),
    "SeparableConv2D": (lambda: layers.SeparableConv2D(3, 3), (5, 5, 2)),
    "MaxPooling2D": (lambda: layers.MaxPooling2D(2), (4, 4, 2)),
    "AveragePooling1D": (lambda: layers.AveragePooling1D(2), (4, 2)),
    "GlobalAveragePooling2D": (lambda: layers.GlobalAveragePooling2D(), (4, 4, 2)),
    "ZeroPadding2D": (lambda: layers.ZeroPadding2D(1), (3, 3, 1)),
    "Cropping1D": (lambda: layers.Cropping1D(1), (5, 2)),
    "UpSampling2D": (lambda: layers.UpSampling2D(2), (2, 2, 1)),
    "Permute": (lambda: layers.Permute((2, 1)), (3, 2)),
    "RepeatVector": (lambda: layers.RepeatVector(2), (3,)),
    "BatchNormalization": (lambda: layers.BatchNormalization(momentum=0.9), (4,)),
    "LayerNormalization": (lambda: layers.LayerNormalization(), (4,)),
    "GroupNormalization": (lambda: layers.GroupNormalization(groups=2), (4,)),
    "UnitNormalization": (lambda: layers.UnitNormalization(), (4,)),
    "Normalization": (lambda: layers.Normalization(mean=1.0, variance=4.0), (4,)),
    "Rescaling": (lambda: layers.Rescaling(0.5, offset=1.0), (4,)),
    "PReLU": (lambda: layers.PReLU(alpha_initializer="random_uniform"), (4,)),
    "LeakyReLU": (lambda: layers.LeakyReLU(0.1), (4,)),
    "ELU": (lambda: layers.ELU(), (4,)),
    "ReLU": (lambda: layers.ReLU(max_value=1.0), (4,)),
    "Softmax": (lambda: layers.Softmax(), (4,)),
    "GaussianNoise": (lambda: layers.GaussianNoise(0.1, seed=2), (4,)),
    "SpatialDropout1D": (lambda: layers.SpatialDropout1D(0.2), (3, 2)),
    "ActivityRegularization": (lambda: layers.ActivityRegularization(l1=0.1), (4,)),
}
# The recurrent layers, as far as this checkout has them.
for _name, _make, _shape in [
        ("SimpleRNN", lambda: layers.SimpleRNN(3, return_sequences=True), (4, 2)),
        ("GRU", lambda: layers.GRU(3, reset_after=False), (4, 2)),
        ("LSTM", lambda: layers.LSTM(3), (4, 2)),
        ("Bidirectional", lambda: layers.Bidirectional(layers.GRU(2, return_sequences=True)), (4, 2))]:
    if hasattr(layers, _name):
        LAYERS[_name] = (_make, _shape)


def _perturb(model):
    """Weights unlike any fresh initialization, so a load that did nothing shows."""
    model.set_weights([w + RNG.random(w.shape).astype(w.dtype) + 0.5 for w in model.get_weights()])


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer_type_round_trips_through_a_keras_file(name, tmp_path):
    make, shape = LAYERS[name]
    model = Sequential([Input(shape), make()])
    _perturb(model)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = load_model(path)
    assert type(loaded.layers[0]) is type(model.layers[0])
    assert loaded.layers[0].get_config() == model.layers[0].get_config()
    for ours, theirs in zip(model.get_weights(), loaded.get_weights()):
        numpy.testing.assert_array_equal(ours, theirs)
    x = _x(3, *shape)
    numpy.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_embedding_with_integer_ids_round_trips(tmp_path):
    model = Sequential([Input((3,), dtype="int32"), layers.Embedding(10, 4), layers.GlobalAveragePooling1D()])
    _perturb(model)
    model.save(tmp_path / "embedding.keras")
    loaded = load_model(tmp_path / "embedding.keras")
    ids = numpy.array([[1, 2, 9], [0, 0, 3]])
    numpy.testing.assert_array_equal(model.predict(ids, verbose=0), loaded.predict(ids, verbose=0))


def _functional():
    inputs = Input((4,), name="x")
    hidden = layers.Dense(5, activation="relu")(inputs)
    side = layers.Dense(5)(inputs)
    merged = layers.Add()([hidden, side])
    inner = Sequential([Input((5,)), layers.Dense(3), layers.BatchNormalization()], name="inner")
    return Model(inputs, inner(merged))


def test_a_functional_model_with_a_nested_sequential_round_trips(tmp_path):
    model = _functional()
    _perturb(model)
    model.save(tmp_path / "functional.keras")
    loaded = load_model(tmp_path / "functional.keras")
    x = _x(4, 4)
    numpy.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


@register_keras_serializable(package="SavingTests")
class ScaledDense(layers.Layer):
    """A custom layer that holds a layer in an attribute and one in a list."""

    def __init__(self, units, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.factor = units, factor
        self.inner = layers.Dense(units)
        self.extra = [layers.Dense(units)]

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(self.units,), initializer="ones")

    def call(self, inputs):
        return (self.inner(inputs) + self.extra[0](inputs)) * self.scale * self.factor

    def get_config(self):
        return {**super().get_config(), "units": self.units, "factor": self.factor}


def test_nested_layers_are_stored_below_their_parent_as_keras_stores_them(tmp_path):
    model = Sequential([Input((4,)), ScaledDense(3), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(_x(8, 4), _x(8, 2), epochs=1, verbose=0)
    path = tmp_path / "nested.weights.h5"
    model.save_weights(path)
    found = {}
    with h5py.File(path, "r") as h5file:
        h5file.visititems(lambda name, item: found.update({name: item.attrs.get("name")}))
        assert h5file["vars"].attrs["name"] == model.name
        assert h5file["optimizer/vars/0"][()] == 1  # the iteration count
    assert found["layers/scaled_dense/vars"] == model.layers[0].name
    for path_ in ("layers/scaled_dense/vars/0", "layers/scaled_dense/inner/vars/0",
                  "layers/scaled_dense/extra/dense/vars/1", "layers/dense/vars/1"):
        assert path_ in found, path_
    # Adam: iteration, learning rate, then momentum and velocity side by side for each of the 7 weights.
    assert len([name for name in found if name.startswith("optimizer/vars/")]) == 2 + 2 * 7


def test_a_keras_file_is_an_uncompressed_zip_with_keras_module_paths(tmp_path):
    model = Sequential([Input((4,)), layers.Dense(2, kernel_initializer="he_normal")])
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        config = json.loads(archive.read("config.json"))
        assert set(json.loads(archive.read("metadata.json"))) >= {"keras_version", "date_saved"}
    assert (config["module"], config["class_name"]) == ("keras", "Sequential")
    dense = config["config"]["layers"][1]
    assert (dense["module"], dense["class_name"], dense["registered_name"]) == ("keras.layers", "Dense", None)
    assert dense["config"]["kernel_initializer"]["module"] == "keras.initializers"
    assert config["compile_config"]["optimizer"]["module"] == "keras.optimizers"
    assert config["compile_config"]["loss"] == "mse" and config["compile_config"]["metrics"] == ["mae"]


def test_to_json_names_keras_modules():
    model = Sequential([Input((4,)), layers.Dense(2)])
    data = json.loads(model.to_json())
    assert (data["module"], data["class_name"], data["registered_name"]) == ("keras", "Sequential", None)
    assert data["config"]["layers"][1]["module"] == "keras.layers"


def test_a_custom_layer_is_written_with_its_registered_name(tmp_path):
    entry = serialize_keras_object(ScaledDense(2))
    assert entry["registered_name"] == "SavingTests>ScaledDense" and entry["module"] == __name__
    assert type(deserialize_keras_object(entry)) is ScaledDense


# ----------------------------------------------------------------- resuming
def _model_and_data():
    set_random_seed(3)
    model = Sequential([Input((4,)), layers.Dense(8, activation="relu"), layers.BatchNormalization(),
                        layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x, y = _x(32, 4), _x(32, 1)
    return model, x, y


@pytest.mark.parametrize("weights_only", [False, True])
def test_two_epochs_equal_one_epoch_save_load_and_one_more(weights_only, tmp_path):
    model, x, y = _model_and_data()
    straight = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    expected = model.get_weights()

    model, _, _ = _model_and_data()
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    if weights_only:
        model.save_weights(tmp_path / "half.weights.h5")
        model, _, _ = _model_and_data()
        model.load_weights(tmp_path / "half.weights.h5")
    else:
        model.save(tmp_path / "half.keras")
        model = load_model(tmp_path / "half.keras")
    assert model.optimizer.iterations == 4
    resumed = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    assert resumed["loss"][0] == straight["loss"][1] and resumed["mae"][0] == straight["mae"][1]
    for ours, theirs in zip(model.get_weights(), expected):
        numpy.testing.assert_array_equal(ours, theirs)


def test_load_model_restores_the_loss_metrics_and_optimizer_settings(tmp_path):
    model = Sequential([Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizers.RMSprop(0.005, momentum=0.5, centered=True),
                  loss=microkeras.losses.CategoricalCrossentropy(label_smoothing=0.1),
                  metrics=["accuracy", microkeras.metrics.AUC(name="auc")])
    model.fit(_x(6, 3), numpy.eye(2, dtype=numpy.float32)[[0, 1, 0, 1, 1, 0]], verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.loss.get_config() == model.loss.get_config()
    for ours, theirs in zip(model.optimizer.variables, loaded.optimizer.variables):
        numpy.testing.assert_array_equal(ours, theirs)
    logs = loaded.evaluate(_x(6, 3), numpy.eye(2, dtype=numpy.float32)[[0, 1, 0, 1, 1, 0]], verbose=0,
                           return_dict=True)
    assert set(logs) == {"loss", "accuracy", "auc"}
    assert not load_model(tmp_path / "m.keras", compile=False).compiled


# ------------------------------------------------------------ paths and suffixes
def test_suffixes_are_checked_and_the_error_lists_the_accepted_ones(tmp_path):
    model = Sequential([Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"'\.keras'.*'\.h5'/'\.hdf5'.*'\.weights\.h5'"):
        model.save(tmp_path / "model.h6")
    with pytest.raises(ValueError, match=r"must end in '\.weights\.h5'"):
        model.save_weights(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"'\.weights\.h5'.*'\.keras'.*'\.h5'/'\.hdf5'"):
        model.load_weights(tmp_path / "model.npz")
    with pytest.raises(ValueError, match=r"must end in '\.keras'"):
        load_model(tmp_path / "model.weights.h5")
    with pytest.raises(FileNotFoundError, match="nothing.keras"):
        load_model(tmp_path / "nothing.keras")
    model.save(tmp_path / "model.keras")
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save(tmp_path / "model.keras", overwrite=False)
    with pytest.raises(TypeError, match="filepath"):
        model.save(3)


def test_load_weights_reads_a_keras_file_too(tmp_path):
    model = Sequential([Input((2,)), layers.Dense(3)])
    _perturb(model)
    model.save(tmp_path / "m.keras")
    fresh = Sequential([Input((2,)), layers.Dense(3)])
    fresh.load_weights(tmp_path / "m.keras")
    for ours, theirs in zip(model.get_weights(), fresh.get_weights()):
        numpy.testing.assert_array_equal(ours, theirs)


def test_a_missing_h5py_names_the_install_command(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("No module named 'h5py'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_h5py)
    with pytest.raises(ImportError, match=r"pip install 'microkeras\[h5\]'"):
        h5_weights.import_h5py()


# ----------------------------------------------------------------- bad files
def _saved(tmp_path):
    model = Sequential([Input((4,)), layers.Dense(3), layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(_x(4, 4), _x(4, 2), verbose=0)
    path = str(tmp_path / "good.keras")
    model.save(path)
    return model, path


def _rewrite(path, out, change):
    """Copy the .keras file at ``path`` to ``out`` with ``change(members)`` applied to its members."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(out)


def test_a_truncated_file_is_refused_naming_it(tmp_path):
    _, path = _saved(tmp_path)
    data = open(path, "rb").read()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.keras.*truncated or corrupted"):
        load_model(truncated)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    (tmp_path / "text.keras").write_text("not a model")
    with pytest.raises(ValueError, match="text.keras is not a readable .keras file"):
        load_model(tmp_path / "text.keras")
    (tmp_path / "text.weights.h5").write_text("not hdf5")
    model = Sequential([Input((4,)), layers.Dense(3)])
    with pytest.raises(ValueError, match="text.weights.h5 is not a readable HDF5"):
        model.load_weights(tmp_path / "text.weights.h5")


def test_a_corrupted_member_is_refused(tmp_path):
    _, path = _saved(tmp_path)
    data = bytearray(open(path, "rb").read())
    start = data.find(b'"class_name"')
    data[start:start + 5] = b"XXXXX"  # damage config.json in place: its CRC no longer matches
    (tmp_path / "corrupt.keras").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt.keras.*'config.json' is damaged"):
        load_model(tmp_path / "corrupt.keras")


@pytest.mark.parametrize("member", ["config.json", "model.weights.h5"])
def test_a_missing_member_is_named(member, tmp_path):
    _, path = _saved(tmp_path)
    bad = _rewrite(path, tmp_path / "missing.keras", lambda members: members.pop(member))
    with pytest.raises(ValueError, match=f"missing.keras is not a complete .keras file: it has no {member}"):
        load_model(bad)


def test_a_weights_member_that_is_not_hdf5_is_refused(tmp_path):
    _, path = _saved(tmp_path)
    bad = _rewrite(path, tmp_path / "bad.keras", lambda members: members.update({"model.weights.h5": b"junk"}))
    with pytest.raises(ValueError, match="model.weights.h5 is not a readable HDF5 file"):
        load_model(bad)


def _h5_with(model, change, path):
    """Save ``model``'s weights to ``path`` after ``change(h5file)``."""
    model.save_weights(path)
    with h5py.File(path, "r+") as h5file:
        change(h5file)
    return path


def _replace_dataset(location, value):
    def change(h5file):
        del h5file[location]
        h5file[location] = value
    return change


@pytest.mark.parametrize("change, message", [
    (_replace_dataset("layers/dense_1/vars/0", numpy.zeros((3, 5), numpy.float32)),
     r"'layers/dense_1/vars/0' has shape \(3, 5\), but layer 'dense_\d+' \(Dense\) expects \(3, 2\)"),
    (lambda h5file: h5file.__delitem__("layers/dense_1/vars/1"), r"holds 1 arrays, but layer .* has 2"),
    (lambda h5file: h5file.__delitem__("layers/dense_1"), "it has no group 'layers/dense_1/vars'"),
    (_replace_dataset("layers/dense/vars/1", numpy.array([b"a", b"b", b"c"])), "is not an array of numbers"),
    (_replace_dataset("optimizer/vars/2", numpy.zeros((9,), numpy.float32)), r"optimizer.*has shape \(9,\)"),
])
def test_weights_that_do_not_fit_raise_and_leave_every_weight_unchanged(change, message, tmp_path):
    model, _ = _saved(tmp_path)
    other = Sequential([Input((4,)), layers.Dense(3), layers.Dense(2)])
    other.compile("adam", "mse")
    other.fit(_x(4, 4), _x(4, 2), verbose=0)
    path = _h5_with(model, change, str(tmp_path / "bad.weights.h5"))
    before, slots = other.get_weights(), [numpy.array(v) for v in other.optimizer.variables]
    with pytest.raises(ValueError, match="bad.weights.h5") as error:
        other.load_weights(path)
    assert error.match(message)
    for ours, theirs in zip(before + slots, other.get_weights() + list(other.optimizer.variables)):
        numpy.testing.assert_array_equal(ours, theirs)


def test_links_to_other_files_are_refused(tmp_path):
    model, _ = _saved(tmp_path)
    with h5py.File(tmp_path / "elsewhere.h5", "w") as other:
        other["kernel"] = numpy.zeros((4, 3), numpy.float32)

    def external(h5file):
        del h5file["layers/dense/vars/0"]
        h5file["layers/dense/vars/0"] = h5py.ExternalLink(str(tmp_path / "elsewhere.h5"), "kernel")
    path = _h5_with(model, external, str(tmp_path / "linked.weights.h5"))
    before = model.get_weights()
    with pytest.raises(ValueError, match="linked.weights.h5.*is a link to elsewhere"):
        model.load_weights(path)
    for ours, theirs in zip(before, model.get_weights()):
        numpy.testing.assert_array_equal(ours, theirs)


def test_the_state_of_another_optimizer_is_skipped_with_a_warning(tmp_path):
    model, path = _saved(tmp_path)  # trained with Adam
    other = Sequential([Input((4,)), layers.Dense(3), layers.Dense(2)])
    other.compile(optimizer=optimizers.SGD(momentum=0.0), loss="mse")
    with pytest.warns(UserWarning, match="Skipping the optimizer state"):
        other.load_weights(path)
    for ours, theirs in zip(model.get_weights(), other.get_weights()):
        numpy.testing.assert_array_equal(ours, theirs)
    assert other.optimizer.iterations == 0


def test_skip_mismatch_loads_the_layers_that_fit_and_warns_about_the_others(tmp_path):
    model = Sequential([Input((4,)), layers.Dense(3), layers.Dense(2)])
    _perturb(model)
    model.save_weights(tmp_path / "w.weights.h5")
    other = Sequential([Input((4,)), layers.Dense(3), layers.Dense(5)])
    last = other.layers[1].get_weights()
    with pytest.warns(UserWarning, match="Skipping layer"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    numpy.testing.assert_array_equal(other.layers[0].get_weights()[0], model.layers[0].get_weights()[0])
    numpy.testing.assert_array_equal(other.layers[1].get_weights()[0], last[0])


def _config_change(change):
    def rewrite(members):
        config = json.loads(members["config.json"])
        change(config)
        members["config.json"] = json.dumps(config).encode()
    return rewrite


def test_an_unknown_class_is_refused_naming_it(tmp_path):
    _, path = _saved(tmp_path)

    def rename(config):
        config["config"]["layers"][1]["class_name"] = "Mystery"
    bad = _rewrite(path, tmp_path / "unknown.keras", _config_change(rename))
    with pytest.raises(ValueError, match="unknown.keras.*Unknown layer class 'Mystery'"):
        load_model(bad)


def test_a_config_naming_os_system_is_refused_and_nothing_runs(tmp_path, monkeypatch):
    _, path = _saved(tmp_path)
    ran = []
    monkeypatch.setattr(os, "system", lambda command: ran.append(command))

    def as_activation(config):
        config["config"]["layers"][1]["config"]["activation"] = {
            "module": "os", "class_name": "function", "config": "system", "registered_name": None}
    bad = _rewrite(path, tmp_path / "system.keras", _config_change(as_activation))
    with pytest.raises(ValueError):
        load_model(bad)

    def as_layer(config):
        config["config"]["layers"][1].update(module="os", class_name="system", registered_name="system")
    bad = _rewrite(path, tmp_path / "system_layer.keras", _config_change(as_layer))
    with pytest.raises(ValueError, match="'system'"):
        load_model(bad)
    with pytest.raises(ValueError, match="would import and run code"):
        deserialize_keras_object({"module": "os", "class_name": "function", "config": "system",
                                  "registered_name": None})
    assert ran == []


def test_a_lambda_layer_with_python_code_loads_only_without_safe_mode(tmp_path):
    model = Sequential([Input((2,)), layers.Lambda(lambda x: x * 3.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        load_model(tmp_path / "lambda.keras")
    loaded = load_model(tmp_path / "lambda.keras", safe_mode=False)
    numpy.testing.assert_allclose(loaded.predict(numpy.ones((1, 2), numpy.float32), verbose=0), [[3.0, 3.0]])


def test_numpy_arrays_in_configs_load_without_pickle():
    entry = serialize_keras_object(numpy.arange(3, dtype=numpy.float32))
    assert entry == {"class_name": "__numpy__", "config": {"value": [0.0, 1.0, 2.0], "dtype": "float32"}}
    numpy.testing.assert_array_equal(deserialize_keras_object(entry), [0, 1, 2])
    with pytest.raises(ValueError, match="numeric dtype"):
        deserialize_keras_object({"class_name": "__numpy__", "config": {"value": [1], "dtype": "object"}})


# ----------------------------------------------------------------- atomicity
@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_a_failure_mid_save_leaves_the_previous_file_intact(suffix, tmp_path, monkeypatch):
    model = Sequential([Input((2,)), layers.Dense(1)])
    path = tmp_path / ("model" + suffix)
    (model.save if suffix == ".keras" else model.save_weights)(path)
    before = path.read_bytes()
    _perturb(model)

    def broken(*args, **kwargs):
        raise OSError("disk full (injected)")
    monkeypatch.setattr(h5_weights, "write_weights", lambda model, h5file: (
        h5file.create_group("layers"), broken()))
    with pytest.raises(OSError, match="injected"):
        (model.save if suffix == ".keras" else model.save_weights)(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind


def test_saving_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    model = Sequential([Input((2,)), layers.Dense(1)])
    path = tmp_path / "m.keras"
    model.save(path)
    os.chmod(path, 0o640)
    model.save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_weights_of_an_unbuilt_model_cannot_be_saved_or_loaded(tmp_path):
    model = Sequential([layers.Dense(1)])
    with pytest.raises(ValueError, match="not built"):
        model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="not built"):
        model.load_weights(tmp_path / "w.weights.h5")


def test_saving_api_functions_are_exported_as_in_keras():
    saving = microkeras.saving
    assert saving.save_model is saving_api.save_model and saving.load_model is microkeras.models.load_model
    assert callable(saving.get_custom_objects) and callable(saving.serialize_keras_object)


def test_an_optimizer_with_a_learning_rate_schedule_resumes_on_its_schedule(tmp_path):
    schedules = optimizers.schedules
    x, y = _x(8, 4), _x(8, 2)

    def fresh():
        set_random_seed(2)
        model = Sequential([Input((4,)), layers.Dense(2)])
        model.compile(optimizer=optimizers.Adam(schedules.ExponentialDecay(0.01, 2, 0.5)), loss="mse")
        return model
    straight = fresh()
    straight.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    model = fresh()
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    model.save(tmp_path / "schedule.keras")
    loaded = load_model(tmp_path / "schedule.keras")
    assert isinstance(loaded.optimizer._learning_rate, schedules.ExponentialDecay)
    assert loaded.optimizer.learning_rate == model.optimizer.learning_rate  # no rate variable: read at step 2
    loaded.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for ours, theirs in zip(loaded.get_weights(), straight.get_weights()):
        numpy.testing.assert_array_equal(ours, theirs)


def test_saving_takes_no_default_layer_name_from_the_counter(monkeypatch):
    model = Sequential([Input((2,)), layers.Dense(1)])
    monkeypatch.setattr(h5_weights, "_SKIP", None)  # as in a fresh session
    first = layers.Layer().name
    h5_weights.state_entries(model)
    second = layers.Layer().name
    number = int(first.rpartition("_")[2]) if "_" in first else 0
    assert second == f"layer_{number + 1}"


def _two_output_model():
    inputs = Input((4,), name="x")
    hidden = layers.Dense(5)(inputs)
    model = Model(inputs, {"a": layers.Dense(1, name="a")(hidden),
                           "b": layers.Dense(3, activation="softmax", name="b")(hidden)})
    model.compile("adam", loss={"a": "mse", "b": "sparse_categorical_crossentropy"},
                  loss_weights={"a": 1.0, "b": 0.5}, metrics={"b": ["accuracy"]})
    x = _x(8, 4)
    targets = {"a": _x(8, 1), "b": RNG.integers(0, 3, (8, 1))}
    model.fit(x, targets, verbose=0, shuffle=False)
    return model, x, targets


def test_a_model_with_dict_outputs_keeps_its_per_output_losses_weights_and_metrics(tmp_path):
    model, x, targets = _two_output_model()
    model.save(tmp_path / "two.keras")
    loaded = load_model(tmp_path / "two.keras")
    assert loaded.evaluate(x, targets, verbose=0, return_dict=True) == \
        model.evaluate(x, targets, verbose=0, return_dict=True)


class TwoDense(Model):
    """A subclassed model, not registered."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = layers.Dense(units, activation="relu")
        self.second = layers.Dense(1)

    def call(self, inputs):
        return self.second(self.first(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_a_subclassed_model_loads_built_from_its_build_config(tmp_path):
    model = TwoDense(4)
    x = _x(6, 3)
    model.compile("adam", "mse")
    model.fit(x, _x(6, 1), verbose=0)
    model.save(tmp_path / "sub.keras")
    # The class is found through custom_objects, or, like layers in a model, as a class defined in this session.
    for custom_objects in ({"TwoDense": TwoDense}, None):
        loaded = load_model(tmp_path / "sub.keras", custom_objects=custom_objects)
        assert type(loaded) is TwoDense and loaded.units == 4 and loaded.optimizer.iterations == 1
        numpy.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
