"""Data preparation: user data checked against a model and its loss, then batched.

The trainer hands its data arguments here and gets back adapters (see
:mod:`~microkeras.models.data_adapter`) whose batches are ready for a step.
Arrays are checked whole, before any weight changes; batches of generators
and Sequences are checked as they arrive.  Errors name the argument and say
how to fix it.

A model with several inputs or outputs (a functional model) takes ``x``,
``y`` and ``sample_weight`` as lists in the order of ``model.inputs`` /
``model.outputs``, or as dicts keyed by their names; the data comes back
shaped as the model takes it (``x``) and gives it (``y``): a list, or a dict
for a model whose outputs are a dict.  ``sample_weight`` may also be one
array for every output.
"""

import math
import numbers

import numpy

from microkeras import losses, tracking
from microkeras.layers.keras_tensor import flatten, sorted_keys
from microkeras.models import data_adapter
from microkeras.utils.sequence import Sequence


# -------------------------------------------------------------------- adapters
def fit_adapters(model, x, y, sample_weight, class_weight, batch_size, shuffle, steps, validation_split,
                 validation_data, validation_batch_size, validation_steps):
    """Check fit's data and return ``(train adapter, validation adapter or None, class_weight)``.

    For arrays everything is checked here, before training, and
    ``class_weight`` is folded into the sample weights (so None comes
    back); batches of generators are checked as they arrive.
    """
    if data_adapter.is_generator_like(x):
        if validation_split:
            raise ValueError("`validation_split` needs arrays; with a generator or Sequence pass "
                             "`validation_data` instead.")
        if class_weight is not None:
            check_class_weight(class_weight, None)
        train = _generator_adapter(x, y, sample_weight, batch_size, shuffle, steps)
        val_arrays = None
    else:
        if y is None and model._target_tensors is not None:
            y = model._target_tensors
        x, y, sample_weight = checked_arrays(model, x, y, sample_weight)
        val_arrays = None
        if validation_data is None and validation_split:
            (x, y, sample_weight), val_arrays = data_adapter.train_validation_split(
                (x, y, sample_weight), validation_split)
        sample_weight = sample_weights_for(model, y, sample_weight, class_weight)
        train = data_adapter.ArrayAdapter(x, y, sample_weight, data_adapter.resolve_batch_size(batch_size),
                                          shuffle, steps)
        class_weight = None
    if validation_data is not None:
        val = _validation_adapter(model, validation_data, validation_batch_size, validation_steps)
    elif val_arrays is not None:
        val = _checked_validation_steps(data_adapter.ArrayAdapter(
            *val_arrays, data_adapter.resolve_batch_size(validation_batch_size)), validation_steps)
    else:
        val = None
    return train, val, class_weight


def evaluation_adapter(model, x, y, sample_weight, batch_size, steps):
    """An adapter for evaluate's data: a generator, a Sequence, or arrays checked now."""
    if data_adapter.is_generator_like(x):
        return _generator_adapter(x, y, sample_weight, batch_size, False, steps)
    return _array_adapter(model, x, y, sample_weight, batch_size)


def prediction_batches(model, x, batch_size, steps):
    """Predict's input batches, checked against the model.

    Returns
    -------
    batches : iterator of ndarray (or of lists or dicts of them, for several inputs)
    num_batches : int or None
        None for an iterator of unknown length.
    num_samples : int or None
        None unless ``x`` is arrays.
    """
    if data_adapter.is_generator_like(x):
        adapter = _generator_adapter(x, None, None, batch_size, False, steps)
        batches = (model_inputs(model, _inputs_of(batch), "x") for batch in adapter.epoch())
        return batches, adapter.num_batches, None
    x = model_inputs(model, x, "x")
    adapter = data_adapter.ArrayAdapter(x, batch_size=data_adapter.resolve_batch_size(batch_size))
    return _inputs_then_close(adapter), adapter.num_batches, adapter.num_samples


