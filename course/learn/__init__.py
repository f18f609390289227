"""The patient's side: home, the module path and the step player."""

from flask import Blueprint

bp = Blueprint("learn", __name__, url_prefix="/learn")

# Importing the views registers them on bp.
from . import routes  # noqa: E402, F401
