"""The patient's side: home, the module path and the step player."""

from flask import Blueprint

bp = Blueprint("learn", __name__, url_prefix="/learn")

from . import routes  # noqa: E402,F401  (registers the views on bp)
