"""ops.recurrent: Keras's LSTM and GRU equations over a whole sequence, backward by hand."""

import autograd
import autograd.numpy as anp
import numpy
import pytest

from microkeras import Input, Sequential
from microkeras.layers import GRU, LSTM, Dense
from microkeras.layers.rnn import gru as gru_module, lstm as lstm_module
from microkeras.ops.recurrent import gru_sequence, lstm_sequence
from microkeras.testing import assert_float32_backward, check_gradient

BATCH, STEPS, UNITS = 3, 5, 4


def sigmoid(v):
    return 1.0 / (1.0 + numpy.exp(-v))


def lstm_arguments(seed=0, dtype=numpy.float64):
    rng = numpy.random.default_rng(seed)
    projected = rng.normal(size=(BATCH, STEPS, 4 * UNITS))
    kernel = rng.normal(size=(UNITS, 4 * UNITS)) * 0.5
    h0, c0 = rng.normal(size=(BATCH, UNITS)), rng.normal(size=(BATCH, UNITS))
    return [a.astype(dtype) for a in (projected, kernel, h0, c0)]


def lstm_reference(projected, kernel, h0, c0):
    """The gate equations, written out: i, f, g, o = split(z); c = f c + i g; h = o tanh(c)."""
    h, c, blocks = h0, c0, []
    for t in range(projected.shape[1]):
        z = projected[:, t] + h @ kernel
        i, f, g, o = sigmoid(z[:, :UNITS]), sigmoid(z[:, UNITS:2 * UNITS]), numpy.tanh(z[:, 2 * UNITS:3 * UNITS]), \
            sigmoid(z[:, 3 * UNITS:])
        c = f * c + i * g
        h = o * numpy.tanh(c)
        blocks.append(numpy.concatenate([h, c, i, f, g, o], axis=1))
    return numpy.stack(blocks, axis=1)


def gru_arguments(seed=0, dtype=numpy.float64):
    rng = numpy.random.default_rng(seed)
    projected = rng.normal(size=(BATCH, STEPS, 3 * UNITS))
    kernel = rng.normal(size=(UNITS, 3 * UNITS)) * 0.5
    candidate_bias, h0 = rng.normal(size=UNITS), rng.normal(size=(BATCH, UNITS))
    return [a.astype(dtype) for a in (projected, kernel, candidate_bias, h0)]


def gru_reference(projected, kernel, candidate_bias, h0):
    """Keras's reset_after=True equations, written out: z = sig(x_z + h U_z), r = sig(x_r + h U_r),
    n = h U_h + b, candidate = tanh(x_h + r n), h = z h + (1 - z) candidate."""
    h, blocks = h0, []
    for t in range(projected.shape[1]):
        x = projected[:, t]
        z = sigmoid(x[:, :UNITS] + h @ kernel[:, :UNITS])
        r = sigmoid(x[:, UNITS:2 * UNITS] + h @ kernel[:, UNITS:2 * UNITS])
        n = h @ kernel[:, 2 * UNITS:] + candidate_bias
        candidate = numpy.tanh(x[:, 2 * UNITS:] + r * n)
        h = z * h + (1 - z) * candidate
        blocks.append(numpy.concatenate([h, z, r, candidate, n], axis=1))
    return numpy.stack(blocks, axis=1)


OPS = {"lstm": (lstm_sequence, lstm_arguments, lstm_reference, ("projected", "recurrent_kernel", "h0", "c0")),
       "gru": (gru_sequence, gru_arguments, gru_reference, ("projected", "recurrent_kernel", "candidate_bias", "h0"))}
EVERY_ARGUMENT = [(name, argnum) for name in OPS for argnum in range(4)]
EVERY_ARGUMENT_IDS = [f"{name}-{OPS[name][3][argnum]}" for name, argnum in EVERY_ARGUMENT]


