"""Forms for the journal."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SearchField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length

from .services import MAX_LENGTH


class EntryForm(FlaskForm):
    """Write or edit an entry. `key` makes a double submit harmless; `revision` catches a second tab."""

    text = TextAreaField(
        "Your entry",
        description=f"Write as much or as little as you like (up to {MAX_LENGTH:,} characters).",
    )
    key = HiddenField()
    revision = HiddenField()
    submit = SubmitField("Save entry")


class CommentForm(FlaskForm):
    """A therapist's reply to a shared entry."""

    text = TextAreaField(
        "Your reply", validators=[Length(max=5000, message="Replies can be up to 5,000 characters.")]
    )
    submit = SubmitField("Send reply")


class FilterForm(FlaskForm):
    """Filter the journal list (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    module = SelectField("Module", choices=[], default="")
    q = SearchField("Search your journal", validators=[Length(max=200)])
    submit = SubmitField("Show")
