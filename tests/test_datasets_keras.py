"""keras.datasets: each loader reads small local stand-ins of Keras's files, built here, served by a fake
web (never the network), through the same cache names; the pickled files are read without running code.
With keras installed, the loaders give exactly what Keras's loaders give on the same files."""

import gzip
import hashlib
import io
import json
import os
import pickle
import pickletools
import tarfile
import urllib.error

import numpy as np
import pytest

from microkeras import datasets
from microkeras.datasets import (boston_housing, california_housing, cifar, cifar10, cifar100, fashion_mnist, imdb,
                                 mnist, reuters, safe_pickle)
from microkeras.utils import file_utils


class FakeWeb:
    """Stands in for ``urllib.request.urlopen``: serves registered URLs, fails the rest as if offline."""

    def __init__(self):
        self.pages, self.requests = {}, []

    def serve(self, url, content):
        self.pages[url] = content

    def __call__(self, url):
        self.requests.append(url)
        if url not in self.pages:
            raise urllib.error.URLError("offline")
        content = self.pages[url]
        response = io.BytesIO(content)
        response.headers = {"Content-Length": str(len(content))}
        return response


@pytest.fixture
def web(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    fake = FakeWeb()
    monkeypatch.setattr(file_utils.urllib.request, "urlopen", fake)
    return fake


def publish(web, monkeypatch, module, content, origin="ORIGIN", file_hash="FILE_HASH"):
    """Serve ``content`` at the module's origin and make the module expect its hash."""
    web.serve(getattr(module, origin), content)
    monkeypatch.setattr(module, file_hash, hashlib.sha256(content).hexdigest())


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def object_array(lists):
    array = np.empty(len(lists), dtype=object)
    array[:] = lists
    return array


def python2_pickle(obj):
    """``obj`` pickled the way Python 2 wrote the CIFAR batches: protocol 2, strings as byte strings."""
    data = bytearray(pickle.dumps(obj, protocol=3))
    data[1] = 2
    renamed = {"SHORT_BINBYTES": b"U", "BINBYTES": b"T", "BINUNICODE": b"T"}
    for opcode, _, position in pickletools.genops(bytes(data)):
        if opcode.name in renamed:
            data[position] = renamed[opcode.name][0]
    return bytes(data)


def tar_gz(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def cifar_batch(n, seed, label_keys=("labels",), classes=10):
    rng = np.random.default_rng(seed)
    batch = {b"batch_label": b"testing batch", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"filenames": [b"img_%d.png" % i for i in range(n)]}
    for key in label_keys:
        batch[key.encode()] = [int(v) for v in rng.integers(0, classes, n)]
    return batch


# ----------------------------------------------------------------------------- mnist and the cache
MNIST = dict(x_train=np.arange(4 * 28 * 28, dtype=np.uint8).reshape(4, 28, 28),
             y_train=np.array([5, 0, 4, 1], np.uint8), x_test=np.full((2, 28, 28), 7, np.uint8), y_test=np.array([7, 2], np.uint8))


def test_mnist_downloads_once_into_the_keras_cache_and_returns_uint8_arrays(web, monkeypatch, tmp_path):
    publish(web, monkeypatch, mnist, npz_bytes(**MNIST))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    for ours, name in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")):
        assert ours.dtype == np.uint8
        np.testing.assert_array_equal(ours, MNIST[name])
    assert (tmp_path / "keras_home" / "datasets" / "mnist.npz").exists()
    mnist.load_data()
    assert web.requests == [mnist.ORIGIN]


def test_mnist_offline_names_the_file_and_where_to_put_it(web, tmp_path):
    with pytest.raises(OSError) as error:
        mnist.load_data()
    message = str(error.value)
    assert mnist.ORIGIN in message and mnist.FILE_HASH in message
    assert str(tmp_path / "keras_home" / "datasets" / "mnist.npz") in message


def test_a_file_placed_by_hand_in_the_cache_is_used_offline(web, monkeypatch, tmp_path):
    content = npz_bytes(**MNIST)
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(content).hexdigest())
    target = tmp_path / "keras_home" / "datasets" / "mnist.npz"
    target.parent.mkdir(parents=True)
    target.write_bytes(content)
    (_, y_train), _ = mnist.load_data()
    assert y_train.tolist() == [5, 0, 4, 1] and web.requests == []


def test_a_download_that_does_not_match_keras_hash_is_refused(web):
    web.serve(mnist.ORIGIN, npz_bytes(**MNIST))  # not the real file: Keras's hash does not match
    with pytest.raises(ValueError, match="incomplete or corrupted"):
        mnist.load_data()
    assert os.listdir(os.path.join(os.environ["KERAS_HOME"], "datasets")) == []


# ----------------------------------------------------------------------------- fashion_mnist
def idx_gz(array):
    magic = 2049 if array.ndim == 1 else 2051
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


FASHION = dict(y_train=np.array([9, 0, 3], np.uint8), x_train=np.arange(3 * 784, dtype=np.uint8).reshape(3, 28, 28),
               y_test=np.array([1], np.uint8), x_test=np.ones((1, 28, 28), np.uint8))


def serve_fashion(web, arrays=FASHION):
    for name, key in zip(fashion_mnist.FILES, ("y_train", "x_train", "y_test", "x_test")):
        web.serve(fashion_mnist.KERAS_DATASETS_URL + name, idx_gz(arrays[key]))


def test_fashion_mnist_reads_the_four_idx_files_into_the_fashion_mnist_folder(web, tmp_path):
    serve_fashion(web)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (3, 28, 28) and x_train.dtype == np.uint8 and x_train.flags.writeable
    np.testing.assert_array_equal(x_train, FASHION["x_train"])
    assert y_train.tolist() == [9, 0, 3] and y_test.tolist() == [1] and x_test.shape == (1, 28, 28)
    assert sorted(os.listdir(tmp_path / "keras_home" / "datasets" / "fashion-mnist")) == sorted(fashion_mnist.FILES)


def test_fashion_mnist_refuses_a_file_that_is_not_idx(web):
    serve_fashion(web)
    web.serve(fashion_mnist.KERAS_DATASETS_URL + fashion_mnist.FILES[1], gzip.compress(b"<html>not found</html>"))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz is not an IDX file"):
        fashion_mnist.load_data()


# ----------------------------------------------------------------------------- cifar
def serve_cifar10(web, monkeypatch):
    batches = {f"cifar-10-batches-py/data_batch_{i}": cifar_batch(3, i) for i in range(1, 6)}
    batches["cifar-10-batches-py/test_batch"] = cifar_batch(2, 9)
    publish(web, monkeypatch, cifar10, tar_gz({name: python2_pickle(b) for name, b in batches.items()}))
    return batches


def test_cifar10_extracts_keras_archive_and_returns_channels_last_images(web, monkeypatch, tmp_path):
    batches = serve_cifar10(web, monkeypatch)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1) and x_test.shape == (2, 32, 32, 3)
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    second = batches["cifar-10-batches-py/data_batch_2"]
    planes = second[b"data"][1].reshape(3, 32, 32)  # rows hold the red, green, then blue plane
    np.testing.assert_array_equal(x_train[4], planes.transpose(1, 2, 0))
    assert y_train[3:6, 0].tolist() == second[b"labels"]
    cache = tmp_path / "keras_home" / "datasets"
    assert sorted(os.listdir(cache)) == ["cifar-10-batches-py-target", "cifar-10-batches-py-target_archive"]
    cifar10.load_data()
    assert len(web.requests) == 1


