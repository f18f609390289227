"""Forms for the journal."""

from __future__ import annotations

from wtforms import HiddenField, SearchField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length

from ..forms import BaseForm, KeyedForm
from .services import MAX_LENGTH


class EntryForm(KeyedForm):
    """Write or edit an entry. `key` makes a double submit harmless; `revision` catches a second tab."""

    text = TextAreaField(
        "Your entry",
        description=f"Write as much or as little as you like (up to {MAX_LENGTH:,} characters).",
    )
    revision = HiddenField()
    submit = SubmitField("Save entry")


class CommentForm(KeyedForm):
    """A therapist's reply to a shared entry."""

    text = TextAreaField(
        "Your reply", validators=[Length(max=5000, message="Replies can be up to 5,000 characters.")]
    )
    submit = SubmitField("Send reply")


class FilterForm(BaseForm):
    """Filter the journal list (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    module = SelectField("Module", choices=[], default="")
    q = SearchField("Search your journal", validators=[Length(max=200)])
    submit = SubmitField("Show")
