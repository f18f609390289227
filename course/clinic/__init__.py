"""The therapist's side: their caseload and invites."""

from flask import Blueprint

bp = Blueprint("clinic", __name__, url_prefix="/clinic")

# Importing the views registers them on bp.
from . import routes  # noqa: E402, F401
