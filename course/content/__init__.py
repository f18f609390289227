"""The program as data: load and validate `modules/`, render its Markdown. No Flask here."""

from .loader import ContentError, Problem, load_catalog
from .model import Catalog, Module, Step

__all__ = ["Catalog", "ContentError", "Module", "Problem", "Step", "load_catalog"]