def _inputs_then_close(adapter):
    with data_adapter.closing(adapter):
        for xb, _, _ in adapter.epoch():
            yield xb


def epoch_batches(model, adapter, argument, class_weight=None):
    """One epoch of checked ``(x, y, sample_weight)`` batches from ``adapter``.

    Batches of arrays were checked with the arrays; those of a generator or
    Sequence are checked here, and ``class_weight`` is applied to them.
    """
    if isinstance(adapter, data_adapter.ArrayAdapter):
        return adapter.epoch()
    return (_checked_batch(model, batch, argument, class_weight) for batch in adapter.epoch())


def known_steps(num_batches, steps):
    """Batches an epoch will run: the fewer of ``num_batches`` and ``steps``; None if neither is known."""
    if num_batches is None:
        return steps
    return num_batches if steps is None else min(num_batches, steps)


def _generator_adapter(x, y, sample_weight, batch_size, shuffle, steps, argument="x"):
    """An adapter for a generator or Sequence ``x``, after rejecting what it cannot take."""
    for name, value in (("y", y), ("sample_weight", sample_weight), ("batch_size", batch_size)):
        if value is not None:
            raise ValueError(f"`{name}` must not be given when `{argument}` is a generator or Sequence: "
                             f"it yields its own batches (x, y) or (x, y, sample_weight).")
    if isinstance(x, Sequence):
        return data_adapter.SequenceAdapter(x, shuffle, steps, argument)
    return data_adapter.GeneratorAdapter(x, steps)


def _array_adapter(model, x, y, sample_weight, batch_size, prefix=""):
    """An unshuffled adapter for one data set of arrays, checked now."""
    x, y, sample_weight = weighted_arrays(model, x, y, sample_weight, prefix=prefix)
    return data_adapter.ArrayAdapter(x, y, sample_weight, data_adapter.resolve_batch_size(batch_size))


def _validation_adapter(model, validation_data, batch_size, steps):
    """An adapter for ``validation_data``: a generator, a Sequence, or ``(x, y[, sample_weight])``."""
    if data_adapter.is_generator_like(validation_data):
        if steps is None and not isinstance(validation_data, Sequence):
            raise ValueError("`validation_steps` is required when `validation_data` is a generator or "
                             "iterator: it says how many batches to validate on each epoch (a "
                             "generator cannot be restarted).")
        return _generator_adapter(validation_data, None, None, None, False,
                                  steps if not isinstance(validation_data, Sequence) else None,
                                  "validation_data")
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        length = f" of length {len(validation_data)}" if hasattr(validation_data, "__len__") else ""
        raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
                         f"val_sample_weight), or a generator; received {type(validation_data).__name__}"
                         f"{length}.")
    x_val, y_val, sw_val = (tuple(validation_data) + (None,))[:3]
    adapter = _array_adapter(model, x_val, y_val, sw_val, batch_size, prefix="validation_data: ")
    return _checked_validation_steps(adapter, steps)


def _checked_validation_steps(adapter, steps):
    """Refuse ``validation_steps`` beyond what validation arrays hold (a validation set too small)."""
    if steps is not None and steps > adapter.num_batches:
        raise ValueError(f"validation_steps={steps} asks for more batches than the validation data has: "
                         f"{adapter.num_samples} samples make {adapter.num_batches} batches of "
                         f"{adapter.batch_size}. Lower validation_steps or pass more validation data.")
    return adapter


def _checked_batch(model, batch, argument, class_weight):
    """A batch yielded by ``argument`` as checked ``(x, y, sample_weight)``; errors say which input."""
    x, y, sample_weight = data_adapter.unpack_batch(batch, f"`{argument}`")
    if y is None:
        raise ValueError(f"`{argument}` yielded a batch without targets; training and evaluation need "
                         "(x, y) or (x, y, sample_weight).")
    try:
        return weighted_arrays(model, x, y, sample_weight, class_weight)
    except (ValueError, TypeError) as error:
        raise type(error)(f"In a batch yielded by `{argument}`: {error}") from None


