"""Forms shared across blueprints, and the base every form of the app derives from.

`BaseForm` is where the promise "no typed word is lost" lives for every form (course/keeping.py holds the
server side):
- every text a person types is normalised once, here, before anything validates or stores it (`clean_text`);
- a form whose CSRF token was refused never validates: the view shows it again with everything typed;
- a form shown again after the person's session ended (the words kept on the server) comes back filled in;
- a `KeyedForm` carries a one-time key, so a double submit or a second tab saves one copy.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from flask import g
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, SelectChoice, StringField, SubmitField

from .keeping import form_saved, kept_formdata
from .text import CleanTextMeta


def is_free_text(field: Field) -> bool:
    """A field a person types their own words into (not a password, not a hidden value)."""
    return isinstance(field, StringField) and not isinstance(field, PasswordField | HiddenField)


class BaseForm(FlaskForm):
    """The base of every form in the app (a test checks it)."""

    class Meta(CleanTextMeta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            wrapped = super().wrap_formdata(form, formdata)  # type: ignore[misc]
            if wrapped is None and formdata is not None:
                # Nothing was posted and the view did not choose the data (formdata=None): words kept from
                # a session that ended fill the form, where they were written (course/keeping.py).
                return kept_formdata(form)
            return wrapped

    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        """As Flask-WTF's, but never after the CSRF token was refused (the form is shown again instead), and a
        second submission of a keyed form stops the view (course/keeping.py answers it)."""
        if g.get("csrf_refused"):
            return False
        if not super().validate_on_submit(extra_validators):
            return False
        form_saved(self)
        return True


class KeyedForm(BaseForm):
    """A form whose submission creates something: its one-time key makes a double submit save one copy."""

    submission_key = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.submission_key.data:
            self.submission_key.data = secrets.token_urlsafe(16)


class EmptyForm(BaseForm):
    """A button-only form, so every state-changing POST still carries a CSRF token."""

    submit = SubmitField("Confirm")


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]
