"""Recurrent layers: the cells, ``RNN``, ``SimpleRNN``/``LSTM``/``GRU``, and the ops under them.

Every layer goes through ``check_layer`` (gradients of every weight and of
the input against finite differences, a float32 backward pass, the config
round trip, a fit step).  Outputs for fixed weights are compared with the
gate equations written out below in plain numpy (float64), from Keras 3's
documented layouts, not with microkeras's own code.
"""

import numpy
import pytest

import microkeras
from microkeras import Input, Sequential, ops
from microkeras.layers import (GRU, LSTM, RNN, Bidirectional, Conv1D, Conv2D, Dense, GRUCell, Layer, LSTMCell,
                               SimpleRNN, SimpleRNNCell, StackedRNNCells, TimeDistributed)
from microkeras.testing import assert_float32_backward, check_gradient, check_layer


# ------------------------------------------------------------- references
def sigmoid(x):
    return 1.0 / (1.0 + numpy.exp(-x))


def run_reference(step, x, states, mask=None, go_backwards=False):
    """The loop of Keras's RNN in numpy: ``step(x_t, states) -> (output, states)``, masked steps keeping
    the previous states and repeating the previous first state as output."""
    outputs = []
    for t in (reversed(range(x.shape[1])) if go_backwards else range(x.shape[1])):
        output, new_states = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t, None]
            new_states = [numpy.where(keep, new, old) for new, old in zip(new_states, states)]
            output = new_states[0]
        states = new_states
        outputs.append(output)
    return numpy.stack(outputs, axis=1), states


def lstm_step(kernel, recurrent_kernel, bias):
    units = recurrent_kernel.shape[0]

    def step(x, states):
        h, c = states
        z = x @ kernel + h @ recurrent_kernel + bias
        i, f = sigmoid(z[:, :units]), sigmoid(z[:, units:2 * units])
        candidate, o = numpy.tanh(z[:, 2 * units:3 * units]), sigmoid(z[:, 3 * units:])
        c = f * c + i * candidate
        h = o * numpy.tanh(c)
        return h, [h, c]

    return step


def gru_step(kernel, recurrent_kernel, bias=None, reset_after=True):
    units = recurrent_kernel.shape[0]
    if bias is None:
        bias = numpy.zeros((2, 3 * units)) if reset_after else numpy.zeros(3 * units)
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, numpy.zeros(3 * units))
    u_z, u_r, u_h = recurrent_kernel[:, :units], recurrent_kernel[:, units:2 * units], recurrent_kernel[:, 2 * units:]

    def step(x, states):
        (h,) = states
        xw = x @ kernel + input_bias
        z = sigmoid(xw[:, :units] + h @ u_z + recurrent_bias[:units])
        r = sigmoid(xw[:, units:2 * units] + h @ u_r + recurrent_bias[units:2 * units])
        if reset_after:
            candidate = numpy.tanh(xw[:, 2 * units:] + r * (h @ u_h + recurrent_bias[2 * units:]))
        else:
            candidate = numpy.tanh(xw[:, 2 * units:] + (r * h) @ u_h)
        h = z * h + (1 - z) * candidate
        return h, [h]

    return step


def simple_rnn_step(kernel, recurrent_kernel, bias):
    def step(x, states):
        h = numpy.tanh(x @ kernel + states[0] @ recurrent_kernel + bias)
        return h, [h]

    return step


def data(shape, seed=0):
    return numpy.random.default_rng(seed).normal(size=shape).astype(numpy.float32)


def set_random_weights(layer, seed=1, scale=0.5):
    rng = numpy.random.default_rng(seed)
    weights = [rng.normal(scale=scale, size=w.shape).astype(numpy.float32) for w in layer.weights]
    layer.set_weights(weights)
    return [w.astype(numpy.float64) for w in weights]


def padding_mask(batch, timesteps, seed=3):
    """A mask with masked steps at the start, the end and in the middle, never all masked."""
    mask = numpy.random.default_rng(seed).random((batch, timesteps)) > 0.35
    mask[:, 1] = True
    return mask


