"""Callbacks: hooks into fit/evaluate/predict, with Keras 3's names, order and logs.

``fit`` wraps the user's callbacks in a :class:`CallbackList` that appends a
:class:`History` and, unless ``verbose=0``, a :class:`ProgbarLogger` (Keras 3
puts both after the user's callbacks).

The callbacks users add themselves follow Keras 3's signatures, defaults and
messages: :class:`EarlyStopping` and :class:`ReduceLROnPlateau` (both built on
:class:`MonitorCallback`, which decides what "better" means for a logged
value), :class:`LearningRateScheduler`, :class:`CSVLogger`,
:class:`TerminateOnNaN` and :class:`LambdaCallback`; :class:`ModelCheckpoint`
and :class:`BackupAndRestore` save to Keras 3's files (:mod:`microkeras.saving`).
"""

import csv
import json
import os
import shutil
import warnings

import numpy

from microkeras.utils.argument_checks import check_int
from microkeras.utils.progbar import Progbar

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class: override the hooks you need.

    ``self.model`` is the model being trained and ``self.params`` holds
    ``verbose``, ``epochs`` and ``steps``; both are set before
    ``on_train_begin``.  Batch hooks receive running epoch averages in
    ``logs``; ``on_epoch_end`` receives the epoch's results, with ``val_*``
    keys when validating.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class CallbackList:
    """Fans each hook out to every callback that overrides it.

    Keras's legacy ``on_batch_*`` hooks are called right after their
    ``on_train_batch_*`` counterparts.  Only callbacks that override a hook
    are called for it, so an unused hook costs nothing per batch.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"`callbacks` must hold Callback instances; received {callback!r}.")
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.model = model
        self.params = params
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        self._by_hook = {hook: [getattr(c, hook) for c in self.callbacks if _overrides(c, hook)]
                         for hook in _HOOKS}

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def _call(self, hook, *args):
        methods = self._by_hook[hook]
        if methods and args[-1] is None:
            args = args[:-1] + ({},)  # Keras 3 hands every hook a logs dict, empty when there is nothing to log
        for method in methods:
            method(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_test_batch_begin(self, batch, logs=None): self._call("on_test_batch_begin", batch, logs)
    def on_test_batch_end(self, batch, logs=None): self._call("on_test_batch_end", batch, logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)
    def on_predict_batch_begin(self, batch, logs=None): self._call("on_predict_batch_begin", batch, logs)
    def on_predict_batch_end(self, batch, logs=None): self._call("on_predict_batch_end", batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)
        self._call("on_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)
        self._call("on_batch_end", batch, logs)


def _overrides(callback, hook):
    return getattr(type(callback), hook, None) is not getattr(Callback, hook) or hook in vars(callback)


class HistoryDict(dict):
    """A dict whose missing-key error lists the keys that exist (``'acc'`` vs ``'accuracy'``)."""

    def __missing__(self, key):
        raise KeyError(f"{key!r} is not in the training history. Available keys: {sorted(self)}. "
                       "(History keys are the metric strings given to compile(), e.g. 'accuracy' "
                       "or 'acc', with 'val_' prefixes for validation.)")


class History(Callback):
    """Records each epoch's logs: ``history.history['loss']`` is a list of floats, one per epoch.

    ``fit`` returns this object and also stores it as ``model.history``.
    """

    def __init__(self):
        super().__init__()
        self.history = HistoryDict()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class ProgbarLogger(Callback):
    """Prints ``Epoch e/E`` (when ``epochs > 1``) and a Keras 3 progress bar per epoch.

    Also draws the bars of a standalone ``evaluate`` or ``predict``; the
    validation pass inside ``fit`` is silent.
    """

    def __init__(self):
        super().__init__()
        self.progbar = None
        self._seen = 0
        self._in_fit = False

    def _start(self):
        self.progbar = Progbar(target=self.params.get("steps"), verbose=self.params.get("verbose", 1))
        self._seen = 0

    def _update(self, current, logs, finalize):
        if logs:
            # The logs already hold running means: Progbar must show them as given.
            self.progbar.stateful_metrics.update(logs)
        self._seen = current
        self.progbar.update(current, logs, finalize=finalize)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs", 1)
        if epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}", flush=True)
        self._start()

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch + 1, logs, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._update(self._seen, logs, finalize=True)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch + 1, logs, finalize=False)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._update(self._seen, logs, finalize=True)

    on_predict_begin = on_test_begin

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch + 1, None, finalize=False)

    def on_predict_end(self, logs=None):
        self._update(self._seen, None, finalize=True)


# ------------------------------------------------------------------ helpers


def _print(message):
    print(message, flush=True)


# ------------------------------------------------------- monitored quantities


class MonitorCallback(Callback):
    """Base of callbacks that watch one value of the epoch logs for improvement.

    Shared by :class:`EarlyStopping` and :class:`ReduceLROnPlateau`: it
    resolves ``mode`` and tests improvements.  ``monitor_op`` becomes
    ``numpy.less`` (``'min'``) or ``numpy.greater`` (``'max'``) the first time
    a value is compared, once the model's metrics exist.  ``mode='auto'`` is
    Keras 3's rule: ``'min'`` for ``loss``/``val_loss``; otherwise the
    direction of the model's metric of that name (accuracies, AUC, precision
    and recall go up; error metrics go down); otherwise a ValueError asking
    for an explicit mode.  A value improves on ``reference`` when it is better
    by more than ``min_delta``; every value improves on ``None``.

    Subclasses set ``_missing_message``, the warning given when ``monitor``
    is not in the logs (formatted with ``monitor`` and ``available``).
    """

    _missing_message = ("{cls} is conditioned on metric `{monitor}` which is not available. "
                        "Available metrics are: {available}")

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"`monitor` must be the name of a logged value such as 'val_loss'; "
                            f"received monitor={monitor!r}.")
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def get_monitor_value(self, logs):
        """The monitored value in ``logs``, or None with a warning listing the keys that exist."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(self._missing_message.format(cls=type(self).__name__, monitor=self.monitor,
                                                       available=",".join(logs)), stacklevel=3)
        return value

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        # The margin always points away from `reference`: lower by min_delta in 'min' mode.
        delta = self.min_delta if self.monitor_op is numpy.greater else -self.min_delta
        return bool(self.monitor_op(value - delta, reference))

    def _set_monitor_op(self):
        if self.mode != "auto":
            self.monitor_op = numpy.less if self.mode == "min" else numpy.greater
            return
        name = self.monitor.removeprefix("val_")
        direction = "down" if name == "loss" else None
        for metric in getattr(self.model, "metrics", None) or ():
            if metric.name == name:
                direction = getattr(metric, "_direction", None) or direction
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} received monitor={self.monitor!r}, but cannot tell whether "
                f"{name!r} should be maximized or minimized: the model has no metric of that name "
                "with a known direction. Pass mode='max' to monitor the highest value, or "
                "mode='min' to monitor the lowest.")
        self.monitor_op = numpy.greater if direction == "up" else numpy.less


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has stopped improving (Keras 3 semantics).

    Parameters
    ----------
    monitor : str
        Key of the epoch logs to watch (``'val_loss'``, ``'val_accuracy'``, ...).
    min_delta : float
        Changes smaller than this count as no improvement.
    patience : int
        Epochs without improvement before stopping.  Every monitored epoch
        adds one to ``wait``; an improvement resets it.  Training stops at
        the end of an epoch > 0 that does not improve once ``wait >= patience``.
    verbose : int
        ``> 0`` prints ``Epoch n: early stopping`` and, when weights are
        restored, ``Restoring model weights from the end of the best epoch: n.``
        (``n`` 1-based) at the end of training.
    mode : {'auto', 'min', 'max'}
        Which direction is better; see :class:`MonitorCallback`.
    baseline : float or None
        With a baseline, ``wait`` is reset only by values that also beat it,
        so training stops after ``patience`` epochs that never reach it.
    restore_best_weights : bool
        At the end of training, set the weights from the best epoch -- also
        when training ran to the end without stopping (Keras 3).
    start_from_epoch : int
        Epochs of warm-up that are not monitored.

    After training, ``stopped_epoch`` (0 if it did not stop), ``best``,
    ``best_epoch`` (0-based) and ``wait`` describe the run.
    """

    _missing_message = ("Early stopping conditioned on metric `{monitor}` which is not available. "
                        "Available metrics are: {available}")

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience = check_int(patience, "patience")
        self.start_from_epoch = check_int(start_from_epoch, "start_from_epoch")
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self._reset()

    def on_train_begin(self, logs=None):
        self._reset()  # so one instance can serve several fit() calls

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the optimizer's learning rate by ``factor`` when ``monitor`` stops improving.

    Parameters
    ----------
    monitor, mode, min_delta
        As in :class:`MonitorCallback` (``min_delta`` defaults to 1e-4;
        Keras 2's ``epsilon=`` is accepted for it).
    factor : float
        ``new_lr = max(lr * factor, min_lr)``; must be < 1.
    patience : int
        Epochs without improvement before a reduction.
    verbose : int
        ``> 0`` prints ``Epoch n: ReduceLROnPlateau reducing learning rate to lr.``
    cooldown : int
        Epochs after a reduction during which no epochs are counted as bad.
    min_lr : float
        Lower bound; a rate already at ``min_lr`` is left alone.

    Every ``on_epoch_end`` also records ``logs['learning_rate']``, the rate
    used in that epoch (before any reduction).
    """

    _missing_message = ("Learning rate reduction is conditioned on metric `{monitor}` which is not "
                        "available. Available metrics are: {available}.")

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        if "epsilon" in kwargs:
            warnings.warn("`epsilon` argument is deprecated, use `min_delta` instead.", stacklevel=2)
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau() got unexpected keyword argument(s): "
                            f"{', '.join(sorted(kwargs))}.")
        super().__init__(monitor, mode, min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.patience = check_int(patience, "patience")
        self.cooldown = check_int(cooldown, "cooldown")
        self.min_lr = min_lr
        self.verbose = verbose
        self._reset()

    def on_train_begin(self, logs=None):
        self._reset()

    def _reset(self):
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch):
        optimizer = self.model.optimizer
        old_lr = float(optimizer.learning_rate)
        # Keras holds the rate in float32: one that rounds to min_lr there counts as at the bound.
        if numpy.float32(old_lr) > numpy.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0


