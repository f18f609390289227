"""Safety screening and outcome measures for patients."""

# Importing the views registers them on bp.
from . import routes  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
