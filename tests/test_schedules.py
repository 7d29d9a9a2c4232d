"""Learning-rate schedules: Keras 3's formulas, configs and use by every optimizer (and Keras itself, if installed)."""

import json
import math
import os

import numpy
import pytest

import microkeras as keras
from microkeras import optimizers
from microkeras.optimizers import schedules
from microkeras.optimizers.schedules import (CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
                                             LearningRateSchedule, PiecewiseConstantDecay, PolynomialDecay)

STEPS = [0, 1, 2, 3, 5, 7, 10, 11, 15, 20, 31, 100]


def test_submodule_imports_resolve_to_one_module():
    from microkeras.optimizers import schedules as via_from

    assert keras.optimizers.schedules is schedules is via_from
    assert schedules.ExponentialDecay is ExponentialDecay


# -- formulas, each derived by hand from Keras's (keras/src/optimizers/schedules/learning_rate_schedule.py) --

def test_exponential_decay():
    # lr = 0.1 * 0.5 ** (step / 10); staircase floors step / 10 first.
    smooth, stairs = ExponentialDecay(0.1, 10, 0.5), ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert float(smooth(0)) == pytest.approx(0.1)
    assert float(smooth(10)) == pytest.approx(0.05)
    assert float(smooth(5)) == pytest.approx(0.1 / math.sqrt(2))
    assert float(stairs(19)) == pytest.approx(0.05)
    assert float(stairs(20)) == pytest.approx(0.025)


def test_piecewise_constant_decay_boundaries_belong_to_the_interval_below():
    # values[0] for step <= 2, values[1] for 2 < step <= 5, values[2] after 5.
    schedule = PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.1])
    assert [float(schedule(s)) for s in (0, 2, 3, 5, 6, 100)] == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1, 0.1])


def test_polynomial_decay_with_and_without_cycle():
    # (0.1 - 0.01) * (1 - min(step, 10) / 10) ** 2 + 0.01
    schedule = PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0)
    assert float(schedule(5)) == pytest.approx(0.09 * 0.25 + 0.01)
    assert float(schedule(10)) == float(schedule(50)) == pytest.approx(0.01)
    # cycle: decay_steps * ceil(step / decay_steps) (1 at step 0): step 15 -> 15 / 20.
    cycling = PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0, cycle=True)
    assert float(cycling(0)) == pytest.approx(0.1)
    assert float(cycling(15)) == pytest.approx(0.09 * (1 - 15 / 20) ** 2 + 0.01)


def test_inverse_time_decay():
    # 0.1 / (1 + 0.5 * step / 10); staircase floors step / 10.
    assert float(InverseTimeDecay(0.1, 10, 0.5)(5)) == pytest.approx(0.1 / 1.25)
    assert float(InverseTimeDecay(0.1, 10, 0.5, staircase=True)(15)) == pytest.approx(0.1 / 1.5)


def test_cosine_decay_with_warmup():
    # No warmup: 0.1 * ((1 - 0.1) * (1 + cos(pi * min(step, 10) / 10)) / 2 + 0.1).
    plain = CosineDecay(0.1, 10, alpha=0.1)
    assert float(plain(0)) == pytest.approx(0.1)
    assert float(plain(5)) == pytest.approx(0.1 * (0.9 * 0.5 + 0.1))
    assert float(plain(10)) == float(plain(99)) == pytest.approx(0.01)
    # Warmup from 0.0 to 0.5 over 4 steps (linear), then the decay from 0.5 over 10 steps.
    warm = CosineDecay(0.0, 10, warmup_target=0.5, warmup_steps=4)
    assert float(warm(2)) == pytest.approx(0.25)
    assert float(warm(4)) == pytest.approx(0.5)
    assert float(warm(9)) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert float(warm(14)) == float(warm(100)) == pytest.approx(0.0, abs=1e-9)