@pytest.mark.parametrize("name", list(OPS))
def test_the_trace_holds_the_states_and_the_gates_of_every_step(name):
    op, arguments, reference, _ = OPS[name]
    args = arguments()
    numpy.testing.assert_allclose(op(*args), reference(*args), rtol=1e-12, atol=1e-12)
    # Very negative and positive gate inputs stay finite (the sigmoid reads exp(-|z|) only).
    args[0][0, 0, :] = -1e4
    args[0][1, 0, :] = 1e4
    assert numpy.isfinite(op(*args)).all()


@pytest.mark.parametrize("name, argnum", EVERY_ARGUMENT, ids=EVERY_ARGUMENT_IDS)
def test_gradients_match_finite_differences(name, argnum):
    # The contraction weighs every block of the trace, gates included.
    op, arguments, _, _ = OPS[name]
    args = arguments(1)

    def f(value):
        return op(*(value if k == argnum else a for k, a in enumerate(args)))

    check_gradient(f, args[argnum])


@pytest.mark.parametrize("name", list(OPS))
def test_all_gradients_at_once_equal_each_alone(name):
    op, arguments, _, _ = OPS[name]
    args = arguments(2)

    def loss(*values):
        trace = op(*values)
        return anp.sum(trace[:, :, :UNITS] ** 2) + anp.sum(trace[:, -1, UNITS:2 * UNITS])

    together = autograd.grad(loss, argnum=(0, 1, 2, 3))(*args)
    for k in range(4):
        numpy.testing.assert_allclose(together[k], autograd.grad(loss, argnum=k)(*args), rtol=1e-12)


@pytest.mark.parametrize("name, argnum", EVERY_ARGUMENT, ids=EVERY_ARGUMENT_IDS)
def test_forward_and_backward_stay_float32(name, argnum):
    op, arguments, _, _ = OPS[name]
    args = arguments(3, numpy.float32)
    assert op(*args).dtype == numpy.float32

    def loss(value):
        trace = op(*(value if k == argnum else a for k, a in enumerate(args)))
        return anp.sum(trace[:, :, :2 * UNITS] ** 2)

    assert_float32_backward(loss, args[argnum])


# --------------------------------------------------------- the layers' two paths
LAYERS = {"LSTM": (LSTM, lstm_module, "lstm_sequence", 2), "GRU": (GRU, gru_module, "gru_sequence", 1)}


@pytest.fixture
def sequence_calls(monkeypatch):
    """How many times each layer module called its whole-sequence operation."""
    calls = {"LSTM": 0, "GRU": 0}
    for name, (_, module, op_name, _) in LAYERS.items():
        def counted(*args, _op=getattr(module, op_name), _name=name):
            calls[_name] += 1
            return _op(*args)

        monkeypatch.setattr(module, op_name, counted)
    return calls


def random_weights(layer, seed=6):
    rng = numpy.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=w.shape).astype(numpy.float32) for w in layer.weights]


@pytest.mark.parametrize("layer_name", list(LAYERS))
@pytest.mark.parametrize("options", [{}, {"return_sequences": True}, {"return_state": True, "go_backwards": True},
                                     {"return_sequences": True, "dropout": 0.3},
                                     {"return_sequences": True, "return_state": True, "initial_state": True}],
                         ids=["last", "sequences", "state-backwards", "input-dropout", "initial-state"])
