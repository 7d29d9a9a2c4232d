"""Optimizers: Keras 3 update rules, applied in place to a model's weights.

For the trainer, and for users who pick an optimizer by name (``'adam'``) or
build one (``Adam(learning_rate=1e-3)``).  The variables an optimizer updates
are a model's :class:`~microkeras.variables.Variable` objects (or plain float
``numpy`` arrays); ``apply`` writes every step into their storage arrays and
never replaces them.  Slots (momentums, velocities, ...) and scratch space are
allocated once in ``build``, so a step allocates almost nothing.  This code
runs outside autograd's trace, so it uses plain ``numpy`` with ``out=``.

Defaults, formulas and the order inside ``apply`` are Keras 3's
(``keras/src/optimizers/base_optimizer.py``): clip, weight decay, one
``update_step`` per variable, ``iterations += 1``, then each variable's
constraint.  Hyperparameters are Python floats, which numpy treats as weak
scalars, so float32 arrays stay float32.
"""

import inspect
import math
import numbers
import re
import sys
import warnings

import numpy

from microkeras import config as _config
from microkeras import learning_rate_schedule as schedules
from microkeras.call_scope import weights_lock
from microkeras.saving.object_registration import deserialize_function, serialize_function
from microkeras.utils import naming

# `from microkeras.optimizers.schedules import ExponentialDecay`, as Keras spells it.
sys.modules[__name__ + ".schedules"] = schedules

# Keras 3 arguments microkeras accepts only at these default values.
_UNSUPPORTED_DEFAULTS = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}

# (what the message says is expected, the test) for _check_number.
_NON_NEGATIVE = ("a number >= 0", lambda v: v >= 0)
_POSITIVE = ("a number > 0", lambda v: v > 0)
_UNIT = ("a number in [0, 1]", lambda v: 0 <= v <= 1)
_UNIT_OPEN = ("a number in [0, 1)", lambda v: 0 <= v < 1)