# --------------------------------------------------------------- ops
def test_unstack_and_stack_gradients_match_finite_differences_in_float64():
    x = data((3, 4, 2)).astype(numpy.float64)
    check_gradient(lambda v: ops.stack([s * (i + 1.0) for i, s in enumerate(ops.unstack(v, axis=1))], axis=0), x)
    check_gradient(lambda v: ops.stack(ops.unstack(v, axis=2)[::-1], axis=1), x)


def test_unstack_and_stack_keep_every_cotangent_float32():
    x, probe = data((3, 4, 2)), data((4, 3, 2), seed=1)
    grad = assert_float32_backward(lambda v: (ops.stack(ops.unstack(v, axis=1), axis=0) * probe).sum(), x)
    numpy.testing.assert_array_equal(grad, numpy.moveaxis(probe, 0, 1))


def test_split_equal_parts_have_the_gradients_of_slices_in_float32():
    x = data((3, 8))
    parts = ops.core.split_equal(x, 4)
    numpy.testing.assert_array_equal(numpy.concatenate(parts, axis=1), x)
    check_gradient(lambda v: ops.stack([p * (i + 1.0) for i, p in enumerate(ops.core.split_equal(v, 4))]),
                   x.astype(numpy.float64))
    check_gradient(lambda v: ops.core.split_equal(v, 2, axis=0)[1] ** 2, data((4, 3)).astype(numpy.float64))
    probe = data((3, 2), seed=1)
    grad = assert_float32_backward(lambda v: (ops.core.split_equal(v, 4)[2] * probe).sum(), x)
    numpy.testing.assert_array_equal(grad[:, 4:6], probe)
    assert not grad[:, :4].any() and not grad[:, 6:].any()


def test_affine_adds_a_bias_per_sample_whose_gradient_is_the_outputs():
    h, kernel, x = data((3, 4)), data((4, 8), seed=1), data((3, 8), seed=2)
    numpy.testing.assert_allclose(ops.affine(h, kernel, x), h @ kernel + x, rtol=1e-6)
    h64, kernel64, x64 = (a.astype(numpy.float64) for a in (h, kernel, x))
    check_gradient(lambda v: ops.affine(h64, kernel64, v), x64)
    check_gradient(lambda v: ops.affine(v, kernel64, x64), h64)
    check_gradient(lambda v: ops.affine(h64, v, x64), kernel64)
    probe = data((3, 8), seed=3)
    assert_float32_backward(lambda v: (ops.affine(h, kernel, v) * probe).sum(), x)
    assert_float32_backward(lambda v: (ops.affine(v, kernel, x) * probe).sum(), h)


def test_sigmoid_is_exact_and_finite_at_both_ends():
    x = numpy.array([-80.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0], numpy.float32)  # e**-80 is not subnormal
    y = ops.sigmoid(x)
    assert y.dtype == numpy.float32
    numpy.testing.assert_allclose(y, sigmoid(x.astype(numpy.float64)), rtol=1e-6, atol=0)


# --------------------------------------------------------------- LSTM
@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True}, {"go_backwards": True, "return_sequences": True},
                                    {"use_bias": False, "activation": "relu"}, {"unit_forget_bias": False}],
                         ids=["last", "sequences", "backwards", "no-bias-relu", "no-forget-bias"])
def test_lstm_passes_layer_checks(kwargs):
    n_weights = 2 if kwargs.get("use_bias") is False else 3
    timesteps_out = (2, 4, 3) if kwargs.get("return_sequences") else (2, 3)
    check_layer(lambda: LSTM(3, **kwargs), (2, 4, 5), timesteps_out, n_weights, 0)


def test_lstm_with_dropout_passes_layer_checks_while_training():
    check_layer(lambda: LSTM(3, dropout=0.3, recurrent_dropout=0.4, return_sequences=True, seed=2), (3, 4, 5),
                (3, 4, 3), 3, 0, training=True)


