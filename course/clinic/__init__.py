"""The therapist's side: their caseload and invites."""

from flask import Blueprint

bp = Blueprint("clinic", __name__, url_prefix="/clinic")

from . import routes  # noqa: E402,F401  (registers the views on bp)