def _check_number(arg, value, expected, ok):
    """Return ``value`` as a Python float if it is a finite real number passing ``ok``."""
    if isinstance(value, (bool, numpy.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{arg}` must be {expected}; received {arg}={value!r}.")
    value = float(value)
    if not (math.isfinite(value) and ok(value)):
        raise ValueError(f"`{arg}` must be {expected}; received {arg}={value!r}.")
    return value


def _check_optional(arg, value, expected, ok):
    return None if value is None else _check_number(arg, value, expected, ok)


def _check_bool(arg, value):
    if not isinstance(value, (bool, numpy.bool_)):
        raise TypeError(f"`{arg}` must be True or False; received {arg}={value!r}.")
    return bool(value)


def _check_epsilon(value):
    # Keras 2 spelled "use backend epsilon()" as epsilon=None.
    value = _config.epsilon() if value is None else value
    return _check_number("epsilon", value, *_NON_NEGATIVE)


def _checked_state(arg, value, target):
    """``value`` as a new array of ``target``'s dtype and shape, checked to hold what that dtype can.

    Floats must be finite once converted (``1e39`` is infinity in float32);
    an integer target (the iteration count) takes whole numbers only.
    """
    try:
        array = numpy.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"`{arg}` must be an array of shape {target.shape}; received "
                        f"{type(value).__name__} ({error}).") from None
    if array.shape != target.shape:
        raise ValueError(f"`{arg}` must have shape {target.shape}; received {array.shape}.")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{arg}` must hold numbers; received an array of dtype {array.dtype}.")
    with numpy.errstate(over="ignore", invalid="ignore"):
        converted = array.astype(target.dtype)
        exact = target.dtype.kind == "f" or bool(numpy.all(converted == array))
    if not (exact and numpy.isfinite(converted).all()):
        kind = "finite numbers" if target.dtype.kind == "f" else "whole numbers"
        raise ValueError(f"`{arg}` must hold {kind} that {target.dtype} can represent; received "
                         f"{array.reshape(-1)[:4]}{'...' if array.size > 4 else ''} ({array.dtype}).")
    return converted


def _moving_average(average, value, decay, buf):
    """``average <- decay * average + (1 - decay) * value`` in place; ``value`` may be ``buf``."""
    numpy.subtract(value, average, out=buf)
    numpy.multiply(buf, 1.0 - decay, out=buf)
    numpy.add(average, buf, out=average)


def _ratio(numerator, denominator, scale):
    """Overwrite the buffer ``denominator`` with ``scale * numerator / denominator``; return it."""
    numpy.divide(numerator, denominator, out=denominator)
    numpy.multiply(denominator, scale, out=denominator)
    return denominator


class LearningRate(float):
    """A number learning rate as ``optimizer.learning_rate`` reads it: a Python float that also
    answers Keras's ``Variable`` methods (``numpy()``, ``value``, ``dtype``, ``shape``, ``assign``),
    so ``optimizer.learning_rate.assign(1e-4)`` works as in Keras 3."""

    def __new__(cls, value, optimizer):
        number = super().__new__(cls, value)
        number._optimizer = optimizer
        return number

    dtype = numpy.dtype(numpy.float32)
    shape = ()

    @property
    def value(self):
        return numpy.array(self, dtype=numpy.float32)

    def numpy(self):
        return numpy.array(self, dtype=numpy.float32)

    def assign(self, value):
        """Set the optimizer's learning rate (the number itself does not change)."""
        self._optimizer.learning_rate = float(numpy.asarray(getattr(value, "value", value)))
        return value


class Optimizer:
    """Base class holding the shared ``apply`` loop; subclasses add slots and one update rule.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
        Step size (``>= 0``); a schedule (:mod:`~microkeras.optimizers.schedules`),
        called with the iteration count before each step; or a function of no
        arguments, called before each step.  ``lr=`` is the Keras 2 spelling.
    weight_decay : float or None
        Decoupled decay ``w <- w - w * weight_decay * lr`` applied before each update.
    clipnorm, clipvalue, global_clipnorm : float or None
        At most one: clip each gradient's L2 norm, each element, or the joint L2 norm.
    name : str or None
        Defaults to Keras 3's: the class name in snake case, made unique (``'adam'``, ``'adam_1'``,
        ``'rm_sprop'``, ``'adam_w'``).
    **kwargs
        Keras 2's ``lr`` and ``decay`` (``lr_t = lr / (1 + decay * iterations)``), and
        Keras 3's ``use_ema``, ``ema_momentum``, ``ema_overwrite_frequency``,
        ``loss_scale_factor``, ``gradient_accumulation_steps`` at their defaults only.

    A subclass lists its constructor arguments in ``_config_keys``, names its
    per-variable slots in ``_slot_names()`` and writes ``update_step``.
    """

    _config_keys = ()
    _scratch_count = 1

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        learning_rate = kwargs.pop("lr", learning_rate)
        self.decay = _check_number("decay", kwargs.pop("decay", None) or 0.0, *_NON_NEGATIVE)
        for arg, default in _UNSUPPORTED_DEFAULTS.items():
            value = kwargs.pop(arg, default)
            if value != default:
                raise ValueError(f"`{arg}={value!r}` is not supported by microkeras; "
                                 f"leave it at its default ({default!r}).")
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s): "
                            f"{', '.join(sorted(kwargs))}.")
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(value is not None for value in clips.values()) > 1:
            received = ", ".join(f"{arg}={value}" for arg, value in clips.items())
            raise ValueError(f"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set; "
                             f"received {received}.")
        self.clipnorm = _check_optional("clipnorm", clipnorm, *_POSITIVE)
        self.clipvalue = _check_optional("clipvalue", clipvalue, *_POSITIVE)
        self.global_clipnorm = _check_optional("global_clipnorm", global_clipnorm, *_POSITIVE)
        self.weight_decay = _check_optional("weight_decay", weight_decay, *_NON_NEGATIVE)
        self.learning_rate = learning_rate
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string or None; received name={name!r}.")
        self.name = naming.unique_name(naming.to_snake_case(type(self).__name__)) if name is None else name
        self.iterations = 0
        self.built = False
        self._excluded_variables = []
        self._excluded_pattern = None

    # -- learning rate ------------------------------------------------------------------

    @property
    def learning_rate(self):
        """The learning rate of the next step; settable (callbacks change it).

        A float that also has Keras's ``Variable`` methods (:class:`LearningRate`), or
        with a schedule its float32 value at the current iteration count (Keras 3
        reads it the same way); with a callable, what it returns.
        """
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._learning_rate(self.iterations)
        if callable(self._learning_rate):
            return self._learning_rate()
        return LearningRate(self._learning_rate, self)

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule) or callable(value):
            self._learning_rate = value
            return
        if isinstance(getattr(self, "_learning_rate", None), schedules.LearningRateSchedule):
            raise TypeError(f"This optimizer's `learning_rate` is a schedule ({self._learning_rate!r}), so it "
                            f"cannot be set to a number (received {value!r}); create the optimizer with a "
                            "float `learning_rate` to change it during training.")
        self._learning_rate = _check_number("learning_rate", value, *_NON_NEGATIVE)

    lr = learning_rate  # Keras 2 spelling

    def _has_learning_rate_variable(self):
        """Whether the learning rate is a number, held among :attr:`variables` (as in Keras 3)."""
        return not callable(self._learning_rate)

    def _current_learning_rate(self):
        lr = self._learning_rate
        if callable(lr):
            value = self.learning_rate
            lr = _check_number("learning_rate", float(numpy.asarray(getattr(value, "value", value))),
                               *_NON_NEGATIVE)
        if not self.decay:
            return lr
        return lr / (1.0 + self.decay * self.iterations)

    # -- state --------------------------------------------------------------------------

    def _slot_names(self):
        """Names of the slots kept per variable, in Keras order (none by default)."""
        return ()

    def _initial_slot_value(self, slot_name):
        return 0.0

    def build(self, variables, names=None):
        """Allocate slots and scratch buffers for ``variables`` (Variables or float arrays).

        ``names`` (one string per variable; by default each Variable's
        ``name``, such as ``'kernel'``) is what
        ``exclude_from_weight_decay(var_names=...)`` matches, as in Keras 3.  A second call is a no-op.
        """
        if self.built:
            return
        given = list(variables)
        variables = [getattr(v, "_array", v) for v in given]  # a Variable's storage, updated in place
        for i, variable in enumerate(variables):
            if (not isinstance(variable, numpy.ndarray) or variable.dtype.kind != "f"
                    or not variable.flags.writeable):
                raise TypeError(f"`variables[{i}]` must be a writeable float numpy array "
                                f"(the weight updated in place); received {type(variable).__name__} "
                                f"{getattr(variable, 'dtype', '')}.")
        names = [getattr(v, "name", None) for v in given] if names is None else list(names)
        if len(names) != len(variables):
            raise ValueError(f"`names` must have one entry per variable ({len(variables)}); "
                             f"received {len(names)}.")
        self._trainable_variables = variables
        self._variable_names = names
        self._constraints = [getattr(v, "constraint", None) for v in given]
        self._index = {id(v): i for i, v in enumerate(given)}
        self._index.update((id(variable), i) for i, variable in enumerate(variables))
        self._slots = [
            {slot: numpy.full(v.shape, self._initial_slot_value(slot), dtype=v.dtype)
             for slot in self._slot_names()}
            for v in variables
        ]
        self._scratch = [tuple(numpy.empty_like(v) for _ in range(self._scratch_count))
                         for v in variables]
        self._clip_buffers = None  # allocated on the first clipped step
        self._decay_mask = None
        self.built = True

    @property
    def variables(self):
        """Keras order: iteration count (int64), learning rate (float32; not when it is a schedule
        or a callable), then each variable's slots side by side.  Slots are the live arrays; the
        first two are copies."""
        head = [numpy.array(self.iterations, dtype=numpy.int64)]
        if self._has_learning_rate_variable():
            head.append(numpy.array(self._learning_rate, dtype=numpy.float32))
        if not self.built:
            return head
        return head + [slot for slots in self._slots for slot in slots.values()]

    def set_weights(self, weights):
        """Load values for :attr:`variables` (same order and shapes), e.g. from a saved file.

        Every array is converted and checked before any is written: a bad one
        leaves the iteration count, the learning rate and every slot as they were.
        """
        if not self.built:
            raise ValueError("set_weights() needs a built optimizer; call build(variables) first.")
        targets = self.variables
        if isinstance(weights, (str, bytes, dict)) or not hasattr(weights, "__len__"):
            raise TypeError(f"`weights` must be a list of {len(targets)} arrays (one per optimizer "
                            f"variable); received {type(weights).__name__}.")
        if len(weights) != len(targets):
            raise ValueError(f"`weights` must have {len(targets)} entries (one per optimizer "
                             f"variable); received {len(weights)}.")
        values = [_checked_state(f"weights[{i}]", value, target)
                  for i, (target, value) in enumerate(zip(targets, weights))]
        head = 2 if self._has_learning_rate_variable() else 1
        # The learning rate as given (a float32 slot would round 0.1); both are checked above.
        checks = [("weights[0]", "the iteration count", int(values[0]))]
        if head == 2:
            checks.append(("weights[1]", "the learning rate", float(numpy.asarray(weights[1]))))
        for arg, meaning, value in checks:
            if value < 0:
                raise ValueError(f"`{arg}` ({meaning}) must be >= 0; received {value}.")
        self.iterations = checks[0][2]
        # Keep the exact Python float when the stored float32 is just its rounding.
        if head == 2 and numpy.float32(self._learning_rate) != values[1]:
            self.learning_rate = checks[1][2]
        for target, value in zip(targets[head:], values[head:]):
            target[...] = value

    # -- weight decay -------------------------------------------------------------------

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Skip weight decay for the variables in ``var_list`` (by identity) and for variables
        whose build-time name (a Variable's ``name``, e.g. ``'bias'``) matches any regular expression in ``var_names``."""
        self._excluded_variables = [getattr(v, "_array", v) for v in var_list or []]
        if isinstance(var_names, str):
            var_names = [var_names]
        self._excluded_pattern = re.compile("|".join(var_names)) if var_names else None
        self._decay_mask = None

    def _compute_decay_mask(self):
        excluded = {id(variable) for variable in self._excluded_variables}
        pattern = self._excluded_pattern
        return [
            id(variable) not in excluded
            and not (pattern is not None and name is not None and pattern.search(name))
            for variable, name in zip(self._trainable_variables, self._variable_names)
        ]

    def _apply_weight_decay(self, indices, lr):
        if not self.weight_decay:
            return
        if self._decay_mask is None:
            self._decay_mask = self._compute_decay_mask()
        factor = 1.0 - self.weight_decay * lr  # w - w * wd * lr
        for i in indices:
            if self._decay_mask[i]:
                variable = self._trainable_variables[i]
                numpy.multiply(variable, factor, out=variable)

    # -- clipping -----------------------------------------------------------------------

    def _clip(self, grads, indices):
        """Return clipped gradients, written into the optimizer's own buffers."""
        if self.clipnorm is None and self.clipvalue is None and self.global_clipnorm is None:
            return grads
        if self._clip_buffers is None:
            self._clip_buffers = [numpy.empty_like(v) for v in self._trainable_variables]
        out = [self._clip_buffers[i] for i in indices]
        if self.clipvalue is not None:
            for grad, buf in zip(grads, out):
                numpy.clip(grad, -self.clipvalue, self.clipvalue, out=buf)
            return out
        norms = [float(numpy.linalg.norm(grad)) for grad in grads]
        if self.clipnorm is not None:
            scales = [self.clipnorm / max(norm, self.clipnorm) for norm in norms]
        else:
            joint = math.sqrt(sum(norm * norm for norm in norms))
            # Like Keras, a non-finite joint norm turns every gradient into NaN.
            scale = (self.global_clipnorm / max(joint, self.global_clipnorm)
                     if math.isfinite(joint) else math.nan)
            scales = [scale] * len(grads)
        for grad, buf, scale in zip(grads, out, scales):
            numpy.multiply(grad, scale, out=buf)
        return out

    # -- the step -----------------------------------------------------------------------

    def apply(self, grads, variables=None):
        """Update ``variables`` in place from ``grads`` (Keras 3 ``apply``).

        Parameters
        ----------
        grads : list of arrays or None
            One per variable, same shapes; read only.  ``None`` entries are skipped.
        variables : list of arrays, optional
            The live weights.  Builds the optimizer on the first call; afterwards
            any subset of the variables it was built with.  Defaults to all of them.
        """
        grads = list(grads)
        if not grads:
            return
        if variables is None:
            if not self.built:
                raise ValueError("apply() without `variables` needs a built optimizer; "
                                 "call build(variables) first or pass `variables`.")
            variables = self._trainable_variables
        else:
            variables = list(variables)
            self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(f"`grads` must have one entry per variable ({len(variables)}); "
                             f"received {len(grads)}.")
        kept, indices, missing = [], [], []
        for position, (grad, variable) in enumerate(zip(grads, variables)):
            i = self._index.get(id(variable))
            if i is None:
                raise ValueError(f"`variables[{position}]` is not one of the arrays this optimizer "
                                 "was built with; create a new optimizer for new variables.")
            if grad is None:
                missing.append(self._variable_names[i] or f"variables[{position}]")
                continue
            grad = numpy.asarray(grad)
            if grad.shape != self._trainable_variables[i].shape:
                raise ValueError(f"`grads[{position}]` has shape {grad.shape}, but its variable "
                                 f"has shape {self._trainable_variables[i].shape}.")
            kept.append(grad)
            indices.append(i)
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing}; they were not updated.",
                          stacklevel=2)

        grads = self._clip(kept, indices)
        lr = self._current_learning_rate()
        with weights_lock:  # a forward pass in another thread sees the weights before or after
            self._apply_weight_decay(indices, lr)
            step = self.iterations + 1
            self._prepare_step(step)
            for grad, i in zip(grads, indices):
                self.update_step(grad, self._trainable_variables[i], self._slots[i],
                                 self._scratch[i], lr, step)
            self.iterations = step
            for i in indices:
                constraint = self._constraints[i]
                if constraint is not None:
                    variable = self._trainable_variables[i]
                    variable[...] = constraint(variable)

    def apply_gradients(self, grads_and_vars):
        """Keras 2 spelling of :meth:`apply`: an iterable of ``(grad, variable)`` pairs.

        Returns the new iteration count.
        """
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(grads, variables)
        return self.iterations

    def _prepare_step(self, step):
        """Hook run once per step, after weight decay and before the per-variable updates."""

    def update_step(self, grad, variable, slots, scratch, lr, step):
        """Update ``variable`` and its ``slots`` (dict name -> array) in place.

        ``scratch`` holds ``_scratch_count`` free buffers shaped like the variable,
        ``lr`` is this step's learning rate and ``step`` counts from 1.
        """
        raise NotImplementedError(f"{type(self).__name__}.update_step() must be implemented.")

    # -- config -------------------------------------------------------------------------

    def get_config(self):
        """Keras 3 config: the base arguments, then the subclass's own."""
        learning_rate = self._learning_rate
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            learning_rate = schedules.serialize(learning_rate)
        elif callable(learning_rate):
            learning_rate = serialize_function(learning_rate)
        config = {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            **_UNSUPPORTED_DEFAULTS,
        }
        config.update({key: getattr(self, key) for key in self._config_keys})
        if self.decay:
            config["decay"] = self.decay  # Keras 2 only; absent from Keras 3 configs
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The optimizer ``config`` describes; a schedule or function given as a dict is rebuilt first."""
        config = dict(config)
        learning_rate = config.get("learning_rate")
        if isinstance(learning_rate, dict):
            if learning_rate.get("class_name") in ("function", "__lambda__"):
                config["learning_rate"] = deserialize_function(learning_rate, "`learning_rate`", custom_objects)
            else:
                config["learning_rate"] = schedules.deserialize(learning_rate, custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self._learning_rate}>"


class SGD(Optimizer):
    """Gradient descent, optionally with momentum or Nesterov momentum.

    Plain: ``w <- w - lr * g``.  Momentum: ``m <- momentum * m - lr * g``, then
    ``w <- w + m``.  Nesterov: the same ``m``, then ``w <- w + momentum * m - lr * g``.
    The momentum slot exists only when ``momentum != 0``.
    """

    _config_keys = ("momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = _check_number("momentum", momentum, *_UNIT)
        self.nesterov = _check_bool("nesterov", nesterov)

    def _slot_names(self):
        return ("momentum",) if self.momentum != 0 else ()

    def update_step(self, grad, variable, slots, scratch, lr, step):
        (buf,) = scratch
        numpy.multiply(grad, lr, out=buf)
        if not slots:
            numpy.subtract(variable, buf, out=variable)
            return
        m = slots["momentum"]
        numpy.multiply(m, self.momentum, out=m)
        numpy.subtract(m, buf, out=m)
        if not self.nesterov:
            numpy.add(variable, m, out=variable)
            return
        numpy.subtract(variable, buf, out=variable)
        numpy.multiply(m, self.momentum, out=buf)
        numpy.add(variable, buf, out=variable)


class RMSprop(Optimizer):
    """Divide each step by a running root mean square of the gradients.

    ``v <- rho * v + (1 - rho) * g**2``; ``step = lr * g / sqrt(v + epsilon)``
    (epsilon inside the square root, as in Keras 3).  ``centered`` also keeps
    ``a <- rho * a + (1 - rho) * g`` and uses ``sqrt(v - a**2 + epsilon)``.  With
    ``momentum > 0``: ``m <- momentum * m + step`` and ``w <- w - m``; otherwise
    ``w <- w - step``.
    """

    _config_keys = ("rho", "momentum", "epsilon", "centered")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _check_number("rho", rho, *_UNIT)
        self.momentum = _check_number("momentum", momentum, *_UNIT)
        self.epsilon = _check_epsilon(epsilon)
        self.centered = _check_bool("centered", centered)

    def _slot_names(self):
        return (("velocity",) + (("momentum",) if self.momentum > 0 else ())
                + (("average_gradient",) if self.centered else ()))

    def update_step(self, grad, variable, slots, scratch, lr, step):
        (buf,) = scratch
        v = slots["velocity"]
        numpy.square(grad, out=buf)
        _moving_average(v, buf, self.rho, buf)
        if self.centered:
            average = slots["average_gradient"]
            _moving_average(average, grad, self.rho, buf)
            numpy.square(average, out=buf)
            numpy.subtract(v, buf, out=buf)
            numpy.add(buf, self.epsilon, out=buf)
        else:
            numpy.add(v, self.epsilon, out=buf)
        numpy.sqrt(buf, out=buf)
        increment = _ratio(grad, buf, lr)
        if "momentum" in slots:
            m = slots["momentum"]
            numpy.multiply(m, self.momentum, out=m)
            increment = numpy.add(m, increment, out=m)
        numpy.subtract(variable, increment, out=variable)


class Adam(Optimizer):
    """Adam, with Keras's bias correction folded into the step size.

    ``m <- m + (g - m) * (1 - beta_1)``, ``v <- v + (g**2 - v) * (1 - beta_2)``,
    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`` and
    ``w <- w - alpha * m / (sqrt(v) + epsilon)`` (epsilon not bias-corrected).
    ``amsgrad`` keeps ``v_hat <- max(v_hat, v)`` and uses it in place of ``v``.
    """

    _config_keys = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check_number("beta_1", beta_1, *_UNIT_OPEN)
        self.beta_2 = _check_number("beta_2", beta_2, *_UNIT_OPEN)
        self.epsilon = _check_epsilon(epsilon)
        self.amsgrad = _check_bool("amsgrad", amsgrad)

    def _slot_names(self):
        return ("momentum", "velocity") + (("velocity_hat",) if self.amsgrad else ())

    def update_step(self, grad, variable, slots, scratch, lr, step):
        (buf,) = scratch
        m, v = slots["momentum"], slots["velocity"]
        alpha = lr * math.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step)
        _moving_average(m, grad, self.beta_1, buf)
        numpy.square(grad, out=buf)
        _moving_average(v, buf, self.beta_2, buf)
        if self.amsgrad:
            v = numpy.maximum(slots["velocity_hat"], v, out=slots["velocity_hat"])
        numpy.sqrt(v, out=buf)
        numpy.add(buf, self.epsilon, out=buf)
        numpy.subtract(variable, _ratio(m, buf, alpha), out=variable)


class AdamW(Adam):
    """Adam with decoupled weight decay ``w <- w - w * weight_decay * lr`` before each step."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a number >= 0; received weight_decay=None.")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


