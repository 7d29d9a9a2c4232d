"""Sequential: building, layers, weights, summary and config round trips."""

import json

import numpy
import pytest

from microkeras.layers import Activation, Dense, Dropout, Flatten, Input, InputLayer, Reshape
from microkeras.models import Sequential, model_from_json
from microkeras.utils import clear_session


def tutorial_model():
    return Sequential([Dense(32, input_shape=(784,)), Activation("relu"), Dense(10), Activation("softmax")])


def test_list_and_add_build_the_same_model():
    clear_session()
    listed = tutorial_model()
    added = Sequential()
    added.add(Dense(32, input_dim=784))
    added.add(Activation("relu"))
    added.add(Dense(10))
    added.add(Activation("softmax"))
    for model in (listed, added):
        assert model.built and model.output_shape == (None, 10)
        assert [w.shape for w in model.get_weights()] == [(784, 32), (32,), (32, 10), (10,)]
        assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Activation", "Dense", "Activation"]


def test_input_first_declares_the_shape_and_is_not_in_layers():
    model = Sequential([Input(shape=(8,)), Dense(4)])
    assert model.input_shape == (None, 8) and len(model.layers) == 1
    assert model.count_params() == 8 * 4 + 4


def test_model_without_input_shape_builds_on_first_data():
    model = Sequential([Dense(5), Dense(2)])
    assert not model.built
    out = model(numpy.ones((3, 7), numpy.float32))
    assert out.shape == (3, 2) and model.built and model.get_weights()[0].shape == (7, 5)


def test_add_rejects_non_layers_second_input_and_duplicate_names():
    model = Sequential([Dense(3, input_shape=(2,), name="a")])
    with pytest.raises(TypeError, match="must be a Layer instance"):
        model.add("dense")
    with pytest.raises(ValueError, match="InputLayer can only be the first"):
        model.add(InputLayer(shape=(3,)))
    with pytest.raises(ValueError, match="already has a layer named 'a'"):
        model.add(Dense(3, name="a"))
    assert len(model.layers) == 1


def test_add_of_an_incompatible_layer_leaves_the_model_unchanged():
    model = Sequential([Dense(6, input_shape=(2,))])
    with pytest.raises(ValueError, match="Reshape"):
        model.add(Reshape((4,)))
    assert len(model.layers) == 1 and model.output_shape == (None, 6)


def test_pop_removes_and_returns_the_last_layer():
    model = tutorial_model()
    last = model.pop()
    assert isinstance(last, Activation) and len(model.layers) == 3
    empty = Sequential()
    with pytest.raises(IndexError, match="no layers"):
        empty.pop()


def test_set_weights_checks_count_and_shapes_and_writes_in_place():
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    kernel = model.layers[0].kernel
    new = [numpy.full(w.shape, i, numpy.float32) for i, w in enumerate(model.get_weights())]
    model.set_weights(new)
    assert model.layers[0].kernel is kernel and float(kernel[0, 0]) == 0.0
    assert float(model.layers[1].kernel[0, 0]) == 2.0  # kernel, bias, kernel, bias order
    with pytest.raises(ValueError, match="expects 4 weights"):
        model.set_weights(new[:3])
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*\(3, 2\)"):
        model.set_weights([numpy.zeros((3, 2))] + new[1:])


def test_get_weights_returns_copies():
    model = Sequential([Dense(2, input_shape=(2,))])
    weights = model.get_weights()
    weights[0][...] = 99
    assert not numpy.any(model.get_weights()[0] == 99)


