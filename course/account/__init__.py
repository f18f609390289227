"""A person's own account settings; a patient's export and deletion."""

# Importing the views registers them on bp.
from . import routes  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
