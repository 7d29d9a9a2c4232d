"""One harness every layer test calls, in the spirit of Keras's ``run_layer_test``.

:func:`check_layer` builds a fresh layer on random float32 data and checks, in
one place, what every layer owes its users: the output shape and dtype, the
weight counts, gradients against finite differences, a float32 backward pass,
weight binding through ``stateless_call``, and the config round trip.

Gradients are checked in float64 on the layer's ``call`` with float64 copies
of the weights bound in (``microkeras.testing.call_with_weights``:
``Layer.__call__`` would cast a concrete float64 input back to float32, which
finite differences cannot survive), and in float32 through the public
``stateless_call``.
"""

import json
import warnings

import autograd.numpy as np
import numpy
import pytest

from microkeras import Variable
from microkeras.testing import assert_float32_backward, call_with_weights, check_gradient
from microkeras.variables import VariableBox


def check_layer(layer_factory, input_shape, expected_output_shape, expected_num_trainable_weights=0,
                expected_num_non_trainable_weights=0, training=False, check_gradients=True,
                input_data=None):
    """Run the standard layer checks on ``layer_factory()``; return the built layer.

    Parameters
    ----------
    layer_factory : callable
        Returns a new, unbuilt layer.
    input_shape : tuple of int
        Shape of the test batch, batch dimension first.
    expected_output_shape : tuple of int
        Shape of the output for that batch.
    expected_num_trainable_weights, expected_num_non_trainable_weights : int
        Lengths of ``trainable_weights`` and ``non_trainable_weights``.
    training : bool
        The ``training`` flag of every call.
    check_gradients : bool
        Whether to run the finite-difference and float32-backward checks.
    input_data : array, optional
        The batch to use instead of :func:`random_input` (for layers whose kinks
        random data could hit).
    """
    layer = layer_factory()
    x = random_input(input_shape) if input_data is None else numpy.asarray(input_data, numpy.float32)

    output = layer(x, training=training)
    assert output.shape == tuple(expected_output_shape), \
        f"output shape {output.shape}, expected {tuple(expected_output_shape)}"
    assert output.dtype == numpy.float32, f"output dtype {output.dtype}, expected float32"
    _check_weights(layer, expected_num_trainable_weights, expected_num_non_trainable_weights)

    assert_stateless_call_restores_weights(layer, x, training=training)
    if check_gradients:
        rewind = _noise_rewinder(layer)
        _check_float64_gradients(layer, x, training, rewind)
        _check_float32_backward(layer, x, training, rewind)
    check_config_round_trip(layer)
    return layer


def random_input(shape, seed=0):
    """Float32 values of magnitude 0.5 to 1.5 with random signs: away from the kinks at 0."""
    rng = numpy.random.default_rng(seed)
    magnitude = rng.uniform(0.5, 1.5, size=shape)
    return (magnitude * rng.choice([-1.0, 1.0], size=shape)).astype(numpy.float32)


def _check_weights(layer, num_trainable, num_non_trainable):
    assert len(layer.trainable_weights) == num_trainable, \
        f"{len(layer.trainable_weights)} trainable weights, expected {num_trainable}"
    assert len(layer.non_trainable_weights) == num_non_trainable, \
        f"{len(layer.non_trainable_weights)} non-trainable weights, expected {num_non_trainable}"
    assert len(layer.weights) == num_trainable + num_non_trainable
    for w in layer.weights:
        assert type(w) is Variable and w.dtype == numpy.float32, \
            f"weight {type(w).__name__} of dtype {getattr(w, 'dtype', None)}, expected a float32 Variable"
    assert layer.count_params() == sum(w.size for w in layer.weights)


