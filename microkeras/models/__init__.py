"""Models: ``Model`` (subclass it), ``Sequential``, and their (de)serialization helpers."""

from microkeras.models.model import Model
from microkeras.models.sequential import Sequential, model_from_json

__all__ = ["Model", "Sequential", "model_from_json"]
