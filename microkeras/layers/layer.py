"""The ``Layer`` base class: Keras's build/call contract on plain float32 arrays.

A layer keeps its configuration from ``__init__``, creates weights in
``build(input_shape)`` with :meth:`Layer.add_weight`, and computes its output
in ``call(inputs, training=None)`` with ``autograd.numpy``.  It never writes a
gradient: the trainer differentiates ``call`` with autograd.

Between training steps a weight is an ordinary ``float32`` ndarray stored on
the layer (``self.kernel``).  While a gradient is traced, the trainer *binds*
the weights: it puts the values being differentiated into the very attributes
that hold the arrays (see :meth:`Layer._weight_slots`), runs ``call``, and puts
the arrays back.  That is how ``call`` can read ``self.kernel`` and still be a
pure function of the parameters for autograd.
"""

import collections
import inspect
import re

import numpy
from autograd.tracer import Box

from microkeras import config, constraints, initializers, regularizers

_LAYER_CLASSES = {}
_name_counts = collections.Counter()


def snake_case(name):
    """``'BatchNormalization'`` -> ``'batch_normalization'``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """Keras-style unique names: ``dense``, ``dense_1``, ``dense_2``, ..."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def clear_session():
    """Reset the automatic layer and model names (Keras: ``keras.backend.clear_session``)."""
    _name_counts.clear()


def get_layer_class(class_name, custom_objects=None):
    """Return the layer class registered under ``class_name``."""
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    try:
        return _LAYER_CLASSES[class_name]
    except KeyError:
        raise ValueError(
            f"Unknown layer class {class_name!r}. Define or import it before deserializing, "
            "or pass it in `custom_objects`."
        ) from None


def standardize_shape(shape, argument):
    """Return ``shape`` as a tuple of ints and ``None``s, or raise naming ``argument``."""
    if isinstance(shape, (int, numpy.integer)):
        shape = (shape,)
    try:
        shape = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(f"`{argument}` must be a tuple of ints or None; received {shape!r}.") from None
    if any(d is not None and d < 0 for d in shape):
        raise ValueError(f"`{argument}` must have non-negative dimensions; received {shape!r}.")
    return shape