# ------------------------------------------------------------- other callbacks


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``.

    ``schedule`` takes the 0-based epoch and the current rate (a float) and
    returns the new rate, a Python or numpy float.  A Keras 2 style
    ``schedule(epoch)`` also works: it is called when the two-argument call
    raises TypeError.  ``verbose > 0`` prints ``Epoch n:
    LearningRateScheduler setting learning rate to lr.``  Each epoch's logs
    (and so the History) get ``learning_rate``.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"`schedule` must be a function schedule(epoch, lr) -> float; "
                            f"received {schedule!r}.")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # Keras 2's one-argument schedule(epoch)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, numpy.floating)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: "
                             f"{learning_rate!r} of type {type(learning_rate).__name__} at epoch {epoch}.")
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` (0-based) then the logs, keys sorted.

    The columns are fixed at the first epoch.  As in Keras 3, when that
    epoch has no ``val_*`` keys a ``val_`` column is reserved for every key
    (filled with ``NA`` while there is no validation); any other missing
    value is also written ``NA``.  Rows use Python's ``csv`` excel dialect
    with ``separator`` (lines end in ``\\r\\n``, like Keras's files).  With
    ``append=True`` rows go after an existing file's, and the header is
    written only if the file is empty.  The file is closed at train end.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as existing:
                self.append_header = not existing.readline()
        self._close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                # Reserve the columns of a validation that starts later (validation_freq > 1).
                self.keys += ["val_" + key for key in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, dialect="excel", delimiter=self.sep)
            if self.append_header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [_csv_value(logs.get(key, "NA")) for key in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    """A log value as one CSV field: lists and arrays (several thresholds) as ``[a, b]``."""
    if isinstance(value, str) or numpy.ndim(value) == 0:
        return value
    return "[" + ", ".join(map(str, numpy.ravel(value))) + "]"


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's running ``loss`` is NaN or infinite.

    Prints ``Batch n: Invalid loss, terminating training`` and sets
    ``model.stop_training``, so the epoch ends and ``on_train_end`` runs.
    With ``raise_error=True`` it raises RuntimeError instead, leaving the
    other callbacks' ``on_train_end`` uncalled.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or numpy.all(numpy.isfinite(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               "Terminating training immediately.")
        _print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook, called with the hook's arguments.

    ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``,
    ``on_train_begin(logs)``, ``on_train_end(logs)``,
    ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``;
    any other hook (``on_test_end=...``, ``on_batch_end=...``) by keyword.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback() got unexpected keyword argument(s): {', '.join(unknown)}. "
                            f"Expected hook names: {', '.join(_HOOKS)}.")
        functions = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                         on_train_begin=on_train_begin, on_train_end=on_train_end,
                         on_train_batch_begin=on_train_batch_begin,
                         on_train_batch_end=on_train_batch_end, **kwargs)
        for hook, function in functions.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: `{hook}` must be a function; received {function!r}.")
            # An instance attribute, which CallbackList sees as an override.
            setattr(self, hook, function)


class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) during ``fit``: every epoch, every ``save_freq`` batches, or
    only when ``monitor`` improves.

    Parameters
    ----------
    filepath : str or os.PathLike
        Where to save; may hold ``{epoch:02d}`` (counted from 1), ``{batch}``
        (with an integer ``save_freq``) and any logged value, such as
        ``{val_loss:.2f}``.  It must end in ``.keras`` (the whole model; ``.h5``
        writes the legacy HDF5 file), or in ``.weights.h5`` with
        ``save_weights_only=True`` (Keras 3's rule).
    monitor : str
        The logged value ``save_best_only`` watches (default ``'val_loss'``).
    verbose : int
        ``1`` prints ``Epoch 3: val_loss improved from 0.41000 to 0.38000,
        saving model to ...`` (Keras 3's messages).
    save_best_only : bool
        Save only when ``monitor`` beats the best value so far.
    save_weights_only : bool
        Save the weights (``model.save_weights``) instead of the whole model.
    mode : {'auto', 'min', 'max'}
        As in :class:`MonitorCallback`.
    save_freq : 'epoch' or int
        Save at the end of every epoch, or after every ``save_freq`` batches.
    initial_value_threshold : float, optional
        The value ``monitor`` must beat for the first save with ``save_best_only``.

    Each save is atomic: an interrupted save leaves the previous file whole.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode)
        if isinstance(filepath, os.PathLike):
            filepath = os.fspath(filepath)
        if not isinstance(filepath, str):
            raise TypeError(f"`filepath` must be a path (str or os.PathLike); received {filepath!r}.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or a "
                             "positive integer (a number of batches).")
        if save_weights_only and not filepath.endswith(".weights.h5"):
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided "
                             f"must end in `.weights.h5` (Keras weights format). Received: filepath={filepath}")
        if not save_weights_only and filepath.endswith(".weights.h5"):
            raise ValueError("A `.weights.h5` file holds weights only: pass save_weights_only=True, or name the file "
                             f"`.keras` to save the whole model. Received: filepath={filepath}")
        if not save_weights_only and not filepath.endswith((".keras", ".h5")):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format) or `.h5` (the legacy "
                             "HDF5 format); for the weights alone pass save_weights_only=True and a `.weights.h5` "
                             f"name. Received: filepath={filepath}")
        self.filepath = filepath
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._batches_since_save = 0
        self._last_batch = None
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        seen = batch + 1 if self._last_batch is None or batch <= self._last_batch else batch - self._last_batch
        self._last_batch = batch
        self._batches_since_save += seen
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None and self.save_best_only:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _file_path(self, epoch, batch, logs):
        values = dict(logs or {})
        if batch is not None and "batch" not in values:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(epoch=epoch + 1, **values)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {error} is '
                           f"not a logged value (logged: {', '.join(logs or {}) or 'none'}).") from None

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if numpy.ndim(current) > 0:
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                          "Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, saving "
                       f"model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch, batch, logs):
        filepath = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"Please specify a non-directory filepath for ModelCheckpoint. Filepath used "
                                    f"is an existing directory: {filepath}")
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)


class BackupAndRestore(Callback):
    """Back up the training state in ``backup_dir`` so that an interrupted ``fit`` can resume.

    At the end of every epoch (or every ``save_freq`` batches) it writes
    ``latest.weights.h5`` (weights and optimizer state) and
    ``training_metadata.json`` (``{"epoch": e, "batch": b}``, Keras 3's
    files).  When ``fit`` starts and a backup exists, the backup is loaded
    and training resumes at the epoch after the last one backed up, so a run
    interrupted by an exception and run again with the same callback ends
    with the weights of an uninterrupted run (with epoch backups and
    ``shuffle=False``, or a seeded shuffle).  When ``fit`` ends normally the
    folder is deleted (``delete_checkpoint=True``).

    Parameters
    ----------
    backup_dir : str or os.PathLike
        The folder for the backup; used by this training run only.
    save_freq : 'epoch' or int
        Back up at every epoch end, or every ``save_freq`` batches (a run then
        resumes at the start of the epoch it was in, from the mid-epoch state).
    double_checkpoint : bool
        Keep the previous backup as ``*.bkp``, used if the latest cannot be read.
    delete_checkpoint : bool
        Delete ``backup_dir`` when training ends normally.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if isinstance(backup_dir, os.PathLike):
            backup_dir = os.fspath(backup_dir)
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if not isinstance(backup_dir, str):
            raise TypeError(f"`backup_dir` must be a folder path; received {backup_dir!r}.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                             "Expected either 'epoch' or a positive integer.")
        self.backup_dir = backup_dir
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(backup_dir, "latest.weights.h5")
        self._metadata_path = os.path.join(backup_dir, "training_metadata.json")
        self._batches_since_save = 0
        self._last_batch = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        try:
            self._restore(self._weights_path, self._metadata_path)
        except (OSError, ValueError):
            if not (self.double_checkpoint and os.path.exists(self._weights_path + ".bkp")):
                raise
            # The latest backup is damaged (a crash while writing it): go back to the one before, as Keras does.
            shutil.copyfile(self._weights_path + ".bkp", self._weights_path)
            if os.path.exists(self._metadata_path + ".bkp"):
                shutil.copyfile(self._metadata_path + ".bkp", self._metadata_path)
            elif os.path.exists(self._metadata_path):
                os.remove(self._metadata_path)
            self._restore(self._weights_path, self._metadata_path)

    def _restore(self, weights_path, metadata_path):
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, your model must be built before you call "
                             f"`fit()`. Model {self.model.name!r} is unbuilt. You can build it beforehand by "
                             "calling it on a batch of data.")
        if os.path.exists(weights_path):
            self.model.load_weights(weights_path)
        if os.path.exists(metadata_path):
            with open(metadata_path, encoding="utf-8") as file:
                try:
                    metadata = json.load(file)
                    epoch = check_int(metadata["epoch"], "epoch", minimum=0)
                except (ValueError, TypeError, KeyError) as error:
                    raise ValueError(f"{metadata_path} is not a valid training_metadata.json: {error}") from None
            self._current_epoch = epoch
            self.model._initial_epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch = 0
        if self.save_freq == "epoch":
            self._backup()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        seen = batch + 1 if batch <= self._last_batch else batch - self._last_batch
        self._last_batch = batch
        self._batches_since_save += seen
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._backup()

    def _backup(self):
        from microkeras.saving.saving_api import atomic_write

        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._metadata_path):
                if os.path.exists(path):
                    shutil.copyfile(path, path + ".bkp")
        self.model.save_weights(self._weights_path, overwrite=True)
        metadata = json.dumps({"epoch": self._current_epoch, "batch": self._last_batch}).encode("utf-8")
        atomic_write(self._metadata_path, lambda file: file.write(metadata))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
