"""The trainer: ``compile``, ``fit``, ``evaluate``, ``predict`` and the training step.

The whole of training is one small function, :meth:`Trainer.train_step`:
autograd differentiates :meth:`Trainer._loss_fn` -- the model's loss as a pure
function of its trainable weights, which are *bound* into the layers for the
traced forward pass -- and the optimizer then updates the weight arrays in
place.  Metrics, callbacks and the progress bar run on concrete numpy values
outside the trace.  ``evaluate`` and ``predict`` never trace.
"""

import numbers

import numpy
from autograd import grad_and_aux

from microkeras import activations, losses, ops, optimizers
from microkeras import callbacks as callbacks_module
from microkeras import metrics as metrics_module
from microkeras.layers.layer import swap
from microkeras.models import data_adapter

# Keras 3 compile() arguments that only steer its compilers; they change nothing here.
_NO_EFFECT_COMPILE_ARGS = ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss")
# tf.keras fit() arguments for its input pipeline; harmless to accept.
_NO_EFFECT_FIT_ARGS = ("max_queue_size", "workers", "use_multiprocessing")


class Trainer:
    """Mixin that gives a model Keras's training API.  The model provides
    ``call``, ``layers``, ``trainable_weights`` and shape information."""

    def _init_trainer(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._compiled_loss = None
        self._metrics = []
        self._loss_tracker = metrics_module.Mean(name="loss")

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, target_tensors=None, **kwargs):
        """Configure the model for training.

        Parameters
        ----------
        optimizer : str or Optimizer
            ``'rmsprop'`` (default), ``'adam'``, ``'sgd'``, ... or an instance.
        loss : str, callable or Loss
            ``'categorical_crossentropy'``, ``'mse'``, ``losses.Huber()``, ...
        metrics : list
            Strings (``'accuracy'`` is resolved by the label and output shapes),
            callables or ``Metric`` instances.  Each appears in the History under
            the name given.
        loss_weights : float, list or dict, optional
            Scales the loss (one entry: microkeras models have one output).
        sample_weight_mode : None or 'temporal'
            Keras 2's flag for per-timestep weights; with ``'temporal'``,
            ``sample_weight`` must be 2D.
        weighted_metrics : list, optional
            Metrics that take ``sample_weight``/``class_weight`` into account.
        target_tensors : array, optional
            Keras 2 only: fixed targets used when ``fit`` gets no ``y``.
        """
        unknown = sorted(set(kwargs) - set(_NO_EFFECT_COMPILE_ARGS))
        if unknown:
            raise TypeError(f"compile() got unexpected keyword argument(s): {', '.join(unknown)}.")
        optimizer = optimizers.get(optimizer)
        compiled_loss = None if loss is None else losses.to_loss(self._single_output(loss, "loss"))
        loss_weight = self._resolve_loss_weight(loss_weights)
        metric_specs = self._check_metric_specs(metrics, "metrics")
        weighted_specs = self._check_metric_specs(weighted_metrics, "weighted_metrics")
        if sample_weight_mode not in (None, "temporal"):
            raise ValueError(f"`sample_weight_mode` must be None or 'temporal'; received {sample_weight_mode!r}.")
        if target_tensors is not None:
            target_tensors = data_adapter.check_array(self._single_output(target_tensors, "target_tensors"),
                                                      "target_tensors")
        self.optimizer = optimizer
        self.loss = loss
        self._compiled_loss = compiled_loss
        self._loss_weight = loss_weight
        self._metric_specs = metric_specs
        self._weighted_specs = weighted_specs
        self._metrics = []
        self._metrics_key = None
        self._sample_weight_mode = sample_weight_mode
        self._target_tensors = target_tensors
        self.compiled = True

    def _single_output(self, value, argument):
        """Unwrap a one-element list or a dict keyed by the output layer's name."""
        if isinstance(value, (list, tuple)) and not isinstance(value, str):
            if len(value) != 1:
                raise ValueError(f"`{argument}` must have one entry (the model has one output); "
                                 f"received {len(value)}.")
            return value[0]
        if isinstance(value, dict) and argument != "metrics":
            name = self.output_names[0]
            if set(value) != {name}:
                raise ValueError(f"`{argument}` as a dict must be keyed by the output name {name!r}; "
                                 f"received keys {sorted(value)}.")
            return value[name]
        return value

    def _resolve_loss_weight(self, loss_weights):
        if loss_weights is None:
            return 1.0
        weight = self._single_output(loss_weights, "loss_weights")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise TypeError(f"`loss_weights` must hold a number; received {weight!r}.")
        return float(weight)

    def _check_metric_specs(self, specs, argument):
        if specs is None:
            return []
        if isinstance(specs, dict):
            specs = self._single_output(specs, argument)
        if isinstance(specs, (str, metrics_module.Metric)) or callable(specs) and not isinstance(specs, type):
            specs = [specs]
        if not isinstance(specs, (list, tuple)):
            raise TypeError(f"`{argument}` must be a list of metrics; received {specs!r}.")
        for spec in specs:
            if not (isinstance(spec, str) and metrics_module.is_accuracy_name(spec)):
                metrics_module.get(spec)  # raises on unknown names now, not mid-fit
        return list(specs)

    @property
    def metrics(self):
        """The loss tracker and the compiled metrics (once built by data)."""
        return [self._loss_tracker] + list(self._metrics)

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def _build_metrics(self, y_shape, y_pred_shape):
        """Resolve the metric specs for these label/output shapes (``'accuracy'`` depends on them)."""
        key = (len(y_shape), y_shape[-1:], y_pred_shape[-1:])
        if self._metrics_key == key:
            return
        built = [(self._make_metric(s, y_shape, y_pred_shape), False) for s in self._metric_specs]
        names = {m.name for m, _ in built}
        for spec in self._weighted_specs:
            metric = self._make_metric(spec, y_shape, y_pred_shape)
            if metric.name in names:
                metric.name = "weighted_" + metric.name
            built.append((metric, True))
        self._metrics = [m for m, _ in built]
        self._metric_weighted = [w for _, w in built]
        self._metrics_key = key

    @staticmethod
    def _make_metric(spec, y_shape, y_pred_shape):
        if isinstance(spec, str) and metrics_module.is_accuracy_name(spec):
            return metrics_module.get_accuracy(spec, y_shape, y_pred_shape)
        metric = metrics_module.get(spec)
        return metric

    # ---------------------------------------------------------------- the step
    def _loss_fn(self, params, x, y, sample_weight):
        """The model's loss at ``params`` on one batch: what autograd differentiates.

        Returns ``(loss, (loss, outputs))``; the second part is the auxiliary
        output, cut from the trace.
        """
        saved = swap(self._step_slots, [*params, *self._step_overrides])
        try:
            outputs = self.call(x, training=True)
            loss = self._total_loss(y, outputs, sample_weight, params)
        finally:
            swap(self._step_slots, saved)
        return loss, (ops.stop_gradient(loss), ops.stop_gradient(outputs))

    def train_step(self, x, y, sample_weight=None):
        """One optimization step on a batch; returns ``(loss, y_pred)`` as arrays."""
        grads, (loss, outputs) = self._grad_fn(self._params, x, y, sample_weight)
        self.optimizer.apply(grads, self._params)
        for index, constraint in self._constraints:
            self._params[index][...] = constraint(self._params[index])
        return loss, self._output_activation(outputs)

    def _total_loss(self, y, outputs, sample_weight, params):
        """Compiled loss (times its weight) plus regularization penalties."""
        loss = self._step_loss(y, outputs, sample_weight)
        if self._loss_weight != 1.0:
            loss = loss * self._loss_weight
        for index, regularizer in self._regularizers:
            loss = loss + regularizer(params[index])
        for layer in self._activity_layers:
            for penalty in layer._losses:
                loss = loss + penalty
            layer._losses.clear()
        return loss + self._frozen_penalty if self._frozen_penalty else loss

    def _prepare_step(self):
        """Collect what the step needs: weights, their binding places, penalties, the loss path.

        Run at the start of fit/train_on_batch: the layers or their
        ``trainable`` flags may have changed since compile.
        """
        layers = self.layers
        trainable = [(layer, spec) for layer in layers if self.trainable and layer.trainable
                     for spec in layer._weight_specs if spec.trainable]
        self._params = [spec.value for _, spec in trainable]
        slots = [slot for layer in layers if self.trainable and layer.trainable
                 for slot in layer._weight_slots()[:sum(s.trainable for s in layer._weight_specs)]]
        self._regularizers = [(i, spec.regularizer) for i, (_, spec) in enumerate(trainable) if spec.regularizer]
        self._constraints = [(i, spec.constraint) for i, (_, spec) in enumerate(trainable) if spec.constraint]
        frozen = [spec for layer in layers for spec in layer._weight_specs
                  if spec.regularizer and not (self.trainable and layer.trainable and spec.trainable)]
        self._frozen_penalty = float(sum(float(spec.regularizer(spec.value)) for spec in frozen))
        self._activity_layers = [layer for layer in layers if getattr(layer, "activity_regularizer", None)]
        self._step_loss, self._output_activation, overrides = self._choose_loss_path()
        self._step_slots = slots + [slot for slot, _ in overrides]
        self._step_overrides = [value for _, value in overrides]
        self._grad_fn = grad_and_aux(self._loss_fn)

    def _choose_loss_path(self):
        """Fuse a final softmax into categorical crossentropy when that gives Keras's numbers.

        Returns ``(loss_fn, output_activation, overrides)``.  When fused, the
        last layer's ``activation`` is bound to ``linear`` during the traced
        pass, the loss takes logits (stable gradient, Keras's clipped value),
        and the softmax is applied afterwards for the metrics.
        """
        last = self.layers[-1] if self.layers else None
        fused = losses.softmax_fused(self._compiled_loss)
        if fused is not None and getattr(last, "activation", None) is activations.softmax:
            return fused, activations.softmax, [((vars(last), "activation"), activations.linear)]
        return self._compiled_loss, _identity, []

    # --------------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, **kwargs):
        """Train the model for ``epochs`` epochs; return a :class:`~microkeras.callbacks.History`.

        Every argument is checked before any weight changes; see
        ``docs/getting-started.md`` for each argument's Keras semantics.
        """
        self._check_compiled("fit")
        _reject_unknown(kwargs, "fit", _NO_EFFECT_FIT_ARGS)
        verbose = _check_verbose(verbose)
        batch_size = data_adapter.resolve_batch_size(batch_size)
        epochs = _check_int(epochs, "epochs", minimum=0)
        initial_epoch = _check_int(initial_epoch, "initial_epoch", minimum=0)
        validation_freq = _check_int(validation_freq, "validation_freq", minimum=1)
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"`shuffle` must be True, False or 'batch'; received {shuffle!r}.")
        for name, value in (("steps_per_epoch", steps_per_epoch), ("validation_steps", validation_steps)):
            if value is not None:
                raise NotImplementedError(f"`{name}` is not supported yet by microkeras; pass arrays "
                                          "and let each epoch cover them once.")
        if y is None and self._target_tensors is not None:
            y = self._target_tensors
        x, y, sample_weight = self._check_data(x, y, sample_weight, class_weight)
        if validation_data is not None:
            val = self._check_validation_data(validation_data)
        elif validation_split:
            (x, y, sample_weight), val = data_adapter.train_validation_split((x, y, sample_weight),
                                                                              validation_split)
        else:
            val = None
        validation_batch_size = data_adapter.resolve_batch_size(
            validation_batch_size or batch_size, "validation_batch_size")

        self._build_metrics(y.shape, self.output_shape)
        batches = data_adapter.ArrayBatches(x, y, sample_weight, batch_size, shuffle)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=batches.num_batches)
        self._prepare_step()
        self.stop_training = False
        callback_list.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            for step, (xb, yb, swb) in enumerate(batches):
                callback_list.on_train_batch_begin(step)
                loss, y_pred = self.train_step(xb, yb, swb)
                logs = self._update_metrics(loss, yb, y_pred, swb)
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            logs = self._logs()
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_evaluation(*val, validation_batch_size, callback_list)
                logs.update({"val_" + name: value for name, value in val_logs.items()})
                logs = dict(sorted(logs.items()))
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end(logs)
        return self.history

    def _update_metrics(self, loss, y, y_pred, sample_weight):
        self._loss_tracker.update_state(loss, sample_weight=len(y_pred))
        for metric, weighted in zip(self._metrics, self._metric_weighted):
            metric.update_state(y, y_pred, sample_weight if weighted else None)
        return self._logs()

    def _logs(self):
        """Current values of the loss and metrics, sorted by name as Keras 3 reports them."""
        return dict(sorted((m.name, m.result()) for m in self.metrics))

    # ---------------------------------------------------------------- checking
    def _check_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(f"You must call compile() before {method}().")
        if self._compiled_loss is None and method != "predict":
            raise ValueError(f"No loss to compute in {method}(): pass `loss` to compile().")

    def _check_data(self, x, y, sample_weight, class_weight, prefix=""):
        """Validate one data set against the model and the loss; return arrays ready to batch."""
        x = data_adapter.check_array(x, prefix + "x")
        y = data_adapter.check_array(y, prefix + "y")
        sample_weight = data_adapter.check_array(sample_weight, prefix + "sample_weight", allow_none=True)
        data_adapter.check_lengths(**{prefix + "x": x, prefix + "y": y, prefix + "sample_weight": sample_weight})
        if len(x) == 0:
            raise ValueError(f"`{prefix}x` is empty: there is nothing to train or evaluate on.")
        self._check_input_shape(x, prefix + "x")
        y = self._check_targets(y, prefix + "y")
        data_adapter.check_finite(x, prefix + "x")
        data_adapter.check_finite(y, prefix + "y")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("Pass either `class_weight` or `sample_weight`, not both (Keras 3 rule).")
            sample_weight = _class_weights_to_sample_weights(y, class_weight)
        if sample_weight is not None:
            data_adapter.check_finite(sample_weight, prefix + "sample_weight")
            self._check_sample_weight(sample_weight, y, prefix + "sample_weight")
        return x, y, sample_weight

    def _check_validation_data(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
                             f"val_sample_weight); received {type(validation_data).__name__}"
                             f"{' of length %d' % len(validation_data) if hasattr(validation_data, '__len__') else ''}.")
        x_val, y_val, sw_val = (tuple(validation_data) + (None,))[:3]
        return self._check_data(x_val, y_val, sw_val, None, prefix="validation_data: ")

    def _check_input_shape(self, x, argument):
        """Build the model for ``x`` if needed; otherwise check ``x`` fits its input."""
        if not self.built:
            self.build((None,) + x.shape[1:])
            return
        expected = self._build_input_shape[1:]
        if len(expected) != x.ndim - 1 or any(e is not None and e != d for e, d in zip(expected, x.shape[1:])):
            raise ValueError(f"`{argument}` has shape {x.shape}, but the model expects inputs of shape "
                             f"{(None,) + tuple(expected)} (one sample is {tuple(expected)}).")

    def _check_targets(self, y, argument):
        """Check labels against the model output and the loss; cast them for the loss."""
        out_shape = self.output_shape
        loss_name = _loss_name(self._compiled_loss)
        units = out_shape[-1]
        if losses.is_sparse(self._compiled_loss):
            if y.ndim not in (len(out_shape) - 1, len(out_shape)) or (y.ndim == len(out_shape) and y.shape[-1] != 1):
                raise ValueError(
                    f"`{argument}` has shape {y.shape}, but {loss_name} expects integer class ids of shape "
                    f"{(len(y),) + tuple(out_shape[1:-1])} or with a trailing 1. For one-hot labels use "
                    "loss='categorical_crossentropy'.")
            if not numpy.all(numpy.equal(numpy.mod(y, 1), 0)) or y.min() < 0 or y.max() >= units:
                raise ValueError(f"`{argument}` must hold integer class ids in [0, {units}) for {loss_name} "
                                 f"(the model has {units} output units); received values from {y.min()} "
                                 f"to {y.max()}.")
            return y.astype(numpy.int32) if y.dtype.kind == "f" else y
        if y.ndim == len(out_shape) - 1 and out_shape[-1] == 1:
            y = y.reshape(y.shape + (1,))
        if tuple(y.shape[1:]) != tuple(out_shape[1:]):
            hint = ""
            if units > 1 and (y.ndim == 1 or y.shape[-1] == 1) and numpy.all(numpy.mod(y, 1) == 0):
                hint = (" The labels look like integer class ids: use loss='sparse_categorical_crossentropy', "
                        "or one-hot encode them (e.g. numpy.eye(num_classes)[y]).")
            else:
                hint = (f" The last layer has {units} units; it must have as many as y has columns "
                        f"({y.shape[-1] if y.ndim > 1 else 1}).")
            raise ValueError(f"`{argument}` has shape {y.shape}, but the model's output has shape "
                             f"{out_shape} and {loss_name} needs targets of the same shape.{hint}")
        return data_adapter.cast(y) if y.dtype.kind == "f" else y.astype(numpy.float32)

    def _check_sample_weight(self, sample_weight, y, argument):
        if sample_weight.ndim == 1:
            return
        if sample_weight.ndim == 2 and y.ndim >= 3 and sample_weight.shape[1] == y.shape[1]:
            return
        raise ValueError(f"`{argument}` must have shape ({len(y)},) or, for per-timestep weights, "
                         f"({len(y)}, timesteps); received {sample_weight.shape} for y of shape {y.shape}.")

    # ---------------------------------------------------------------- evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on data: a scalar if no metrics, else ``[loss, *metrics]`` or a dict."""
        self._check_compiled("evaluate")
        _reject_unknown(kwargs, "evaluate", _NO_EFFECT_FIT_ARGS)
        verbose = _check_verbose(verbose)
        batch_size = data_adapter.resolve_batch_size(batch_size)
        if steps is not None:
            raise NotImplementedError("`steps` is not supported yet by microkeras for arrays.")
        x, y, sample_weight = self._check_data(x, y, sample_weight, None)
        steps = -(-len(x) // batch_size)
        callback_list = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                      verbose=verbose, epochs=1, steps=steps)
        logs = self._run_evaluation(x, y, sample_weight, batch_size, callback_list)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def _run_evaluation(self, x, y, sample_weight, batch_size, callback_list):
        """The test loop shared by evaluate and fit's validation: forward only, no tracing."""
        self.reset_metrics()
        self._build_metrics(y.shape, self.output_shape)
        callback_list.on_test_begin()
        logs = {}
        for step, (xb, yb, swb) in enumerate(data_adapter.ArrayBatches(x, y, sample_weight, batch_size)):
            callback_list.on_test_batch_begin(step)
            loss, y_pred = self.test_step(xb, yb, swb)
            logs = self._update_metrics(loss, yb, y_pred, swb)
            callback_list.on_test_batch_end(step, logs)
        logs = self._logs()
        callback_list.on_test_end(logs)
        return logs

    def test_step(self, x, y, sample_weight=None):
        """Loss (with penalties) and predictions on one batch, without tracing."""
        y_pred = self(x, training=False)
        loss = self._compiled_loss(y, y_pred, sample_weight) * self._loss_weight
        penalty = sum(float(spec.regularizer(spec.value)) for layer in self.layers
                      for spec in layer._weight_specs if spec.regularizer)
        for layer in self.layers:
            penalty += sum(float(p) for p in layer._losses)
            layer._losses.clear()
        return loss + penalty, y_pred

    # ----------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Model outputs for ``x``, computed in batches and returned as one float32 array."""
        _reject_unknown(kwargs, "predict", _NO_EFFECT_FIT_ARGS)
        verbose = _check_verbose(verbose)
        batch_size = data_adapter.resolve_batch_size(batch_size)
        if steps is not None:
            raise NotImplementedError("`steps` is not supported yet by microkeras for arrays.")
        x = data_adapter.check_array(x, "x")
        self._check_input_shape(x, "x")
        batches = data_adapter.ArrayBatches(x, batch_size=batch_size)
        callback_list = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                      verbose=verbose, epochs=1, steps=batches.num_batches)
        callback_list.on_predict_begin()
        outputs = None
        for step, (xb, _, _) in enumerate(batches):
            callback_list.on_predict_batch_begin(step)
            batch_out = self(xb, training=False)
            if outputs is None:
                outputs = numpy.empty((len(x),) + batch_out.shape[1:], dtype=batch_out.dtype)
            start = step * batch_size
            outputs[start:start + len(batch_out)] = batch_out
            callback_list.on_predict_batch_end(step, {"outputs": batch_out})
        callback_list.on_predict_end()
        return outputs

    # ---------------------------------------------------------------- on_batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False,
                       reset_metrics=True):
        """One step on one batch; returns the loss (and metrics) of that batch."""
        self._check_compiled("train_on_batch")
        x, y, sample_weight = self._check_data(x, y, sample_weight, class_weight)
        self._prepare_step()
        self._build_metrics(y.shape, self.output_shape)
        if reset_metrics:
            self.reset_metrics()
        loss, y_pred = self.train_step(x, y, sample_weight)
        return self._format_logs(self._update_metrics(loss, y, y_pred, sample_weight), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False, reset_metrics=True):
        """Loss (and metrics) of one batch, without training."""
        self._check_compiled("test_on_batch")
        x, y, sample_weight = self._check_data(x, y, sample_weight, None)
        self._build_metrics(y.shape, self.output_shape)
        if reset_metrics:
            self.reset_metrics()
        loss, y_pred = self.test_step(x, y, sample_weight)
        return self._format_logs(self._update_metrics(loss, y, y_pred, sample_weight), return_dict)

    def predict_on_batch(self, x):
        """Model outputs for one batch, as a float32 array."""
        x = data_adapter.check_array(x, "x")
        self._check_input_shape(x, "x")
        return numpy.asarray(self(x, training=False))

    def _format_logs(self, logs, return_dict):
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values


def _identity(x):
    return x


def _loss_name(loss):
    return getattr(loss, "name", None) or type(loss).__name__


def _reject_unknown(kwargs, method, allowed=()):
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"{method}() got unexpected keyword argument(s): {', '.join(unknown)}.")


def _check_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"`verbose` must be 0, 1, 2 or 'auto'; received {verbose!r}.")
    return int(verbose)


def _check_int(value, argument, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{argument}` must be an integer >= {minimum}; received {value!r}.")
    return int(value)


def _class_weights_to_sample_weights(y, class_weight):
    """Per-sample weights from ``{class_index: weight}`` (one-hot labels are argmaxed)."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` must be a dict {{class_index: weight}}; received {class_weight!r}.")
    for key in class_weight:
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise ValueError(f"`class_weight` keys must be integer class indices; received key {key!r}.")
    classes = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    classes = numpy.rint(classes).astype(numpy.int64)
    table = numpy.ones(max(int(classes.max()) + 1, max(class_weight) + 1), dtype=numpy.float32)
    for key, weight in class_weight.items():
        table[key] = weight
    return table[classes]
