"""The patient's daily tracking: check-ins, habits and their own evidence."""

from flask import Blueprint

bp = Blueprint("tracking", __name__)

# Importing the views registers them on bp.
from . import routes  # noqa: E402, F401
