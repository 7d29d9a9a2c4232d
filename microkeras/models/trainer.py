"""The trainer: ``compile``, the steps, and the ``fit``/``evaluate``/``predict`` loops.

The whole of training is one small method, :meth:`Trainer.train_step`, written
as a user's override would be: a forward pass and :meth:`compute_loss` under a
:class:`~microkeras.gradient_tape.GradientTape`, the gradients of the loss
with respect to ``trainable_weights``, and the optimizer's update.  Metrics,
callbacks and the progress bar run on concrete numpy values outside the
trace; ``evaluate`` and ``predict`` never trace.  Data is checked and batched
by :mod:`microkeras.models.data_preparation` before any weight changes.

A model with several outputs (a functional model) gets one loss per output;
the loss ``fit`` minimizes is their weighted sum plus :attr:`losses`, and the
History holds each output's unweighted loss and its metrics under the
output's name (``out_a_loss``, ``out_a_mae``), as Keras 3 reports them.
"""

import itertools
import numbers
import warnings

import autograd.numpy as anp
import numpy
from autograd.tracer import getval

from microkeras import call_scope, losses, masking, optimizers
from microkeras import callbacks as callbacks_module
from microkeras import metrics as metrics_module
from microkeras.gradient_tape import GradientTape
from microkeras.layers.keras_tensor import flatten
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
        self._compiled_losses = [None]
        self._output_keys = None  # the output names, for a model whose outputs are a list or dict
        self._structured_data = False
        self._output_loss_trackers = []
        self._metrics = []
        self._metric_weighted = []
        self._metric_outputs = []
        self._loss_tracker = metrics_module.Mean(name="loss")

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, target_tensors=None, **kwargs):
        """Configure the model for training.

        Parameters
        ----------
        optimizer : str or Optimizer
            ``'rmsprop'`` (default), ``'adam'``, ``'sgd'``, ... or an instance.
        loss : str, callable, Loss, list or dict
            ``'categorical_crossentropy'``, ``'mse'``, ``losses.Huber()``, ...
            With several outputs: one loss for every output, a list with one
            per output (None for an output without a loss), or a dict keyed by
            output names that names every output.
        metrics : list or dict
            Strings (``'accuracy'`` is resolved by the label and output shapes),
            callables or ``Metric`` instances.  Each appears in the History under
            the name given.  With several outputs, as in Keras 3: a list with
            one entry (a metric, a list of metrics or None) per output, or a
            dict keyed by output names; the History names them
            ``<output>_<metric>``.
        loss_weights : float, list or dict, optional
            Scales the loss; with several outputs, a list or dict with one
            weight per output (the total is the weighted sum).
        sample_weight_mode : None or 'temporal'
            Keras 2's flag for per-timestep weights; with ``'temporal'``,
            ``sample_weight`` must be 2D.
        weighted_metrics : list or dict, optional
            Metrics that take ``sample_weight``/``class_weight`` into account
            (structured as ``metrics``).
        target_tensors : array, optional
            Keras 2 only: fixed targets used when ``fit`` gets no ``y``.
        """
        unknown = sorted(set(kwargs) - set(_NO_EFFECT_COMPILE_ARGS))
        if unknown:
            raise TypeError(f"compile() got unexpected keyword argument(s): {', '.join(unknown)}.")
        optimizer = optimizers.get(optimizer)
        keys = data_preparation.output_keys(self)
        if len(keys) <= 1:
            compiled_losses = [None if loss is None else losses.to_loss(self._single_output(loss, "loss"))]
            loss_weight_list = [self._resolve_loss_weight(loss_weights)]
            metric_specs = [self._check_metric_specs(metrics, "metrics")]
            weighted_specs = [self._check_metric_specs(weighted_metrics, "weighted_metrics")]
        else:
            compiled_losses = self._losses_per_output(loss, keys)
            loss_weight_list = self._loss_weights_per_output(loss_weights, keys, compiled_losses)
            metric_specs = self._metric_specs_per_output(metrics, keys, "metrics")
            weighted_specs = self._metric_specs_per_output(weighted_metrics, keys, "weighted_metrics")
        if sample_weight_mode not in (None, "temporal"):
            raise ValueError(f"`sample_weight_mode` must be None or 'temporal'; received {sample_weight_mode!r}.")
        if target_tensors is not None and len(keys) <= 1:
            target_tensors = data_adapter.check_array(self._single_output(target_tensors, "target_tensors"),
                                                      "target_tensors")
        self.optimizer = optimizer
        self.loss = loss
        self._compiled_losses = compiled_losses
        self._loss_weights = loss_weight_list
        self._compiled_loss, self._loss_weight = compiled_losses[0], loss_weight_list[0]  # the one-output step
        self._output_keys = keys if data_preparation.output_structure(self) is not None else None
        # Data for several inputs or outputs (lists, dicts) takes the longer way through data preparation.
        self._structured_data = self._output_keys is not None or data_preparation.input_structure(self) is not None
        # Keras 3 tracks each output's unweighted loss when there is more than one loss.
        with_loss = [key for key, each in zip(keys, compiled_losses) if each is not None]
        self._output_loss_trackers = ([metrics_module.Mean(name=f"{key}_loss") for key in with_loss]
                                      if len(with_loss) > 1 else [])
        self._metric_specs = metric_specs
        self._weighted_specs = weighted_specs
        self._metrics = []
        self._metrics_key = None
        self._sample_weight_mode = sample_weight_mode
        self._target_tensors = target_tensors
        # What a saved file's compile_config records (saving.serialization_lib.get_compile_config).
        self._compile_arguments = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                   "metrics": metrics, "weighted_metrics": weighted_metrics}
        self.compiled = True

    def _single_output(self, value, argument):
        """Unwrap a one-element list or a dict keyed by the output layer's name."""
        if isinstance(value, (list, tuple)) and not isinstance(value, str):
            if len(value) != 1:
                raise ValueError(f"`{argument}` must have one entry (the model has one output); "
                                 f"received {len(value)}.")
            return value[0]
        if isinstance(value, dict):
            name = (data_preparation.output_keys(self) or ["output_0"])[0]
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
        # Lists inside (one output's list in a list, as for several outputs) are flattened, as in Keras 3.
        specs = [item for spec in specs for item in (spec if isinstance(spec, (list, tuple)) else [spec])
                 if item is not None]
        for spec in specs:
            if not (isinstance(spec, str) and metrics_module.is_accuracy_name(spec)):
                metrics_module.get(spec)  # raises on unknown names now, not mid-fit
        return list(specs)

    def _per_output(self, value, keys, argument, kind):
        """``value`` given per output -- a list in the order of ``model.outputs`` or a dict keyed by output
        names -- as a list with one entry per output (None where a dict has none).

        Dicts may leave outputs out; lists must have one entry per output (Keras 3's rules).
        """
        if isinstance(value, dict):
            unknown = [key for key in value if key not in keys]
            if unknown:
                raise ValueError(f"`{argument}` has the key(s) {unknown}, which name no output; the model's "
                                 f"outputs are {keys}.")
            return [value.get(key) for key in keys]
        if isinstance(value, (list, tuple)) and len(value) != len(keys):
            raise ValueError(f"`{argument}` must have one entry per output, {len(keys)} for {keys}; received "
                             f"{len(value)}. {kind}")
        return list(value)

    def _losses_per_output(self, loss, keys):
        if loss is None:
            return [None] * len(keys)
        if isinstance(loss, dict):
            missing = [key for key in keys if key not in loss]
            if missing:
                raise ValueError(f"`loss` as a dict must name every output; it lacks {missing} (the model's "
                                 f"outputs are {keys}). Map an output to None to train it without a loss.")
        if not isinstance(loss, (list, tuple, dict)):
            return [losses.to_loss(loss) for _ in keys]  # one loss for every output
        return [None if each is None else losses.to_loss(each) for each in self._per_output(
            loss, keys, "loss", "Pass one loss (applied to every output), a list with one loss (or None) per "
            "output, or a dict keyed by output names.")]

    def _loss_weights_per_output(self, loss_weights, keys, compiled_losses):
        if loss_weights is None:
            return [1.0] * len(keys)
        if not isinstance(loss_weights, (list, tuple, dict)):
            raise TypeError(f"`loss_weights` must be a list or a dict with one weight per output for a model "
                            f"with {len(keys)} outputs {keys}; received {loss_weights!r}.")
        weights = self._per_output(loss_weights, keys, "loss_weights", "")
        missing = [key for key, weight, loss in zip(keys, weights, compiled_losses)
                   if weight is None and loss is not None]
        if missing:
            raise ValueError(f"`loss_weights` as a dict must give a weight to every output that has a loss; it "
                             f"lacks {missing}.")
        for weight in weights:
            if weight is not None and (isinstance(weight, bool) or not isinstance(weight, numbers.Real)):
                raise TypeError(f"`loss_weights` must hold numbers; received {weight!r}.")
        return [1.0 if weight is None else float(weight) for weight in weights]

    def _metric_specs_per_output(self, specs, keys, argument):
        if not specs:
            return [[] for _ in keys]
        if not isinstance(specs, (list, tuple, dict)):
            raise TypeError(f"`{argument}` must be a list with one entry per output or a dict keyed by output "
                            f"names for a model with {len(keys)} outputs {keys}; received {specs!r}.")
        per_output = self._per_output(specs, keys, argument, (
            "With several outputs, Keras 3 takes a list with one entry (a metric, a list of metrics or None) "
            "per output, or a dict keyed by output names; to apply a metric to every output, repeat it."))
        return [self._check_metric_specs(each, argument) for each in per_output]

    @property
    def metrics(self):
        """The loss tracker, each output's loss tracker (several outputs) and the compiled metrics
        (once built by data)."""
        return [self._loss_tracker, *self._output_loss_trackers, *self._metrics]

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def _build_metrics(self, y_shapes, y_pred_shapes):
        """Resolve the metric specs for these label/output shapes, one per output (``'accuracy'`` depends
        on them; None for an output given no labels).

        Names follow Keras 3: a repeated name gets ``_1``, ``_2``...; a
        weighted metric whose name is taken becomes ``weighted_<name>``.
        With several outputs each name starts with the output's
        (``out_a_mae``), and the metrics are listed by name, the order in
        which Keras 3's ``evaluate`` returns them.
        """
        if len(y_shapes) == 1 and y_shapes[0] is not None:  # checked for every batch of a generator
            key = (len(y_shapes[0]), y_shapes[0][-1:], y_pred_shapes[0][-1:])
        else:
            key = tuple(None if y is None else (len(y), y[-1:], p[-1:]) for y, p in zip(y_shapes, y_pred_shapes))
        if self._metrics_key == key:
            return
        several = self._output_keys is not None and len(self._output_keys) > 1
        taken = {"loss"} | {tracker.name for tracker in self._output_loss_trackers}
        built = []
        for specs_per_output, weighted in ((self._metric_specs, False), (self._weighted_specs, True)):
            for output, specs in enumerate(specs_per_output):
                prefix = f"{self._output_keys[output]}_" if several else ""
                for spec in specs:
                    metric = self._make_metric(spec, y_shapes[output], y_pred_shapes[output])
                    name = prefix + metric.name
                    if name in taken and weighted:
                        name = prefix + "weighted_" + metric.name
                    base, count = name, 1
                    while name in taken:
                        name, count = f"{base}_{count}", count + 1
                    if several:  # the metric keeps its own name, as in Keras 3
                        metric = _OutputMetric(metric, name)
                    else:
                        metric.name = name
                    taken.add(name)
                    built.append((metric, weighted, output))
        if several:
            built.sort(key=lambda entry: entry[0].name)
        self._metrics = [m for m, _, _ in built]
        self._metric_weighted = [w for _, w, _ in built]
        self._metric_outputs = [o for _, _, o in built]
        self._metrics_key = key

    @staticmethod
    def _make_metric(spec, y_shape, y_pred_shape):
        if isinstance(spec, str) and metrics_module.is_accuracy_name(spec):
            return metrics_module.get_accuracy(spec, y_shape, y_pred_shape)
        metric = metrics_module.get(spec)
        return metric

    # ---------------------------------------------------------------- the step
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss (times its weight) plus :attr:`losses` (``add_loss`` and regularizers).

        Override it to change what ``fit`` minimizes; it runs inside the
        training step's gradient tape, so whatever it computes from ``y_pred``
        or ``self.losses`` is differentiated.
        """
        total = None
        if self._output_keys is not None:
            total = self._compute_output_losses(y, y_pred, sample_weight)
        elif self._compiled_loss is not None:
            total = self._compiled_loss(y, y_pred, sample_weight)
            if self._loss_weight != 1.0:
                total = total * self._loss_weight
        for loss in self.losses:
            loss = loss if numpy.ndim(loss) == 0 else anp.sum(loss)
            total = loss if total is None else total + loss
        if total is None:
            raise ValueError("No loss to compute: pass `loss` to compile() or add losses with add_loss().")
        return total

    def _compute_output_losses(self, y, y_pred, sample_weight):
        """The weighted sum of the outputs' losses; each output's unweighted loss goes to its tracker."""
        targets, weights = self._per_output_values(y), self._per_output_values(sample_weight)
        trackers = iter(self._output_loss_trackers)
        total = None
        for loss, weight, target, prediction, sample_weights in zip(
                self._compiled_losses, self._loss_weights, targets, flatten(y_pred), weights):
            if loss is None:
                continue
            value = loss(target, prediction, sample_weights)
            tracker = next(trackers, None)
            if tracker is not None:
                tracker.update_state(getval(value), sample_weight=len(getval(prediction)))
            if weight != 1.0:
                value = value * weight
            total = value if total is None else total + value
        return total

    def _per_output_values(self, value):
        """Targets or sample weights as a list in the order of the outputs: from a list, a dict keyed by
        output names, None (for every output) or one array (for every output)."""
        count = len(self._output_keys)
        if value is None:
            return [None] * count
        if isinstance(value, dict) and all(key in self._output_keys for key in value):
            return [value.get(key) for key in self._output_keys]
        if isinstance(value, (list, tuple, dict)):  # structured as the outputs
            return flatten(value)
        return [value] * count

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch; return :meth:`get_metrics_result`."""
        if self._output_keys is not None:
            targets, predictions = self._per_output_values(y), flatten(y_pred)
            weights = self._per_output_values(sample_weight)
            for metric, weighted, output in zip(self._metrics, self._metric_weighted, self._metric_outputs):
                metric.update_state(targets[output], predictions[output], weights[output] if weighted else None)
            return self.get_metrics_result()
        for metric, weighted in zip(self._metrics, self._metric_weighted):
            metric.update_state(y, y_pred, sample_weight if weighted else None)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """Current values of :attr:`metrics`, sorted by name as Keras 3 reports them."""
        tracked = self.metrics
        if len(tracked) == 1:  # the loss alone: nothing to sort (the usual step of a model without metrics)
            return {tracked[0].name: _result(tracked[0])}
        return dict(sorted([(m.name, _result(m)) for m in tracked]))

    def train_step(self, data):
        """One optimization step on ``data`` (``(x, y)`` or ``(x, y, sample_weight)``); returns the logs.

        Override it to customize ``fit``, with Keras 3's signature; this is the
        default, built the way an override would be (see ``GradientTape``).
        """
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
            y_pred = masking.concrete(y_pred)  # values for the metrics, with their masks
        weights = self.trainable_weights
        if weights:
            self.optimizer.apply(tape.gradient(loss, weights), weights)
        else:
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        batch_size = len(flatten(y_pred)[0]) if type(y_pred) in (list, tuple, dict) else len(y_pred)
        self._loss_tracker.update_state(getval(loss), sample_weight=batch_size)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics of one batch, forward only; returns the logs (Keras 3 signature)."""
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=len(flatten(y_pred)[0]))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch ``(x,)`` (Keras 3 signature)."""
        x, _, _ = data_adapter.unpack_x_y_sample_weight(data)
        return self(x, training=False)

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
        with call_scope.guard(), data_adapter.closing(train, val):
            callback_list.on_train_begin()
            # BackupAndRestore sets where a resumed run starts (Keras 3's `model._initial_epoch`).
            initial_epoch = self.__dict__.pop("_initial_epoch", None) or initial_epoch
            logs = {}
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                steps_done = 0
                for step, batch in enumerate(data_preparation.epoch_batches(self, train, "x", class_weight)):
                    callback_list.on_train_batch_begin(step)
                    logs = _pythonify(self.train_step(_as_data(*batch)))
                    callback_list.on_train_batch_end(step, logs)
                    steps_done = step + 1
                    if self.stop_training:
                        break
                if steps_done == 0:  # an iterator that has run dry
                    data_adapter.warn_ran_out(steps_per_epoch, epochs)
                    break
                if callback_list.params["steps"] is None:  # now known, for the next epochs' bars
                    callback_list.params["steps"] = steps_done
                logs = self._metrics_result_or(logs)
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

    def _metrics_result_or(self, logs):
        """The metrics' results, unless a custom step returned logs of other names (Keras 3's rule)."""
        result = self.get_metrics_result()
        return result if set(result) == set(logs) else logs

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
        with call_scope.guard(), data_adapter.closing(adapter):
            logs = self._run_evaluation(adapter, steps, callback_list)
        return self._format_logs(logs, return_dict)

    def _run_evaluation(self, adapter, steps, callback_list):
        """The test loop shared by evaluate and fit's validation: forward only, no tracing."""
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        batches = data_preparation.epoch_batches(self, adapter, "validation_data")
        for step, batch in enumerate(itertools.islice(batches, steps)):
            callback_list.on_test_batch_begin(step)
            logs = _pythonify(self.test_step(_as_data(*batch)))
            callback_list.on_test_batch_end(step, logs)
        logs = self._metrics_result_or(logs)
        callback_list.on_test_end(logs)
        return logs

    # ----------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Model outputs for ``x``, computed in batches: one float32 array, or a list or dict of them
        for a model with several outputs (structured as ``model.outputs``)."""
        _reject_unknown(kwargs, "predict", _NO_EFFECT_FIT_ARGS)
        verbose = _check_verbose(verbose)
        steps = data_adapter.resolve_steps(steps, "steps")
        batches, num_batches, size = data_preparation.prediction_batches(self, x, batch_size, steps)
        callback_list = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                      verbose=verbose, epochs=1,
                                                      steps=data_preparation.known_steps(num_batches, steps))
        outputs, structure, filled = [], None, 0  # outputs: one list of batches (or one array) per output
        with call_scope.guard():
            callback_list.on_predict_begin()
            for step, xb in enumerate(itertools.islice(batches, steps)):
                callback_list.on_predict_batch_begin(step)
                # Keras hands predict_step the bare batch; a list of inputs goes in a tuple, (x,), so
                # that unpack_x_y_sample_weight does not read it as (x, y).
                batch_out = self.predict_step((xb,) if type(xb) in (list, tuple) else xb)
                if type(batch_out) in (list, tuple, dict):  # several outputs
                    structure = batch_out
                    leaves = [numpy.asarray(leaf) for leaf in flatten(batch_out)]
                    batch_out = data_adapter.pack_arrays(structure, leaves)
                else:
                    batch_out = numpy.asarray(batch_out)
                    leaves = [batch_out]
                if not outputs:  # with a known size: one preallocated array instead of a final concatenate
                    outputs = [[] if size is None else numpy.empty((size,) + leaf.shape[1:], dtype=leaf.dtype)
                               for leaf in leaves]
                for output, leaf in zip(outputs, leaves):
                    if size is None:
                        output.append(leaf)
                    else:
                        output[filled:filled + len(leaf)] = leaf
                filled += len(leaves[0])
                callback_list.on_predict_batch_end(step, {"outputs": batch_out})
            callback_list.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no data: `x` produced no batches.")
        outputs = [output[:filled] if size is not None else numpy.concatenate(output) for output in outputs]
        return outputs[0] if structure is None else data_adapter.pack_arrays(structure, outputs)

    # ---------------------------------------------------------------- on_batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns that batch's loss (and metrics)."""
        self._check_compiled("train_on_batch")
        x, y, sample_weight = data_preparation.weighted_arrays(self, x, y, sample_weight, class_weight)
        self.reset_metrics()
        with call_scope.guard():
            logs = _pythonify(self.train_step(_as_data(x, y, sample_weight)))
        return self._format_logs(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of one batch, without training."""
        self._check_compiled("test_on_batch")
        x, y, sample_weight = data_preparation.weighted_arrays(self, x, y, sample_weight)
        self.reset_metrics()
        with call_scope.guard():
            logs = _pythonify(self.test_step(_as_data(x, y, sample_weight)))
        return self._format_logs(logs, return_dict)

    def predict_on_batch(self, x):
        """Model outputs for one batch: a float32 array, or a list or dict of them (several outputs)."""
        x = data_preparation.model_inputs(self, x, "x")
        with call_scope.guard():
            outputs = self.predict_step((x,))
        if type(outputs) in (list, tuple, dict):
            return data_adapter.pack_arrays(outputs, [numpy.asarray(leaf) for leaf in flatten(outputs)])
        return numpy.asarray(outputs)

    def _format_logs(self, logs, return_dict):
        """``logs`` as a dict, or as values in the order of :attr:`metrics_names` then by name."""
        if return_dict:
            return logs
        names = [name for name in self.metrics_names if name in logs]
        values = [logs[name] for name in names] + [logs[key] for key in sorted(set(logs) - set(names))]
        return values[0] if len(values) == 1 else values

    # -------------------------------------------------------------------- data
    def _check_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(f"You must call compile() before {method}().")
        # Without a compiled loss, the step's compute_loss sums the layers' add_loss() terms (or a
        # subclass's own compute_loss); with neither, it refuses before any weight changes.


class _OutputMetric(metrics_module.Metric):
    """A compiled metric of one of several outputs, under its History name (``out_a_mae``).

    The metric itself keeps its name, as in Keras 3, so a ``Metric`` instance
    given to compile is not renamed.
    """

    def __init__(self, metric, name):
        super().__init__(name=name)
        self.metric = metric

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.metric.update_state(y_true, y_pred, sample_weight)

    def result(self):
        return self.metric.result()

    def reset_state(self):
        self.metric.reset_state()


def _as_data(x, y=None, sample_weight=None):
    """A batch as Keras hands it to ``train_step``/``test_step``: ``(x, y)`` or ``(x, y, sample_weight)``."""
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def _result(metric):
    """``metric.result()`` as a plain value: a custom metric may return one of its variables, or an
    array (logs and History hold floats, as in Keras)."""
    value = metric.result()
    if type(value) is float:
        return value
    value = getval(value)
    value = value.numpy() if hasattr(value, "numpy") else value
    return float(value) if numpy.ndim(value) == 0 else numpy.asarray(value)


def _pythonify(logs):
    """Logs with plain floats for scalars (a custom step may return arrays or traced values)."""
    if set(map(type, logs.values())) <= {float}:  # the usual case, checked without a Python loop
        return logs
    logs = {name: getval(value) for name, value in logs.items()}
    return {name: float(value) if numpy.ndim(value) == 0 else value for name, value in logs.items()}


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
