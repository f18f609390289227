"""The patient's daily tracking: check-ins, habits and their own evidence."""

# Importing the views registers them on bp.
from . import routes  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
