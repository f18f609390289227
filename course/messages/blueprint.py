"""The blueprint its views register on (apart from the package, which imports the views: no import circle)."""

from flask import Blueprint

bp = Blueprint("messages", __name__, url_prefix="/messages")