class Adagrad(Optimizer):
    """Per-element step sizes from the sum of squared gradients.

    ``a <- a + g**2`` (``a`` starts at ``initial_accumulator_value``) and
    ``w <- w - lr * g / sqrt(a + epsilon)``.
    """

    _config_keys = ("initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = _check_number(
            "initial_accumulator_value", initial_accumulator_value, *_NON_NEGATIVE)
        self.epsilon = _check_epsilon(epsilon)

    def _slot_names(self):
        return ("accumulator",)

    def _initial_slot_value(self, slot_name):
        return self.initial_accumulator_value

    def update_step(self, grad, variable, slots, scratch, lr, step):
        (buf,) = scratch
        a = slots["accumulator"]
        numpy.square(grad, out=buf)
        numpy.add(a, buf, out=a)
        numpy.add(a, self.epsilon, out=buf)
        numpy.sqrt(buf, out=buf)
        numpy.subtract(variable, _ratio(grad, buf, lr), out=variable)


class Adadelta(Optimizer):
    """Adadelta: step sizes from running averages of squared gradients and squared steps.

    ``Eg <- rho * Eg + (1 - rho) * g**2``,
    ``delta = -sqrt(Ed + epsilon) * g / sqrt(Eg + epsilon)``,
    ``Ed <- rho * Ed + (1 - rho) * delta**2`` and ``w <- w + lr * delta``.
    """

    _config_keys = ("rho", "epsilon")
    _scratch_count = 2

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _check_number("rho", rho, *_UNIT)
        self.epsilon = _check_epsilon(epsilon)

    def _slot_names(self):
        return ("accumulated_grad", "accumulated_delta_var")

    def update_step(self, grad, variable, slots, scratch, lr, step):
        buf, descent = scratch  # descent holds -delta
        eg, ed = slots["accumulated_grad"], slots["accumulated_delta_var"]
        numpy.square(grad, out=buf)
        _moving_average(eg, buf, self.rho, buf)
        numpy.add(ed, self.epsilon, out=descent)
        numpy.sqrt(descent, out=descent)
        numpy.multiply(descent, grad, out=descent)
        numpy.add(eg, self.epsilon, out=buf)
        numpy.sqrt(buf, out=buf)
        numpy.divide(descent, buf, out=descent)
        numpy.square(descent, out=buf)
        _moving_average(ed, buf, self.rho, buf)
        numpy.multiply(descent, lr, out=descent)
        numpy.subtract(variable, descent, out=variable)