def test_the_layer_gives_the_same_outputs_states_and_gradients_on_both_paths(layer_name, options, sequence_calls):
    # use_cudnn=False forces the cell's step-by-step forward code; "auto" takes the whole-sequence op here.
    layer_class, _, _, state_count = LAYERS[layer_name]
    options = dict(options)
    given_state = options.pop("initial_state", False)
    x = numpy.random.default_rng(4).normal(size=(2, 6, 3)).astype(numpy.float32)
    fast, slow = layer_class(4, **options), layer_class(4, use_cudnn=False, **options)
    fast.build(x.shape)
    slow.build(x.shape)
    fast.set_weights(random_weights(fast))
    slow.set_weights(fast.get_weights())
    dropout_mask = [(numpy.random.default_rng(5).random((2, 3)) > 0.3).astype(numpy.float32) / 0.7]
    for layer in (fast, slow):  # the same input dropout mask on both paths
        layer.cell.get_dropout_mask = lambda step_input: dropout_mask
    states = [numpy.random.default_rng(7 + k).normal(size=(2, 4)).astype(numpy.float32) for k in range(state_count)]

    def outputs(layer, weights, initial_state):
        kwargs = {"initial_state": [initial_state[k] for k in range(state_count)]} if given_state else {}
        result, _ = layer.stateless_call(weights, [], x, training=True, **kwargs)
        return result if isinstance(result, (list, tuple)) else [result]

    def loss(layer, weights, initial_state):
        return sum(anp.sum(o ** 2) for o in outputs(layer, weights, initial_state))

    weights = [w.numpy() for w in fast.trainable_weights]
    fast_outputs, slow_outputs = outputs(fast, weights, states), outputs(slow, weights, states)
    assert sequence_calls[layer_name] == 1  # the fast layer took the whole-sequence path, the slow one did not
    assert len(fast_outputs) == (1 + state_count if options.get("return_state") else 1)
    for a, b in zip(fast_outputs, slow_outputs):
        assert a.dtype == numpy.float32
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    gradients = [autograd.grad(lambda w, s: loss(layer, w, s), argnum=(0, 1))(weights, states)
                 for layer in (fast, slow)]
    (fast_weights, fast_states), (slow_weights, slow_states) = gradients
    for a, b in zip(fast_weights + (fast_states if given_state else []),
                    slow_weights + (slow_states if given_state else [])):
        assert a.dtype == numpy.float32 and numpy.abs(b).max() > 0
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("layer_name", list(LAYERS))
def test_a_stateful_layer_trains_and_carries_its_state_alike_on_both_paths(layer_name, sequence_calls):
    layer_class = LAYERS[layer_name][0]
    rng = numpy.random.default_rng(8)
    x, y = rng.normal(size=(4, 5, 3)).astype(numpy.float32), rng.normal(size=(4, 2)).astype(numpy.float32)
    models = [Sequential([Input((5, 3), batch_size=4), layer_class(4, stateful=True, use_cudnn=use_cudnn), Dense(2)])
              for use_cudnn in ("auto", False)]
    models[0].layers[0].set_weights(random_weights(models[0].layers[0]))
    models[1].set_weights(models[0].get_weights())
    for model in models:
        model.compile("sgd", "mse")
        for _ in range(2):  # the second step starts from the state the first one left
            model.train_on_batch(x, y)
    assert sequence_calls[layer_name] >= 2
    (fast, slow) = models
    for a, b in zip(fast.get_weights(), slow.get_weights()):
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    fast_states, slow_states = ([s.numpy() for s in model.layers[0].states] for model in models)
    assert numpy.abs(fast_states[0]).sum() > 0
    for a, b in zip(fast_states, slow_states):
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("options, call, whole", [
    ({}, {}, True),
    ({"recurrent_dropout": 0.3}, {}, True),  # recurrent dropout is off at inference
    ({"dropout": 0.3}, {"training": True}, True),
    ({"recurrent_dropout": 0.3}, {"training": True}, False),
    ({}, {"mask": True}, False),
    ({"use_cudnn": False}, {}, False),
    ({"activation": "relu"}, {}, False),
    ({"recurrent_activation": "hard_sigmoid"}, {}, False),
    ({"reset_after": False}, {}, False),
    ({"use_bias": False}, {}, False),
    ({"unroll": True}, {}, False),
], ids=["default", "recurrent-dropout-inference", "input-dropout", "recurrent-dropout", "mask", "use-cudnn-false",
        "relu", "hard-sigmoid", "reset-before", "no-bias", "unroll"])
def test_the_gru_runs_the_whole_sequence_only_under_kerass_cudnn_conditions(options, call, whole, sequence_calls):
    x = numpy.random.default_rng(9).normal(size=(2, 5, 3)).astype(numpy.float32)
    layer = GRU(4, **options)
    mask = numpy.ones((2, 5), bool)
    layer(x, **{k: mask if k == "mask" else v for k, v in call.items()})
    assert sequence_calls["GRU"] == (1 if whole else 0)
