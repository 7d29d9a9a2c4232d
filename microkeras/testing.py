"""Checks for layer and primitive authors: one call for a layer, finite differences, float32.

Used by microkeras's own test suite, and meant for yours.  A custom layer is
checked with one call, :func:`check_layer`, which runs every check below on
it; an ``ops`` primitive should pass :func:`check_gradient` in float64 and
:func:`assert_float32_backward` in float32.

``check_gradient`` compares autograd's reverse-mode gradient with central
differences in float64 (autograd's own ``check_grads`` also runs forward mode,
which primitives with only a VJP lack, and uses tolerances float32 cannot meet).

``record_backward_dtypes`` records the dtype of every cotangent that enters
and leaves each VJP while gradients are computed, so a test can prove the whole
backward pass runs in float32: the dtype of the returned gradient alone hides
upcasts in the middle (autograd casts the final gradient back to the
parameter's dtype).
"""

import contextlib
import json
import warnings

import autograd
import autograd.core
import autograd.numpy as anp
import numpy

from microkeras import tracking
from microkeras.call_scope import CallScope
from microkeras.variables import Variable, VariableBox


def check_layer(layer, input_shape, expected_output_shape=None, expected_num_trainable_weights=None,
                expected_num_non_trainable_weights=None, *, training=False, input_data=None,
                check_gradients=True, check_training=True):
    """Run every check a layer owes its users; return the layer, built and trained one step.

    Parameters
    ----------
    layer : Layer or callable
        An unbuilt layer, or a function returning one.
    input_shape : tuple of int, or a list of them
        The shape of the test batch, batch dimension first (a list of shapes
        for a layer that takes a list of inputs, such as a merge layer).
    expected_output_shape : tuple, optional
        Checked besides ``compute_output_shape``.
    expected_num_trainable_weights, expected_num_non_trainable_weights : int, optional
        Lengths of ``trainable_weights`` and ``non_trainable_weights``.
    training : bool
        The ``training`` flag of the checked calls.
    input_data : array, optional
        The batch to use instead of random values of magnitude 0.5-1.5 (for
        layers whose kinks or domain random data could hit).  Required for
        layers that take integer ids (``keeps_integer_inputs``): integer data
        stays integer and gets no gradient check.
    check_gradients, check_training : bool
        Whether to run the gradient checks, and the one-step ``fit``.

    Checks, in order: the output's shape equals ``compute_output_shape``
    (and ``expected_output_shape``) and its dtype is float32; the weights are
    float32 Variables and ``count_params`` counts them; ``stateless_call``
    leaves the layer's own weights in place; the gradients with respect to
    the input and to every weight match central differences in float64;
    every cotangent of the backward pass stays float32; ``get_config`` is
    plain JSON and round-trips through ``from_config``; one ``fit`` step of
    a model made of the layer moves every trainable weight.
    """
    from microkeras.layers.layer import Layer

    if not isinstance(layer, Layer):
        layer = layer()
    several = isinstance(input_shape, list)
    if input_data is None and layer.keeps_integer_inputs:
        raise TypeError(f"check_layer: {type(layer).__name__} takes integer ids; pass them as `input_data`.")
    if several:
        x = [_test_input(d) for d in input_data] if input_data is not None else \
            [random_input(shape, seed) for seed, shape in enumerate(input_shape)]
    else:
        x = _test_input(input_data) if input_data is not None else random_input(input_shape)
    output = layer(x, training=training)
    declared = tuple(layer.compute_output_shape([tuple(s) for s in input_shape] if several else tuple(input_shape)))
    assert tuple(output.shape) == declared, \
        f"output shape {tuple(output.shape)}, but compute_output_shape says {declared}"
    if expected_output_shape is not None:
        assert tuple(output.shape) == tuple(expected_output_shape), \
            f"output shape {tuple(output.shape)}, expected {tuple(expected_output_shape)}"
    assert output.dtype == numpy.float32, f"output dtype {output.dtype}, expected float32"
    _check_weights(layer, expected_num_trainable_weights, expected_num_non_trainable_weights)
    assert_stateless_call_restores_weights(layer, x, training=training)
    if check_gradients:
        rewind = _noise_rewinder(layer)
        _check_float64_gradients(layer, x, training, rewind)
        _check_float32_backward(layer, x, training, rewind)
    check_config_round_trip(layer)
    if check_training and layer.trainable_weights:
        _check_one_fit_step_moves_every_weight(layer, x, training)
    return layer


