"""Default names: snake_case class names made unique with a counter (Keras: ``keras/src/utils/naming.py``)."""

import collections
import re


def to_snake_case(name):
    """``'MaxPooling2D'`` -> ``'max_pooling2d'``, ``'BatchNormalization'`` -> ``'batch_normalization'``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


_name_counts = collections.Counter()


def unique_name(base):
    """Keras-style unique names: ``dense``, ``dense_1``, ``dense_2``, ..."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def clear_session():
    """Reset the automatic layer and model names (Keras: ``keras.backend.clear_session``)."""
    _name_counts.clear()