def assert_stateless_call_restores_weights(layer, inputs, training=False, raises=None):
    """Assert ``stateless_call`` leaves the layer reading its own arrays afterwards.

    Binds fresh arrays; with ``raises`` (an exception type) the call must raise
    it, and the weights must be restored all the same.  ``layer`` must be built.
    """
    assert layer.built, "build the layer before checking its binding"
    own = layer.weights
    holders = _weight_holders(layer)
    replacements = [numpy.full(w.shape, 0.25, numpy.float32) for w in own]
    if raises is None:
        _stateless(layer, replacements, inputs, training)
    else:
        with pytest.raises(raises):
            _stateless(layer, replacements, inputs, training)
    assert all(a is b for a, b in zip(layer.weights, own)), "layer.weights changed identity"
    assert _weight_holders(layer) == holders, "an attribute no longer holds the layer's own weight"
    leftovers = [key for key, value in _attribute_values(layer) if _is_stand_in(value)]
    assert not leftovers, f"bound values left in attribute(s) {leftovers}"


def _is_stand_in(value):
    """A value a call scope binds for a pass: a traced VariableBox or a snapshot Variable."""
    return isinstance(value, VariableBox) or isinstance(value, Variable) and value._origin is not value


def _attribute_values(layer):
    """``(attribute, value)`` for every attribute and every item of a list attribute."""
    for key, value in vars(layer).items():
        yield key, value
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield f"{key}[{i}]", item


def _weight_holders(layer):
    """``{attribute: id(weight)}`` for every attribute (or list item) holding a weight."""
    ids = {id(w) for w in layer.weights}
    return {key: id(value) for key, value in _attribute_values(layer) if id(value) in ids}


def _noise_rewinder(layer):
    """Return a function that puts the layer's random generators back to their present state.

    A finite-difference check evaluates the layer many times; a layer drawing
    noise while training (Dropout) must draw the same noise in each.
    """
    generators = [v for v in vars(layer).values() if isinstance(v, numpy.random.Generator)]
    states = [g.bit_generator.state for g in generators]

    def rewind():
        for generator, state in zip(generators, states):
            generator.bit_generator.state = state

    return rewind


def _check_float64_gradients(layer, x, training, rewind):
    """Autograd's gradient w.r.t. the input and each weight vs central differences, in float64."""
    call_kwargs = {"training": training} if layer._call_takes_training() else {}
    weights64 = [numpy.asarray(w, numpy.float64) for w in layer.weights]
    x64 = x.astype(numpy.float64)

    def forward64(weights, inputs):
        rewind()
        return call_with_weights(layer, weights, inputs, **call_kwargs)

    out64 = forward64(weights64, x64)
    assert out64.dtype == numpy.float64, \
        f"call turned float64 inputs and weights into {out64.dtype}: the float64 check would be void"
    rewind()
    out32 = _stateless(layer, list(layer.weights), x, training)
    numpy.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-5,
                                  err_msg="stateless_call (float32) disagrees with call (float64)")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Output seems independent of input": binding failed
        check_gradient(lambda inputs: forward64(weights64, inputs), x64)
        for i in range(len(weights64)):
            def with_weight_i(value, i=i):
                return forward64(weights64[:i] + [value] + weights64[i + 1:], x64)
            check_gradient(with_weight_i, weights64[i])


def _check_float32_backward(layer, x, training, rewind):
    """The whole backward pass of ``stateless_call`` stays float32, for the weights and the input."""
    rewind()
    probe_shape = _stateless(layer, list(layer.weights), x, training).shape
    probe = numpy.random.default_rng(1).normal(size=probe_shape).astype(numpy.float32)

    def projected(weights, inputs):
        rewind()
        return np.sum(_stateless(layer, weights, inputs, training) * probe)

    weights = layer.get_weights()
    if weights:
        grads = assert_float32_backward(lambda ws: projected(ws, x), weights)
        assert [g.shape for g in grads] == [w.shape for w in weights]
    grad_x = assert_float32_backward(lambda inputs: projected(weights, inputs), x)
    assert grad_x.shape == x.shape


def check_config_round_trip(layer):
    """``get_config`` is plain JSON and survives ``from_config`` directly and through ``json``."""
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config, f"get_config() is not plain JSON: {config!r}"
    assert type(layer).from_config(config).get_config() == config
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config


def _stateless(layer, weights, inputs, training):
    """``layer``'s outputs with ``weights`` (in ``layer.weights`` order) bound in."""
    count = len(layer.trainable_weights)
    outputs, _ = layer.stateless_call(weights[:count], weights[count:], inputs, training=training)
    return outputs