def test_trainable_false_moves_weights_to_non_trainable():
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    x, y = numpy.ones((4, 2), numpy.float32), numpy.ones((4, 1), numpy.float32)
    frozen = model.layers[0].get_weights()
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_summary_prints_keras_table_and_totals():
    clear_session()
    model = tutorial_model()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert lines[0] == 'Model: "sequential"'
    assert "Layer (type)" in lines[2] and "Output Shape" in lines[2] and "Param #" in lines[2]
    assert "dense (Dense)" in text and "(None, 32)" in text and "25,120" in text  # 784*32 + 32
    assert "dense_1 (Dense)" in text and "330" in text  # 32*10 + 10
    # 25,450 params * 4 bytes = 101,800 B = 99.41 KB (1 KB = 1024 B)
    assert " Total params: 25,450 (99.41 KB)" in lines
    assert " Trainable params: 25,450 (99.41 KB)" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines
    assert len({len(line) for line in lines[1:-3]}) == 1  # a rectangular table


def test_summary_counts_optimizer_variables_once_built_like_keras_3():
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("adam", "mse")
    model.fit(numpy.ones((4, 3)), numpy.ones((4, 2)), verbose=0)
    lines = []
    model.summary(print_fn=lines.append)
    # Adam keeps 2 slots per weight (16 values) plus iterations and learning rate: 18.
    assert " Optimizer params: 18 (72.00 B)" in lines
    assert " Total params: 26 (104.00 B)" in lines


def test_config_round_trips_through_json():
    model = Sequential([Dense(4, activation="relu", input_shape=(6,), kernel_regularizer="l2"),
                        Dropout(0.25, seed=3), Flatten(), Dense(2, use_bias=False)], name="net")
    config = model.get_config()
    assert config["layers"][0]["class_name"] == "InputLayer"
    assert config["layers"][0]["config"]["batch_shape"] == [None, 6]
    assert config["build_input_shape"] == [None, 6]
    rebuilt = model_from_json(model.to_json())
    assert json.dumps(rebuilt.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]


def test_calling_the_model_on_an_array_runs_the_layers_in_order():
    model = Sequential([Dense(3, input_shape=(2,), use_bias=False), Activation("relu")])
    x = numpy.array([[1.0, -2.0]], numpy.float32)
    expected = numpy.maximum(x @ model.layers[0].kernel, 0)
    numpy.testing.assert_allclose(model(x), expected, rtol=1e-6)
    assert model.get_layer(index=1) is model.layers[1]
    assert model.get_layer(name=model.layers[0].name) is model.layers[0]


def test_keras_style_top_level_names():
    import microkeras
    from microkeras import backend as K

    model = microkeras.Sequential([microkeras.Input((3,)), microkeras.layers.Dense(2)])
    assert model.output_shape == (None, 2)
    assert K.epsilon() == 1e-7 and K.floatx() == "float32" and K.backend() == "numpy"


def test_summary_wraps_long_names_and_keeps_the_table_rectangular():
    model = Sequential([Dense(2, input_shape=(3,), name="a_layer_name_longer_than_its_column_is_wide")])
    lines = []
    model.summary(print_fn=lines.append)
    table = lines[1:-3]
    assert all("\n" not in line for line in lines)
    assert len({len(line) for line in table}) == 1
    # Keras 3.15.1 breaks at spaces and cuts a word longer than its column with an ellipsis.
    assert table[3:5] == ["│ a_layer_name_longer_than_its_c… │ (None, 2)              │             8 │",
                          "│ (Dense)                         │                        │               │"]


def test_a_sequential_whose_first_layer_is_a_model_with_an_input_is_built_from_it():
    # Keras 3's transfer-learning recipe: Sequential([base_model, Dense(1)]) is built at once from
    # the base model's input (Sequential._maybe_rebuild), so output_shape and summary work.
    from microkeras import Input, Model
    from microkeras.layers import Dense

    base = Sequential([Input((12,)), Dense(8, activation="relu")], name="base")
    model = Sequential([base, Dense(1)])
    assert model.built and tuple(model.output_shape) == (None, 1)
    inputs = Input((5,))
    functional_base = Model(inputs, Dense(3)(inputs))
    stacked = Sequential([functional_base, Dense(2)])
    assert tuple(stacked.output_shape) == (None, 2)
    assert stacked.predict(numpy.ones((4, 5), "float32"), verbose=0).shape == (4, 2)