class Adamax(Optimizer):
    """Adam with an infinity-norm second moment.

    ``m <- m + (g - m) * (1 - beta_1)``, ``u <- max(beta_2 * u, |g|)`` and
    ``w <- w - lr * m / ((1 - beta_1**t) * (u + epsilon))``.
    """

    _config_keys = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check_number("beta_1", beta_1, *_UNIT_OPEN)
        self.beta_2 = _check_number("beta_2", beta_2, *_UNIT)
        self.epsilon = _check_epsilon(epsilon)

    def _slot_names(self):
        return ("momentum", "norm")

    def update_step(self, grad, variable, slots, scratch, lr, step):
        (buf,) = scratch
        m, u = slots["momentum"], slots["norm"]
        _moving_average(m, grad, self.beta_1, buf)
        numpy.multiply(u, self.beta_2, out=u)
        numpy.abs(grad, out=buf)
        numpy.maximum(u, buf, out=u)
        numpy.add(u, self.epsilon, out=buf)
        numpy.subtract(variable, _ratio(m, buf, lr / (1.0 - self.beta_1**step)), out=variable)


class Nadam(Optimizer):
    """Adam with Nesterov momentum, in Keras 3's form.

    ``mu_t = beta_1 * (1 - 0.5 * 0.96**t)``; the running product ``P_t = mu_1 ... mu_t``
    is an optimizer variable (``u_product``, last in :attr:`variables`) updated once
    per step.  ``m`` and ``v`` are Adam's, then
    ``m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)``,
    ``v_hat = v / (1 - beta_2**t)`` and ``w <- w - lr * m_hat / (sqrt(v_hat) + epsilon)``.
    """

    _config_keys = ("beta_1", "beta_2", "epsilon")
    _scratch_count = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check_number("beta_1", beta_1, *_UNIT_OPEN)
        self.beta_2 = _check_number("beta_2", beta_2, *_UNIT_OPEN)
        self.epsilon = _check_epsilon(epsilon)

    def _slot_names(self):
        return ("momentum", "velocity")

    def build(self, variables, names=None):
        if self.built:
            return
        super().build(variables, names)
        self._u_product = numpy.array(1.0, dtype=_config.floatx())

    @property
    def variables(self):
        return super().variables + ([self._u_product] if self.built else [])

    def _mu(self, step):
        return self.beta_1 * (1.0 - 0.5 * 0.96**step)

    def _prepare_step(self, step):
        self._u_product *= self._mu(step)  # in place: the 0-d array is a saved variable

    def update_step(self, grad, variable, slots, scratch, lr, step):
        m_hat, buf = scratch
        m, v = slots["momentum"], slots["velocity"]
        mu, mu_next, product = self._mu(step), self._mu(step + 1), float(self._u_product)
        _moving_average(m, grad, self.beta_1, buf)
        numpy.square(grad, out=buf)
        _moving_average(v, buf, self.beta_2, buf)
        numpy.multiply(m, mu_next / (1.0 - product * mu_next), out=m_hat)
        numpy.multiply(grad, (1.0 - mu) / (1.0 - product), out=buf)
        numpy.add(m_hat, buf, out=m_hat)
        numpy.divide(v, 1.0 - self.beta_2**step, out=buf)
        numpy.sqrt(buf, out=buf)
        numpy.add(buf, self.epsilon, out=buf)
        numpy.subtract(variable, _ratio(m_hat, buf, lr), out=variable)