def _test_input(data):
    """``data`` as float32, or as it is if it holds integers (ids, which have no gradient)."""
    data = numpy.asarray(data)
    return data if data.dtype.kind in "iu" else data.astype(numpy.float32)


def random_input(shape, seed=0):
    """Float32 values of magnitude 0.5 to 1.5 with random signs: away from the kinks at 0."""
    rng = numpy.random.default_rng(seed)
    magnitude = rng.uniform(0.5, 1.5, size=shape)
    return (magnitude * rng.choice([-1.0, 1.0], size=shape)).astype(numpy.float32)


def _check_weights(layer, num_trainable, num_non_trainable):
    if num_trainable is not None:
        assert len(layer.trainable_weights) == num_trainable, \
            f"{len(layer.trainable_weights)} trainable weights, expected {num_trainable}"
    if num_non_trainable is not None:
        assert len(layer.non_trainable_weights) == num_non_trainable, \
            f"{len(layer.non_trainable_weights)} non-trainable weights, expected {num_non_trainable}"
    assert len(layer.weights) == len(layer.trainable_weights) + len(layer.non_trainable_weights)
    for w in layer.weights:
        assert type(w) is Variable and w.dtype == numpy.float32, \
            f"weight {type(w).__name__} of dtype {getattr(w, 'dtype', None)}, expected a float32 Variable"
    assert layer.count_params() == sum(w.size for w in layer.weights)


def assert_stateless_call_restores_weights(layer, inputs, training=False, raises=None):
    """Assert ``stateless_call`` leaves every attribute of the layer holding its own variables.

    Binds fresh values; with ``raises`` (an exception type) the call must raise
    it, and the weights must be restored all the same.  ``layer`` must be built.
    """
    assert layer.built, "build the layer before checking its binding"
    own = layer.weights
    holders = _weight_holders(layer)
    replacements = [numpy.full(w.shape, 0.25, numpy.float32) for w in own]
    count = len(layer.trainable_weights)
    call = lambda: layer.stateless_call(replacements[:count], replacements[count:], inputs,  # noqa: E731
                                        training=training)
    if raises is None:
        call()
    else:
        try:
            call()
        except raises:
            pass
        else:
            raise AssertionError(f"stateless_call did not raise {raises.__name__}")
    assert all(a is b for a, b in zip(layer.weights, own)), "layer.weights changed identity"
    assert _weight_holders(layer) == holders, "an attribute no longer holds the layer's own weight"
    leftovers = [key for key, value in _attribute_values(layer) if _is_stand_in(value)]
    assert not leftovers, f"bound values left in attribute(s) {leftovers}"


def _attribute_values(layer):
    """``(place, value)`` for every weight, stand-in or random generator held by the layer or its
    sublayers, in attributes, lists and dicts."""
    from microkeras.layers.layer import _UNTRACKED

    wanted = (Variable, VariableBox, numpy.random.Generator)
    for sublayer in layer._flatten_layers():
        for container, key, value in tracking.places(sublayer, wanted, _UNTRACKED):
            yield f"{sublayer.name}.{key}" if container is vars(sublayer) else f"{sublayer.name}[{key}]", value


def _weight_holders(layer):
    ids = {id(w) for w in layer.weights}
    return {place: id(value) for place, value in _attribute_values(layer) if id(value) in ids}


def _is_stand_in(value):
    """A value a call scope binds for a pass: a traced VariableBox or a snapshot Variable."""
    return isinstance(value, VariableBox) or isinstance(value, Variable) and value._origin is not value


def _noise_rewinder(layer):
    """A function that puts the random generators of the layer and its sublayers back to their
    present state: a finite-difference check must see the same noise in every evaluation."""
    generators = [value for _, value in _attribute_values(layer) if isinstance(value, numpy.random.Generator)]
    states = [g.bit_generator.state for g in generators]

    def rewind():
        for generator, state in zip(generators, states):
            generator.bit_generator.state = state

    return rewind


