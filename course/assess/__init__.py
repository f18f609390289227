"""Safety screening and outcome measures for patients."""

from flask import Blueprint

bp = Blueprint("assess", __name__)

# Importing the views registers them on bp.
from . import routes  # noqa: E402, F401