def test_cifar100_label_modes(web, monkeypatch):
    files = {"cifar-100-python/train": cifar_batch(4, 1, ("fine_labels", "coarse_labels"), classes=20),
             "cifar-100-python/test": cifar_batch(2, 2, ("fine_labels", "coarse_labels"), classes=20)}
    publish(web, monkeypatch, cifar100, tar_gz({name: python2_pickle(b) for name, b in files.items()}))
    (x_train, fine), _ = cifar100.load_data()
    (_, coarse), (x_test, _) = cifar100.load_data(label_mode="coarse")
    assert x_train.shape == (4, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert fine[:, 0].tolist() == files["cifar-100-python/train"][b"fine_labels"]
    assert coarse[:, 0].tolist() == files["cifar-100-python/train"][b"coarse_labels"]
    with pytest.raises(ValueError, match=r"`label_mode` must be 'fine' or 'coarse'; received label_mode='medium'"):
        cifar100.load_data(label_mode="medium")


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": RunsCode(marker)}))
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load `(posix|os|nt)\.system`"):
        cifar.load_batch(path)
    assert not marker.exists()


def test_a_batch_with_the_wrong_content_is_refused(tmp_path):
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}, protocol=3))
    with pytest.raises(ValueError, match=r"is not a CIFAR batch"):
        cifar.load_batch(path)
    path.write_bytes(pickle.dumps([1, 2], protocol=3))
    with pytest.raises(ValueError, match=r"holds a list, not a dict"):
        cifar.load_batch(path)


