"""Recurrent layers side by side with real Keras 3, when it is installed (skipped otherwise).

Each layer is built by Keras and by microkeras on the same input: the
weights have the same names, shapes and order, Keras's weights copied with
``set_weights`` give Keras's outputs (masks, ``go_backwards``, states
included), and a few ``fit`` epochs give Keras's History and final weights.
"""

import json
import os

import numpy
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import microkeras  # noqa: E402
from microkeras import optimizers  # noqa: E402

LAYERS = [
    ("LSTM", {"units": 4}),
    ("LSTM", {"units": 3, "return_sequences": True, "go_backwards": True}),
    ("LSTM", {"units": 3, "return_sequences": True, "return_state": True, "activation": "relu",
              "recurrent_activation": "hard_sigmoid", "unit_forget_bias": False}),
    ("LSTM", {"units": 2, "use_bias": False}),
    ("GRU", {"units": 4}),
    ("GRU", {"units": 3, "reset_after": False, "return_sequences": True, "go_backwards": True}),
    ("GRU", {"units": 3, "return_sequences": True, "return_state": True, "use_bias": False}),
    ("SimpleRNN", {"units": 4, "return_sequences": True}),
    ("SimpleRNN", {"units": 3, "activation": "relu", "go_backwards": True, "return_state": True}),
]


def data(shape, seed=0):
    return numpy.random.default_rng(seed).normal(size=shape).astype("float32")


def padding_mask(batch, timesteps, seed=3):
    mask = numpy.random.default_rng(seed).random((batch, timesteps)) > 0.35
    mask[:, 1] = True
    return mask


def both(name, kwargs, x):
    """``(theirs, ours)`` built on ``x``, ours holding Keras's weights."""
    theirs, ours = getattr(keras.layers, name)(**kwargs), getattr(microkeras.layers, name)(**kwargs)
    theirs(x)
    ours(x)
    assert [(w.name, w.shape) for w in ours.weights] == [(w.name, tuple(w.shape)) for w in theirs.weights]
    assert [w.path.split("/", 1)[1] for w in ours.weights] == [w.path.split("/", 1)[1] for w in theirs.weights]
    ours.set_weights([numpy.asarray(w) for w in theirs.get_weights()])
    return theirs, ours


