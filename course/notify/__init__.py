"""Notification preferences, one-click unsubscribe, and the therapist's in-app notifications."""

from flask import Blueprint

bp = Blueprint("notify", __name__, url_prefix="/notifications")

# Importing the views registers them on bp.
from . import routes  # noqa: E402, F401