# ----------------------------------------------------------------------------- imdb and reuters
IMDB = dict(x_train=object_array([[1, 2, 3], [4, 5], [6, 1, 1, 2, 9], [2]]), y_train=np.array([1, 0, 1, 0]),
            x_test=object_array([[3, 3], [7, 8, 9, 10], [1]]), y_test=np.array([0, 1, 1]))


def test_imdb_shifts_marks_and_limits_words_as_keras_does(web, monkeypatch):
    publish(web, monkeypatch, imdb, npz_bytes(**IMDB))
    (x_train, y_train), (x_test, y_test) = imdb.load_data(seed=0)
    assert x_train.dtype == object and x_train.shape == (4,) and len(x_test) == 3
    order = np.arange(4)
    np.random.RandomState(0).shuffle(order)
    assert y_train.tolist() == IMDB["y_train"][order].tolist()
    assert x_train[0] == [1] + [w + 3 for w in IMDB["x_train"][order[0]]]
    (x_train, _), (x_test, _) = imdb.load_data(num_words=6, skip_top=1, oov_char=2, start_char=1, index_from=3,
                                               seed=0)
    assert all(w == 2 or 1 <= w < 6 for seq in list(x_train) + list(x_test) for w in seq)
    (x_train, _), _ = imdb.load_data(maxlen=4, seed=0)
    assert all(len(seq) < 4 for seq in x_train)  # Keras keeps only sequences shorter than maxlen
    (x_train, _), _ = imdb.load_data(num_words=6, oov_char=None, start_char=None, index_from=0, seed=0)
    assert all(0 <= w < 6 for seq in x_train for w in seq)


def test_imdb_refuses_a_maxlen_that_keeps_nothing_and_bad_arguments_before_downloading(web, monkeypatch):
    publish(web, monkeypatch, imdb, npz_bytes(**IMDB))
    with pytest.raises(ValueError, match=r"no review is shorter than maxlen=1"):
        imdb.load_data(maxlen=1)
    web.requests.clear()
    with pytest.raises(ValueError, match=r"`num_words` must be a non-negative integer or None; received num_words=-5"):
        imdb.load_data(num_words=-5)
    with pytest.raises(ValueError, match=r"`skip_top` must be a non-negative integer; received skip_top=None"):
        imdb.load_data(skip_top=None)
    assert web.requests == []


def test_a_tampered_sequence_file_is_refused_without_running_code(web, monkeypatch, tmp_path):
    marker = tmp_path / "pwned"
    evil = object_array([RunsCode(marker)])
    publish(web, monkeypatch, imdb, npz_bytes(x_train=evil, y_train=np.array([0]), x_test=evil, y_test=np.array([0])))
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load"):
        imdb.load_data()
    assert not marker.exists()


