"""Checks for layer and primitive authors: finite-difference gradients and float32 backward passes.

Used by microkeras's own test suite, and meant for yours: a custom layer or
``ops`` primitive should pass :func:`check_gradient` in float64 and
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

import autograd
import autograd.core
import numpy

from microkeras.call_scope import CallScope


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
    x = numpy.array(x, dtype=numpy.float64)
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
