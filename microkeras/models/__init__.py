"""Models: ``Model`` (subclass it), ``Sequential``, and their (de)serialization helpers."""

from microkeras.models.functional import Functional
from microkeras.models.model import Model
from microkeras.models.sequential import Sequential, model_from_json

__all__ = ["Functional", "Model", "Sequential", "model_from_json"]
