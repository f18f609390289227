"""Signing in and out, password reset, and joining through an invite."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Importing the views and the user loader registers them.
from . import factors, passkeys, routes, session  # noqa: E402, F401
