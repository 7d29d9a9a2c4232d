"""Callbacks: hooks into fit/evaluate/predict, with Keras 3's names, order and logs.

``fit`` wraps the user's callbacks in a :class:`CallbackList` that appends a
:class:`History` and, unless ``verbose=0``, a :class:`ProgbarLogger` (Keras 3
puts both after the user's callbacks).
"""

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
        for method in self._by_hook[hook]:
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

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self


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