def _stateless(layer, weights, inputs, training):
    """``layer``'s outputs with ``weights`` (in ``layer.weights`` order) bound in."""
    count = len(layer.trainable_weights)
    outputs, _ = layer.stateless_call(weights[:count], weights[count:], inputs, training=training)
    return outputs


def _check_float64_gradients(layer, x, training, rewind):
    """autograd's gradients with respect to the input and each weight vs central differences, in float64."""
    call_kwargs = {"training": training} if layer._call_takes_training() else {}
    weights64 = [numpy.asarray(w, numpy.float64) for w in layer.weights]
    x64 = [_float64(part) for part in x] if isinstance(x, list) else _float64(x)

    def forward64(weights, inputs):
        rewind()
        return call_with_weights(layer, weights, inputs, **call_kwargs)

    out64 = forward64(weights64, x64)
    assert numpy.asarray(out64).dtype == numpy.float64, \
        f"call turned float64 inputs and weights into {numpy.asarray(out64).dtype}: the float64 check would be void"
    rewind()
    out32 = _stateless(layer, layer.get_weights(), x, training)
    numpy.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-5,
                                  err_msg="stateless_call (float32) disagrees with call (float64)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Output seems independent of input": binding failed
        for replace, part in _input_parts(x64):
            check_gradient(lambda value, replace=replace: forward64(weights64, replace(value)), part)
        for i in range(len(weights64)):
            if not layer.weights[i].trainable:
                continue

            def with_weight_i(value, i=i):
                return forward64(weights64[:i] + [value] + weights64[i + 1:], x64)

            check_gradient(with_weight_i, weights64[i])


def _check_float32_backward(layer, x, training, rewind):
    """The whole backward pass of ``stateless_call`` stays float32, for the weights and the input."""
    rewind()
    probe_shape = _stateless(layer, layer.get_weights(), x, training).shape
    probe = numpy.random.default_rng(1).normal(size=probe_shape).astype(numpy.float32)

    def projected(weights, inputs):
        rewind()
        return anp.sum(_stateless(layer, weights, inputs, training) * probe)

    weights = layer.get_weights()
    count = len(layer.trainable_weights)
    if count:
        grads = assert_float32_backward(lambda ws: projected(ws + weights[count:], x), weights[:count])
        assert [g.shape for g in grads] == [w.shape for w in weights[:count]]
    for replace, part in _input_parts(x):
        grad_x = assert_float32_backward(lambda value, replace=replace: projected(weights, replace(value)), part)
        assert grad_x.shape == part.shape


def _float64(part):
    return part if part.dtype.kind in "iu" else part.astype(numpy.float64)


def _input_parts(x):
    """``(replace, part)`` for each float input array (integer ids have no gradient): ``replace(value)``
    gives the inputs with that part swapped."""
    if not isinstance(x, list):
        return [(lambda value: value, x)] if x.dtype.kind == "f" else []
    return [(lambda value, i=i: x[:i] + [value] + x[i + 1:], part) for i, part in enumerate(x)
            if part.dtype.kind == "f"]


def check_config_round_trip(layer):
    """``get_config`` is plain JSON and survives ``from_config`` directly and through ``json``."""
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config, f"get_config() is not plain JSON: {config!r}"
    assert type(layer).from_config(config).get_config() == config
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config


def _check_one_fit_step_moves_every_weight(layer, x, training):
    """One SGD step of ``Sequential([Input, layer])`` on a random target changes every trainable weight."""
    from microkeras.layers.core import Input
    from microkeras.models import Sequential

    if isinstance(x, list):  # a layer of several inputs is checked by the other checks
        return
    model = Sequential([Input(x.shape[1:], dtype=x.dtype if x.dtype.kind in "iu" else None), layer])
    model.compile("sgd", "mse")
    target = numpy.random.default_rng(2).normal(size=model.predict(x, verbose=0).shape).astype(numpy.float32)
    before = [w.numpy() for w in layer.trainable_weights]
    model.fit(x, target, batch_size=len(x), epochs=1, verbose=0)
    still = [w.path for w, old in zip(layer.trainable_weights, before) if numpy.array_equal(w.numpy(), old)]
    assert not still, f"one fit step left trainable weight(s) {still} unchanged: no gradient reaches them"


