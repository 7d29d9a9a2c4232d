"""keras.utils: get_file's cache, hashes and safe extraction; pad_sequences, to_categorical, normalize,
split_dataset and the image helpers with Keras's semantics; PyDataset, Progbar; plot_model and
plot_history with and without their optional packages. No test touches the network: downloads
come from file:// URLs."""

import hashlib
import inspect
import io
import os
import sys
import tarfile
import types
import zipfile

import numpy as np
import pytest

import microkeras
from microkeras import utils
from microkeras.layers import Dense, Input
from microkeras.models import Model, Sequential
from microkeras.utils import file_utils


# ----------------------------------------------------------------------------- get_file
@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def served(tmp_path, name, content):
    """A file:// URL serving ``content``."""
    folder = tmp_path / "server"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(content)
    return (folder / name).as_uri()


def sha256(content):
    return hashlib.sha256(content).hexdigest()


def test_get_file_downloads_into_keras_home_datasets_and_returns_the_path(tmp_path, keras_home, capsys):
    origin = served(tmp_path, "data.bin", b"payload")
    path = utils.get_file("data.bin", origin=origin, file_hash=sha256(b"payload"))
    assert path == str(keras_home / "datasets" / "data.bin")
    assert open(path, "rb").read() == b"payload"
    assert f"Downloading data from {origin}" in capsys.readouterr().out
    assert os.listdir(keras_home / "datasets") == ["data.bin"]  # no partial file left behind


def test_get_file_takes_the_name_from_the_origin_and_uses_the_cache(tmp_path, keras_home, capsys):
    origin = served(tmp_path, "weights.h5", b"v1")
    path = utils.get_file(origin=origin)
    assert os.path.basename(path) == "weights.h5"
    capsys.readouterr()
    (tmp_path / "server" / "weights.h5").write_bytes(b"v2")
    assert open(utils.get_file(origin=origin), "rb").read() == b"v1"  # cached: not downloaded again
    assert "Downloading" not in capsys.readouterr().out
    assert open(utils.get_file(origin=origin, force_download=True), "rb").read() == b"v2"


def test_a_cached_file_with_the_wrong_hash_is_downloaded_again(tmp_path, keras_home, capsys):
    origin = served(tmp_path, "data.bin", b"good")
    target = keras_home / "datasets" / "data.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"stale")
    utils.get_file("data.bin", origin=origin, file_hash=sha256(b"good"))
    assert target.read_bytes() == b"good"
    assert "hash does not match" in capsys.readouterr().out


def test_a_download_with_the_wrong_hash_raises_and_leaves_nothing_in_the_cache(tmp_path, keras_home):
    origin = served(tmp_path, "data.bin", b"tampered")
    with pytest.raises(ValueError, match=r"incomplete or corrupted.*sha256 hash is [0-9a-f]{64}, expected 0{64}"):
        utils.get_file("data.bin", origin=origin, file_hash="0" * 64)
    assert os.listdir(keras_home / "datasets") == []


def test_md5_hashes_are_recognized_by_length_or_named(tmp_path, keras_home):
    origin = served(tmp_path, "data.bin", b"abc")
    md5 = hashlib.md5(b"abc").hexdigest()
    assert utils.get_file("a.bin", origin=origin, file_hash=md5)
    assert utils.get_file("b.bin", origin=origin, md5_hash=md5)
    assert utils.get_file("c.bin", origin=origin, file_hash=md5, hash_algorithm="md5")
    assert file_utils.validate_file(utils.get_file("a.bin", origin=origin), md5)
    assert file_utils.hash_file(utils.get_file("a.bin", origin=origin)) == sha256(b"abc")


def test_offline_error_names_the_url_the_file_to_place_and_its_hash(tmp_path, keras_home):
    origin = (tmp_path / "nowhere" / "mnist.npz").as_uri()
    with pytest.raises(OSError) as error:
        utils.get_file("mnist.npz", origin=origin, file_hash="ab" * 32)
    message = str(error.value)
    assert f"Could not download {origin}" in message
    assert str(keras_home / "datasets" / "mnist.npz") in message and "ab" * 32 in message
    assert os.listdir(keras_home / "datasets") == []