def _inputs_of(batch):
    """The ``x`` of what a predict generator yields: ``x``, ``(x,)`` or ``(x, y, ...)``."""
    return batch[0] if isinstance(batch, tuple) else batch


# ------------------------------------------------------------ model structure
def input_structure(model):
    """None for a model with one plain input; else its inputs' structure (a list of several, or a dict)."""
    return _structure(getattr(model, "_inputs_struct", None))


def output_structure(model):
    """None for a model with one plain output (Sequential, subclassed, ``Model(x, tensor)`` or a list of
    one, which Keras 3 unpacks); else its outputs' structure (a list of several, or a dict)."""
    return _structure(getattr(model, "_outputs_struct", None))


def _structure(structure):
    if isinstance(structure, (list, tuple)) and len(structure) == 1 \
            and not isinstance(structure[0], (list, tuple, dict)):
        return None
    return structure if isinstance(structure, (list, tuple, dict)) else None


def input_keys(model):
    """The names ``x`` as a dict uses for each input, in the order of ``model.inputs``."""
    return _keys(input_structure(model), model.input_names)


def output_keys(model):
    """The names ``y``, ``sample_weight`` and compile's dicts use for each output, in the order of
    ``model.outputs``: the output layers' names, or the keys of a model whose outputs are a dict
    (as Keras 3 names them in the History)."""
    return _keys(output_structure(model), model.output_names)


def _keys(structure, names):
    if isinstance(structure, dict) and not any(isinstance(v, (list, tuple, dict)) for v in structure.values()):
        return sorted_keys(structure)
    return list(names)


def output_shapes(model):
    """The shape of each output, in the order of :func:`output_keys`."""
    if output_structure(model) is None:
        return [model.output_shape]
    return [tensor.shape for tensor in model.outputs]


def _entry(argument, key, count):
    """How errors name one input's or output's part of ``argument``: ``y['out_a']``."""
    return argument if count == 1 else f"{argument}[{key!r}]"


def _per_key(value, keys, argument, what, needed=None):
    """``value`` -- one array, a list in the model's order, or a dict keyed by ``keys`` -- as a list with
    one entry per key (None where it gives none).

    ``what`` is ``'input'`` or ``'output'``; ``needed`` the positions that must be given (all if None).
    Like Keras 3, a list may also hold just the needed entries, in order.
    """
    count = len(keys)
    needed = range(count) if needed is None else needed
    if count == 1:
        return [data_adapter.single(value, keys, argument)]
    plural = f"the model has {count} {what}s {keys}"
    if isinstance(value, dict):
        unknown = [key for key in value if key not in keys]
        if unknown:
            raise ValueError(f"`{argument}` has the key(s) {unknown}, which name no {what}: {plural}.")
        values = [value.get(key) for key in keys]
    elif isinstance(value, (list, tuple)):
        if len(value) == count:
            values = list(value)
        elif len(value) == len(needed):  # only the outputs that have a loss or metrics
            values = [None] * count
            for position, item in zip(needed, value):
                values[position] = item
        else:
            raise ValueError(f"`{argument}` must hold one array per {what}, in order; {plural}, and `{argument}` "
                             f"holds {len(value)}.")
    else:
        raise ValueError(f"`{argument}` is one array, but {plural}: pass a list of {count} arrays in that "
                         f"order, or a dict keyed by those names.")
    missing = [keys[position] for position in needed if values[position] is None]
    if missing:
        reason = " (it has a loss or metrics)" if what == "output" else ""
        raise ValueError(f"`{argument}` has no array for the {what}(s) {missing}{reason}; {plural}.")
    return values