def test_lstm_has_keras_weights_names_shapes_order_and_initial_values():
    layer = LSTM(4, name="words")
    layer(data((2, 3, 5)))
    assert [(w.path, w.shape) for w in layer.weights] == [("words/lstm_cell/kernel", (5, 16)),
                                                          ("words/lstm_cell/recurrent_kernel", (4, 16)),
                                                          ("words/lstm_cell/bias", (16,))]
    kernel, recurrent, bias = layer.get_weights()
    numpy.testing.assert_array_equal(bias, numpy.repeat([0.0, 1.0, 0.0, 0.0], 4))  # unit_forget_bias: f at 1
    numpy.testing.assert_allclose(recurrent @ recurrent.T, numpy.eye(4), atol=1e-5)  # orthogonal
    limit = numpy.sqrt(6.0 / (5 + 16))  # glorot_uniform over (fan_in, fan_out)
    assert numpy.abs(kernel).max() <= limit
    assert (layer.units, layer.unit_forget_bias, layer.return_sequences, layer.stateful) == (4, True, False, False)


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_lstm_outputs_follow_the_gate_equations(return_sequences, go_backwards, masked):
    x = data((3, 6, 4))
    mask = padding_mask(3, 6) if masked else None
    layer = LSTM(5, return_sequences=return_sequences, go_backwards=go_backwards)
    layer(x)
    weights = set_random_weights(layer)
    zeros = numpy.zeros((3, 5))
    expected, _ = run_reference(lstm_step(*weights), x.astype(numpy.float64), [zeros, zeros], mask, go_backwards)
    output = layer(x, mask=mask)
    assert output.dtype == numpy.float32
    numpy.testing.assert_allclose(output, expected if return_sequences else expected[:, -1], rtol=1e-5, atol=1e-6)


def test_lstm_return_state_gives_the_output_then_h_and_c():
    x = data((2, 4, 3))
    layer = LSTM(3, return_sequences=True, return_state=True)
    layer(x)
    weights = set_random_weights(layer)
    initial = [data((2, 3), seed=5), data((2, 3), seed=6)]
    expected, (h, c) = run_reference(lstm_step(*weights), x.astype(numpy.float64),
                                     [s.astype(numpy.float64) for s in initial])
    sequence, h_out, c_out = layer(x, initial_state=initial)
    for got, want in ((sequence, expected), (h_out, h), (c_out, c)):
        numpy.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((None, 4, 3)) == ((None, 4, 3), (None, 3), (None, 3))
    assert layer.compute_mask(x, numpy.ones((2, 4), bool))[1:] == [None, None]