def call_with_weights(layer, weights, *args, **kwargs):
    """``layer.call(*args, **kwargs)`` reading ``weights`` (in ``layer.weights`` order) as its weights.

    Unlike ``layer(...)`` or ``stateless_call``, inputs are not cast to
    float32 and the layer is not built here, so a gradient check can run
    ``call`` in float64 (``weights`` may be traced values).
    """
    with CallScope(zip(layer.weights, weights), commit=False, record_losses=False) as scope, \
            scope.binding(layer):
        return layer.call(*args, **kwargs)


def numeric_gradient(f, x, eps=1e-6):
    """Central-difference gradient of scalar ``f`` at float64 array ``x``."""
    x = numpy.array(x, dtype=numpy.float64, order="C")  # C order: the flat view below must alias x
    grad = numpy.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = float(f(x))
        flat[i] = old - eps
        down = float(f(x))
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def check_gradient(f, x, rtol=1e-5, atol=1e-6, eps=1e-6):
    """Assert autograd's gradient of ``f`` at ``x`` matches finite differences.

    ``f`` maps a float64 array to a scalar; ``x`` is cast to float64.  The
    function is contracted with fixed random weights when it returns an array,
    so a check covers every output element.
    """
    x = numpy.array(x, dtype=numpy.float64)
    probe = None

    def scalar(v):
        nonlocal probe
        out = f(v)
        if numpy.ndim(out) == 0:
            return out
        if probe is None:
            probe = numpy.random.default_rng(0).normal(size=numpy.shape(out))
        return autograd.numpy.sum(out * probe)

    analytic = autograd.grad(scalar)(x)
    numeric = numeric_gradient(scalar, x, eps)
    numpy.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)
    return analytic


@contextlib.contextmanager
def record_backward_dtypes():
    """Record ``(primitive-vjp, dtype-in, dtypes-out)`` for every VJP called inside.

    Yields a list that fills while gradients are computed in the block.
    """
    records = []
    original_init = autograd.core.VJPNode.__init__

    def init(self, value, fun, args, kwargs, parent_argnums, parents):
        original_init(self, value, fun, args, kwargs, parent_argnums, parents)
        vjp = self.vjp
        name = getattr(fun, "__name__", repr(fun))

        def recording_vjp(g):
            out = tuple(vjp(g))  # autograd may return a one-shot generator
            records.append((name, _dtype(g), tuple(_dtype(o) for o in out)))
            return out

        self.vjp = recording_vjp

    autograd.core.VJPNode.__init__ = init
    try:
        yield records
    finally:
        autograd.core.VJPNode.__init__ = original_init


def _dtype(value):
    if isinstance(value, (list, tuple)):
        return tuple(_dtype(v) for v in value)
    if isinstance(value, dict):
        return {k: _dtype(v) for k, v in value.items()}
    dtype = getattr(value, "dtype", None)
    return str(dtype) if dtype is not None else type(value).__name__


def assert_float32_backward(f, *args):
    """Compute ``grad(f)`` at ``args`` (float32) and assert every cotangent stays float32.

    Returns the gradient.  Fails naming the first VJP that saw or produced a
    float64 value.
    """
    with record_backward_dtypes() as records:
        gradient = autograd.grad(f)(*args)
    assert records, "no VJP was traced: the function does not depend on its input"
    for name, dtype_in, dtypes_out in records:
        flat = _flatten_dtypes((dtype_in, dtypes_out))
        assert "float64" not in flat, f"VJP of {name} ran in float64: in {dtype_in}, out {dtypes_out}"
    for d in _flatten_dtypes(_dtype(gradient)):
        assert d == "float32", f"gradient dtype {d}, expected float32"
    return gradient


def _flatten_dtypes(value):
    if isinstance(value, (list, tuple)):
        return [d for v in value for d in _flatten_dtypes(v)]
    if isinstance(value, dict):
        return [d for v in value.values() for d in _flatten_dtypes(v)]
    return [value]