# ---------------------------------------------------------------------- arrays
def input_array(model, x, argument):
    """``x`` as one array that fits the model's input (the model is built for it if needed)."""
    if not model.output_names and not model.layers:  # an empty Sequential, which Keras 3 refuses to build
        raise ValueError(f"Model {model.name!r} has no layers, so it has no output to train, evaluate or "
                         "predict with. Add layers with model.add(layer) first.")
    x = data_adapter.check_array(data_adapter.single(x, model.input_names, argument), argument)
    if not model.built:
        model._build_for((None,) + x.shape[1:])
    elif model._build_input_shape is not None:
        expected = model._build_input_shape
        if expected and isinstance(expected[0], (tuple, list)):  # a functional model's list of one input
            expected = expected[0]
        check_input_shape(x, expected[1:], argument)
    return x


def model_inputs(model, x, argument):
    """``x`` checked against the model's inputs, as the model takes it: one array, or a list or dict."""
    structure = input_structure(model)
    if structure is None:
        return input_array(model, x, argument)
    keys = input_keys(model)
    arrays = []
    for key, value, tensor in zip(keys, _per_key(x, keys, argument, "input"), model.inputs):
        name = _entry(argument, key, len(keys))
        array = data_adapter.check_array(value, name)
        check_input_shape(array, tensor.shape[1:], name)
        arrays.append(array)
    return data_adapter.pack_arrays(structure, arrays)


def checked_arrays(model, x, y, sample_weight, prefix=""):
    """Validate one data set of arrays against the model and its loss; return ``(x, y, sample_weight)``.

    ``y`` comes back cast for the loss; the model's metrics are built for its
    shape.  ``sample_weight`` is only checked for its length here (see
    :func:`sample_weights_for`).  ``prefix`` goes before each argument name in
    errors.
    """
    if model._structured_data:  # several inputs or outputs, or a dict of them (known since compile)
        return _checked_structures(model, x, y, sample_weight, prefix)
    x = input_array(model, x, prefix + "x")
    output_shape = model.output_shape
    if isinstance(output_shape, dict) or (output_shape and isinstance(output_shape[0], (tuple, list))):
        raise ValueError(f"Model {model.name!r} returns several outputs from call() (shapes {output_shape}); "
                         "fit and evaluate train several outputs of a functional model, Model(inputs, outputs). "
                         "For a subclassed model, override train_step and test_step.")
    # No targets at all: the loss comes from the layers (add_loss), as with Keras's endpoint layers.
    without_targets = y is None and model._compiled_loss is None and not (
        any(model._metric_specs) or any(model._weighted_specs))
    if not without_targets:
        y = data_adapter.check_array(data_adapter.single(y, model.output_names, prefix + "y"), prefix + "y")
    sample_weight = data_adapter.check_array(sample_weight, prefix + "sample_weight", allow_none=True)
    data_adapter.check_lengths(**{prefix + "x": x, prefix + "y": y, prefix + "sample_weight": sample_weight})
    if len(x) == 0:
        raise ValueError(f"`{prefix}x` is empty: there is nothing to train or evaluate on.")
    data_adapter.check_finite(x, prefix + "x")
    check_input_values(model, [x], prefix + "x")
    if without_targets:
        return x, None, sample_weight
    y = check_targets(y, output_shape, model._compiled_loss, prefix + "y")
    data_adapter.check_finite(y, prefix + "y")
    model._build_metrics([y.shape], [output_shape])
    return x, y, sample_weight


