"""The patient's reflection journal."""

from flask import Blueprint

bp = Blueprint("journal", __name__, url_prefix="/journal")

# Importing the views registers them on bp.
from . import routes  # noqa: E402, F401
