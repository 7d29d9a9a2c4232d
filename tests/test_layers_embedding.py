"""Embedding: lookups, the scatter-add gradient, integer inputs kept integer, errors, config."""

import json

import autograd
import numpy
import pytest

from microkeras import Input, Model, Sequential, ops
from microkeras.layers import Dense, Embedding, Flatten, GlobalAveragePooling1D, GlobalMaxPooling1D
from microkeras.testing import assert_float32_backward, check_gradient, check_layer

IDS = numpy.array([[1, 0, 6], [6, 6, 2], [3, 1, 1], [0, 5, 4]])  # repeated ids: the gradient must add up


def test_embedding_passes_the_layer_kit_with_integer_ids():
    layer = check_layer(Embedding(7, 5), IDS.shape, expected_output_shape=(4, 3, 5),
                        expected_num_trainable_weights=1, input_data=IDS)
    assert layer.embeddings.path == "embedding/embeddings" or layer.embeddings.path.endswith("/embeddings")


def test_the_output_is_the_rows_of_the_table():
    layer = Embedding(7, 2)
    layer.build((None, 3))
    table = numpy.arange(14, dtype=numpy.float32).reshape(7, 2)
    layer.set_weights([table])
    numpy.testing.assert_array_equal(layer(IDS), table[IDS])


def test_take_rows_gradient_adds_the_rows_of_repeated_ids_in_float32():
    table = numpy.random.default_rng(0).normal(size=(7, 3))
    probe = numpy.random.default_rng(1).normal(size=IDS.shape + (3,))
    check_gradient(lambda t: (ops.take_rows(t, IDS) * probe).sum(), table)
    # By hand: row r of the gradient is the sum of the probe rows whose id is r.
    grad = autograd.grad(lambda t: (ops.take_rows(t, IDS) * probe).sum())(table)
    expected = numpy.zeros_like(table)
    for position, row in numpy.ndenumerate(IDS):
        expected[row] += probe[position]
    numpy.testing.assert_allclose(grad, expected)
    assert_float32_backward(lambda t: (ops.take_rows(t, IDS) * probe.astype(numpy.float32)).sum(),
                            table.astype(numpy.float32))


def test_integer_ids_reach_the_layer_uncast_through_a_model():
    seen = []

    class Recording(Embedding):
        def call(self, inputs):
            seen.append(inputs.dtype)
            return super().call(inputs)

    model = Sequential([Input((3,), dtype="int64"), Recording(7, 2), GlobalAveragePooling1D(), Dense(1)])
    model.compile("sgd", "mse")
    model.fit(IDS, numpy.ones((4, 1)), verbose=0)
    model.predict(IDS, verbose=0)
    assert seen and set(seen) == {numpy.dtype("int64")}


def test_float_ids_are_accepted_and_fractions_refused():
    layer = Embedding(7, 2)
    numpy.testing.assert_array_equal(layer(IDS.astype("float32")), layer(IDS))
    with pytest.raises(ValueError, match=r"Embedding layer 'embedding_\d+' takes integer ids; received non-integer"):
        layer(numpy.array([[0.5, 1.0]]))


@pytest.mark.parametrize("bad", [7, -1])
def test_ids_outside_the_vocabulary_raise_naming_the_layer_and_the_id(bad):
    layer = Embedding(7, 2, name="words")
    with pytest.raises(ValueError, match=rf"Embedding layer 'words': id {bad} in inputs of shape \(1, 2\) is "
                                         r"outside \[0, input_dim=7\)\."):
        layer(numpy.array([[1, bad]]))


def test_a_failed_lookup_in_fit_leaves_the_weights_as_they_were():
    model = Sequential([Input((3,), dtype="int32"), Embedding(7, 2), GlobalAveragePooling1D(), Dense(1)])
    model.compile("sgd", "mse")
    before = model.get_weights()
    with pytest.raises(ValueError, match="outside"):
        model.fit(numpy.array([[1, 2, 9]] * 4), numpy.ones((4, 1)), verbose=0)
    for old, new in zip(before, model.get_weights()):
        numpy.testing.assert_array_equal(old, new)


def test_mask_zero_marks_the_padding_id():
    layer = Embedding(7, 2, mask_zero=True)
    numpy.testing.assert_array_equal(layer.compute_mask(IDS), IDS != 0)
    assert Embedding(7, 2).compute_mask(IDS) is None


def test_arguments_are_checked_and_keras_2_input_length_is_ignored_with_a_warning():
    with pytest.raises(ValueError, match=r"Embedding: `input_dim` must be a positive integer; received input_dim=0"):
        Embedding(0, 2)
    with pytest.raises(ValueError, match="output_dim"):
        Embedding(5, 2.5)
    with pytest.warns(UserWarning, match="input_length"):
        layer = Embedding(5, 2, input_length=3)
    assert "input_length" not in layer.get_config()


def test_config_has_keras_3_keys_and_round_trips():
    layer = Embedding(10, 4, mask_zero=True, name="tokens")
    config = layer.get_config()
    # Keras 3.15's Embedding.get_config() keys, minus its dtype policy and quantization entries.
    assert {"name", "trainable", "input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
            "activity_regularizer", "embeddings_constraint", "mask_zero"} <= set(config)
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert config["embeddings_initializer"]["config"]["minval"] == -0.05
    rebuilt = Embedding.from_config(json.loads(json.dumps(config)))
    assert (rebuilt.input_dim, rebuilt.output_dim, rebuilt.mask_zero, rebuilt.name) == (10, 4, True, "tokens")


def test_initial_weights_argument_sets_the_table():
    table = numpy.ones((5, 2), numpy.float32)
    layer = Embedding(5, 2, weights=[table])
    numpy.testing.assert_array_equal(layer(numpy.array([[4]])), [[[1.0, 1.0]]])


def test_an_embedding_model_learns_which_tokens_matter():
    rng = numpy.random.default_rng(0)
    ids = rng.integers(0, 20, size=(512, 6))
    labels = (ids < 5).any(axis=1).astype("int32")  # is a "keyword" (ids 0-4) present?
    model = Sequential([Input((6,), dtype="int32"), Embedding(20, 8), GlobalMaxPooling1D(),
                        Dense(16, activation="relu"), Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(ids, labels, epochs=30, batch_size=64, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


@pytest.mark.parametrize("functional", [False, True])
def test_ids_outside_the_table_anywhere_in_x_stop_fit_before_any_step(functional):
    # The bad id sits in the last batch: checked upfront, fit must fail with the weights untouched.
    x = numpy.ones((64, 3), "int32")
    x[-1, 2] = 12
    if functional:
        inputs = Input((3,), dtype="int32")
        model = Model(inputs, Dense(1)(Flatten()(Embedding(10, 2)(inputs))))
    else:
        model = Sequential([Input((3,), dtype="int32"), Sequential([Embedding(10, 2)]), Flatten(), Dense(1)])
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"`x`: Embedding layer .* id 12 .* outside \[0, input_dim=10\)"):
        model.fit(x, numpy.zeros((64, 1), "float32"), batch_size=8, verbose=0)
    for old, new in zip(before, model.get_weights()):
        numpy.testing.assert_array_equal(old, new)
    with pytest.raises(ValueError, match="id 12"):
        model.evaluate(x, numpy.zeros((64, 1), "float32"), verbose=0)
