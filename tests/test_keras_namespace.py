"""``import microkeras as keras``: Keras 3's top-level names and submodule import paths resolve."""

import importlib
import inspect
import os
import subprocess
import sys
import types

import numpy
import pytest

import microkeras as keras

MODULES = ["activations", "backend", "callbacks", "config", "constraints", "datasets", "initializers", "layers",
           "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers", "saving", "utils"]


@pytest.mark.parametrize("name", MODULES)
def test_each_module_is_an_attribute_and_an_import_path(name):
    module = getattr(keras, name)
    assert isinstance(module, types.ModuleType)
    assert importlib.import_module(f"microkeras.{name}") is module


def test_optimizers_schedules_is_a_submodule_too():
    assert importlib.import_module("microkeras.optimizers.schedules") is keras.optimizers.schedules


def test_top_level_classes():
    from microkeras.layers import Input, Layer
    from microkeras.models import Model, Sequential

    assert (keras.Model, keras.Sequential, keras.Input, keras.Layer) == (Model, Sequential, Input, Layer)
    assert isinstance(keras.Variable, type)


def test_keras_style_from_imports():
    from microkeras.callbacks import EarlyStopping  # noqa: F401
    from microkeras.layers import Conv2D, Dense, Dropout  # noqa: F401
    from microkeras.optimizers import Adam  # noqa: F401
    from microkeras.optimizers.schedules import CosineDecay, ExponentialDecay  # noqa: F401
    from microkeras.random import SeedGenerator, normal  # noqa: F401
    from microkeras.utils import set_random_seed, to_categorical  # noqa: F401


def test_variable_takes_keras_3_constructor_arguments():
    names = list(inspect.signature(keras.Variable).parameters)
    assert names[:4] == ["initializer", "shape", "dtype", "trainable"] and "name" in names
    v = keras.Variable(initializer="ones", shape=(2, 3), dtype="float32", trainable=False, name="w")
    assert (v.shape, v.dtype, v.trainable, v.name) == ((2, 3), numpy.float32, False, "w")
    numpy.testing.assert_array_equal(v.numpy(), numpy.ones((2, 3)))
    v.assign(numpy.full((2, 3), 2.0))
    assert float(keras.ops.sum(v)) == 12.0
    assert keras.Variable(numpy.arange(3.0)).dtype == numpy.float32
    # Keras infers the dtype of an initial value: int32 for integers, bool for booleans.
    assert (keras.Variable(3).dtype, keras.Variable([1, 2]).dtype, keras.Variable(True).dtype) == \
        (numpy.int32, numpy.int32, numpy.bool_)


def test_importing_microkeras_stays_cheap():
    # No plotting or file-format libraries at import time: they load when a function needs them.
    code = ("import sys, microkeras as keras; keras.optimizers.schedules; keras.random.normal((1,)); "
            "print(sorted(m for m in ('matplotlib', 'h5py', 'pydot', 'PIL', 'scipy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert result.stdout.strip() == "[]"


def test_keras_top_level_modules_that_microkeras_provides():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    theirs = {name for name in dir(real) if isinstance(getattr(real, name), types.ModuleType)}
    assert set(MODULES) <= theirs
    for name in ("Model", "Sequential", "Input", "Layer", "Variable"):
        assert hasattr(real, name) and hasattr(keras, name)
