"""The patient's side: home, the module path and the step player."""

# Importing the views registers them on bp.
from . import routes  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