def test_word_indices_are_read_from_keras_json_files(web, monkeypatch):
    content = json.dumps({"the": 1, "and": 2}).encode()
    web.serve(imdb.WORD_INDEX_ORIGIN, content)
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5(content).hexdigest())  # Keras pins MD5s for these
    assert imdb.get_word_index() == {"the": 1, "and": 2}
    web.serve(reuters.WORD_INDEX_ORIGIN, content)
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", hashlib.md5(content).hexdigest())
    assert reuters.get_word_index()["and"] == 2


REUTERS = dict(x=object_array([[1, 2], [3], [4, 5, 6], [7], [8, 9], [2, 2, 2, 2], [5], [6, 7], [1], [3, 4]]),
               y=np.array([3, 4, 3, 1, 19, 3, 4, 2, 0, 45]))


def test_reuters_shuffles_then_splits_with_test_split(web, monkeypatch):
    publish(web, monkeypatch, reuters, npz_bytes(**REUTERS))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.3)
    assert len(x_train) == 7 and len(x_test) == 3 and x_train.dtype == object
    order = np.arange(10)
    np.random.RandomState(113).shuffle(order)
    assert y_train.tolist() + y_test.tolist() == REUTERS["y"][order].tolist()
    assert len(reuters.get_label_names()) == 46 and reuters.get_label_names()[3] == "earn"
    with pytest.raises(ValueError, match=r"`test_split` must be a float in \[0, 1\).*test_split=1"):
        reuters.load_data(test_split=1)


# ----------------------------------------------------------------------------- housing
HOUSING = dict(x=np.arange(50 * 8, dtype=np.float64).reshape(50, 8), y=np.arange(50, dtype=np.float64) * 1000)


def test_boston_and_california_housing_split_after_keras_seeded_shuffle(web, monkeypatch):
    publish(web, monkeypatch, california_housing, npz_bytes(**HOUSING))
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(test_split=0.2, seed=5)
    order = np.arange(50)
    np.random.RandomState(5).shuffle(order)
    assert len(x_train) == 40 and len(x_test) == 10
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), HOUSING["y"][order])
    np.testing.assert_array_equal(x_train[:, 0] / 8, y_train / 1000)  # rows stay paired
    boston = dict(x=HOUSING["x"][:, :13 - 5].repeat(2, axis=1)[:, :13], y=HOUSING["y"])
    publish(web, monkeypatch, boston_housing, npz_bytes(**boston))
    (x_train, _), (x_test, _) = boston_housing.load_data(test_split=0.1)
    assert x_train.shape == (45, 13) and x_test.shape == (5, 13)


def test_california_small_version_takes_the_first_600_rows(web, monkeypatch):
    rows = dict(x=np.arange(700 * 8, dtype=np.float32).reshape(700, 8), y=np.arange(700, dtype=np.float32))
    publish(web, monkeypatch, california_housing, npz_bytes(**rows))
    (_, y_train), (_, y_test) = california_housing.load_data(version="small")
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(600))
    with pytest.raises(ValueError, match=r"`version` must be 'small' or 'large'; received version='tiny'"):
        california_housing.load_data(version="tiny")


# ----------------------------------------------------------------------------- the package
def test_datasets_package_lists_keras_datasets_and_the_bundled_digits():
    for name in ("mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
                 "california_housing", "digits"):
        assert name in datasets.__all__ and callable(getattr(datasets, name).load_data)


def test_safe_npz_reads_numeric_members_without_pickle(tmp_path):
    path = tmp_path / "plain.npz"
    path.write_bytes(npz_bytes(a=np.arange(3), b=np.ones((2, 2), np.float32)))
    arrays = safe_pickle.load_npz(path)
    assert arrays["a"].tolist() == [0, 1, 2] and arrays["b"].dtype == np.float32


# ----------------------------------------------------------------------------- against real Keras
def keras_datasets():
    pytest.importorskip("keras")
    import keras.src.datasets as keras_datasets
    return keras_datasets


def serve_to_keras(monkeypatch, module, paths):
    """Make Keras's loader read local files: ``paths`` maps fnames (or None for one file) to paths."""
    def get_file(fname=None, origin=None, **kwargs):
        return str(paths.get(fname, paths.get(None)))
    monkeypatch.setattr(module, "get_file", get_file)