def test_cache_dir_and_an_absolute_cache_subdir_choose_the_folder(tmp_path, keras_home):
    origin = served(tmp_path, "data.bin", b"x")
    assert utils.get_file("data.bin", origin=origin, cache_dir=tmp_path / "c", cache_subdir="sub") == \
        str(tmp_path / "c" / "sub" / "data.bin")
    assert utils.get_file("data.bin", origin=origin, cache_subdir=str(tmp_path / "abs")) == \
        str(tmp_path / "abs" / "data.bin")


def test_keras_home_defaults_to_dot_keras_in_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert file_utils.keras_home() == str(tmp_path / ".keras")


def test_get_file_refuses_bad_arguments_before_touching_the_cache(tmp_path, keras_home):
    with pytest.raises(ValueError, match=r"`origin` must be the URL.*origin=None"):
        utils.get_file("x")
    with pytest.raises(ValueError, match=r"`fname` must be a file name, not a path"):
        utils.get_file(os.path.join("a", "b"), origin="file:///x")
    with pytest.raises(ValueError, match=r"`hash_algorithm` must be 'auto', 'sha256' or 'md5'"):
        utils.get_file("x", origin="file:///x", hash_algorithm="sha1")
    with pytest.raises(ValueError, match=r"`archive_format` must be"):
        utils.get_file("x", origin="file:///x", extract=True, archive_format="rar")
    assert not keras_home.exists()