def _checked_structures(model, x, y, sample_weight, prefix):
    """:func:`checked_arrays` for a model with several inputs or outputs (or a dict of them)."""
    x = model_inputs(model, x, prefix + "x")
    keys, shapes, losses_ = output_keys(model), output_shapes(model), model._compiled_losses
    needed = [i for i, loss in enumerate(losses_)
              if loss is not None or model._metric_specs[i] or model._weighted_specs[i]]
    if y is None and needed:
        raise ValueError(f"`{prefix}y` is required; received None.")
    # No targets at all: the loss comes from the layers (add_loss), as with Keras's endpoint layers.
    targets = [None] * len(keys) if y is None else _per_key(y, keys, prefix + "y", "output", needed)
    targets = [None if value is None else data_adapter.check_array(value, _entry(prefix + "y", key, len(keys)))
               for key, value in zip(keys, targets)]
    weights = _sample_weight_entries(sample_weight, keys, prefix + "sample_weight")
    inputs = input_keys(model)
    named = {_entry(prefix + "x", key, len(inputs)): a for key, a in zip(inputs, data_adapter.flatten_arrays(x))}
    named.update({_entry(prefix + "y", key, len(keys)): a for key, a in zip(keys, targets)})
    if isinstance(weights, list):
        named.update({_entry(prefix + "sample_weight", key, len(keys)): a for key, a in zip(keys, weights)})
    else:
        named[prefix + "sample_weight"] = weights
    data_adapter.check_lengths(**named)
    if len(data_adapter.flatten_arrays(x)[0]) == 0:
        raise ValueError(f"`{prefix}x` is empty: there is nothing to train or evaluate on.")
    for i, (key, target, loss) in enumerate(zip(keys, targets, losses_)):
        if target is not None:
            name = _entry(prefix + "y", key, len(keys))
            targets[i] = check_targets(target, shapes[i], loss, name) if loss is not None else data_adapter.cast(target)
    for key, array in zip(inputs, data_adapter.flatten_arrays(x)):
        data_adapter.check_finite(array, _entry(prefix + "x", key, len(inputs)))
    check_input_values(model, data_adapter.flatten_arrays(x), prefix + "x")
    for key, target in zip(keys, targets):
        if target is not None:
            data_adapter.check_finite(target, _entry(prefix + "y", key, len(keys)))
    model._build_metrics([None if t is None else t.shape for t in targets], shapes)
    structure = output_structure(model)
    packed = data_adapter.pack_arrays(structure, targets) if structure is not None else targets[0]
    if isinstance(weights, list):
        weights = data_adapter.pack_arrays(structure, weights) if structure is not None else weights[0]
    return x, packed, weights


def check_input_values(model, arrays, argument):
    """Let each layer that reads a model input directly check all of its values before any step
    (``arrays``: the inputs in the order of ``model.inputs``): an ``Embedding`` refuses ids outside
    its table here, not after some steps have changed the weights."""
    for index, layer in _input_readers(model):
        check = getattr(layer, "check_input_values", None)
        if check is not None and index < len(arrays):
            check(arrays[index], argument)


def _input_readers(model):
    """``(input index, layer)`` for the layers that take a model input as it is given; cached until
    some layer's structure changes (``train_on_batch`` asks on every call)."""
    entry = model._cache.get("input_readers")
    if entry is None or entry[0] != tracking.generation():
        entry = model._cache["input_readers"] = (tracking.generation(), _find_input_readers(model))
    return entry[1]


def _find_input_readers(model):
    from microkeras.models.functional import Functional  # imported here: both modules import this one
    from microkeras.models.sequential import Sequential

    if isinstance(model, Sequential):
        layers = model.layers
        readers = [(0, layers[0])] if layers else []
    elif isinstance(model, Functional):
        positions = {id(tensor): i for i, tensor in enumerate(model.inputs)}
        readers = [(positions[id(arg)], node.layer) for node in model._nodes
                   for arg in flatten((node.args, node.kwargs)) if id(arg) in positions]
    else:
        return []
    found = []
    for index, layer in readers:
        if isinstance(layer, Sequential) or isinstance(layer, Functional) and len(layer.inputs) == 1:
            found += [(index, inner) for _, inner in _find_input_readers(layer)]  # a model hands the input on
        else:
            found.append((index, layer))
    return found