def test_a_stateful_lstm_carries_its_state_across_calls_until_reset():
    x1, x2 = data((2, 3, 4)), data((2, 5, 4), seed=1)
    layer = LSTM(3, stateful=True)
    layer(x1)
    weights = set_random_weights(layer)
    layer.reset_states()
    assert not layer.non_trainable_weights and len(layer.states) == 2  # as Keras: state is not a weight
    zeros = numpy.zeros((2, 3))
    _, states = run_reference(lstm_step(*weights), x1.astype(numpy.float64), [zeros, zeros])
    expected, _ = run_reference(lstm_step(*weights), x2.astype(numpy.float64), states)
    layer(x1)
    numpy.testing.assert_allclose(layer(x2), expected[:, -1], rtol=1e-5, atol=1e-6)
    layer.reset_states()
    fresh, _ = run_reference(lstm_step(*weights), x2.astype(numpy.float64), [zeros, zeros])
    numpy.testing.assert_allclose(layer(x2), fresh[:, -1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="stateful with batch size 2"):
        layer(data((3, 5, 4)))


def test_a_stateful_lstm_keeps_its_state_between_fit_batches():
    model = Sequential([Input((3, 2), batch_size=4), LSTM(2, stateful=True), Dense(1)])
    model.compile("sgd", "mse")
    model.fit(data((8, 3, 2)), data((8, 1)), batch_size=4, epochs=1, shuffle=False, verbose=0)
    state = model.layers[0].states[0].numpy()
    assert state.shape == (4, 2) and numpy.abs(state).sum() > 0
    with pytest.raises(ValueError, match="fixed batch size"):
        Sequential([Input((3, 2)), LSTM(2, stateful=True)])


def test_lstm_dropout_draws_one_mask_per_sequence_only_while_training():
    cell = LSTMCell(4, dropout=0.5, seed=0, use_bias=False)
    sequence = numpy.ones((3, 6, 4), numpy.float32)
    cell.build((3, 4))
    cell.kernel.assign(numpy.tile(numpy.eye(4, dtype=numpy.float32), (1, 4)))
    projected = cell.project_inputs(sequence, training=True)
    numpy.testing.assert_array_equal(projected, numpy.repeat(projected[:, :1], 6, axis=1))  # the same every step
    assert set(numpy.unique(projected)) == {0.0, 2.0}  # kept inputs scaled by 1 / (1 - 0.5)
    cell.reset_dropout_mask()
    numpy.testing.assert_array_equal(cell.project_inputs(sequence, training=False), numpy.ones((3, 6, 16)))
    assert cell._dropout_mask is None


def test_lstm_dropout_is_reproducible_with_a_seed_and_off_at_inference():
    x = data((2, 5, 3))
    layers = [LSTM(4, dropout=0.5, recurrent_dropout=0.5, seed=7) for _ in range(2)]
    for layer in layers:
        layer(x)
        set_random_weights(layer)
    first, second = (layer(x, training=True) for layer in layers)
    numpy.testing.assert_array_equal(first, second)
    assert not numpy.allclose(first, layers[0](x))
    numpy.testing.assert_array_equal(layers[0](x), layers[1](x, training=False))


def test_a_recurrent_layer_refuses_2d_inputs_naming_itself_and_the_shape():
    with pytest.raises(ValueError, match=r"LSTM 'words' takes sequences of shape \(batch, timesteps, features\); "
                                         r"received input shape \(4, 7\)"):
        LSTM(3, name="words")(data((4, 7)))
    with pytest.raises(ValueError, match=r"received input shape \(None, 7\)"):
        Sequential([Input((7,)), LSTM(3)])


def test_a_mask_that_does_not_fit_the_inputs_is_refused_naming_both_shapes():
    layer = LSTM(3, name="reader")
    with pytest.raises(ValueError, match=r"Layer 'reader' \(LSTM\) received a mask of shape \(2, 5\) for "
                                         r"inputs of shape \(2, 4, 3\); expected a mask of shape \(2, 4\)"):
        layer(data((2, 4, 3)), mask=numpy.ones((2, 5), bool))


def test_lstm_refuses_bad_arguments_before_building():
    with pytest.raises(ValueError, match="`units` must be a positive integer; received units=0"):
        LSTM(0)
    with pytest.raises(ValueError, match="`dropout` must be a float between 0.0 and 1.0; received dropout=1.5"):
        LSTM(3, dropout=1.5)
    with pytest.raises(ValueError, match="`initial_state` must hold 2 array"):
        LSTM(3)(data((2, 4, 3)), initial_state=[numpy.zeros((2, 3))])


def test_a_conv1d_then_lstm_stack_trains_in_a_sequential():
    microkeras.utils.set_random_seed(0)
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(64, 12, 2)).astype(numpy.float32)
    y = (x[:, :, 0].sum(axis=1, keepdims=True) > 0).astype(numpy.float32)
    model = Sequential([Input((12, 2)), Conv1D(4, 3, activation="relu"), LSTM(8), Dense(1, activation="sigmoid")])
    model.compile(microkeras.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=15, verbose=0).history
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    assert history["accuracy"][-1] > 0.8


# ---------------------------------------------------------- GRU, SimpleRNN
@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True, "go_backwards": True}, {"reset_after": False},
                                    {"use_bias": False}, {"reset_after": False, "use_bias": False}],
                         ids=["last", "backwards", "reset-before", "no-bias", "reset-before-no-bias"])
