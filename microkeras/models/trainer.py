"""The trainer: ``compile``, ``fit``, ``evaluate``, ``predict`` and the training step.

The whole of training is one small function, :meth:`Trainer.train_step`:
autograd differentiates :meth:`Trainer._loss_fn` -- the model's loss as a pure
function of its trainable weights, which are *bound* into the layers for the
traced forward pass -- and the optimizer then updates the weight arrays in
place.  Metrics, callbacks and the progress bar run on concrete numpy values
outside the trace.  ``evaluate`` and ``predict`` never trace.
"""

import itertools
import numbers

import numpy

from microkeras import activations, losses, ops, optimizers
from microkeras import callbacks as callbacks_module
from microkeras import metrics as metrics_module
from microkeras.layers.layer import swap
from microkeras.models import data_adapter, data_preparation
from microkeras.utils.argument_checks import check_int

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
        self._step_ready = False
        self._prepared_for = None
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
        self._step_ready = False
        self.compiled = True

    def _single_output(self, value, argument):
        """Unwrap a one-element list or a dict keyed by the output layer's name."""
        if isinstance(value, (list, tuple)) and not isinstance(value, str):
            if len(value) != 1:
                raise ValueError(f"`{argument}` must have one entry (the model has one output); "
                                 f"received {len(value)}.")
            return value[0]
        if isinstance(value, dict):
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
        """Resolve the metric specs for these label/output shapes (``'accuracy'`` depends on them).

        Names follow Keras 3: a repeated name gets ``_1``, ``_2``...; a
        weighted metric whose name is taken becomes ``weighted_<name>``.
        """
        key = (len(y_shape), y_shape[-1:], y_pred_shape[-1:])
        if self._metrics_key == key:
            return
        taken = {"loss"}
        built = []
        for specs, weighted in ((self._metric_specs, False), (self._weighted_specs, True)):
            for spec in specs:
                metric = self._make_metric(spec, y_shape, y_pred_shape)
                name = metric.name
                if name in taken and weighted:
                    name = "weighted_" + name
                base, count = name, 1
                while name in taken:
                    name, count = f"{base}_{count}", count + 1
                metric.name = name
                taken.add(name)
                built.append((metric, weighted))
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
            for layer in self._activity_layers:
                layer._losses = []  # traced values: do not keep the graph alive
        return loss, (ops.stop_gradient(loss), ops.stop_gradient(outputs))

    def train_step(self, x, y, sample_weight=None):
        """One optimization step on a batch; returns ``(loss, y_pred)`` as arrays."""
        if not self._step_ready:
            self._prepare_step()
        _, (loss, outputs), grads = ops.value_and_grads(self._loss_fn, self._params, x, y, sample_weight)
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
            for penalty in layer._losses:  # recorded by this traced pass
                loss = loss + penalty
        return loss + self._frozen_penalty if self._frozen_penalty else loss

    def _prepare_step(self):
        """Collect what the step needs: weights, their binding places, penalties, the loss path.

        Run at the start of fit/train_on_batch: the layers or their
        ``trainable`` flags may have changed since compile.
        """
        layers = self.layers
        trainable, slots = [], []  # (layer, spec) and binding place of each trainable weight
        for layer in layers:
            if self.trainable and layer.trainable:
                specs = [spec for spec in layer._weight_specs if spec.trainable]
                trainable += [(layer, spec) for spec in specs]
                slots += layer._weight_slots()[:len(specs)]  # slots list trainable weights first
        self._params = [spec.value for _, spec in trainable]
        # Names like 'dense/kernel', for exclude_from_weight_decay(var_names=...).
        self.optimizer.build(self._params, names=[f"{layer.name}/{spec.name}" for layer, spec in trainable])
        self._regularizers = [(i, spec.regularizer) for i, (_, spec) in enumerate(trainable) if spec.regularizer]
        self._constraints = [(i, spec.constraint) for i, (_, spec) in enumerate(trainable) if spec.constraint]
        # Penalties of weights the step does not train are constants: computed once.
        traced = {id(spec) for _, spec in trainable}
        self._frozen_penalty = float(sum(float(spec.regularizer(spec.value)) for layer in layers
                                         for spec in layer._weight_specs
                                         if spec.regularizer and id(spec) not in traced))
        self._activity_layers = [layer for layer in layers if getattr(layer, "activity_regularizer", None)]
        self._step_loss, self._output_activation, overrides = self._choose_loss_path()
        self._step_slots = slots + [slot for slot, _ in overrides]
        self._step_overrides = [value for _, value in overrides]
        self._prepared_for = self._step_key()
        self._step_ready = True

    def _step_key(self):
        """What the prepared step depends on: the layers, their weights and trainable flags."""
        return self.trainable, tuple((id(layer), layer.trainable, len(layer._weight_specs)) for layer in self.layers)

    def _choose_loss_path(self):
        """Fuse a final softmax into categorical crossentropy when that gives Keras's numbers.

        Returns ``(loss_fn, output_activation, overrides)``.  When fused, the
        last layer's ``activation`` is bound to ``linear`` during the traced
        pass, the loss takes logits (stable gradient, Keras's clipped value),
        and the softmax is applied afterwards for the metrics.
        """
        last = self.layers[-1] if self.layers else None
        fused = losses.softmax_fused(self._compiled_loss)
        # An activity regularizer must see the softmax output, so it rules fusion out.
        if fused is not None and getattr(last, "activation", None) is activations.softmax \
                and getattr(last, "activity_regularizer", None) is None:
            return fused, ops.softmax_values, [((vars(last), "activation"), activations.linear)]
        return self._compiled_loss, _identity, []

    # --------------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, **kwargs):
        """Train the model for ``epochs`` epochs; return a :class:`~microkeras.callbacks.History`.

        ``x`` may be an array (or a one-element list, or a dict keyed by the
        input name), a :class:`~microkeras.utils.Sequence`, or any iterator
        yielding ``(x, y)`` or ``(x, y, sample_weight)``.  Every argument is
        checked before any weight changes; ``docs/training-arguments.md``
        gives each argument's Keras semantics.
        """
        self._check_compiled("fit")
        _reject_unknown(kwargs, "fit", _NO_EFFECT_FIT_ARGS)
        verbose = _check_verbose(verbose)
        epochs = check_int(epochs, "epochs", minimum=0)
        initial_epoch = check_int(initial_epoch, "initial_epoch", minimum=0)
        validation_freq = check_int(validation_freq, "validation_freq", minimum=1)
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"`shuffle` must be True, False or 'batch'; received {shuffle!r}.")
        steps_per_epoch = data_adapter.resolve_steps(steps_per_epoch, "steps_per_epoch")
        validation_steps = data_adapter.resolve_steps(validation_steps, "validation_steps")
        if validation_batch_size is not None:
            data_adapter.resolve_batch_size(validation_batch_size, "validation_batch_size")
        train, val, class_weight = data_preparation.fit_adapters(
            self, x, y, sample_weight, class_weight, batch_size, shuffle, steps_per_epoch, validation_split,
            validation_data, validation_batch_size or batch_size, validation_steps)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.num_batches)
        self.stop_training = False
        self._step_ready = False
        callback_list.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            steps_done = 0
            for step, (xb, yb, swb) in enumerate(data_preparation.epoch_batches(self, train, "x", class_weight)):
                callback_list.on_train_batch_begin(step)
                loss, y_pred = self.train_step(xb, yb, swb)
                logs = self._update_metrics(loss, yb, y_pred, swb)
                callback_list.on_train_batch_end(step, logs)
                steps_done = step + 1
                if self.stop_training:
                    break
            if steps_done == 0:  # an iterator that has run dry
                data_adapter.warn_ran_out(steps_per_epoch, epochs)
                break
            if callback_list.params["steps"] is None:  # now known, for the next epochs' bars
                callback_list.params["steps"] = steps_done
            logs = self._logs()
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_evaluation(val, validation_steps, callback_list)
                logs = dict(sorted({**logs, **{"val_" + k: v for k, v in val_logs.items()}}.items()))
            callback_list.on_epoch_end(epoch, logs)
            if getattr(train, "ran_out", False):
                data_adapter.warn_ran_out(steps_per_epoch, epochs)
                break
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

    # -------------------------------------------------------------------- data
    def _check_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(f"You must call compile() before {method}().")
        if self._compiled_loss is None and method != "predict":
            raise ValueError(f"No loss to compute in {method}(): pass `loss` to compile().")

    @property
    def input_names(self):
        first = self._layers[0] if self._layers else None
        return [first.name] if first is not None else []

    # ---------------------------------------------------------------- evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on data: a scalar if no metrics, else ``[loss, *metrics]`` or a dict."""
        self._check_compiled("evaluate")
        _reject_unknown(kwargs, "evaluate", _NO_EFFECT_FIT_ARGS)
        verbose = _check_verbose(verbose)
        steps = data_adapter.resolve_steps(steps, "steps")
        adapter = data_preparation.evaluation_adapter(self, x, y, sample_weight, batch_size, steps)
        total = data_preparation.known_steps(adapter.num_batches, steps)
        callback_list = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                      verbose=verbose, epochs=1, steps=total)
        logs = self._run_evaluation(adapter, steps, callback_list)
        return self._format_logs(logs, return_dict)

    def _run_evaluation(self, adapter, steps, callback_list):
        """The test loop shared by evaluate and fit's validation: forward only, no tracing."""
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        batches = data_preparation.epoch_batches(self, adapter, "validation_data")
        for step, (xb, yb, swb) in enumerate(itertools.islice(batches, steps)):
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
        return loss + sum(float(penalty) for penalty in self.losses), y_pred

    # ----------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Model outputs for ``x``, computed in batches and returned as one float32 array."""
        _reject_unknown(kwargs, "predict", _NO_EFFECT_FIT_ARGS)
        verbose = _check_verbose(verbose)
        steps = data_adapter.resolve_steps(steps, "steps")
        batches, num_batches, size = data_preparation.prediction_batches(self, x, batch_size, steps)
        callback_list = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                      verbose=verbose, epochs=1,
                                                      steps=data_preparation.known_steps(num_batches, steps))
        callback_list.on_predict_begin()
        outputs, filled = [], 0
        for step, xb in enumerate(itertools.islice(batches, steps)):
            callback_list.on_predict_batch_begin(step)
            batch_out = self(xb, training=False)
            if size is None:
                outputs.append(batch_out)
            else:
                if not outputs:  # one preallocated array instead of a final concatenate
                    outputs.append(numpy.empty((size,) + batch_out.shape[1:], dtype=batch_out.dtype))
                outputs[0][filled:filled + len(batch_out)] = batch_out
            filled += len(batch_out)
            callback_list.on_predict_batch_end(step, {"outputs": batch_out})
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no data: `x` produced no batches.")
        return outputs[0][:filled] if size is not None else numpy.concatenate(outputs)

    # ---------------------------------------------------------------- on_batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns that batch's loss (and metrics)."""
        self._check_compiled("train_on_batch")
        x, y, sample_weight = data_preparation.weighted_arrays(self, x, y, sample_weight, class_weight)
        if self._step_key() != self._prepared_for:  # layers or trainable flags changed since the last step
            self._step_ready = False
        self.reset_metrics()
        loss, y_pred = self.train_step(x, y, sample_weight)
        return self._format_logs(self._update_metrics(loss, y, y_pred, sample_weight), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of one batch, without training."""
        self._check_compiled("test_on_batch")
        x, y, sample_weight = data_preparation.weighted_arrays(self, x, y, sample_weight)
        self.reset_metrics()
        loss, y_pred = self.test_step(x, y, sample_weight)
        return self._format_logs(self._update_metrics(loss, y, y_pred, sample_weight), return_dict)

    def predict_on_batch(self, x):
        """Model outputs for one batch, as a float32 array."""
        return numpy.asarray(self(data_preparation.input_array(self, x, "x"), training=False))

    def _format_logs(self, logs, return_dict):
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values


def _identity(x):
    return x


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
