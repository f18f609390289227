"""Clinic admins: therapist accounts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Importing the views registers them on bp.
from . import routes  # noqa: E402, F401