def test_cosine_decay_restarts():
    # t_mul=2: periods of 10, 20, 40 steps; m_mul=0.5 halves each restart's peak.
    schedule = CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
    assert float(schedule(0)) == pytest.approx(1.0)
    assert float(schedule(5)) == pytest.approx(0.5)
    assert float(schedule(10)) == pytest.approx(0.5)  # restart 1 starts at m_mul
    assert float(schedule(20)) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert float(schedule(30)) == pytest.approx(0.25)  # restart 2: 30 = 10 + 20
    # t_mul=1: every period 10 steps long.
    even = CosineDecayRestarts(1.0, 10, t_mul=1.0)
    assert float(even(13)) == pytest.approx(float(even(3)))


def test_schedules_are_float32_and_take_arrays_of_steps():
    schedule = ExponentialDecay(0.1, 10, 0.5)
    assert schedule(3).dtype == numpy.float32 and schedule(3).shape == ()
    values = schedule(numpy.arange(5))
    assert values.dtype == numpy.float32 and values.shape == (5,)
    assert values[3] == schedule(3)


# -- optimizers ------------------------------------------------------------------------------

def test_the_schedule_step_is_the_iteration_count_before_the_update():
    # SGD: w <- w - lr(t) * g with t = 0, 1, 2 for the three updates; g = 1.
    schedule = PiecewiseConstantDecay([0, 1], [1.0, 0.5, 0.25])
    optimizer = optimizers.SGD(learning_rate=schedule)
    w = numpy.zeros(1, numpy.float32)
    for _ in range(3):
        optimizer.apply([numpy.ones(1, numpy.float32)], [w])
    assert w[0] == pytest.approx(-(1.0 + 0.5 + 0.25))
    assert w.dtype == numpy.float32
    assert optimizer.learning_rate == pytest.approx(0.25)  # what the next step will use


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam"])
def test_every_optimizer_takes_a_schedule_and_a_callable(name):
    cls = type(optimizers.get(name))
    grads = [numpy.full(3, 0.5, numpy.float32)]
    results = []
    for learning_rate in (0.01, ExponentialDecay(0.01, 1000, 1.0), lambda: 0.01):
        optimizer = cls(learning_rate=learning_rate)
        w = numpy.ones(3, numpy.float32)
        for _ in range(2):
            optimizer.apply(grads, [w])
        results.append(w)
    # A constant schedule and a callable give the same steps as the number.
    numpy.testing.assert_allclose(results[1], results[0], rtol=1e-6)
    numpy.testing.assert_allclose(results[2], results[0], rtol=1e-6)


def test_a_scheduled_learning_rate_is_not_an_optimizer_variable_and_not_settable():
    optimizer = optimizers.Adam(learning_rate=ExponentialDecay(0.1, 10, 0.5))
    w = numpy.ones(2, numpy.float32)
    optimizer.build([w])
    assert len(optimizer.variables) == 3  # iteration, momentum, velocity (Keras 3 keeps no learning_rate)
    optimizer.set_weights([numpy.array(4), numpy.ones(2), numpy.ones(2)])
    assert optimizer.iterations == 4
    assert optimizer.learning_rate == pytest.approx(0.1 * 0.5 ** 0.4)
    with pytest.raises(TypeError, match="schedule"):
        optimizer.learning_rate = 0.01


def test_a_schedule_can_replace_a_number():
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.learning_rate = ExponentialDecay(0.2, 10, 0.5)
    assert float(optimizer.learning_rate) == pytest.approx(0.2)


def test_fit_with_a_schedule_reports_its_current_rate():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=InverseTimeDecay(0.1, 1, 1.0)), loss="mse")
    model.fit(numpy.ones((8, 3), numpy.float32), numpy.ones((8, 1), numpy.float32), batch_size=2, epochs=1,
              verbose=0)
    assert model.optimizer.iterations == 4
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1 / 5)
    assert model.get_weights()[0].dtype == numpy.float32


# -- configs ---------------------------------------------------------------------------------

