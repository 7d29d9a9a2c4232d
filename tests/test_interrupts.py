"""An exception or a KeyboardInterrupt anywhere in a step leaves every layer holding its real arrays.

While a pass is traced (``GradientTape``) or run with given values
(``stateless_call``), the call scope writes stand-ins -- a ``VariableBox`` or
a snapshot ``Variable`` -- into the layers' attributes, and must put the real
weights back whatever happens.  To check it at every point, not only at the
points someone thought of, a ``sys.settrace`` hook counts the lines executed in
microkeras's own files and raises a ``KeyboardInterrupt`` at the N-th one: the
action runs once per line it executes, N = 1, 2, ..., each run interrupted at
its line.  Python removes a trace hook that raises, so each run takes exactly
one interrupt, and the clean-up code that follows runs as it would after a
Ctrl-C.

After each interrupted run, :func:`assert_bookkeeping_clean` checks that no
layer attribute (lists and dicts included) holds a stand-in or an autograd box,
no binding record, scope, trace level or hold on ``weights_lock`` is left, and
the weights are the same finite float32 storage arrays.  Then
:func:`assert_model_usable` checks, untraced, that the model predicts,
evaluates and fits: after every interrupt of the training step, and elsewhere
after the first interrupt at each line of code (a line run in a loop is
interrupted at every iteration but checked this way once, which halves the
time those loops take).  An interrupt inside the optimizer's update may leave
the weights half-updated, which is allowed.

The loops cover every line event of ``train_on_batch``, of ``fit`` around the
step, of ``predict`` and of ``stateless_call`` on a model that has run once
(so every run walks the same lines), and the lines only a model's first step
runs, and the last lines of ``stateless_call``, where its scope closes.  Two
more tests: an ordinary exception in ``call`` during ``fit``, and ``predict``
from another thread while ``fit`` runs.
"""

import os
import sys
import threading

import autograd.numpy as anp
import numpy
import pytest
from autograd.tracer import isbox, trace_stack

import microkeras
from microkeras import call_scope
from microkeras.layers import Dense, Input, Layer
from microkeras.models import Sequential
from microkeras.models.trainer import Trainer
from microkeras.variables import Variable

_PACKAGE = os.path.dirname(microkeras.__file__) + os.sep


class InjectedInterrupt(KeyboardInterrupt):
    """The interrupt the hook raises: a KeyboardInterrupt, told apart from a real Ctrl-C."""


class CountingBlock(Layer):
    """Dense sublayers held in a list, a non-trainable counter ``call`` updates, and an ``add_loss``."""

    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = [Dense(units, activation="tanh"), Dense(units)]

    def build(self, input_shape):
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

    def call(self, inputs, training=None):
        self.calls.assign_add(1.0)
        hidden = self.inner[1](self.inner[0](inputs))
        self.add_loss(1e-3 * anp.mean(hidden ** 2))
        return inputs + hidden


class FailsOnCall(Layer):
    """Passes its input through, but raises ``RuntimeError`` on its ``fail_on``-th call."""

    def __init__(self, fail_on, **kwargs):
        super().__init__(**kwargs)
        self.fail_on = fail_on
        self.count = 0

    def call(self, inputs):
        self.count += 1
        if self.count == self.fail_on:
            raise RuntimeError("FailsOnCall: planned failure")
        return inputs


