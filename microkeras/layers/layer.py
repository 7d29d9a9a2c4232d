"""The ``Layer`` base class: Keras's build/call contract, composable at any depth.

A layer keeps its configuration from ``__init__``, creates weights in
``build(input_shape)`` with :meth:`Layer.add_weight`, and computes its output
in ``call(inputs, training=None)`` with ``autograd.numpy``.  It never writes a
gradient: autograd differentiates ``call``.

Layers hold layers.  Whatever a layer stores in its attributes -- a layer, a
weight, lists, tuples or dicts of them, a whole model -- is found by one walk
of those attributes (:mod:`microkeras.tracking`), and ``weights``,
``trainable_weights``, ``losses``, the binding of traced values and the
summary all read that walk, in Keras 3's order.

Weights are :class:`~microkeras.variables.Variable` objects.  While a pass is
traced or given explicit values, the active call scope
(:mod:`microkeras.call_scope`) puts stand-ins for them into the layer's
attributes, so ``call`` reads ``self.kernel`` and autograd sees a function of
the values being differentiated.  ``self.add_loss`` and
``self.<weight>.assign`` inside ``call`` are recorded by that scope too.
"""

import functools
import inspect
import math
import warnings

import numpy
from autograd.tracer import isbox

from microkeras import config, constraints, initializers, regularizers, tracking
from microkeras import call_scope, masking
from microkeras.call_scope import CallScope, current_scope, noted_losses
from microkeras.layers.keras_tensor import (KerasTensor, Node, flatten, infer_outputs, is_shape, is_symbolic,
                                           map_structure)
from microkeras.saving.object_registration import get_registered_object
from microkeras.variables import Variable, VariableBox, name_scope
from microkeras.utils.naming import to_snake_case, unique_name

_FLOAT32 = numpy.dtype(numpy.float32)
_LAYER_CLASSES = {}  # class name -> the Layer subclasses of that name (a redefinition replaces its older self)
# Bookkeeping attributes the tracking walk must not look into.
_UNTRACKED = frozenset({"_trainable_variables", "_non_trainable_variables", "_losses", "_cache",
                        "_constructor_arguments", "_shape_chain", "_inbound_nodes", "_graph"})


def get_layer_class(class_name, custom_objects=None, registered_name=None):
    """The layer class a config names: from ``custom_objects``, the registered objects, or the
    ``Layer`` subclasses defined so far (microkeras's own first, then yours).  Nothing is imported."""
    for name in (registered_name, class_name):
        if not isinstance(name, str):
            continue
        found = get_registered_object(name, custom_objects)
        if found is None:
            found = _defined_layer_class(name)
        if found is not None:
            if not (isinstance(found, type) and issubclass(found, Layer)):
                raise ValueError(f"{name!r} resolves to {found!r}, which is not a Layer class; "
                                 "`custom_objects` must map layer class names to Layer subclasses.")
            return found
    raise ValueError(
        f"Unknown layer class {class_name!r}. Define or import it before deserializing, register it with "
        "@microkeras.saving.register_keras_serializable(), or pass it in `custom_objects`.")


def _defined_layer_class(name):
    """The one ``Layer`` subclass named ``name``: microkeras's own if it has one, else the user's one;
    several user classes of that name are ambiguous, so the caller must say which it means."""
    classes = _LAYER_CLASSES.get(name, [])
    own = [cls for cls in classes if cls.__module__.split(".")[0] == "microkeras"]
    if own or len(classes) <= 1:
        return (own or classes or [None])[0]
    where = ", ".join(f"{cls.__module__}.{cls.__qualname__}" for cls in classes)
    raise ValueError(f"Several Layer classes are named {name!r} ({where}); pass the one the config means in "
                     f"`custom_objects`, e.g. custom_objects={{{name!r}: {classes[-1].__qualname__}}}, or "
                     "register it with @microkeras.saving.register_keras_serializable().")


def standardize_shapes(shapes, argument):
    """:func:`standardize_shape` of one shape, or of each shape in a list, tuple or dict of shapes."""
    if is_shape(shapes) or isinstance(shapes, (int, numpy.integer)):
        return standardize_shape(shapes, argument)
    return map_structure_of_shapes(lambda shape: standardize_shape(shape, argument), shapes)