class Layer:
    """Base class of every layer.

    Parameters
    ----------
    name : str, optional
        Unique name; defaults to the snake-cased class name (``dense_1``).
    trainable : bool
        Whether the optimizer updates this layer's weights.
    dtype : str, optional
        Only ``'float32'`` (or ``None``) is supported: microkeras is float32 end to end.
    input_shape, input_dim, batch_input_shape, batch_size
        Keras's ways to give the first layer of a ``Sequential`` its input
        shape (without the batch dimension, the width of a 2D input, or with
        the batch dimension).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _LAYER_CLASSES[cls.__name__] = cls

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s): "
                            f"{', '.join(sorted(kwargs))}.")
        if not is_float32(dtype):
            raise ValueError(f"`dtype` must be 'float32' (microkeras computes in float32); received {dtype!r}.")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string; received {name!r}.")
        self.name = name if name is not None else unique_name(snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.built = False
        self._weight_specs = []
        self._slots = None
        self._losses = []
        self._build_input_shape = None
        self._batch_input_shape = self._resolve_batch_input_shape(
            input_shape, input_dim, batch_input_shape, batch_size)

    @staticmethod
    def _resolve_batch_input_shape(input_shape, input_dim, batch_input_shape, batch_size):
        if batch_input_shape is not None:
            return standardize_shape(batch_input_shape, "batch_input_shape")
        if input_shape is not None:
            return (batch_size,) + standardize_shape(input_shape, "input_shape")
        if input_dim is not None:
            return (batch_size,) + standardize_shape((input_dim,), "input_dim")
        return None

    @property
    def dtype(self):
        return config.floatx()

    # ----------------------------------------------------------------- weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None):
        """Create a float32 weight, store its spec and return the array.

        Keras 3's argument order; a Keras 2 call that passes the name first
        (``add_weight('kernel', (3, 4))``) is also accepted.  Assign the result
        to an attribute (``self.kernel = self.add_weight(...)``) and read it in
        ``call``; list attributes holding weights work too.
        """
        if isinstance(shape, str):  # Keras 2 order: add_weight(name, shape, ...)
            name, shape = shape, initializer if not isinstance(initializer, str) else None
            if shape is None:
                raise TypeError("add_weight: pass `shape=` when the first argument is the name.")
            initializer = None
        shape = standardize_shape(() if shape is None else shape, "shape")
        if any(d is None for d in shape):
            raise ValueError(f"add_weight: `shape` must be fully defined; received {shape}.")
        if not is_float32(dtype):
            raise ValueError(f"add_weight: `dtype` must be float32; received {dtype!r}.")
        if name is None:
            name = unique_weight_name(self._weight_specs)
        elif any(spec.name == name for spec in self._weight_specs):
            raise ValueError(f"Layer {self.name!r} already has a weight named {name!r}.")
        if initializer is None:
            initializer = "glorot_uniform"  # Keras 3's default for every float weight
        value = numpy.asarray(initializers.get(initializer)(shape, dtype=config.floatx()),
                              dtype=config.floatx())
        if value.shape != shape:
            raise ValueError(f"add_weight: the initializer returned shape {value.shape}, expected {shape}.")
        self._weight_specs.append(WeightSpec(name, value, bool(trainable),
                                             regularizers.get(regularizer), constraints.get(constraint)))
        self._slots = None
        return value

    @property
    def weights(self):
        """All weights as live float32 arrays: trainable first, then non-trainable."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [spec.value for spec in self._weight_specs if spec.trainable]

    @property
    def non_trainable_weights(self):
        return [spec.value for spec in self._ordered_specs() if not (self.trainable and spec.trainable)]

    def _ordered_specs(self):
        return [s for s in self._weight_specs if s.trainable] + [s for s in self._weight_specs if not s.trainable]

    def get_weights(self):
        """Return copies of the weights, in the order of :attr:`weights`."""
        return [numpy.array(w) for w in self.weights]

    def set_weights(self, weights):
        """Overwrite the weights (in place) from a list of arrays, checking shapes."""
        targets = self.weights
        weights = list(weights)
        if len(weights) != len(targets):
            raise ValueError(f"Layer {self.name!r} expects {len(targets)} weights, but `weights` "
                             f"holds {len(weights)}.")
        arrays = [numpy.asarray(w) for w in weights]
        for i, (target, new) in enumerate(zip(targets, arrays)):
            if target.shape != new.shape:
                raise ValueError(f"Layer {self.name!r} weight {i} has shape {target.shape}, but the "
                                 f"provided array has shape {new.shape}.")
        for target, new in zip(targets, arrays):
            target[...] = new

    def count_params(self):
        """Number of scalars in the layer's weights."""
        if not self.built:
            raise ValueError(f"You called count_params() on layer {self.name!r}, which is not built yet. "
                             "Build it by calling it on data or giving the model an input shape.")
        return int(sum(w.size for w in self.weights))

    @property
    def losses(self):
        """Penalties to add to the loss: weight regularizers, then the last call's activity penalty."""
        return [spec.regularizer(spec.value) for spec in self._weight_specs if spec.regularizer] + self._losses

    # ------------------------------------------------------------- build/call
    def build(self, input_shape):
        """Create the layer's weights for ``input_shape`` (batch dimension first)."""
        self.built = True

    def call(self, inputs, training=None):
        """The forward computation, in ``autograd.numpy``.  Subclasses override it."""
        return inputs

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, Box):
            inputs = as_float_input(inputs)
        if not self.built:
            self._build_for(tuple(inputs.shape))
        if "training" in kwargs and not self._call_takes_training():
            del kwargs["training"]
        outputs = self.call(inputs, *args, **kwargs)
        activity_regularizer = getattr(self, "activity_regularizer", None)
        if activity_regularizer is not None:
            # Keras 3 adds the penalty as is (tf.keras divided it by the batch size). Replaced, not
            # appended: a Sequential calls each layer once per pass.
            self._losses = [activity_regularizer(outputs)]
        return outputs

    @classmethod
    def _call_takes_training(cls):
        cached = cls.__dict__.get("_takes_training")
        if cached is None:
            params = inspect.signature(cls.call).parameters
            cached = "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
            cls._takes_training = cached
        return cached

    def _build_for(self, input_shape):
        input_shape = standardize_shape(input_shape, "input_shape")
        self.build(input_shape)
        self.built = True
        self._build_input_shape = input_shape
        self._slots = None
        self._weight_slots()  # fail now, not mid-training, if a weight is unreachable

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``, found by running ``call`` on zeros.

        Layers whose shape is cheap to state override this.
        """
        if not self.built:
            self._build_for(input_shape)
        probe = numpy.zeros([1 if d is None else d for d in input_shape], dtype=config.floatx())
        out_shape = numpy.shape(self.call(probe))
        self._losses.clear()
        return (input_shape[0],) + tuple(out_shape[1:])

    # ----------------------------------------------------------------- binding
    def _weight_slots(self):
        """``(container, key)`` for every weight in :attr:`weights` order.

        ``container[key]`` is the place ``call`` reads the weight from: the
        layer's ``__dict__`` for ``self.kernel`` or a list attribute for
        ``self.kernels[i]``.  Found once, by identity, after ``build``.
        """
        if self._slots is None:
            self._slots = [self._find_slot(spec) for spec in self._ordered_specs()]
        return self._slots

    def _find_slot(self, spec):
        for key, value in vars(self).items():
            if value is spec.value:
                return vars(self), key
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is spec.value:
                        return value, i
        raise AttributeError(
            f"Layer {self.name!r}: weight {spec.name!r} is not stored on the layer. Keep what "
            f"add_weight returns in an attribute, e.g. `self.{spec.name} = self.add_weight(...)`.")

    def _bind(self, values):
        """Put ``values`` where ``call`` reads the weights; return what was there."""
        return swap(self._weight_slots(), values)

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False,
                       **kwargs):
        """Keras 3's functional call: run the layer with the given weight values instead of its own.

        ``trainable_variables`` and ``non_trainable_variables`` are lists in
        the order of :attr:`trainable_weights` and
        :attr:`non_trainable_weights`; ``args``/``kwargs`` go to ``call``
        (``training=True`` included).  Returns ``(outputs,
        non_trainable_variables)``, plus the layer's penalties when
        ``return_losses``.  The layer's own arrays are untouched, so
        ``autograd.grad`` can differentiate the outputs with respect to the
        given values.
        """
        if not self.built:
            self._build_for(tuple(numpy.shape(args[0])))
        trainable, non_trainable = list(trainable_variables), list(non_trainable_variables)
        if len(trainable) != len(self.trainable_weights) or len(non_trainable) != len(self.non_trainable_weights):
            raise ValueError(f"stateless_call on layer {self.name!r} needs {len(self.trainable_weights)} trainable "
                             f"and {len(self.non_trainable_weights)} non-trainable values; received "
                             f"{len(trainable)} and {len(non_trainable)}.")
        old = self._bind(trainable + non_trainable)
        try:
            outputs = self(*args, **kwargs)
            losses = self.losses
        finally:
            self._bind(old)
        return (outputs, non_trainable, losses) if return_losses else (outputs, non_trainable)

    # ------------------------------------------------------------ serialization
    def get_config(self):
        """Constructor arguments as a JSON-friendly dict."""
        config_ = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config_["batch_input_shape"] = list(self._batch_input_shape)
        return config_

    @classmethod
    def from_config(cls, config_):
        """Create a layer from :meth:`get_config`'s output."""
        return cls(**config_)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class WeightSpec:
    """What ``add_weight`` recorded about one weight."""

    __slots__ = ("name", "value", "trainable", "regularizer", "constraint")

    def __init__(self, name, value, trainable, regularizer, constraint):
        self.name = name
        self.value = value
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint


def swap(slots, values):
    """Store ``values`` at the ``(container, key)`` places ``slots``; return the previous contents.

    The one mechanism behind weight binding: ``swap(slots, swap(slots, new))``
    binds ``new`` and puts the originals back.
    """
    old = [container[key] for container, key in slots]
    for (container, key), value in zip(slots, values):
        container[key] = value
    return old


def unique_weight_name(specs):
    taken = {spec.name for spec in specs}
    name, i = "variable", 0
    while name in taken:
        i += 1
        name = f"variable_{i}"
    return name


def is_float32(dtype):
    """True for None (the default) or any spelling of float32."""
    if dtype is None:
        return True
    try:
        return numpy.dtype(dtype) == numpy.float32
    except TypeError:  # Keras policy names such as 'mixed_float16'
        return False


def as_float_input(inputs):
    """Convert a concrete input to an ndarray, casting numbers to float32."""
    inputs = numpy.asarray(inputs)
    if inputs.dtype != numpy.float32 and (inputs.dtype.kind in "fiub"):
        inputs = inputs.astype(numpy.float32)
    return inputs
