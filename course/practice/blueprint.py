"""The blueprint its views register on (apart from the package, which imports the views: no import circle)."""

from flask import Blueprint

bp = Blueprint("practice", __name__, url_prefix="/practice")