def assert_same_splits(ours, theirs):
    for our_part, their_part in zip(sum(ours, ()), sum(theirs, ())):
        if our_part.dtype == object:
            assert [list(map(int, s)) for s in our_part] == [list(map(int, s)) for s in their_part]
        else:
            assert our_part.dtype == their_part.dtype and our_part.shape == their_part.shape
            np.testing.assert_array_equal(our_part, their_part)


def test_loaders_match_keras_on_the_same_files(web, monkeypatch, tmp_path):
    keras_ds = keras_datasets()
    import keras.src.datasets.boston_housing
    import keras.src.datasets.california_housing
    import keras.src.datasets.cifar10
    import keras.src.datasets.fashion_mnist
    import keras.src.datasets.imdb
    import keras.src.datasets.mnist
    import keras.src.datasets.reuters

    for module, theirs, content, kwargs_list in (
            (mnist, keras_ds.mnist, npz_bytes(**MNIST), [{}]),
            (imdb, keras_ds.imdb, npz_bytes(**IMDB),
             [{}, {"num_words": 6, "skip_top": 2}, {"maxlen": 5, "seed": 3}, {"oov_char": None, "num_words": 7},
              {"start_char": None, "index_from": 0}]),
            (reuters, keras_ds.reuters, npz_bytes(**REUTERS),
             [{}, {"test_split": 0.35, "num_words": 8, "maxlen": 3}, {"oov_char": None, "skip_top": 4}]),
            (boston_housing, keras_ds.boston_housing, npz_bytes(**HOUSING), [{}, {"test_split": 0.3, "seed": 1}]),
            (california_housing, keras_ds.california_housing, npz_bytes(**HOUSING), [{"test_split": 0.1}])):
        publish(web, monkeypatch, module, content)
        path = tmp_path / f"{module.__name__}.npz"
        path.write_bytes(content)
        serve_to_keras(monkeypatch, theirs, {None: path})
        for kwargs in kwargs_list:
            assert_same_splits(module.load_data(**kwargs), theirs.load_data(**kwargs))

    serve_fashion(web)
    folder = tmp_path / "fashion"
    folder.mkdir()
    for name, key in zip(fashion_mnist.FILES, ("y_train", "x_train", "y_test", "x_test")):
        (folder / name).write_bytes(idx_gz(FASHION[key]))
    serve_to_keras(monkeypatch, keras_ds.fashion_mnist, {name: folder / name for name in fashion_mnist.FILES})
    assert_same_splits(fashion_mnist.load_data(), keras_ds.fashion_mnist.load_data())

    # Keras's cifar10 loader needs batches of 10,000 images; compare the batch reader instead.
    from keras.src.datasets.cifar import load_batch as keras_load_batch
    for name, batch in serve_cifar10(web, monkeypatch).items():
        path = tmp_path / name.replace("/", "_")
        path.write_bytes(python2_pickle(batch))
        (ours, our_labels), (theirs, their_labels) = cifar.load_batch(path), keras_load_batch(path)
        np.testing.assert_array_equal(ours, theirs)
        assert our_labels.tolist() == list(their_labels)


def test_origins_and_hashes_are_the_ones_in_keras_source():
    keras_ds = keras_datasets()
    import inspect
    import importlib
    for module in (mnist, cifar10, cifar100, imdb, reuters, boston_housing, california_housing):
        source = inspect.getsource(importlib.import_module(f"keras.src.datasets.{module.__name__.split('.')[-1]}"))
        assert module.FILE_HASH in source and module.ORIGIN.rsplit("/", 1)[1] in source
        for constant in ("WORD_INDEX_ORIGIN", "WORD_INDEX_HASH"):
            if hasattr(module, constant):
                assert getattr(module, constant).rsplit("/", 1)[-1] in source
    assert keras_ds.reuters.get_label_names() == reuters.get_label_names()
    assert "/".join(("cifar-10-batches-py-target",)) in inspect.getsource(keras_ds.cifar10)
