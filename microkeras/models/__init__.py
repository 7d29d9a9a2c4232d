"""Models: ``Model`` (subclass it, or give it inputs and outputs), ``Sequential``, and their configs."""

from microkeras.models.configs import clone_model, model_from_json
from microkeras.models.functional import Functional
from microkeras.models.model import Model
from microkeras.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "clone_model", "model_from_json"]