def tar_bytes(members):
    """A tar.gz holding ``{name: bytes}`` (and TarInfo objects given as values of None)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            if isinstance(content, tarfile.TarInfo):
                archive.addfile(content)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_extract_with_a_dotless_fname_keeps_keras_layout(tmp_path, keras_home):
    # Keras: fname without a dot names the folder; the archive is kept as <fname>_archive.
    content = tar_bytes({"inner/a.txt": b"A"})
    origin = served(tmp_path, "pack.tar.gz", content)
    folder = utils.get_file("pack-target", origin=origin, extract=True, file_hash=sha256(content))
    assert folder == str(keras_home / "datasets" / "pack-target")
    assert open(os.path.join(folder, "inner", "a.txt"), "rb").read() == b"A"
    assert (keras_home / "datasets" / "pack-target_archive").read_bytes() == content
    assert sorted(os.listdir(keras_home / "datasets")) == ["pack-target", "pack-target_archive"]


def test_extract_with_a_dotted_fname_or_none_uses_keras_folder_names(tmp_path, keras_home):
    content = zip_bytes({"a.txt": "A"})
    origin = served(tmp_path, "pack.zip", content)
    assert utils.get_file("pack.zip", origin=origin, extract=True) == str(keras_home / "datasets" / "pack_extracted")
    other = tmp_path / "other_cache"
    assert utils.get_file(origin=origin, extract=True, cache_dir=other) == str(other / "datasets" / "pack.zip")
    assert (other / "datasets" / "pack.zip_archive").exists()
    tar = tar_bytes({"b.txt": b"B"})
    folder = utils.get_file("old", origin=served(tmp_path, "old.tar.gz", tar), untar=True)
    assert os.listdir(folder) == ["b.txt"]


@pytest.mark.parametrize("name", ["../escape.txt", "/tmp/absolute-microkeras-test.txt", "a/../../escape.txt"])
def test_tar_members_that_escape_the_folder_are_refused_and_nothing_is_extracted(tmp_path, keras_home, name):
    content = tar_bytes({"fine.txt": b"ok", name: b"evil"})
    origin = served(tmp_path, "evil.tar.gz", content)
    with pytest.raises(ValueError, match=r"Refusing to extract the archive: member .*escape|absolute"):
        utils.get_file("evil", origin=origin, extract=True)
    assert not (keras_home / "datasets" / "evil").exists()
    assert not (keras_home / "escape.txt").exists() and not (keras_home / "datasets" / "escape.txt").exists()
    assert not os.path.exists("/tmp/absolute-microkeras-test.txt")
    assert [name for name in os.listdir(keras_home / "datasets") if name.startswith(".")] == []


def test_tar_links_pointing_outside_and_zip_traversal_are_refused(tmp_path, keras_home):
    link = tarfile.TarInfo("link")
    link.type, link.linkname = tarfile.SYMTYPE, "../../outside"
    origin = served(tmp_path, "link.tar.gz", tar_bytes({"link": link}))
    with pytest.raises(ValueError, match=r"member 'link'"):
        utils.get_file("link", origin=origin, extract=True)
    origin = served(tmp_path, "evil.zip", zip_bytes({"../evil.txt": "x"}))
    with pytest.raises(ValueError, match=r"member '../evil.txt'"):
        utils.get_file("evilzip", origin=origin, extract=True)


def test_get_file_signature_is_keras_3s():
    parameters = inspect.signature(utils.get_file).parameters
    assert list(parameters) == ["fname", "origin", "untar", "md5_hash", "file_hash", "cache_subdir",
                                "hash_algorithm", "extract", "archive_format", "cache_dir", "force_download"]
    assert parameters["cache_subdir"].default == "datasets" and parameters["hash_algorithm"].default == "auto"


# ----------------------------------------------------------------------------- pad_sequences
SEQUENCES = [[1], [2, 3], [4, 5, 6]]


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [[0, 0, 1], [0, 2, 3], [4, 5, 6]]),
    ({"value": -1}, [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]),
    ({"padding": "post"}, [[1, 0, 0], [2, 3, 0], [4, 5, 6]]),
    ({"maxlen": 2}, [[0, 1], [2, 3], [5, 6]]),
    ({"maxlen": 2, "truncating": "post"}, [[0, 1], [2, 3], [4, 5]]),
    ({"maxlen": 4, "padding": "post"}, [[1, 0, 0, 0], [2, 3, 0, 0], [4, 5, 6, 0]]),
])
def test_pad_sequences_follows_keras_documented_examples(kwargs, expected):
    padded = utils.pad_sequences(SEQUENCES, **kwargs)
    assert padded.dtype == np.int32
    assert padded.tolist() == expected


def test_pad_sequences_dtypes_steps_strings_and_empty_sequences():
    assert utils.pad_sequences([[1.5], []], dtype="float32", value=0.5).tolist() == [[1.5], [0.5]]
    steps = utils.pad_sequences([np.ones((1, 2)), np.ones((2, 2))])
    assert steps.shape == (2, 2, 2) and steps[0, 0].tolist() == [0, 0]
    words = utils.pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["<pad>", "a"], ["b", "c"]]
    assert utils.pad_sequences([], maxlen=3).shape == (0, 3)


def test_pad_sequences_refuses_bad_arguments_with_their_names():
    with pytest.raises(ValueError, match=r"`padding` must be 'pre' or 'post'; received padding='middle'"):
        utils.pad_sequences(SEQUENCES, padding="middle")
    with pytest.raises(ValueError, match=r"`truncating` must be 'pre' or 'post'"):
        utils.pad_sequences(SEQUENCES, truncating="both")
    with pytest.raises(ValueError, match=r"`maxlen` must be a non-negative integer or None; received maxlen=-1"):
        utils.pad_sequences(SEQUENCES, maxlen=-1)
    with pytest.raises(ValueError, match=r"position 1 is 3"):
        utils.pad_sequences([[1], 3])
    with pytest.raises(ValueError, match=r"needs dtype=object"):
        utils.pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match=r"position 1 have shape \(3,\)"):
        utils.pad_sequences([np.ones((1, 2)), np.ones((1, 3))])


# ----------------------------------------------------------------------------- labels
def test_to_categorical_and_normalize_follow_keras_semantics():
    assert utils.to_categorical([0, 1, 2, 3], num_classes=4).tolist() == np.eye(4).tolist()
    column = utils.to_categorical(np.array([[1], [0]]))  # a trailing axis of 1 is dropped
    assert column.shape == (2, 2) and column.dtype == np.float32
    assert utils.to_categorical(np.array([[0, 2], [1, 1]])).shape == (2, 2, 3)
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, order=1), [[3 / 7, 4 / 7], [0.0, 0.0]], rtol=1e-6)


def test_to_categorical_normalize_and_pad_sequences_match_real_keras():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, size=(6, 1))
    np.testing.assert_array_equal(utils.to_categorical(labels, 7), keras.utils.to_categorical(labels, 7))
    x = rng.normal(size=(4, 3))
    for order in (1, 2):
        np.testing.assert_allclose(utils.normalize(x, axis=-1, order=order),
                                   keras.utils.normalize(x, axis=-1, order=order), rtol=1e-6)
    sequences = [list(rng.integers(1, 9, size=n)) for n in (0, 1, 4, 7, 3)]
    for kwargs in ({}, {"maxlen": 3}, {"maxlen": 5, "padding": "post", "truncating": "post"},
                   {"maxlen": 4, "truncating": "post", "value": -2}, {"dtype": "float32", "value": 0.5}):
        ours, theirs = utils.pad_sequences(sequences, **kwargs), keras.utils.pad_sequences(sequences, **kwargs)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


# ----------------------------------------------------------------------------- split_dataset
def test_split_dataset_sizes_and_structures():
    x, y = np.arange(10).reshape(10, 1), np.arange(10)
    (x_left, y_left), (x_right, y_right) = utils.split_dataset((x, y), left_size=0.8)
    assert x_left.shape == (8, 1) and y_right.tolist() == [8, 9]
    left, right = utils.split_dataset(y, left_size=3, right_size=2)
    assert left.tolist() == [0, 1, 2] and right.tolist() == [8, 9]  # the right part is the tail
    left, right = utils.split_dataset({"a": y, "b": y * 2}, right_size=0.3)
    assert sorted(right) == ["a", "b"] and right["a"].tolist() == [7, 8, 9] and right["b"].tolist() == [14, 16, 18]


def test_split_dataset_shuffles_like_keras_for_a_seed():
    import random
    expected = list(range(10))
    random.Random(7).shuffle(expected)  # Keras seeds Python's random and shuffles the sample list
    left, right = utils.split_dataset(np.arange(10), left_size=6, shuffle=True, seed=7)
    assert left.tolist() + right.tolist() == expected


def test_split_dataset_refuses_bad_sizes_with_keras_checks():
    y = np.arange(10)
    with pytest.raises(ValueError, match=r"give `left_size` or `right_size`"):
        utils.split_dataset(y)
    with pytest.raises(ValueError, match=r"`left_size` must be a count between 1 and 9 or a fraction"):
        utils.split_dataset(y, left_size=10)
    with pytest.raises(TypeError, match=r"`right_size` must be an int, a float or None; received right_size='3'"):
        utils.split_dataset(y, right_size="3")
    with pytest.raises(ValueError, match=r"6 \+ 5 samples, more than the 10"):
        utils.split_dataset(y, left_size=6, right_size=5)
    with pytest.raises(ValueError, match=r"one length"):
        utils.split_dataset((y, y[:3]), left_size=0.5)


# ----------------------------------------------------------------------------- PyDataset, Progbar, seeds
class Batches(utils.PyDataset):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.events = []

    def __len__(self):
        return 2

    def __getitem__(self, index):
        x = np.full((4, 3), float(index), dtype=np.float32)
        return x, np.zeros((4, 1), dtype=np.float32)

    def on_epoch_begin(self):
        self.events.append("begin")

    def on_epoch_end(self):
        self.events.append("end")


def test_pydataset_has_keras_3s_api_and_fit_calls_both_epoch_hooks():
    assert utils.Sequence is utils.PyDataset
    data = Batches(workers=4, use_multiprocessing=True, max_queue_size=3)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (4, True, 3)
    assert data.num_batches == 2 and len(list(data)) == 2
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(data, epochs=2, verbose=0)
    assert data.events == ["begin", "end", "begin", "end"]


def test_pydataset_without_super_init_reads_keras_defaults():
    class Forgetful(utils.PyDataset):
        def __init__(self):
            pass

    data = Forgetful()
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (1, False, 10)


def test_progbar_and_set_random_seed_are_exported_with_keras_signatures():
    parameters = list(inspect.signature(utils.Progbar).parameters)
    assert parameters[:6] == ["target", "width", "verbose", "interval", "stateful_metrics", "unit_name"]
    utils.set_random_seed(3)
    first = microkeras.config.make_rng().normal()
    utils.set_random_seed(3)
    assert microkeras.config.make_rng().normal() == first


def test_utils_exports_the_keras_names():
    for name in ("to_categorical", "normalize", "pad_sequences", "set_random_seed", "PyDataset", "Sequence",
                 "Progbar", "get_file", "plot_model", "model_to_dot", "split_dataset", "array_to_img",
                 "img_to_array", "plot_history"):
        assert name in utils.__all__ and callable(getattr(utils, name))


# ----------------------------------------------------------------------------- images
def test_img_to_array_adds_the_channel_axis_and_transposes_channels_first():
    gray = np.arange(6, dtype=np.uint8).reshape(2, 3)
    x = utils.img_to_array(gray)
    assert x.shape == (2, 3, 1) and x.dtype == np.float32
    assert utils.img_to_array(gray, data_format="channels_first").shape == (1, 2, 3)
    assert utils.img_to_array(np.zeros((2, 3, 4)), data_format="channels_first").shape == (4, 2, 3)
    with pytest.raises(ValueError, match=r"2 or 3 dimensions; received shape \(2,\)"):
        utils.img_to_array(np.zeros(2))


def test_array_to_img_without_pillow_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install pillow"):
        utils.array_to_img(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"1, 3 or 4 channels; received 2"):
        utils.array_to_img(np.zeros((2, 2, 2)))


# ----------------------------------------------------------------------------- plot_model
def functional_model():
    inputs = Input((4,), name="features")
    hidden = Dense(3, activation="relu", name="hidden")(inputs)
    outputs = Dense(2, name="scores")(hidden)
    return Model(inputs, outputs)


def test_plot_model_without_pydot_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"pip install pydot.*Graphviz"):
        utils.plot_model(functional_model(), to_file=tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()


def test_plot_model_refuses_an_unbuilt_model_and_unknown_arguments(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ValueError, match=r"not built yet"):
        utils.plot_model(Sequential([Dense(2)]))
    with pytest.raises(ValueError, match=r"unknown keyword arguments \['colour'\]"):
        utils.plot_model(functional_model(), colour="red")


class FakePydot(types.ModuleType):
    """The part of pydot's API plot_model uses, recording the graph instead of drawing it."""

    class PydotException(Exception):
        pass

    def __init__(self, graphviz_works=True):
        super().__init__("pydot")
        fake = self

        class Graph:
            def __init__(self, **attributes):
                self.attributes, self.nodes, self.edges = dict(attributes), [], []
                self.written = None

            def set(self, key, value):
                self.attributes[key] = value

            def set_node_defaults(self, **attributes):
                self.node_defaults = attributes

            def add_node(self, node):
                self.nodes.append(node)

            def add_edge(self, edge):
                self.edges.append(edge)

            def create(self):
                if not fake.graphviz_works:
                    raise FileNotFoundError("dot not found")
                return b""

            def write(self, path, format):
                self.written = (path, format)
                open(path, "w").write("digraph {}")
                fake.last = self

        class Element:
            def __init__(self, *names, **attributes):
                self.names, self.attributes = names, dict(attributes)

            def set(self, key, value):
                self.attributes[key] = value

        self.Dot, self.Cluster, self.Node, self.Edge = Graph, Graph, Element, Element
        self.graphviz_works = graphviz_works