_BY_NAME = {cls.__name__.lower(): cls
            for cls in (SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam)}


def get(identifier):
    """Resolve ``compile(optimizer=...)``: a name (``'adam'``, case-insensitive) gives a new
    instance with Keras defaults, an :class:`Optimizer` is returned as is, and a dict from
    :func:`serialize` is deserialized."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            expected = ", ".join(repr(name) for name in _BY_NAME)
            raise ValueError(f"Unknown optimizer: optimizer={identifier!r}. Expected one of: {expected}.")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError("`optimizer` must be a name such as 'adam', an Optimizer instance or a "
                    f"serialized dict; received optimizer={identifier!r}.")


def serialize(optimizer):
    """Return ``{"module", "class_name", "config"}`` describing ``optimizer``."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"`optimizer` must be an Optimizer instance; received {optimizer!r}.")
    return {"module": "microkeras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """Rebuild an optimizer from :func:`serialize` output (or a Keras 3 one).

    ``custom_objects`` maps extra class names to :class:`Optimizer` subclasses.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("`config` must be a dict with 'class_name' and 'config' keys; "
                         f"received config={config!r}.")
    class_name = config["class_name"]
    cls = (custom_objects or {}).get(class_name) or _BY_NAME.get(str(class_name).lower())
    if cls is None:
        expected = ", ".join(cls.__name__ for cls in _BY_NAME.values())
        raise ValueError(f"Unknown optimizer class_name={class_name!r}. Expected one of: {expected}.")
    settings = dict(config.get("config", {}))
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(settings, custom_objects=custom_objects)
    return cls.from_config(settings)
