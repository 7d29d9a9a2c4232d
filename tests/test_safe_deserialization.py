"""Loading a config runs no code the caller did not choose, and a malformed config gets a clear error.

The attacks are the ones a config could carry before: a ``Lambda`` entry naming a function of any
module (``numpy.ndarray.tofile`` writes a file when the layer is built) and a module on ``sys.path``
that runs code when imported.  Canary files prove nothing ran.
"""

import json
import sys

import numpy
import pytest

import microkeras
from microkeras import config as mk_config
from microkeras.layers import Dense, Input, Lambda, Layer
from microkeras.models import Sequential, model_from_json
from microkeras.saving import SafeModeScope, custom_object_scope, register_keras_serializable


def lambda_model_json(function_ref, arguments=None):
    """A Sequential JSON with one Lambda layer whose function entry is ``function_ref``."""
    lambda_entry = {"class_name": "Lambda", "config": {"name": "payload", "function": function_ref,
                                                       "arguments": arguments or {}}}
    layers = [{"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "name": "in"}}, lambda_entry]
    return json.dumps({"class_name": "Sequential", "config": {"name": "m", "layers": layers}})


@pytest.fixture
def canary_module(tmp_path, monkeypatch):
    """A module on sys.path that writes a canary file when imported; yields (module name, canary path)."""
    canary = tmp_path / "imported.txt"
    (tmp_path / "mk_canary_module.py").write_text(
        f"open({str(canary)!r}, 'w').write('imported')\ndef hello(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "mk_canary_module", canary
    sys.modules.pop("mk_canary_module", None)


# ------------------------------------------------------------------ nothing runs
def test_a_lambda_naming_an_arbitrary_function_is_refused_and_writes_no_file(tmp_path):
    canary = tmp_path / "written.bin"
    payload = lambda_model_json({"module": "numpy", "name": "ndarray.tofile"}, {"fid": str(canary)})
    with pytest.raises(ValueError, match="safe_mode=False"):
        model_from_json(payload)
    assert not canary.exists()


def test_a_module_named_by_a_config_is_not_imported(canary_module):
    module, canary = canary_module
    for ref in ({"module": module, "class_name": "function", "config": "hello"}, {"module": module, "name": "hello"}):
        with pytest.raises(ValueError, match="neither registered nor in `custom_objects`"):
            model_from_json(lambda_model_json(ref))
    assert module not in sys.modules and not canary.exists()


def test_bytecode_of_a_lambda_loads_only_in_unsafe_mode(tmp_path):
    model = Sequential([Input((3,)), Lambda(lambda x: x * 2.0)])
    saved = model.to_json()
    with pytest.raises(ValueError, match="Python lambda saved as bytecode"):
        model_from_json(saved)
    rebuilt = model_from_json(saved, safe_mode=False)
    numpy.testing.assert_array_equal(rebuilt.predict(numpy.ones((1, 3)), verbose=0), [[2.0, 2.0, 2.0]])


def test_unsafe_mode_imports_the_named_module_when_the_caller_allows_it(canary_module, monkeypatch):
    module, canary = canary_module
    payload = lambda_model_json({"module": module, "class_name": "function", "config": "hello"})
    with SafeModeScope(False):
        assert model_from_json(payload).layers[0].function.__name__ == "hello"
    assert canary.exists()
    monkeypatch.setattr(mk_config, "_SAFE_MODE", True)
    microkeras.config.enable_unsafe_deserialization()  # the global switch
    assert not mk_config.is_safe_mode()
    assert model_from_json(payload).layers[0].function.__name__ == "hello"


def test_dunder_names_are_refused_even_in_unsafe_mode():
    payload = lambda_model_json({"module": "os", "class_name": "function", "config": "__builtins__.eval"})
    with pytest.raises(ValueError, match="not a plain function name"):
        model_from_json(payload, safe_mode=False)


# --------------------------------------------------------- what does resolve
def test_registered_custom_and_microkeras_functions_resolve_in_safe_mode():
    @register_keras_serializable(package="tests")
    def doubled(x):
        return 2.0 * x

    def tripled(x):
        return 3.0 * x

    assert model_from_json(Sequential([Input((3,)), Lambda(doubled)]).to_json()).layers[0].function is doubled
    saved = Sequential([Input((3,)), Lambda(tripled)]).to_json()
    assert model_from_json(saved, custom_objects={"tripled": tripled}).layers[0].function is tripled
    with custom_object_scope({"tripled": tripled}):
        assert model_from_json(saved).layers[0].function is tripled
    own = lambda_model_json({"module": "microkeras.activations", "class_name": "function", "config": "relu"})
    assert model_from_json(own).layers[0].function is microkeras.activations.relu
    keras_path = lambda_model_json({"module": "keras.activations", "class_name": "function", "config": "relu"})
    assert model_from_json(keras_path).layers[0].function is microkeras.activations.relu


def test_a_custom_layer_class_resolves_from_custom_objects_or_registration_only_if_it_is_a_layer():
    @register_keras_serializable(package="tests", name="Doubler")
    class Doubler(Layer):
        def call(self, x):
            return 2.0 * x

    saved = Sequential([Input((2,)), Doubler()]).to_json()
    assert json.loads(saved)["config"]["layers"][1]["registered_name"] == "tests>Doubler"
    assert type(model_from_json(saved).layers[0]) is Doubler
    entry = {"class_name": "NotALayer", "config": {}}
    with pytest.raises(ValueError, match="not a Layer class"):
        Sequential.from_config({"layers": [entry]}, custom_objects={"NotALayer": numpy.ndarray})


# -------------------------------------------------------- malformed configs
MODEL = {"class_name": "Sequential", "config": {"name": "m", "layers": []}}


@pytest.mark.parametrize("config, message", [
    ([1, 2], "must be a dict with a 'layers' list"),
    ({"name": "m"}, "needs 'layers'.*no such key"),
    ({"layers": "dense"}, "needs 'layers'.*str"),
    ({"layers": [5]}, r"layers\[0\] must be a dict .*int"),
    ({"layers": [{"class_name": "Dense"}]}, r"layers\[0\] must be a dict with 'class_name'.*'config'"),
    ({"layers": [{"class_name": "Dense", "config": [1]}]}, r"layers\[0\]"),
    ({"layers": [{"class_name": "NoSuchLayer", "config": {}}]}, "Unknown layer class 'NoSuchLayer'"),
    ({"layers": [{"class_name": "Dense", "config": {"units": "many"}}]}, r"layers\[0\] \(Dense\).*units"),
    ({"layers": [{"class_name": "Dense", "config": {"units": 3, "kernal": 1}}]}, r"layers\[0\] \(Dense\).*kernal"),
    ({"layers": [{"class_name": "Lambda", "config": {"function": {"module": "microkeras.activations",
                                                                  "class_name": "function", "config": "relu"},
                                                     "arguments": ["scale", 2]}}]}, r"layers\[0\].*`arguments`"),
    ({"layers": [{"class_name": "Lambda", "config": {"name": "f"}}]}, r"layers\[0\].*no 'function'"),
])
def test_a_malformed_config_raises_value_error_naming_the_entry(config, message):
    with pytest.raises(ValueError, match=message):
        Sequential.from_config(config)


def test_malformed_json_and_custom_objects_raise_value_errors():
    with pytest.raises(ValueError, match="JSON object with 'class_name' and a 'config'"):
        model_from_json("[]")
    with pytest.raises(ValueError, match="JSON object"):
        model_from_json(json.dumps({"class_name": "Sequential"}))
    with pytest.raises(ValueError, match="`custom_objects` must be a dict"):
        model_from_json(json.dumps(MODEL), custom_objects=["Dense"])
    with pytest.raises(ValueError, match="`safe_mode` must be"):
        model_from_json(json.dumps(MODEL), safe_mode="no")


def test_a_model_round_trips_through_json_in_safe_mode():
    model = Sequential([Input((4,)), Dense(3, activation="relu"), Lambda(microkeras.activations.softmax)])
    rebuilt = model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in rebuilt.layers] == ["Dense", "Lambda"]
    assert rebuilt.layers[1].function is microkeras.activations.softmax
