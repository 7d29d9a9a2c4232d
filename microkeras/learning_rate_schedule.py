"""Learning-rate schedules: ``keras.optimizers.schedules``, a learning rate that changes with the step.

An optimizer given a schedule as its ``learning_rate`` calls it once per
update with its iteration count *before* that update (0 for the first step),
as Keras 3 does (``keras/src/optimizers/base_optimizer.py``); reading
``optimizer.learning_rate`` gives the rate the next step will use.

The formulas, defaults, names and config keys are Keras 3's
(``keras/src/optimizers/schedules/learning_rate_schedule.py``).  A schedule
is evaluated in float64 and returned as float32, Keras's dtype for it: a 0-d
value for one step, an array for an array of steps (handy for plotting a
schedule before training).  Import it as ``microkeras.optimizers.schedules``.
"""

import math
import numbers

import numpy

from microkeras.saving.object_registration import get_registered_name, get_registered_object

__all__ = ["CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay", "LearningRateSchedule",
           "PiecewiseConstantDecay", "PolynomialDecay", "deserialize", "serialize"]


def _number(value, argument, where, positive=False):
    if isinstance(value, (bool, numpy.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"{where}: `{argument}` must be a finite number; received {argument}={value!r}.")
    if positive and value <= 0:
        raise ValueError(f"{where}: `{argument}` must be > 0; received {argument}={value!r}.")
    return value


def _steps(step):
    """The step (a number or an array of them) as float64."""
    return numpy.asarray(getattr(step, "value", step), dtype=numpy.float64)


def _float32(value):
    return numpy.asarray(value, dtype=numpy.float32)[()]


class LearningRateSchedule:
    """Base class of schedules: a subclass defines ``__call__(self, step)`` (and ``get_config`` to be saved).

    >>> class InverseStep(LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / (step + 1)
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    """

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule {type(self).__name__!r} must override "
                                  "`__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(f"Learning rate schedule {type(self).__name__!r} must override "
                                  "`get_config()` to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            settings = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            settings = ""
        return f"{type(self).__name__}({settings})"


class _StepDecay(LearningRateSchedule):
    """What ExponentialDecay and InverseTimeDecay share: their arguments, their config, and the
    progress ``step / decay_steps`` (floored with ``staircase``); a subclass writes ``_decayed(p)``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        where = type(self).__name__
        self.initial_learning_rate = _number(initial_learning_rate, "initial_learning_rate", where)
        self.decay_steps = _number(decay_steps, "decay_steps", where, positive=True)
        self.decay_rate = _number(decay_rate, "decay_rate", where)
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = _steps(step) / self.decay_steps
        if self.staircase:
            p = numpy.floor(p)
        return _float32(self._decayed(p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_StepDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``; with ``staircase``, the exponent is floored."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decayed(self, p):
        return self.initial_learning_rate * numpy.power(float(self.decay_rate), p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``,
    and ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        where = type(self).__name__
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"{where}: `boundaries` must have one entry fewer than `values`; received "
                             f"boundaries={boundaries} ({len(boundaries)} entries) and values={values} "
                             f"({len(values)} entries).")
        for i, value in enumerate(boundaries):
            _number(value, f"boundaries[{i}]", where)
        for i, value in enumerate(values):
            _number(value, f"values[{i}]", where)
        if any(b >= a for a, b in zip(boundaries[1:], boundaries)):
            raise ValueError(f"{where}: `boundaries` must be strictly increasing; received boundaries={boundaries}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        # searchsorted(side="left") counts the boundaries strictly below the step: the interval's index.
        index = numpy.searchsorted(numpy.asarray(self.boundaries, numpy.float64), _steps(step), side="left")
        return _float32(numpy.asarray(self.values, numpy.float64)[index])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``.

    With ``cycle``, ``decay_steps`` is instead multiplied by ``ceil(step / decay_steps)``
    (at least 1), so the decay restarts from ``initial_learning_rate`` after each period.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        where = type(self).__name__
        self.initial_learning_rate = _number(initial_learning_rate, "initial_learning_rate", where)
        self.decay_steps = _number(decay_steps, "decay_steps", where, positive=True)
        self.end_learning_rate = _number(end_learning_rate, "end_learning_rate", where)
        self.power = _number(power, "power", where)
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = _steps(step)
        if self.cycle:
            decay_steps = self.decay_steps * numpy.where(step == 0, 1.0, numpy.ceil(step / self.decay_steps))
        else:
            decay_steps, step = self.decay_steps, numpy.minimum(step, self.decay_steps)
        fraction_left = 1.0 - step / decay_steps
        return _float32((self.initial_learning_rate - self.end_learning_rate) * fraction_left ** self.power
                        + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(_StepDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``; with ``staircase``, the ratio is floored."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decayed(self, p):
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)


def _cosine(fraction, alpha):
    """The cosine multiplier ``(1 - alpha) * (1 + cos(pi * fraction)) / 2 + alpha``, from 1 down to ``alpha``."""
    return (1.0 - alpha) * 0.5 * (1.0 + numpy.cos(math.pi * fraction)) + alpha


class CosineDecay(LearningRateSchedule):
    """A cosine decay over ``decay_steps``, after an optional linear warmup.

    Without ``warmup_target``: ``initial_learning_rate * c(min(step, decay_steps) / decay_steps)``
    with ``c(f) = (1 - alpha) * (1 + cos(pi * f)) / 2 + alpha``.  With one, the rate first goes
    linearly from ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then
    decays as above from ``warmup_target``, the step counted from the end of the warmup.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        where = type(self).__name__
        self.initial_learning_rate = _number(initial_learning_rate, "initial_learning_rate", where)
        self.decay_steps = _number(decay_steps, "decay_steps", where, positive=True)
        self.alpha = _number(alpha, "alpha", where)
        self.name = name
        self.warmup_steps = _number(warmup_steps, "warmup_steps", where)
        self.warmup_target = None if warmup_target is None else _number(warmup_target, "warmup_target", where)

    def __call__(self, step):
        step = _steps(step)
        if self.warmup_target is None:
            fraction = numpy.minimum(step, self.decay_steps) / self.decay_steps
            return _float32(self.initial_learning_rate * _cosine(fraction, self.alpha))
        step = numpy.minimum(step, self.decay_steps + self.warmup_steps)
        warming = step < self.warmup_steps
        warmup = (self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate)
                  * step / numpy.where(warming, self.warmup_steps, 1.0))  # no 0/0 when warmup_steps == 0
        decayed = self.warmup_target * _cosine((step - self.warmup_steps) / self.decay_steps, self.alpha)
        return _float32(numpy.where(warming, warmup, decayed))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods ``t_mul`` times longer and ``m_mul`` times lower each time.

    With ``f = step / first_decay_steps``, the period index is ``i = floor(f)`` when
    ``t_mul == 1``, else ``i = floor(log(1 - f * (1 - t_mul)) / log(t_mul))``, and the
    fraction of it done is ``f - i`` or ``(f - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i``.
    The rate is ``initial_learning_rate * ((1 - alpha) * m_mul**i * (1 + cos(pi * fraction)) / 2 + alpha)``.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        where = type(self).__name__
        self.initial_learning_rate = _number(initial_learning_rate, "initial_learning_rate", where)
        self.first_decay_steps = _number(first_decay_steps, "first_decay_steps", where, positive=True)
        self._t_mul = _number(t_mul, "t_mul", where, positive=True)
        self._m_mul = _number(m_mul, "m_mul", where)
        self.alpha = _number(alpha, "alpha", where)
        self.name = name

    def __call__(self, step):
        fraction = _steps(step) / self.first_decay_steps
        t_mul = float(self._t_mul)
        if t_mul == 1.0:
            restart = numpy.floor(fraction)
            fraction = fraction - restart
        else:
            restart = numpy.floor(numpy.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            done_before = (1.0 - t_mul ** restart) / (1.0 - t_mul)
            fraction = (fraction - done_before) / t_mul ** restart
        cosine = 0.5 * float(self._m_mul) ** restart * (1.0 + numpy.cos(math.pi * fraction))
        return _float32(self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self._t_mul, "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_BY_NAME = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                          InverseTimeDecay, CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule):
    """A schedule as Keras 3 writes it: ``{"module", "class_name", "config", "registered_name"}``."""
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError("`learning_rate_schedule` must be a LearningRateSchedule; received "
                        f"{type(learning_rate_schedule).__name__} {learning_rate_schedule!r}.")
    cls = type(learning_rate_schedule)
    builtin = _BY_NAME.get(cls.__name__) is cls
    registered = get_registered_name(cls)
    return {"module": "keras.optimizers.schedules" if builtin else cls.__module__, "class_name": cls.__name__,
            "config": learning_rate_schedule.get_config(),
            "registered_name": None if registered == cls.__name__ else registered}


def deserialize(config, custom_objects=None):
    """The schedule a :func:`serialize` dict describes (Keras files too); nothing is imported to find it.

    The class resolves to ``custom_objects``, then registered objects, then
    the schedules of this module.
    """
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str) \
            or not isinstance(config.get("config", {}), dict):
        raise ValueError("A learning rate schedule config must be a dict with 'class_name' (a string) and "
                         f"'config' (a dict); received {config!r}.")
    cls = None
    for name in (config.get("registered_name"), config["class_name"]):
        if isinstance(name, str):
            cls = get_registered_object(name, custom_objects, _BY_NAME)
            if cls is not None:
                break
    if not (isinstance(cls, type) and issubclass(cls, LearningRateSchedule)):
        raise ValueError(f"Unknown learning rate schedule class_name={config['class_name']!r}. Expected one of "
                         f"{', '.join(_BY_NAME)}, or a LearningRateSchedule subclass passed in `custom_objects` "
                         "or registered with @microkeras.saving.register_keras_serializable().")
    return cls.from_config(dict(config.get("config", {})))
