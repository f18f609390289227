"""Signing in and out, password reset, and joining through an invite."""

# Importing the views and the user loader registers them.
from . import factors, passkeys, routes, session  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