def _sample_weight_entries(sample_weight, keys, argument):
    """None, one array for every output, or (several outputs) a list with an array or None per output."""
    if sample_weight is None:
        return None
    count = len(keys)
    per_output = isinstance(sample_weight, dict) or (
        isinstance(sample_weight, (list, tuple)) and count > 1 and len(sample_weight) > 0
        and all(item is None or _has_batch_axis(item) for item in sample_weight))
    if count == 1 and isinstance(sample_weight, (list, tuple, dict)):
        sample_weight = data_adapter.single(sample_weight, keys, argument)
        per_output = False
    if not per_output:
        return data_adapter.check_array(sample_weight, argument)
    if isinstance(sample_weight, dict):
        unknown = [key for key in sample_weight if key not in keys]
        if unknown:
            raise ValueError(f"`{argument}` has the key(s) {unknown}, which name no output: the model has "
                             f"{count} outputs {keys}.")
        missing = [key for key in keys if key not in sample_weight]
        if missing:
            raise ValueError(f"`{argument}` has no entry for the output(s) {missing}: give one array per output "
                             f"(None for an output without weights), or one array for every output.")
        values = [sample_weight[key] for key in keys]
    elif len(sample_weight) != count:
        raise ValueError(f"`{argument}` must hold one array (or None) per output, {count} for {keys}, or be one "
                         f"array for every output; received a list of {len(sample_weight)}.")
    else:
        values = list(sample_weight)
    return [data_adapter.check_array(value, _entry(argument, key, count), allow_none=True)
            for key, value in zip(keys, values)]


def _has_batch_axis(value):
    """An array or a list of values (one output's weights), not a number (one sample's weight)."""
    return len(getattr(value, "shape", ())) > 0 or isinstance(value, (list, tuple))


def sample_weights_for(model, y, sample_weight, class_weight, prefix=""):
    """Sample weights for targets ``y`` from ``sample_weight`` or ``class_weight`` (not both), validated.

    Returns None when neither is given.
    """
    if model._output_keys is not None:  # outputs as a list or dict
        return _structured_sample_weights(model, y, sample_weight, class_weight, prefix)
    if class_weight is not None:
        if sample_weight is not None:
            raise ValueError("Pass either `class_weight` or `sample_weight`, not both (Keras 3 rule).")
        sparse = losses.is_sparse(model._compiled_loss)
        check_class_weight(class_weight, max(model.output_shape[-1], 2))
        sample_weight = class_weights_to_sample_weights(y, class_weight, sparse)
    if sample_weight is not None:
        data_adapter.check_finite(sample_weight, prefix + "sample_weight")
        sample_weight = check_sample_weight(sample_weight, model.output_shape, len(y),
                                            model._sample_weight_mode, prefix + "sample_weight")
    return sample_weight


def _structured_sample_weights(model, y, sample_weight, class_weight, prefix):
    """:func:`sample_weights_for` for a model whose outputs are a list or dict: one array applies to
    every output; a list or dict gives each output its own (or None)."""
    keys, shapes, argument = output_keys(model), output_shapes(model), prefix + "sample_weight"
    targets = data_adapter.flatten_arrays(y)
    if class_weight is not None:
        if len(keys) > 1:
            raise ValueError(f"`class_weight` is only supported for models with a single output (Keras 3 "
                             f"rule); this model has {len(keys)} outputs {keys}. Pass `sample_weight` per "
                             "output instead (a list or a dict keyed by output names).")
        if sample_weight is not None:
            raise ValueError("Pass either `class_weight` or `sample_weight`, not both (Keras 3 rule).")
        check_class_weight(class_weight, max(shapes[0][-1], 2))
        sample_weight = class_weights_to_sample_weights(targets[0], class_weight,
                                                        losses.is_sparse(model._compiled_losses[0]))
    if sample_weight is None:
        return None
    n = len(next(t for t in targets if t is not None))
    if isinstance(sample_weight, numpy.ndarray):
        data_adapter.check_finite(sample_weight, argument)
        for key, shape in zip(keys, shapes):  # one array for every output must fit each
            checked = check_sample_weight(sample_weight, shape, n, model._sample_weight_mode,
                                          argument if len(keys) == 1 else f"{argument} (for output {key!r})")
        return checked
    weights = []
    for key, shape, weight in zip(keys, shapes, data_adapter.flatten_arrays(sample_weight)):
        if weight is not None:
            name = _entry(argument, key, len(keys))
            data_adapter.check_finite(weight, name)
            weight = check_sample_weight(weight, shape, n, model._sample_weight_mode, name)
        weights.append(weight)
    return data_adapter.pack_arrays(output_structure(model), weights)