def assert_same_outputs(ours, theirs):
    ours = ours if isinstance(ours, (list, tuple)) else [ours]
    theirs = theirs if isinstance(theirs, (list, tuple)) else [theirs]
    assert len(ours) == len(theirs)
    for mine, keras_output in zip(ours, theirs):
        numpy.testing.assert_allclose(mine, numpy.asarray(keras_output), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("name, kwargs", LAYERS, ids=[f"{name}-{i}" for i, (name, _) in enumerate(LAYERS)])
def test_recurrent_layers_match_keras_for_its_weights(name, kwargs):
    x = data((3, 6, 4))
    theirs, ours = both(name, kwargs, x)
    assert_same_outputs(ours(x), theirs(x))
    mask = padding_mask(3, 6)
    assert_same_outputs(ours(x, mask=mask), theirs(x, mask=mask))
    assert ours.compute_output_shape((None, 6, 4)) == theirs.compute_output_shape((None, 6, 4))
    their_config, our_config = theirs.get_config(), ours.get_config()
    if name == "SimpleRNN":  # Keras 3 leaves the seed out of SimpleRNN's config (not LSTM's or GRU's); we keep it
        assert our_config.pop("seed") is None
    assert sorted(our_config) == sorted(their_config)
    for key in set(our_config) - {"name", "dtype", "kernel_initializer", "recurrent_initializer", "bias_initializer"}:
        assert our_config[key] == json.loads(json.dumps(their_config[key])), key


def test_a_stateful_lstm_matches_keras_across_calls():
    x1, x2 = data((2, 4, 3)), data((2, 4, 3), seed=1)
    theirs, ours = both("LSTM", {"units": 3, "stateful": True, "return_state": True}, x1)
    theirs.reset_state()
    ours.reset_states()
    for x in (x1, x2):
        assert_same_outputs(ours(x), theirs(x))


def test_an_lstm_with_an_initial_state_matches_keras():
    x = data((2, 5, 3))
    initial = [data((2, 4), seed=5), data((2, 4), seed=6)]
    theirs, ours = both("LSTM", {"units": 4, "return_sequences": True, "return_state": True}, x)
    assert_same_outputs(ours(x, initial_state=initial), theirs(x, initial_state=initial))


def recurrent_stack(k, layer):
    """Conv1D, a recurrent layer returning sequences, then a last-step recurrent layer and a Dense head."""
    return k.Sequential([k.Input((7, 3)), k.layers.Conv1D(4, 2, activation="tanh"),
                         getattr(k.layers, layer)(5, return_sequences=True), getattr(k.layers, layer)(3),
                         k.layers.Dense(2)])


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "SimpleRNN"])
def test_a_model_of_recurrent_layers_trains_like_keras(layer):
    rng = numpy.random.default_rng(9)
    x, y = rng.normal(size=(32, 7, 3)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    keras.backend.clear_session()
    theirs, ours = recurrent_stack(keras, layer), recurrent_stack(microkeras, layer)
    start = [rng.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(start)
    ours.set_weights(start)
    theirs.compile(keras.optimizers.Adam(0.01), "mse")
    ours.compile(optimizers.Adam(0.01), "mse")
    their_history = theirs.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    our_history = ours.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    numpy.testing.assert_allclose(our_history["loss"], their_history["loss"], rtol=1e-5)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, rtol=1e-4, atol=1e-5)


def test_rnn_of_stacked_cells_matches_keras():
    x, mask = data((3, 6, 4)), padding_mask(3, 6)
    layers = []
    for k in (keras, microkeras):
        layers.append(k.layers.RNN([k.layers.LSTMCell(3), k.layers.GRUCell(2, reset_after=False),
                                    k.layers.SimpleRNNCell(2)], return_sequences=True, return_state=True))
        layers[-1](x)
    theirs, ours = layers
    assert [w.path.split("/", 1)[1] for w in ours.weights] == [w.path.split("/", 1)[1] for w in theirs.weights]
    ours.set_weights([numpy.asarray(w) for w in theirs.get_weights()])
    for kwargs in ({}, {"mask": mask}):
        theirs_out, ours_out = theirs(x, **kwargs), ours(x, **kwargs)
        assert_same_outputs(ours_out[0], theirs_out[0])
        assert_same_outputs([s for group in ours_out[1:] for s in group],
                            [s for group in theirs_out[1:] for s in group])
    assert sorted(ours.get_config()) == sorted(theirs.get_config())


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("inner", ["LSTM", "GRU"])
def test_bidirectional_matches_keras_for_its_weights(merge_mode, inner):
    x, mask = data((3, 6, 4)), padding_mask(3, 6)
    layers = []
    for k in (keras, microkeras):
        layers.append(k.layers.Bidirectional(getattr(k.layers, inner)(3, return_sequences=True, name="rnn"),
                                             merge_mode=merge_mode))
        layers[-1](x)
    theirs, ours = layers
    assert [w.path.split("/", 1)[1] for w in ours.weights] == [w.path.split("/", 1)[1] for w in theirs.weights]
    ours.set_weights([numpy.asarray(w) for w in theirs.get_weights()])
    assert_same_outputs(ours(x), theirs(x))
    assert_same_outputs(ours(x, mask=mask), theirs(x, mask=mask))
    assert sorted(ours.get_config()) == sorted(theirs.get_config())


def test_bidirectional_return_state_matches_keras():
    x = data((3, 5, 4))
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(3, return_state=True))
    ours = microkeras.layers.Bidirectional(microkeras.layers.LSTM(3, return_state=True))
    theirs(x)
    ours(x)
    ours.set_weights([numpy.asarray(w) for w in theirs.get_weights()])
    assert_same_outputs(ours(x), theirs(x))
    assert ours.compute_output_shape((None, 5, 4)) == tuple(theirs.compute_output_shape((None, 5, 4)))


def test_time_distributed_matches_keras():
    x = data((2, 3, 5, 4))
    theirs = keras.layers.TimeDistributed(keras.layers.Conv1D(2, 2, activation="relu"))
    ours = microkeras.layers.TimeDistributed(microkeras.layers.Conv1D(2, 2, activation="relu"))
    theirs(x)
    ours(x)
    ours.set_weights([numpy.asarray(w) for w in theirs.get_weights()])
    assert_same_outputs(ours(x), theirs(x))
    assert ours.compute_output_shape((None, 3, 5, 4)) == tuple(theirs.compute_output_shape((None, 3, 5, 4)))
    assert sorted(ours.get_config()) == sorted(theirs.get_config())


def text_model(k):
    """Token ids with padding, masked from the embedding on, through both directions."""
    return k.Sequential([k.Input((7,), dtype="int32"), k.layers.Embedding(9, 4, mask_zero=True),
                         k.layers.Bidirectional(k.layers.GRU(3, return_sequences=True)),
                         k.layers.TimeDistributed(k.layers.Dense(3, activation="tanh")),
                         k.layers.LSTM(3), k.layers.Dense(2)])


def test_a_masked_bidirectional_text_model_trains_like_keras():
    rng = numpy.random.default_rng(11)
    lengths = rng.integers(2, 8, size=24)
    ids = numpy.where(numpy.arange(7) < lengths[:, None], rng.integers(1, 9, size=(24, 7)), 0).astype("int32")
    y = rng.normal(size=(24, 2)).astype("float32")
    keras.backend.clear_session()
    theirs, ours = text_model(keras), text_model(microkeras)
    start = [rng.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(start)
    ours.set_weights(start)
    assert_same_outputs(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0))
    theirs.compile(keras.optimizers.Adam(0.01), "mse")
    ours.compile(optimizers.Adam(0.01), "mse")
    their_history = theirs.fit(ids, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    our_history = ours.fit(ids, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    numpy.testing.assert_allclose(our_history["loss"], their_history["loss"], rtol=1e-5)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, rtol=1e-4, atol=1e-5)
