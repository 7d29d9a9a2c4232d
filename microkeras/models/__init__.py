"""Models: ``Model`` (subclass it, or give it inputs and outputs), ``Sequential``, and their configs."""

from microkeras.models.configs import clone_model, model_from_json
from microkeras.models.functional import Functional
from microkeras.models.model import Model
from microkeras.models.sequential import Sequential
from microkeras.saving.saving_api import load_model  # noqa: E402 (saving builds on the model classes above)

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json"]
