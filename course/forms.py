"""Forms shared across blueprints."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField


class EmptyForm(FlaskForm):
    """A button-only form, so every state-changing POST still carries a CSRF token."""

    submit = SubmitField("Confirm")