def test_gru_passes_layer_checks(kwargs):
    check_layer(lambda: GRU(3, **kwargs), (2, 4, 5), (2, 4, 3) if kwargs.get("return_sequences") else (2, 3),
                2 if kwargs.get("use_bias") is False else 3, 0)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_with_dropout_passes_layer_checks_while_training(reset_after):
    check_layer(lambda: GRU(3, dropout=0.3, recurrent_dropout=0.4, reset_after=reset_after, seed=1), (3, 4, 5),
                (3, 3), 3, 0, training=True)


@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True, "activation": "relu"}, {"use_bias": False},
                                    {"dropout": 0.3, "recurrent_dropout": 0.3, "seed": 3}],
                         ids=["last", "sequences-relu", "no-bias", "dropout"])
def test_simple_rnn_passes_layer_checks(kwargs):
    check_layer(lambda: SimpleRNN(3, **kwargs), (2, 4, 5), (2, 4, 3) if kwargs.get("return_sequences") else (2, 3),
                2 if kwargs.get("use_bias") is False else 3, 0, training="dropout" in kwargs)


@pytest.mark.parametrize("reset_after, bias_shape", [(True, (2, 12)), (False, (12,))])
def test_gru_has_keras_weights_for_both_reset_conventions(reset_after, bias_shape):
    layer = GRU(4, reset_after=reset_after, name="g")
    layer(data((2, 3, 5)))
    assert [(w.path, w.shape) for w in layer.weights] == [("g/gru_cell/kernel", (5, 12)),
                                                          ("g/gru_cell/recurrent_kernel", (4, 12)),
                                                          ("g/gru_cell/bias", bias_shape)]
    assert layer.reset_after is reset_after and layer.get_config()["reset_after"] is reset_after


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards, masked", [(False, False), (True, False), (False, True), (True, True)])
def test_gru_outputs_follow_the_gate_equations(reset_after, go_backwards, masked):
    x = data((3, 6, 4))
    mask = padding_mask(3, 6) if masked else None
    layer = GRU(5, return_sequences=True, go_backwards=go_backwards, reset_after=reset_after)
    layer(x)
    weights = set_random_weights(layer)
    expected, _ = run_reference(gru_step(*weights, reset_after=reset_after), x.astype(numpy.float64),
                                [numpy.zeros((3, 5))], mask, go_backwards)
    numpy.testing.assert_allclose(layer(x, mask=mask), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("masked", [False, True])
def test_simple_rnn_outputs_follow_the_step_equation(masked):
    x = data((3, 6, 4))
    mask = padding_mask(3, 6) if masked else None
    layer = SimpleRNN(5, return_sequences=True, return_state=True)
    layer(x)
    weights = set_random_weights(layer)
    expected, (h,) = run_reference(simple_rnn_step(*weights), x.astype(numpy.float64), [numpy.zeros((3, 5))], mask)
    sequence, state = layer(x, mask=mask)
    numpy.testing.assert_allclose(sequence, expected, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(state, h, rtol=1e-5, atol=1e-6)


def test_zero_output_for_mask_outputs_zeros_at_masked_steps_and_keeps_the_state():
    x, mask = data((3, 6, 4)), padding_mask(3, 6)
    layer = RNN(SimpleRNNCell(5), return_sequences=True, return_state=True, zero_output_for_mask=True)
    layer(x)
    weights = set_random_weights(layer)
    expected, (h,) = run_reference(simple_rnn_step(*weights), x.astype(numpy.float64), [numpy.zeros((3, 5))], mask)
    sequence, state = layer(x, mask=mask)
    numpy.testing.assert_allclose(sequence, expected * mask[:, :, None], rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(state, h, rtol=1e-5, atol=1e-6)


def test_a_stateful_gru_starts_from_its_last_state():
    x = data((2, 3, 4))
    layer = GRU(3, stateful=True)
    layer(x)
    weights = set_random_weights(layer)
    layer.reset_states()
    _, states = run_reference(gru_step(*weights), x.astype(numpy.float64), [numpy.zeros((2, 3))])
    expected, _ = run_reference(gru_step(*weights), x.astype(numpy.float64), states)
    layer(x)
    numpy.testing.assert_allclose(layer(x), expected[:, -1], rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- RNN(cell)
class MinimalRNNCell(Layer):
    """Keras's guide example: a cell written as forward code, ``h = x W + h_prev U``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = ops.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class TwoStateCell(Layer):
    """A custom cell with two states, ``output_size``, ``get_initial_state`` and ``training``."""

    state_size = [2, 3]
    output_size = 2

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1] + 3, 5), name="kernel")

    def call(self, inputs, states, training=None):
        mixed = ops.tanh(microkeras.ops.stack([inputs, inputs], axis=0).sum(axis=0) / 2.0
                         @ self.kernel[:-3] + states[1] @ self.kernel[-3:])
        return mixed[:, :2] * states[0], [mixed[:, :2], mixed[:, 2:]]

    def get_initial_state(self, batch_size=None):
        return [numpy.ones((batch_size, 2), numpy.float32), numpy.zeros((batch_size, 3), numpy.float32)]


def test_rnn_runs_a_custom_cell_written_as_forward_code():
    x = data((3, 5, 4))
    layer = check_layer(lambda: RNN(MinimalRNNCell(4), return_sequences=True), (3, 5, 4), (3, 5, 4), 2, 0,
                        input_data=x)
    kernel, recurrent = [w.astype(numpy.float64) for w in layer.get_weights()]

    def step(x_t, states):
        h = numpy.tanh(x_t @ kernel + states[0] @ recurrent)
        return h, [h]

    expected, _ = run_reference(step, x.astype(numpy.float64), [numpy.zeros((3, 4))], padding_mask(3, 5))
    numpy.testing.assert_allclose(layer(x, mask=padding_mask(3, 5)), expected, rtol=1e-5, atol=1e-6)


def test_rnn_uses_a_custom_cells_initial_state_output_size_and_state_list():
    layer = check_layer(lambda: RNN(TwoStateCell(), go_backwards=True), (3, 4, 2), (3, 2), 1, 0)
    output, first, second = RNN(TwoStateCell(), return_state=True)(data((3, 4, 2)))
    assert output.shape == first.shape == (3, 2) and second.shape == (3, 3)
    assert layer.compute_output_shape((None, 4, 2)) == (None, 2)


def test_rnn_stacks_a_list_of_cells_as_keras_stacked_rnn_cells():
    x = data((2, 5, 3))
    layer = RNN([LSTMCell(4), GRUCell(3), SimpleRNNCell(2)], return_sequences=True, return_state=True)
    sequence, lstm_states, gru_state, simple_state = layer(x)
    assert isinstance(layer.cell, StackedRNNCells)
    assert sequence.shape == (2, 5, 2) and [s.shape for s in lstm_states] == [(2, 4), (2, 4)]
    assert gru_state[0].shape == (2, 3) and simple_state[0].shape == (2, 2)
    assert [w.path.split("/", 1)[1].split("/")[0] for w in layer.weights] == ["stacked_rnn_cells"] * 9
    weights = [w.astype(numpy.float64) for w in layer.get_weights()]
    steps = [lstm_step(*weights[:3]), gru_step(*weights[3:6]), simple_rnn_step(*weights[6:])]

    def stacked(x_t, states):
        new_states = []
        for step, cell_states in zip(steps, states):
            x_t, cell_states = step(x_t, cell_states)
            new_states.append(cell_states)
        return x_t, new_states

    zeros = [[numpy.zeros((2, 4))] * 2, [numpy.zeros((2, 3))], [numpy.zeros((2, 2))]]
    expected, _ = run_reference(stacked, x.astype(numpy.float64), zeros)
    numpy.testing.assert_allclose(sequence, expected, rtol=1e-5, atol=1e-6)
    check_layer(lambda: RNN([LSTMCell(3), GRUCell(2)], return_sequences=True), (2, 4, 3), (2, 4, 2), 6, 0)


def test_rnn_refuses_an_object_that_is_not_a_cell():
    with pytest.raises(ValueError, match="`cell` must have a `call"):
        RNN(object())
    with pytest.raises(ValueError, match="`state_size` attribute"):
        RNN(Dense(3))


# ------------------------------------------------------------- Bidirectional
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
def test_bidirectional_passes_layer_checks(merge_mode):
    width = 6 if merge_mode == "concat" else 3
    check_layer(lambda: Bidirectional(LSTM(3, return_sequences=True), merge_mode=merge_mode), (2, 4, 5),
                (2, 4, width), 6, 0)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("masked", [False, True])
def test_bidirectional_merges_the_forward_and_the_flipped_backward_sequence(merge_mode, masked):
    x = data((3, 6, 4))
    mask = padding_mask(3, 6) if masked else None
    layer = Bidirectional(GRU(3, return_sequences=True, name="gru"), merge_mode=merge_mode)
    layer(x)
    weights = set_random_weights(layer)
    assert [w.path.split("/", 1)[1] for w in layer.weights] == [
        f"{d}_gru/gru_cell/{n}" for d in ("forward", "backward") for n in ("kernel", "recurrent_kernel", "bias")]
    zeros = [numpy.zeros((3, 3))]
    forward, _ = run_reference(gru_step(*weights[:3]), x.astype(numpy.float64), zeros, mask)
    backward, _ = run_reference(gru_step(*weights[3:]), x.astype(numpy.float64), zeros, mask, go_backwards=True)
    if masked:  # Bidirectional makes both directions output zeros at masked steps
        forward, backward = forward * mask[:, :, None], backward * mask[:, ::-1, None]
    backward = backward[:, ::-1]
    expected = {"concat": lambda: numpy.concatenate([forward, backward], axis=-1), "sum": lambda: forward + backward,
                "mul": lambda: forward * backward, "ave": lambda: (forward + backward) / 2,
                None: lambda: [forward, backward]}[merge_mode]()
    output = layer(x, mask=mask)
    for got, want in zip(output if merge_mode is None else [output], expected if merge_mode is None else [expected]):
        numpy.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_bidirectional_return_state_gives_the_forward_then_the_backward_states():
    x = data((2, 5, 3))
    layer = Bidirectional(LSTM(4, return_state=True), merge_mode="sum")
    output, *states = layer(x)
    assert output.shape == (2, 4) and [s.shape for s in states] == [(2, 4)] * 4
    forward = layer.forward_layer(x)
    numpy.testing.assert_allclose(states[0], forward[1], rtol=1e-6)
    assert layer.compute_output_shape((None, 5, 3)) == ((None, 4),) + ((None, 4),) * 4
    again = layer(x, initial_state=states)
    assert again[0].shape == (2, 4)


def test_bidirectional_refuses_a_bad_merge_mode_and_mismatched_layers():
    with pytest.raises(ValueError, match="`merge_mode` must be 'concat', 'sum', 'mul', 'ave' or None; received "
                                         "merge_mode='max'"):
        Bidirectional(LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="same `return_sequences`"):
        Bidirectional(LSTM(3), backward_layer=LSTM(3, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="different `go_backwards`"):
        Bidirectional(LSTM(3), backward_layer=LSTM(3))
    with pytest.raises(ValueError, match="`layer` must be a recurrent Layer"):
        Bidirectional("lstm")


def test_bidirectional_with_a_given_backward_layer_round_trips_its_config():
    layer = Bidirectional(LSTM(3, return_sequences=True), backward_layer=GRU(3, go_backwards=True,
                                                                              return_sequences=True))
    check_layer(layer, (2, 4, 2), (2, 4, 6), 6, 0)
    assert isinstance(layer.backward_layer, GRU) and layer.backward_layer.zero_output_for_mask


# ----------------------------------------------------------- TimeDistributed
def test_time_distributed_passes_layer_checks_and_shares_weights_over_steps():
    layer = check_layer(lambda: TimeDistributed(Dense(3, activation="tanh")), (2, 4, 5), (2, 4, 3), 2, 0)
    x = data((2, 4, 5))
    kernel, bias = layer.get_weights()
    numpy.testing.assert_allclose(layer(x), numpy.tanh(x @ kernel + bias), rtol=1e-5, atol=1e-6)


def test_time_distributed_applies_an_image_layer_to_every_frame_in_one_call():
    frames = data((2, 3, 6, 6, 1))
    layer = TimeDistributed(Conv2D(2, 3), name="per_frame")
    output = layer(frames)
    assert output.shape[1:] == layer.compute_output_shape((None, 3, 6, 6, 1))[1:] == (3, 4, 4, 2)
    for t in range(3):
        numpy.testing.assert_allclose(output[:, t], layer.layer(frames[:, t]), rtol=1e-5, atol=1e-6)
    check_layer(lambda: TimeDistributed(Conv1D(2, 2)), (2, 3, 4, 2), (2, 3, 3, 2), 2, 0)


def test_time_distributed_hands_a_per_step_mask_to_an_inner_recurrent_layer():
    x = data((2, 3, 4, 5))
    mask = padding_mask(6, 4).reshape(2, 3, 4)
    layer = TimeDistributed(LSTM(2))
    output = layer(x, mask=mask)
    inner = layer.layer
    for t in range(3):
        numpy.testing.assert_allclose(output[:, t], inner(x[:, t], mask=mask[:, t]), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"the mask has shape \(2, 2\), but inputs of shape \(2, 3, 4, 5\)"):
        layer(x, mask=numpy.ones((2, 2), bool))
    with pytest.raises(ValueError, match=r"TimeDistributed 'td' takes inputs of shape \(batch, timesteps, \.\.\.\)"):
        TimeDistributed(Dense(2), name="td")(data((2, 3)))


def test_recurrent_regularizers_add_losses_and_constraints_hold_after_fit():
    layer = GRU(3, kernel_regularizer="l2", recurrent_regularizer="l1", bias_regularizer="l2",
                recurrent_constraint=microkeras.constraints.MaxNorm(0.5), name="regular")
    model = Sequential([Input((4, 2)), layer, Dense(1)])
    assert len(model.losses) == 3
    model.compile("sgd", "mse")
    model.fit(data((8, 4, 2)), data((8, 1)), epochs=1, verbose=0)
    norms = numpy.sqrt((layer.cell.recurrent_kernel.numpy() ** 2).sum(axis=0))
    assert norms.max() <= 0.5 + 1e-6
    config = layer.get_config()
    assert config["kernel_regularizer"]["class_name"] == "L2"
    assert config["recurrent_constraint"]["class_name"] == "MaxNorm"


def test_an_encoder_hands_its_states_to_a_decoder_in_a_functional_model():
    encoder_inputs, decoder_inputs = Input((5, 3)), Input((4, 2))
    _, h, c = LSTM(6, return_state=True, name="encoder")(encoder_inputs)
    decoded = LSTM(6, return_sequences=True, name="decoder")(decoder_inputs, initial_state=[h, c])
    model = microkeras.Model([encoder_inputs, decoder_inputs], TimeDistributed(Dense(2))(decoded))
    x = [data((8, 5, 3)), data((8, 4, 2), seed=1)]
    assert model.predict(x, verbose=0).shape == (8, 4, 2)
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    _, h_value, c_value = encoder(x[0])
    numpy.testing.assert_allclose(model.layers[-1](decoder(x[1], initial_state=[h_value, c_value])),
                                  model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    model.compile("adam", "mse")
    before = encoder.get_weights()[0].copy()
    model.fit(x, data((8, 4, 2), seed=2), epochs=1, verbose=0)
    assert not numpy.array_equal(encoder.get_weights()[0], before)  # the gradient reaches the encoder