ALL = [ExponentialDecay(0.1, 10, 0.5, staircase=True), PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.1]),
       PolynomialDecay(0.1, 10, cycle=True), InverseTimeDecay(0.1, 1.0, 0.5),
       CosineDecay(0.0, 10, alpha=0.1, warmup_target=0.5, warmup_steps=3),
       CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.8, alpha=0.01)]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    data = json.loads(json.dumps(schedules.serialize(schedule)))
    assert data["module"] == "keras.optimizers.schedules" and data["class_name"] == type(schedule).__name__
    again = schedules.deserialize(data)
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    numpy.testing.assert_array_equal(again(numpy.array(STEPS)), schedule(numpy.array(STEPS)))


def test_an_optimizer_config_carries_its_schedule():
    optimizer = optimizers.Adam(learning_rate=CosineDecay(0.1, 10))
    config = json.loads(json.dumps(optimizers.serialize(optimizer)))
    assert config["config"]["learning_rate"]["class_name"] == "CosineDecay"
    again = optimizers.deserialize(config)
    assert isinstance(again._learning_rate, CosineDecay)
    assert again._learning_rate.get_config() == optimizer._learning_rate.get_config()


class HalvingEveryStep(LearningRateSchedule):
    def __init__(self, initial_learning_rate):
        self.initial_learning_rate = initial_learning_rate

    def __call__(self, step):
        return self.initial_learning_rate * 0.5 ** step

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate}


def test_a_custom_schedule_trains_and_loads_through_custom_objects_only():
    optimizer = optimizers.SGD(learning_rate=HalvingEveryStep(1.0))
    w = numpy.zeros(1, numpy.float32)
    for _ in range(3):
        optimizer.apply([numpy.ones(1, numpy.float32)], [w])
    assert w[0] == pytest.approx(-1.75)
    config = optimizers.serialize(optimizer)
    with pytest.raises(ValueError, match="HalvingEveryStep"):
        optimizers.deserialize(config)
    again = optimizers.deserialize(config, custom_objects={"HalvingEveryStep": HalvingEveryStep})
    assert isinstance(again._learning_rate, HalvingEveryStep)


def test_base_class_names_what_to_override():
    with pytest.raises(NotImplementedError, match="__call__"):
        LearningRateSchedule()(0)


@pytest.mark.parametrize("make, message", [
    (lambda: ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: PolynomialDecay(0.1, -1), "decay_steps"),
    (lambda: CosineDecayRestarts(0.1, 0), "first_decay_steps"),
    (lambda: PiecewiseConstantDecay([1, 2], [1.0, 0.5]), "one entry fewer"),
    (lambda: PiecewiseConstantDecay([2, 1], [1.0, 0.5, 0.1]), "strictly increasing"),
])
def test_bad_arguments_raise_value_errors_naming_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_non_numbers_raise_type_errors():
    with pytest.raises(TypeError, match="initial_learning_rate"):
        ExponentialDecay("0.1", 10, 0.5)


# -- Keras itself ----------------------------------------------------------------------------

def _keras_schedules():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras").optimizers.schedules


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_values_and_configs_match_keras(schedule):
    real = _keras_schedules()
    theirs = real.deserialize(schedules.serialize(schedule))
    assert theirs.get_config() == schedule.get_config()
    for step in STEPS:
        assert float(schedule(step)) == pytest.approx(float(theirs(step)), rel=2e-6, abs=1e-8), step


def test_a_number_learning_rate_reads_like_keras_variable():
    optimizer = optimizers.Adam(learning_rate=0.01)
    learning_rate = optimizer.learning_rate
    assert learning_rate == 0.01 and isinstance(learning_rate, float)
    assert learning_rate.numpy().dtype == numpy.float32 and learning_rate.shape == ()
    learning_rate.assign(0.001)  # Keras 3: optimizer.learning_rate is a Variable
    assert optimizer.learning_rate == 0.001 and optimizer.get_config()["learning_rate"] == 0.001
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.learning_rate.assign(-1.0)
