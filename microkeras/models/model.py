"""``Model``: a layer with Keras's training API, the base of ``Sequential`` and of subclassed models.

Subclass it as in Keras 3: create layers in ``__init__`` as attributes and
write ``call``::

    class MLP(Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = Dense(32, activation="relu")
            self.out = Dense(10, activation="softmax")

        def call(self, inputs, training=False):
            return self.out(self.hidden(inputs))

It gets ``compile``, ``fit``, ``evaluate``, ``predict`` and ``summary``;
``train_step``, ``test_step`` and ``predict_step`` can be overridden.
``Model(inputs, outputs)`` makes a functional model instead
(:mod:`microkeras.models.functional`).
"""

import json

from microkeras.layers.layer import Layer, standardize_shape
from microkeras.models.trainer import Trainer
from microkeras.utils.summary import print_summary


class Model(Trainer, Layer):
    """A layer that can be compiled and trained.

    Parameters
    ----------
    name : str, optional
        Defaults to the snake-cased class name (``my_model``).
    trainable : bool
        Whether ``fit`` updates the weights.
    """

    _masks_reach_sublayers = True

    def __new__(cls, *args, **kwargs):
        if (args or "inputs" in kwargs or "outputs" in kwargs) and (cls is Model or _functional_arguments(args, kwargs)):
            from microkeras.models.functional import Functional  # Model(inputs, outputs): the functional API

            if cls is Model:
                return Functional.__new__(Functional, *args, **kwargs)
            if not issubclass(cls, Functional):  # CustomModel(inputs, outputs), keras.io's customizing-fit pattern
                variant = _functional_variant(cls, Functional)
                return variant.__new__(variant, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *, name=None, trainable=True, dtype=None, **kwargs):
        super().__init__(name=name, trainable=trainable, dtype=dtype, **kwargs)
        self._init_trainer()

    def call(self, inputs, training=None):
        raise NotImplementedError(f"Model {self.name!r}: a subclass of Model must implement `call(inputs)`.")

    # ---------------------------------------------------------------- layers
    @property
    def layers(self):
        """The layers this model holds directly, in attribute order."""
        return self._sublayers()

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by ``index`` into :attr:`layers`."""
        if (name is None) == (index is None):
            raise ValueError("get_layer: pass exactly one of `name` or `index`.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: `index` {index} is out of range; model {self.name!r} has "
                                 f"{len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r}. Layers: {[layer.name for layer in layers]}.")

    # ------------------------------------------------------------- build/shape
    def build(self, input_shape=None):
        """Build the model for inputs of ``input_shape`` (batch first) by calling it once on zeros.

        Override it to create weights or sublayers from the input shape, as in Keras.
        """
        if input_shape is None:
            raise ValueError(f"Model {self.name!r}: build() needs `input_shape` (batch dimension first), "
                             "e.g. model.build((None, 784)); or call the model on data.")
        shape = standardize_shape(input_shape, "input_shape")
        self.built, self._build_input_shape = True, shape
        self._output_shape = Layer.compute_output_shape(self, shape)

    @property
    def input_shape(self):
        return self._build_input_shape

    @property
    def output_shape(self):
        if not self.built:
            raise AttributeError(f"Model {self.name!r} is not built yet, so it has no output shape.")
        if getattr(self, "_output_shape", None) is None:
            self._output_shape = self.compute_output_shape(self._build_input_shape)
        return self._output_shape

    @property
    def input_names(self):
        return ["input_layer"]

    @property
    def output_names(self):
        return ["output_0"]

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """A model from its config; ``Model.from_config`` of a functional model's config (with
        ``input_layers`` and ``output_layers``) rebuilds the functional model, as in Keras 3."""
        if cls is Model and isinstance(config, dict) and "input_layers" in config and "output_layers" in config:
            from microkeras.models.functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
        return super().from_config(config)

    # ---------------------------------------------------------------- saving
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the whole model (architecture, weights, compile settings, optimizer state) to a
        ``.keras`` file in Keras 3's format, or to a legacy ``.h5`` file (see :func:`microkeras.saving.save_model`)."""
        from microkeras.saving import saving_api

        saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights (and optimizer state) to a ``.weights.h5`` file, in Keras 3's layout."""
        from microkeras.saving import saving_api

        saving_api.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=None):
        """Load weights from a ``.weights.h5``, ``.keras`` or legacy ``.h5`` file; a file that does not fit
        changes nothing (see :func:`microkeras.saving.load_weights`)."""
        from microkeras.saving import saving_api

        saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs):
        """The model's architecture as a JSON string (no weights); ``kwargs`` go to ``json.dumps``."""
        from microkeras.saving.object_registration import keras_module, keras_registered_name

        # Keras's module paths ("keras" for Sequential), so that keras.models.model_from_json reads it too.
        return json.dumps({"module": keras_module(type(self)), "class_name": type(self).__name__,
                           "config": self.get_config(), "registered_name": keras_registered_name(type(self))},
                          **kwargs)

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print Keras 3's summary table: layer, output shape, parameter count, totals."""
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)


def _functional_arguments(args, kwargs):
    """Whether a constructor call gives a graph: ``(inputs, outputs)`` of symbolic tensors."""
    from microkeras.layers.keras_tensor import flatten, is_symbolic

    given = list(args[:2]) + [kwargs[key] for key in ("inputs", "outputs") if key in kwargs]
    return len(given) == 2 and all(leaves and all(map(is_symbolic, leaves)) for leaves in map(flatten, given))


def _functional_variant(cls, functional):
    """``cls`` on top of the functional model, for a subclass of ``Model`` constructed from a graph
    (Keras 3 puts ``Functional`` into such a class's bases): its own methods (a custom
    ``train_step``) first, then ``Functional``'s; made once per class."""
    variant = cls.__dict__.get("_functional_variant")
    if variant is None:
        variant = type(cls.__name__, (cls, functional), {"__module__": cls.__module__,
                                                         "__qualname__": cls.__qualname__,
                                                         "__doc__": cls.__doc__})
        cls._functional_variant = variant
    return variant