def weighted_arrays(model, x, y, sample_weight, class_weight=None, prefix=""):
    """:func:`checked_arrays` with the sample weights of :func:`sample_weights_for`: ready to batch."""
    x, y, sample_weight = checked_arrays(model, x, y, sample_weight, prefix)
    return x, y, sample_weights_for(model, y, sample_weight, class_weight, prefix)


# ---------------------------------------------------------------------- checks
def check_input_shape(x, expected, argument):
    """Raise unless samples of ``x`` have the shape ``expected`` (batch dimension excluded)."""
    if len(expected) != x.ndim - 1 or any(e is not None and e != d for e, d in zip(expected, x.shape[1:])):
        raise ValueError(f"`{argument}` has shape {x.shape}, but the model expects inputs of shape "
                         f"{(None,) + tuple(expected)} (one sample is {tuple(expected)}).")


def _integral(array):
    return array.dtype.kind in "biu" or bool(numpy.all(numpy.mod(array, 1) == 0))


def check_targets(y, output_shape, loss, argument):
    """Check labels ``y`` against the model's ``output_shape`` and ``loss``; return them cast for the loss.

    Sparse losses get integer class ids; every other loss gets float32
    targets of the output's shape (``(N,)`` is accepted for ``(N, 1)``).
    """
    units = output_shape[-1]
    loss_name = getattr(loss, "name", None) or type(loss).__name__
    if losses.is_sparse(loss):
        rank = len(output_shape)
        if y.ndim not in (rank - 1, rank) or (y.ndim == rank and y.shape[-1] != 1) \
                or tuple(y.shape[1:rank - 1]) != tuple(output_shape[1:-1]):
            expected = (len(y),) + tuple(output_shape[1:-1])
            if y.ndim < rank - 1:
                raise ValueError(f"`{argument}` has shape {y.shape}, but the model's output has shape "
                                 f"{output_shape}, so {loss_name} expects integer class ids of shape "
                                 f"{expected} (or with a trailing 1).{_flatten_hint(output_shape)}")
            raise ValueError(
                f"`{argument}` has shape {y.shape}, but {loss_name} expects integer class ids of shape "
                f"{expected} (or with a trailing 1). For one-hot labels use "
                "loss='categorical_crossentropy'.")
        if not _integral(y) or y.min() < 0 or y.max() >= units:
            raise ValueError(f"`{argument}` must hold integer class ids in [0, {units}) for {loss_name} "
                             f"(the model has {units} output units); received values from {y.min()} "
                             f"to {y.max()}.")
        return y.astype(numpy.int32) if y.dtype.kind == "f" else y
    if y.ndim == len(output_shape) - 1 and units == 1:
        y = y.reshape(y.shape + (1,))
    if tuple(y.shape[1:]) != tuple(output_shape[1:]):
        positions = tuple(output_shape[1:-1])  # the output's axes other than batch and units
        if units > 1 and tuple(y.shape[1:]) in (positions, positions + (1,)) and _integral(y):
            hint = (" The labels look like integer class ids: use loss='sparse_categorical_crossentropy', "
                    "or one-hot encode them (microkeras.utils.to_categorical(y)).")
        elif y.ndim < len(output_shape):
            hint = _flatten_hint(output_shape)
        elif y.ndim > len(output_shape):
            hint = (f" `{argument}` has more axes per sample than the output ({y.ndim - 1} against "
                    f"{len(output_shape) - 1}): reshape the labels, or end the model with layers whose "
                    "output has their shape.")
        elif y.shape[-1] != units:
            hint = (f" The last layer has {units} units; it must have as many as `{argument}` has columns "
                    f"({y.shape[-1]}).")
        else:
            hint = ""
        raise ValueError(f"`{argument}` has shape {y.shape}, but the model's output has shape "
                         f"{output_shape} and {loss_name} needs targets of the same shape.{hint}")
    return data_adapter.cast(y) if y.dtype.kind == "f" else y.astype(numpy.float32)


