"""Forms shared across blueprints."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SubmitField


class EmptyForm(FlaskForm):
    """A button-only form, so every state-changing POST still carries a CSRF token."""

    submit = SubmitField("Confirm")


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]
