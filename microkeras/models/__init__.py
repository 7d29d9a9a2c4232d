"""Models: ``Sequential`` and its (de)serialization helpers."""

from microkeras.models.sequential import Sequential, model_from_json

__all__ = ["Sequential", "model_from_json"]