def make_model(*extra_layers):
    """Dense with a regularizer, a CountingBlock, ``extra_layers`` and a softmax Dense, compiled."""
    model = Sequential([Input((4,)), Dense(8, activation="relu", kernel_regularizer="l2"), CountingBlock(),
                        *extra_layers, Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def make_data(samples=16, seed=0):
    rng = numpy.random.default_rng(seed)
    x = rng.normal(size=(samples, 4)).astype(numpy.float32)
    y = numpy.eye(3, dtype=numpy.float32)[rng.integers(0, 3, samples)]
    return x, y


@pytest.fixture
def trained():
    """A model that has been through fit, evaluate and predict (its caches are built), and its data."""
    model = make_model()
    x, y = make_data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    return model, x, y


# ------------------------------------------------------------------------ injecting
class LineInterrupter:
    """A ``sys.settrace`` hook counting the lines executed in microkeras's own files (this thread
    only) and raising :class:`InjectedInterrupt` at the ``at``-th one (never if ``at`` is None).

    Functions whose code is in ``skip`` run untraced, with everything they call: their lines are
    neither counted nor interrupted.  Without ``at``, ``locations`` lists ``(file, line)`` of
    each line counted.
    """

    def __init__(self, at=None, skip=()):
        self.at = at
        self.skip = frozenset(skip)
        self.lines = 0
        self.locations = []
        self.where = None  # 'file:line (function)' of the interrupted line
        self._skipping = None  # the frame of the skipped function being run

    def _on_call(self, frame, event, arg):
        if self._skipping is not None:
            return None
        if frame.f_code in self.skip:
            self._skipping = frame
            frame.f_trace_lines = False
            return self._on_skipped_event
        return self._on_event if frame.f_code.co_filename.startswith(_PACKAGE) else None

    def _on_skipped_event(self, frame, event, arg):
        if event == "return":
            self._skipping = None
        return self._on_skipped_event

    def _on_event(self, frame, event, arg):
        if event == "line":
            self.lines += 1
            if self.at is None:
                self.locations.append((frame.f_code.co_filename, frame.f_lineno))
            elif self.lines == self.at:
                code = frame.f_code
                file = os.path.relpath(code.co_filename, _PACKAGE)
                self.where = f"{file}:{frame.f_lineno} ({code.co_name})"
                raise InjectedInterrupt(self.where)
        return self._on_event

    def run(self, action):
        """Run ``action()`` under the hook; return where the interrupt fired, or None if it did not.
        The interrupt must reach the caller: nothing in microkeras may swallow it."""
        previous = sys.gettrace()  # a coverage tool's or a debugger's, put back afterwards
        sys.settrace(self._on_call)
        try:
            action()
        except InjectedInterrupt:
            assert self.where is not None
            return self.where
        finally:
            sys.settrace(previous)
        assert self.where is None, f"the interrupt at {self.where} was swallowed"
        return None


def interrupt_at_every_line(action, check, skip=()):
    """Run ``action`` once to count its microkeras lines, then once per line with an interrupt at
    that line, calling ``check(where, first)`` after each; ``first`` tells whether no earlier run
    was interrupted at the same line of code.  Returns the number of lines interrupted.

    ``action`` must walk the same lines on every run once it has run once: a run that finished
    before its line would mean the loop covered a prefix only.
    """
    action()  # fills the caches a first run fills
    counter = LineInterrupter(skip=skip)
    counter.run(action)
    total, seen = counter.lines, set()
    for at, location in enumerate(counter.locations, start=1):
        where = LineInterrupter(at, skip).run(action)
        assert where is not None, f"run {at} of {total} finished early: the action's lines vary between runs"
        check(where, location not in seen)
        seen.add(location)
    return total


# ------------------------------------------------------------------------ checking
def stand_ins_in_layers(model):
    """Paths of the autograd boxes and snapshot Variables held anywhere in the layers' attributes
    (inside lists, tuples and dicts too, as the tracking walk finds weights)."""
    found = []
    for layer in model._flatten_layers():
        stack = [(f"{layer.name}.{key}", value) for key, value in vars(layer).items()]
        seen = set()
        while stack:
            path, value = stack.pop()
            if isbox(value) or isinstance(value, Variable) and value._origin is not value:
                found.append(f"{path}: {type(value).__name__}")
            elif type(value) in (list, tuple, dict) and id(value) not in seen:
                seen.add(id(value))
                items = value.items() if type(value) is dict else enumerate(value)
                stack.extend((f"{path}[{key!r}]", item) for key, item in items)
    return found


def storage_of(model):
    """``[(variable, storage array)]`` of the model's weights, to compare identities with later."""
    return [(variable, variable._array) for variable in model.weights]


def assert_bookkeeping_clean(model, storage, trace_top, where):
    """No stand-in, record, scope, trace level or lock left behind; the same finite float32 storage."""
    left = stand_ins_in_layers(model)
    assert not left, f"interrupted at {where}: stand-ins left in {left}"
    assert not call_scope._pending, f"interrupted at {where}: records left: {len(call_scope._pending)}"
    assert call_scope.current_scope() is None, f"interrupted at {where}: {call_scope._stack()} left open"
    assert trace_stack.top == trace_top, f"interrupted at {where}: trace counter at {trace_stack.top}"
    # RLock's own test (threading.Condition uses it): a lock kept by this thread blocks every other thread.
    assert not call_scope.weights_lock._is_owned(), f"interrupted at {where}: weights_lock still held"
    assert [variable for variable, _ in storage] == model.weights, f"interrupted at {where}: new weights"
    for variable, array in storage:
        assert type(variable) is Variable and variable._origin is variable, f"interrupted at {where}"
        assert variable._array is array, f"interrupted at {where}: {variable.path} has a new storage array"
        assert type(array) is numpy.ndarray and array.dtype == numpy.float32, f"interrupted at {where}"
        assert numpy.isfinite(array).all(), f"interrupted at {where}: {variable.path} is not finite"


def assert_model_usable(model, x, y, where):
    """Untraced: predict gives finite float32, evaluate a finite loss, a one-epoch fit moves the weights."""
    outputs = model.predict(x, verbose=0)
    assert type(outputs) is numpy.ndarray and outputs.dtype == numpy.float32, f"interrupted at {where}"
    assert outputs.shape == (len(x), 3) and numpy.isfinite(outputs).all(), f"interrupted at {where}"
    loss, _ = model.evaluate(x, y, verbose=0)
    assert numpy.isfinite(loss), f"interrupted at {where}: evaluate gave the loss {loss}"
    before = model.get_weights()
    model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
    assert any(not numpy.array_equal(old, new) for old, new in zip(before, model.get_weights())), \
        f"interrupted at {where}: fit did not change the weights"


def checker(model, x, y, usable_every_time=False):
    """The ``check`` for :func:`interrupt_at_every_line`: bookkeeping, and usability after every
    interrupt or after the first at each line."""
    storage, trace_top = storage_of(model), trace_stack.top

    def check(where, first):
        assert_bookkeeping_clean(model, storage, trace_top, where)
        if first or usable_every_time:
            assert_model_usable(model, x, y, where)
    return check


def stateless_call_of(block):
    """A ``stateless_call`` of ``block`` with values unlike its own, checking what it returns."""
    inputs = numpy.random.default_rng(1).normal(size=(5, 8)).astype(numpy.float32)

    def stateless_call():
        trainable = [numpy.full(v.shape, 0.5, numpy.float32) for v in block.trainable_weights]
        non_trainable = [numpy.full(v.shape, 7.0, numpy.float32) for v in block.non_trainable_weights]
        outputs, state, losses = block.stateless_call(trainable, non_trainable, inputs, training=True,
                                                      return_losses=True)
        assert numpy.isfinite(outputs).all() and float(state[0]) == 8.0 and len(losses) == 1
    return stateless_call


# --------------------------------------------------------------------------- tests
def test_train_on_batch_interrupted_at_every_line_leaves_real_weights(trained):
    model, x, y = trained
    covered = interrupt_at_every_line(lambda: model.train_on_batch(x, y),
                                      checker(model, x, y, usable_every_time=True))
    assert covered > 1000  # the whole step: tape, forward, loss, backward, optimizer, metrics


def test_fit_interrupted_at_every_line_around_the_step_leaves_real_weights(trained):
    """Every line of a two-step ``fit`` (data, callbacks, loop) but those inside ``train_step``,
    which the ``train_on_batch`` test interrupts one by one under the same ``guard``."""
    model, x, y = trained
    covered = interrupt_at_every_line(lambda: model.fit(x, y, epochs=1, batch_size=8, verbose=0),
                                      checker(model, x, y), skip={Trainer.train_step.__code__})
    assert covered > 300


def test_first_step_of_a_new_model_interrupted_at_its_own_lines_leaves_real_weights():
    """A model's first step also builds the optimizer, the metrics and the tracking caches.

    Each line that later steps never run is interrupted at its first execution, on a fresh
    model each time (every line event of a first step would take most of a minute).
    """
    x, y = make_data()
    warm_model, cold_model = make_model(), make_model()
    warm_model.train_on_batch(x, y)
    warm, cold = LineInterrupter(), LineInterrupter()
    warm.run(lambda: warm_model.train_on_batch(x, y))
    cold.run(lambda: cold_model.train_on_batch(x, y))
    later_steps_run = set(warm.locations)
    first_events = {}
    for event, location in enumerate(cold.locations, start=1):
        if location not in later_steps_run:
            first_events.setdefault(location, event)
    for at in sorted(first_events.values()):
        model = make_model()
        storage, trace_top = storage_of(model), trace_stack.top
        where = LineInterrupter(at).run(lambda: model.train_on_batch(x, y))
        assert where is not None, f"the first step's lines vary between models (line {at})"
        assert_bookkeeping_clean(model, storage, trace_top, where)
        assert_model_usable(model, x, y, where)
    assert len(first_events) > 50


def test_predict_interrupted_at_every_line_leaves_real_weights(trained):
    model, x, y = trained
    covered = interrupt_at_every_line(lambda: model.predict(x, verbose=0), checker(model, x, y))
    assert covered > 300


def test_stateless_call_interrupted_at_every_line_leaves_real_weights(trained):
    model, x, y = trained
    block = model.layers[1]
    covered = interrupt_at_every_line(stateless_call_of(block), checker(model, x, y))
    assert covered > 300


def test_stateless_call_interrupted_while_closing_its_scope_leaves_no_scope_open(trained):
    model, x, _ = trained
    block = model.layers[1]
    stateless_call = stateless_call_of(block)
    stateless_call()
    expected = model.predict(x, verbose=0)
    counter = LineInterrupter()
    counter.run(stateless_call)
    try:
        for at in range(counter.lines - 20, counter.lines + 1):  # the call's last lines
            where = LineInterrupter(at).run(stateless_call)
            numpy.testing.assert_array_equal(model.predict(x, verbose=0), expected,
                                             err_msg=f"interrupted at {where}: predict changed")
            assert call_scope.current_scope() is None, f"interrupted at {where}: a scope was left open"
    finally:
        call_scope._stack().clear()  # what a failure leaves must not reach the next tests


def test_error_in_call_during_fit_keeps_the_weights_of_before_the_failing_step():
    failing = FailsOnCall(fail_on=3)  # calls 1 and 2 are epoch 1's steps; epoch 2's first step fails
    model = make_model(failing)
    failing.count = 0  # building the model ran it once on zeros
    x, y = make_data()
    storage, trace_top = storage_of(model), trace_stack.top
    before_step = []

    class RecordWeights(microkeras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            before_step[:] = model.get_weights()

    with pytest.raises(RuntimeError, match="planned failure"):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[RecordWeights()])
    assert failing.count == 3
    assert_bookkeeping_clean(model, storage, trace_top, "FailsOnCall.call")
    for expected, variable in zip(before_step, model.weights):  # the counter too: no state update kept
        numpy.testing.assert_array_equal(variable.numpy(), expected, err_msg=f"{variable.path} changed")
    assert_model_usable(model, x, y, "FailsOnCall.call")


def test_predict_from_another_thread_during_fit_sees_real_weights():
    model = make_model()
    x, y = make_data(samples=400)
    results, errors = [], []
    started, stop = threading.Event(), threading.Event()

    def predict_until_stopped():
        try:
            while not stop.is_set():
                results.append(model.predict(x[:4], verbose=0))
                started.set()
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            started.set()

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, in the middle of steps
    thread = threading.Thread(target=predict_until_stopped, daemon=True)
    thread.start()
    try:
        assert started.wait(10), "the predicting thread never finished a prediction"
        model.fit(x, y, epochs=1, batch_size=2, verbose=0)  # 200 steps
    finally:
        stop.set()
        thread.join(10)
        sys.setswitchinterval(switch_interval)
    assert not thread.is_alive(), "the predicting thread is blocked"
    assert not errors, errors
    assert len(results) > 10
    for outputs in results:
        assert type(outputs) is numpy.ndarray and outputs.dtype == numpy.float32
        assert outputs.shape == (4, 3) and numpy.isfinite(outputs).all()
    assert not stand_ins_in_layers(model) and not call_scope._pending