def test_model_to_dot_draws_the_functional_graph_with_keras_labels(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", FakePydot())
    model = functional_model()
    dot = utils.model_to_dot(model, show_shapes=True, show_layer_activations=True)
    ids = {str(id(layer)): layer.name for layer in model.layers}
    assert [ids[node.names[0]] for node in dot.nodes] == ["features", "hidden", "scores"]
    assert [(ids[e.names[0]], ids[e.names[1]]) for e in dot.edges] == [("features", "hidden"), ("hidden", "scores")]
    hidden = dot.nodes[1].attributes["label"]
    assert "<b>hidden</b> (Dense)" in hidden and "Activation: <b>relu</b>" in hidden
    assert "Input shape: <b>(None, 4)</b>" in hidden and "Output shape: <b>(None, 3)</b>" in hidden
    assert dot.attributes["rankdir"] == "TB" and dot.attributes["splines"] == "ortho"


def test_plot_model_writes_the_file_in_the_format_of_its_extension(monkeypatch, tmp_path):
    pydot = FakePydot()
    monkeypatch.setitem(sys.modules, "pydot", pydot)
    monkeypatch.setitem(sys.modules, "IPython", None)
    model = Sequential([Input((3,)), Dense(4), Dense(1)])
    assert utils.plot_model(model, to_file=tmp_path / "model.svg", rankdir="LR") is None
    assert pydot.last.written == (str(tmp_path / "model.svg"), "svg")
    assert len(pydot.last.nodes) == 2 and len(pydot.last.edges) == 1
    assert "<b>Dense</b>" in pydot.last.nodes[0].attributes["label"]  # show_layer_names=False by default


def test_plot_model_without_graphviz_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydot", FakePydot(graphviz_works=False))
    with pytest.raises(ImportError, match=r"Graphviz programs \(the `dot` command\)"):
        utils.plot_model(functional_model(), to_file=tmp_path / "m.png")


# ----------------------------------------------------------------------------- plot_history
class FakeAxes:
    def __init__(self):
        self.lines, self.title = [], None

    def plot(self, x, y, label=None, marker=None):
        self.lines.append((list(x), list(y), label))

    def set_title(self, title):
        self.title = title

    def set_xlabel(self, label):
        pass

    def legend(self):
        pass


class FakeFigure:
    saved = None

    def tight_layout(self):
        pass

    def savefig(self, path):
        self.saved = path


def fake_matplotlib(monkeypatch):
    pyplot = types.ModuleType("matplotlib.pyplot")

    def subplots(rows, columns, figsize=None, squeeze=True):
        pyplot.figsize = figsize
        pyplot.axes = np.array([[FakeAxes() for _ in range(columns)] for _ in range(rows)], dtype=object)
        return FakeFigure(), pyplot.axes

    pyplot.subplots = subplots
    matplotlib = types.ModuleType("matplotlib")
    matplotlib.pyplot = pyplot
    monkeypatch.setitem(sys.modules, "matplotlib", matplotlib)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    return pyplot


def trained_history():
    x = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model.fit(x, x[:, :1], epochs=3, validation_split=0.25, verbose=0)


def test_plot_history_draws_training_and_validation_per_metric(monkeypatch, tmp_path):
    pyplot = fake_matplotlib(monkeypatch)
    history = trained_history()
    figure = utils.plot_history(history, to_file=tmp_path / "h.png")
    axes = pyplot.axes[0]
    assert [ax.title for ax in axes] == ["loss", "mae"]
    (x, y, label), (_, val_y, val_label) = axes[0].lines
    assert x == [1, 2, 3] and y == history.history["loss"] and label == "training"
    assert val_y == history.history["val_loss"] and val_label == "validation"
    assert figure.saved == tmp_path / "h.png" and pyplot.figsize == (8, 3)
    utils.plot_history(history.history, metrics="mae")
    assert [ax.title for ax in pyplot.axes[0]] == ["mae"]


def test_plot_history_without_matplotlib_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install matplotlib"):
        utils.plot_history({"loss": [1.0, 0.5]})


def test_plot_history_refuses_unknown_metrics_and_empty_histories():
    with pytest.raises(ValueError, match=r"`metrics` must name logged values, from \['loss'\]; received 'acc'"):
        utils.plot_history({"loss": [1.0], "val_loss": [1.2]}, metrics=["acc"])
    with pytest.raises(ValueError, match=r"non-empty `.history` dict; received list"):
        utils.plot_history([1.0, 0.5])


# ----------------------------------------------------------------------------- timeseries windows
def test_timeseries_windows_start_every_stride_and_take_every_sampling_rate_step():
    data, targets = np.arange(20), np.arange(20) * 10
    dataset = utils.timeseries_dataset_from_array(data, targets, sequence_length=3, sequence_stride=2,
                                                  sampling_rate=2, batch_size=4, start_index=1, end_index=15)
    batches = list(dataset)
    # Steps 1..14; a window spans 1 + (3 - 1) * 2 = 5 steps: starts at steps 1, 3, 5, 7, 9, (11 + 4 = 15 is out).
    windows = np.concatenate([x for x, _ in batches])
    assert windows.tolist() == [[1, 3, 5], [3, 5, 7], [5, 7, 9], [7, 9, 11], [9, 11, 13]]
    assert np.concatenate([y for _, y in batches]).tolist() == [10, 30, 50, 70, 90]  # the target of each start
    assert len(dataset) == 2 and batches[1][0].shape == (1, 3)


def test_timeseries_windows_without_targets_shuffled_and_unbatched():
    data = np.arange(12, dtype=np.float32).reshape(6, 2)
    dataset = utils.timeseries_dataset_from_array(data, None, sequence_length=2, batch_size=None)
    assert len(dataset) == 5 and dataset[0].tolist() == [[0, 1], [2, 3]]
    shuffled = utils.timeseries_dataset_from_array(data, None, sequence_length=2, batch_size=5, shuffle=True,
                                                   seed=3)
    starts = np.arange(5)
    np.random.RandomState(3).shuffle(starts)  # Keras shuffles the window starts this way
    assert shuffled[0][:, 0, 0].tolist() == (starts * 2).tolist()


def test_timeseries_dataset_trains_a_model_and_checks_arguments():
    series = np.sin(np.arange(100, dtype=np.float32) / 5)
    dataset = utils.timeseries_dataset_from_array(series[:, None], series[5:], sequence_length=5, batch_size=16)
    model = Sequential([Input((5, 1)), microkeras.layers.Flatten(), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    assert len(model.fit(dataset, epochs=2, verbose=0).history["loss"]) == 2
    with pytest.raises(ValueError, match=r"`sequence_length` must be a positive integer; received sequence_length=0"):
        utils.timeseries_dataset_from_array(series, None, sequence_length=0)
    with pytest.raises(ValueError, match=r"`sampling_rate` must be lower than the length of the data \(100\)"):
        utils.timeseries_dataset_from_array(series, None, sequence_length=2, sampling_rate=100)
    with pytest.raises(ValueError, match=r"`end_index` must be above start_index=10"):
        utils.timeseries_dataset_from_array(series, None, sequence_length=2, start_index=10, end_index=5)


def test_pack_x_y_sample_weight_inverts_unpack_as_in_keras():
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    assert utils.pack_x_y_sample_weight(x) is x
    assert utils.pack_x_y_sample_weight([x, x]) == ([x, x],)
    packed = utils.pack_x_y_sample_weight(x, y, w)
    assert len(packed) == 3 and utils.unpack_x_y_sample_weight(packed)[2] is w


def test_utils_reexports_the_registration_helpers_of_keras_utils():
    assert utils.register_keras_serializable is microkeras.saving.register_keras_serializable
    assert utils.custom_object_scope is microkeras.saving.custom_object_scope
    for name in ("CustomObjectScope", "get_registered_name", "get_registered_object"):
        assert getattr(utils, name) is getattr(microkeras.saving, name)
