"""The therapist's side: their caseload and invites."""

# Importing the views registers them on bp.
from . import feedback, routes  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