def map_structure_of_shapes(function, shapes):
    """``function`` applied to each shape in a list, tuple or dict of shapes (a shape is a leaf)."""
    if is_shape(shapes):
        return function(tuple(shapes))
    if isinstance(shapes, dict):
        return {key: map_structure_of_shapes(function, value) for key, value in shapes.items()}
    return type(shapes)(map_structure_of_shapes(function, value) for value in shapes)


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
        Whether the optimizer updates this layer's weights (and its sublayers').
    activity_regularizer : str or callable, optional
        A penalty on the layer's outputs, added to the loss (divided by the
        batch size, as Keras 3 does).
    dtype : str, optional
        Only ``'float32'`` (or ``None``) is supported: microkeras is float32 end to end.
    input_shape, input_dim, batch_input_shape, batch_size
        Keras's ways to give the first layer of a ``Sequential`` its input
        shape (without the batch dimension, the width of a 2D input, or with
        the batch dimension).
    """

    #: Integer inputs reach ``call`` as they are instead of cast to float32 (ids for a lookup).
    keeps_integer_inputs = False
    #: A model: its own layers receive an input's mask and set its outputs' masks.
    _masks_reach_sublayers = False
    #: The weights fix the size of the inputs' last axis, so a later call with another size is refused
    #: (not so for a lookup, whose last axis is the sequence).
    _weights_fix_last_axis = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        same_name = _LAYER_CLASSES.get(cls.__name__, [])
        _LAYER_CLASSES[cls.__name__] = [other for other in same_name if (other.__module__, other.__qualname__)
                                        != (cls.__module__, cls.__qualname__)] + [cls]
        if "build" in cls.__dict__:
            cls.build = _building(cls.__dict__["build"])
        cls._training_signature = _training_signature(cls.call)
        cls._call_takes_mask = "mask" in inspect.signature(cls.call).parameters
        cls._makes_masks = cls.compute_mask is not Layer.compute_mask

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        # Set before __init__ runs, so a subclass may assign weights or layers before super().__init__().
        state = layer.__dict__
        state["_trainable_variables"], state["_non_trainable_variables"] = [], []
        state["_losses"], state["_cache"], state["_inbound_nodes"] = [], {}, []
        state["_constructor_arguments"] = _recorded_arguments(cls, args, kwargs)
        return layer

    def __init__(self, name=None, trainable=True, dtype=None, activity_regularizer=None, input_shape=None,
                 input_dim=None, batch_input_shape=None, batch_size=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s): "
                            f"{', '.join(sorted(kwargs))}.")
        if not is_float32(dtype):
            raise ValueError(f"`dtype` must be 'float32' (microkeras computes in float32); received {dtype!r}.")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string; received {name!r}.")
        self.name = name if name is not None else unique_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
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

    def __setattr__(self, name, value):
        if name not in _UNTRACKED and (isinstance(value, (Layer, Variable)) or type(value) in (list, tuple, dict)):
            tracking.changed()
            if isinstance(value, Variable):
                self._track_variable(value._origin)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        tracking.changed()
        object.__delattr__(self, name)

    @property
    def dtype(self):
        return config.floatx()

    # ----------------------------------------------------------------- masking
    @property
    def supports_masking(self):
        """Whether the layer hands a mask on to its outputs through :meth:`compute_mask`.

        As in Keras 3: true by default for a layer that overrides
        ``compute_mask``; layers that keep the steps of a sequence as they are
        (``Dense``, ``Dropout``, normalization...) set it.
        """
        return self.__dict__.get("_supports_masking", self._makes_masks)

    @supports_masking.setter
    def supports_masking(self, value):
        self.__dict__["_supports_masking"] = bool(value)

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs for ``inputs`` whose mask is ``previous_mask`` (Keras 3's
        default: the same mask)."""
        return previous_mask

    @property
    def trainable(self):
        """Whether ``fit`` trains this layer; setting it sets every sublayer and weight below too."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
            for variable in layer._trainable_variables:
                variable.trainable = value
        tracking.changed()

    # ---------------------------------------------------------------- tracking
    def _tree(self):
        """What the tracking walk finds below this layer (a :class:`LayerTree`), cached until
        some layer's structure changes."""
        entry = self._cache.get("tree")
        if entry is None or entry[0] != tracking.generation():
            entry = self._cache["tree"] = (tracking.generation(), LayerTree(self))
        return entry[1]

    def _sublayers(self):
        """The layers held directly in this layer's attributes, in attribute order."""
        found, seen = [], {id(self)}
        for _, _, value in tracking.places(self, Layer, _UNTRACKED):
            if id(value) not in seen:
                seen.add(id(value))
                found.append(value)
        return found

    def _flatten_layers(self, include_self=True, recursive=True):
        """This layer and the layers below it, depth first in attribute order, each once."""
        tree = self._tree()
        if not recursive:
            return ([self] if include_self else []) + tree.children
        return tree.layers if include_self else tree.layers[1:]

    def _track_variable(self, variable):
        own = self._trainable_variables if variable.trainable else self._non_trainable_variables
        if not any(v is variable for v in self._trainable_variables + self._non_trainable_variables):
            own.append(variable)

    def _binding_plan(self):
        """``{variable: [(container, key), ...]}``: where every variable of this subtree is stored."""
        return self._tree().plan

    # ----------------------------------------------------------------- weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False,
                   name=None):
        """Create a float32 weight of this layer and return it (a :class:`Variable`).

        Keras 3's signature; a Keras 2 call that passes the name first
        (``add_weight('kernel', (3, 4))``) is also accepted.  Keep the result
        in an attribute (``self.kernel = self.add_weight(...)``), or in a list
        or dict attribute, and read it there in ``call``.
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
        own = self._trainable_variables + self._non_trainable_variables
        if name is None:
            name = unique_weight_name({v.name for v in own})
        elif any(v.name == name for v in own):
            raise ValueError(f"Layer {self.name!r} already has a weight named {name!r}.")
        with name_scope(self.name, caller=self):
            variable = Variable(initializers.get(initializer or "glorot_uniform"), shape=shape,
                                trainable=trainable, name=name, regularizer=regularizers.get(regularizer),
                                constraint=constraints.get(constraint))
        (self._trainable_variables if trainable else self._non_trainable_variables).append(variable)
        if trainable and not self.trainable:
            variable.trainable = False
        tracking.changed()
        return variable

    add_variable = add_weight  # Keras 3 alias

    @property
    def weights(self):
        """Every weight of this layer and its sublayers: each layer's own (those created
        trainable, then the others), then its sublayers', in attribute order (Keras 3's order)."""
        return list(self._tree().weights)

    @property
    def trainable_weights(self):
        """The weights ``fit`` updates: none if the layer is frozen."""
        return list(self._tree().trainable_weights)

    @property
    def non_trainable_weights(self):
        return list(self._tree().non_trainable_weights)

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """Copies of the weights' values, in the order of :attr:`weights`."""
        return [numpy.array(v._array) for v in self.weights]

    def set_weights(self, weights):
        """Overwrite the weights (in place) from a list of arrays.

        Every array is converted and checked before any is written: a bad
        one leaves all weights as they were.
        """
        targets = self.weights
        weights = list(weights)
        if len(weights) != len(targets):
            raise ValueError(f"Layer {self.name!r} expects {len(targets)} weights, but `weights` "
                             f"holds {len(weights)}.")
        arrays = []
        for i, (target, new) in enumerate(zip(targets, weights)):
            try:
                new = numpy.asarray(new, dtype=target.dtype)
            except (TypeError, ValueError) as error:
                raise ValueError(f"Layer {self.name!r} weight {i} ({target.path}) must be numbers convertible "
                                 f"to {target.dtype}; received {type(new).__name__} ({error}).") from None
            if target.shape != new.shape:
                raise ValueError(f"Layer {self.name!r} weight {i} ({target.path}) has shape {target.shape}, "
                                 f"but the provided array has shape {new.shape}.")
            arrays.append(new)
        for target, new in zip(targets, arrays):
            target._write(new)

    def count_params(self):
        """Number of scalars in the layer's weights."""
        if not self.built:
            raise ValueError(f"You called count_params() on layer {self.name!r}, which is not built yet. "
                             "Build it by calling it on data or giving the model an input shape.")
        return int(sum(v.size for v in self.weights))

    # ------------------------------------------------------------------ losses
    def add_loss(self, loss):
        """Add a scalar penalty to the training loss (call it inside ``call``).

        Losses added in a forward pass replace those of the previous pass.
        """
        scope = current_scope()
        if scope is not None and scope.in_pass:
            scope.pass_losses.append((self, loss))
        else:
            self._losses.append(loss)
            call_scope._holding_losses.add(self)

    @property
    def losses(self):
        """The last pass's ``add_loss`` values of this layer and its sublayers, then the penalties
        of the trainable weights' regularizers (computed from the weights' current values)."""
        tree = self._tree()
        noted = noted_losses()  # inside a scope, the losses of its passes (not another thread's)
        if noted:
            added = [loss for layer in tree.layers for loss in noted.get(layer, layer._losses)]
        elif call_scope._holding_losses.data:
            added = [loss for layer in tree.layers for loss in layer._losses]
        else:  # no layer anywhere holds a loss
            added = []
        return added + [v.regularizer(v.value) for v in tree.regularized] if tree.regularized else added

    def _regularization_losses(self):
        return [v.regularizer(v.value) for v in self._tree().regularized]

    # ------------------------------------------------------------- build/call
    def build(self, input_shape):
        """Create the layer's weights for ``input_shape`` (batch dimension first)."""
        self.built = True

    def call(self, inputs, training=None):
        """The forward computation, in ``autograd.numpy``.  Subclasses override it."""
        return inputs

    def __call__(self, *args, **kwargs):
        scope = current_scope()
        if scope is None or not scope.in_pass:
            if args and is_symbolic(args[0]):
                return self._symbolic_call(args, kwargs)
            # The outermost call: run inside the active scope, or in one of its own. (An implicit
            # scope found open outside a pass was left by an interrupted call: replace it.)
            if scope is None or scope.implicit:
                with CallScope(implicit=True) as scope:
                    outputs = scope.run(self, args, kwargs)
                    if scope.masks:  # the returned arrays keep their masks after the scope closes
                        masking.keep_masks(outputs)
                    return outputs
            return scope.run(self, args, kwargs)
        # The mask given, or the one attached to the first input (looked up before any cast).
        mask = kwargs.get("mask") if self._call_takes_mask else None
        if mask is None and args and masking.any_masks(scope):
            mask = masking.mask_of(args[0])
            if mask is not None and self._call_takes_mask:
                kwargs["mask"] = mask
        if args:
            inputs = args[0]
            if type(inputs) is not numpy.ndarray or inputs.dtype != _FLOAT32:
                keep = self.keeps_integer_inputs
                if type(inputs) in (list, tuple, dict):  # the inputs of a merge layer or a model
                    args = (map_structure(lambda leaf: _as_float_leaf(leaf, keep), inputs),) + args[1:]
                elif not isbox(inputs):
                    args = (as_float_input(inputs, keep),) + args[1:]
                if mask is not None and args[0] is not inputs:  # the cast input keeps the mask
                    masking.set_keras_mask(args[0], mask)
        takes_training, default_training = self._training_signature
        training = kwargs.get("training")
        if training is None:  # Keras's order: explicit, inherited from the caller, call's default
            training = scope.training if scope.training is not None else default_training
        scope.training = training
        if takes_training:
            if training is not None:
                kwargs["training"] = training
        elif "training" in kwargs:
            del kwargs["training"]
        if self.built:
            outputs = self.call(*args, **kwargs)
        else:
            with name_scope(self.name, caller=self):  # sublayers built by the first call nest below
                self._build_for(map_structure(numpy.shape, args[0]) if args else ())
                scope.bind_new(self)
                outputs = self.call(*args, **kwargs)
        if mask is not None or self._makes_masks:
            self._hand_on_mask(args[0] if args else None, outputs, mask)
        if self.activity_regularizer is not None:  # on each output, as Keras 3 does (return_state: several)
            for output in flatten(outputs):
                penalty = self.activity_regularizer(output)
                if numpy.ndim(output) > 0:  # Keras 3 divides by the batch size (not Keras 3.0 or tf.keras)
                    penalty = penalty / len(output)
                self.add_loss(penalty)
        return outputs

    def _hand_on_mask(self, inputs, outputs, mask):
        if self.supports_masking:
            masking.attach_output_masks(self, inputs, outputs, mask)
        elif mask is not None and not self._masks_reach_sublayers:
            warnings.warn(f"Layer {self.name!r} (of type {type(self).__name__}) was passed an input with a mask "
                          "attached to it, but it does not support masking: the layers after it will not see "
                          "the mask.", stacklevel=3)

    @classmethod
    def _call_takes_training(cls):
        return cls._training_signature[0]

    def _symbolic_call(self, args, kwargs):
        """Call on symbolic tensors: build, state the output shapes, record the call as a Node."""
        shapes = map_structure(lambda tensor: tensor.shape, args[0])
        if is_symbolic((args[1:], kwargs)):
            return self._symbolic_call_of_several(args, kwargs, shapes)
        try:
            if not self.built:
                self._build_for(shapes)
            elif self.weights and self._weights_fix_last_axis and is_shape(shapes) \
                    and is_shape(self._build_input_shape or ()):
                built, given = self._build_input_shape[-1:], shapes[-1:]  # weights fix the feature axis
                if built and given and None not in (built[0], given[0]) and built != given:
                    raise ValueError(f"the layer was built for inputs of shape {self._build_input_shape}, whose "
                                     f"last axis ({built[0]}) its weights depend on")
            output_shapes = self.compute_output_shape(shapes)
        except (ValueError, TypeError) as error:
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) cannot take inputs of shape "
                             f"{shapes}: {error}") from error
        outputs = (KerasTensor(output_shapes) if is_shape(output_shapes)
                   else map_structure_of_shapes(KerasTensor, output_shapes))
        Node(self, args, kwargs, outputs)
        return outputs

    def _symbolic_call_of_several(self, args, kwargs, shapes):
        """A symbolic call with tensors beyond the first argument (``Gate()(x, gate)``): built for the first
        one's shape, as Keras 3 builds a layer whose ``build`` takes one shape; outputs stated by running
        ``call`` on zeros (:func:`~microkeras.layers.keras_tensor.infer_outputs`)."""
        if not self.built:
            self._build_for(shapes)

        def probe(*values, **named):
            with CallScope(commit=False, record_losses=False) as scope, name_scope(self.name, caller=self):
                return scope.run(self, values, named)

        outputs = infer_outputs(probe, args, kwargs, f"Layer {self.name!r} ({type(self).__name__})")
        Node(self, args, kwargs, outputs)
        return outputs

    @property
    def input(self):
        """The symbolic input of the layer's first call on symbolic tensors."""
        return self._first_node("input").args[0]

    @property
    def output(self):
        """The symbolic output of the layer's first call on symbolic tensors."""
        outputs = self._first_node("output").outputs
        return outputs[0] if len(outputs) == 1 else outputs

    def _first_node(self, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on symbolic tensors, so it has "
                                 f"no {what}. Call it on `Input(...)` (or put it in a Sequential that has an "
                                 "input shape) first.")
        return self._inbound_nodes[0]

    def _build_for(self, input_shape):
        self.build(standardize_shapes(input_shape, "input_shape"))

    def _check_weights_reachable(self):
        """Fail at build time, not mid-training, if ``call`` could not read a weight."""
        plan = self._binding_plan()
        for variable in self._trainable_variables + self._non_trainable_variables:
            if variable not in plan:
                raise AttributeError(
                    f"Layer {self.name!r}: weight {variable.name!r} is not stored on the layer. Keep what "
                    f"add_weight returns in an attribute, e.g. `self.{variable.name} = self.add_weight(...)` "
                    "(lists and dicts of weights work too; tuples cannot be rebound).")

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``, found by running the layer on zeros (a batch of one).

        The probe builds the layer and its sublayers; its state updates and
        losses are discarded.  Layers whose shape is cheap to state override this.
        """
        input_shape = standardize_shapes(input_shape, "input_shape")
        if not self.built:
            self._build_for(input_shape)
        probe = map_structure_of_shapes(
            lambda shape: numpy.zeros([1 if d is None else d for d in shape], dtype=config.floatx()), input_shape)
        with CallScope(commit=False, record_losses=False) as scope, name_scope(self.name, caller=self):
            outputs = scope.run(self, (probe,), {})
        batch = flatten(input_shape)[0] if not is_shape(input_shape) else input_shape[0]
        return map_structure(lambda output: (batch,) + tuple(numpy.shape(output)[1:]), outputs)

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False,
                       **kwargs):
        """Keras 3's functional call: run the layer with the given weight values instead of its own.

        ``trainable_variables`` and ``non_trainable_variables`` are lists in
        the order of :attr:`trainable_weights` and
        :attr:`non_trainable_weights`; ``args``/``kwargs`` go to ``call``
        (``training=True`` included).  Returns ``(outputs,
        non_trainable_variables)`` -- the latter with the state updates of this
        call applied -- plus the losses of the call (``add_loss`` values and the
        regularizers' penalties of the given values) when ``return_losses``.
        The layer's own weights are untouched, so ``autograd.grad`` can
        differentiate the outputs with respect to the given values.
        """
        if not self.built:
            self.compute_output_shape(numpy.shape(args[0]))
        trainable, non_trainable = self.trainable_weights, self.non_trainable_weights
        values_t, values_n = list(trainable_variables), list(non_trainable_variables)
        if len(values_t) != len(trainable) or len(values_n) != len(non_trainable):
            raise ValueError(f"stateless_call on layer {self.name!r} needs {len(trainable)} trainable "
                             f"and {len(non_trainable)} non-trainable values; received "
                             f"{len(values_t)} and {len(values_n)}.")
        with call_scope.guard(), CallScope(zip(trainable + non_trainable, values_t + values_n), commit=False,
                                           record_losses=False) as scope:
            outputs = scope.run(self, args, kwargs)
            losses = [loss for _, loss in scope.pass_losses] + self._regularization_losses()
            values_n = [scope.value_of(v) for v in non_trainable]
        return (outputs, values_n, losses) if return_losses else (outputs, values_n)

    # ------------------------------------------------------------ serialization
    def get_config(self):
        """Constructor arguments as a JSON-friendly dict.

        A subclass whose ``__init__`` takes new arguments and that does not
        write ``get_config`` gets them from the arguments it was constructed
        with (as Keras 3 records them), when they are plain JSON values.
        """
        config_ = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config_["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._batch_input_shape is not None:
            config_["batch_input_shape"] = list(self._batch_input_shape)
        if not _config_needs_arguments(type(self)):
            return config_
        recorded = self._constructor_arguments
        if recorded is None:
            raise NotImplementedError(
                f"Layer {type(self).__name__} was created with constructor arguments that are not plain "
                "values (numbers, strings, booleans, None, and lists or dicts of them), so it cannot "
                "describe itself. Write a `get_config()` method returning the arguments needed to "
                "rebuild it, e.g. `return {**super().get_config(), \"units\": self.units}`, and a "
                "`from_config()` classmethod if they need converting back.")
        config_.update(recorded)
        accepted = inspect.signature(type(self).__init__).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            config_ = {key: value for key, value in config_.items() if key in accepted}
        return config_

    @classmethod
    def from_config(cls, config_):
        """Create a layer from :meth:`get_config`'s output."""
        return cls(**config_)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class LayerTree:
    """What the tracking walk finds below one layer, computed together and cached as one.

    Attributes
    ----------
    children : list of Layer
        The layers held directly in the layer's attributes.
    layers : list of Layer
        The layer, then every layer below it, depth first, each once.
    weights, trainable_weights, non_trainable_weights : list of Variable
        In Keras 3's order (see ``Layer.weights``).
    regularized : list of Variable
        The trainable weights that have a regularizer (Keras 3 penalizes only those).
    plan : dict
        ``{variable: [(container, key), ...]}``, every place a variable of the
        subtree is stored in (tuples excluded: they cannot be rebound).
    """

    __slots__ = ("children", "layers", "weights", "trainable_weights", "non_trainable_weights",
                 "regularized", "plan")

    def __init__(self, root):
        self.children = root._sublayers()
        self.layers, seen = [root], {id(root)}
        stack = list(reversed(self.children))
        while stack:
            layer = stack.pop()
            if id(layer) not in seen:
                seen.add(id(layer))
                self.layers.append(layer)
                stack.extend(reversed(layer._sublayers()))
        self.weights, seen = [], set()
        for layer in self.layers:
            for variable in layer._trainable_variables + layer._non_trainable_variables:
                if id(variable) not in seen:
                    seen.add(id(variable))
                    self.weights.append(variable)
        if root.trainable:
            self.trainable_weights = [v for v in self.weights if v.trainable]
            self.non_trainable_weights = [v for v in self.weights if not v.trainable]
        else:
            self.trainable_weights, self.non_trainable_weights = [], self.weights
        self.regularized = [v for v in self.trainable_weights if v.regularizer is not None]
        self.plan = {}
        for layer in self.layers:
            for container, key, value in tracking.places(layer, (Variable, VariableBox), _UNTRACKED):
                if type(container) is not tuple:
                    variable = value.variable if isinstance(value, VariableBox) else value._origin
                    self.plan.setdefault(variable, []).append((container, key))


def _training_signature(call):
    """``(takes_training, training_default)`` of a ``call`` method, for ``__call__`` to resolve ``training``."""
    params = inspect.signature(call).parameters
    takes = "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    default = params["training"].default if "training" in params else None
    return takes, None if default is inspect.Parameter.empty else default


Layer._training_signature = _training_signature(Layer.call)


def _building(build):
    """Wrap a ``build`` method so that calling it, directly or from a first call, leaves the layer
    built as in Keras 3: weights named under the layer's scope, ``built`` set, the input shape
    recorded and every weight checked to be reachable from ``call``."""
    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_building"):  # super().build(...) inside a build: the outer call finishes
            return build(self, *args, **kwargs)
        self.__dict__["_building"] = True
        try:
            with name_scope(self.name, caller=self):
                result = build(self, *args, **kwargs)
        finally:
            del self.__dict__["_building"]
        input_shape = args[0] if args else kwargs.get("input_shape")
        if self._build_input_shape is None and input_shape is not None:
            self._build_input_shape = standardize_shapes(input_shape, "input_shape")
        self.built = True
        self._check_weights_reachable()
        return result
    return wrapper


Layer.build = _building(Layer.build)


def _owner(cls, attribute):
    """The class in ``cls``'s MRO that defines ``attribute``."""
    return next(klass for klass in cls.__mro__ if attribute in klass.__dict__)


def _config_needs_arguments(cls):
    """Whether ``cls.__init__`` is newer than its ``get_config``, which then misses its arguments."""
    init_owner, config_owner = _owner(cls, "__init__"), _owner(cls, "get_config")
    return init_owner is not config_owner and issubclass(init_owner, config_owner)


def _recorded_arguments(cls, args, kwargs):
    """The constructor arguments, by name, if they are all plain JSON values; else None."""
    if not _config_needs_arguments(cls):
        return {}
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except TypeError:
        return None  # __init__ will raise the real error
    arguments = {}
    for name, value in list(bound.arguments.items())[1:]:
        kind = inspect.signature(cls.__init__).parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(value)
        elif kind is not inspect.Parameter.VAR_POSITIONAL:
            arguments[name] = value
    return arguments if all(_is_plain(v) for v in arguments.values()) else None


def _is_plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return not isinstance(value, float) or math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def unique_weight_name(taken):
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


def _as_float_leaf(value, keep_integers=False):
    return value if isbox(value) or type(value) is KerasTensor else as_float_input(value, keep_integers)


def as_float_input(inputs, keep_integers=False):
    """Convert a concrete input to an ndarray, casting numbers to float32 (integers too, unless
    ``keep_integers``: ids for an embedding, or a model's inputs on their way to one)."""
    inputs = numpy.asarray(inputs)
    if inputs.dtype != numpy.float32 and inputs.dtype.kind in "fiub":
        if not (keep_integers and inputs.dtype.kind in "iu"):
            inputs = inputs.astype(numpy.float32)
    return inputs