def _flatten_hint(output_shape):
    """The fix for an output that keeps axes the labels lack (most often: no ``Flatten`` before the end)."""
    return (f" The output keeps the axes {tuple(output_shape[1:-1])} that the labels do not have. If each "
            "sample has one label, add a Flatten() layer (microkeras.layers.Flatten) before the last Dense "
            f"layer, so that the output has shape (None, {output_shape[-1]}).")


def check_sample_weight(sample_weight, output_shape, n, sample_weight_mode, argument):
    """Weights match the loss elements: ``(N,)``, or ``(N, T)`` per timestep for sequence outputs.

    A loss reduces the last (class) axis, so an output of shape ``(N, T, K)``
    has ``(N, T)`` loss elements.
    """
    elements = (n,) + tuple(output_shape[1:-1])
    per_timestep = sample_weight.ndim == 2 and len(elements) >= 2 and sample_weight.shape == elements[:2]
    if sample_weight_mode == "temporal" and not per_timestep:
        raise ValueError(f"sample_weight_mode='temporal' needs `{argument}` of shape (N, timesteps) for an "
                         f"output with a time axis; received {argument} of shape {sample_weight.shape} "
                         f"for an output of shape {output_shape}.")
    if not (sample_weight.shape == (n,) or per_timestep):
        raise ValueError(f"`{argument}` must have shape ({n},)"
                         + (f" or, per timestep, {elements[:2]}" if len(elements) >= 2 else "")
                         + f"; received {sample_weight.shape}.")
    if sample_weight.dtype != numpy.float32:
        sample_weight = sample_weight.astype(numpy.float32)
    return sample_weight


def check_class_weight(class_weight, num_classes):
    """Validate ``{class_index: weight}`` for a model with ``num_classes`` classes (None: not known yet)."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` must be a dict {{class_index: weight}}; received {class_weight!r}.")
    limit = float("inf") if num_classes is None else num_classes
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral) or not 0 <= key < limit:
            expected = "non-negative integers" if num_classes is None else f"in [0, {num_classes})"
            raise ValueError(f"`class_weight` keys must be class indices {expected}; received key {key!r}.")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise TypeError(f"`class_weight` values must be numbers; received {weight!r} for class {key}.")
        if not (math.isfinite(weight) and abs(weight) <= float(numpy.finfo(numpy.float32).max)):
            raise ValueError(f"`class_weight` values must be finite numbers within float32's range, the "
                             f"dtype training uses; received {weight!r} for class {key}.")


def class_weights_to_sample_weights(y, class_weight, sparse):
    """Per-sample (or per-timestep) weights from ``{class_index: weight}``; missing classes weigh 1.

    Keras 3's rules: one-hot labels are argmaxed, a trailing axis of 1 is
    squeezed; sparse labels of shape (N, T) give weights of shape (N, T).
    """
    if not sparse and y.shape[-1] > 1:
        classes = y.argmax(axis=-1)
    elif y.ndim > 1 and y.shape[-1] == 1:
        classes = y[..., 0]
    else:
        classes = y
    classes = numpy.rint(classes).astype(numpy.int64)
    size = max(int(classes.max()) + 1, max(class_weight, default=0) + 1)
    table = numpy.ones(size, dtype=numpy.float32)
    for key, weight in class_weight.items():
        table[key] = weight
    return table[classes]
