"""Messages between a patient and their therapist, and the therapist's review of each patient (the services
are in course/conversations.py)."""

from __future__ import annotations

# Importing the views registers them on bp.
from . import routes  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
