"""Forms of the conversation: a message (patient or therapist), a review, how often to review."""

from __future__ import annotations

from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..conversations import MAX_LENGTH, REVIEW_CHOICES
from ..forms import BaseForm, KeyedForm, choices

TOO_LONG = f"Please keep your message to {MAX_LENGTH:,} characters, or send it in two parts."


class MessageForm(KeyedForm):
    """A message in the conversation; its one-time key makes a double submit send one copy."""

    text = TextAreaField(
        "Your message",
        validators=[
            DataRequired("Please write your message first."),
            Length(max=MAX_LENGTH, message=TOO_LONG),
        ],
    )
    submit = SubmitField("Send message")


class ReviewForm(KeyedForm):
    """A review in one press: a short message to the patient (optional) and the review's time. Shown on the
    patient page beside other forms with a `text`, so it carries the prefix "review"."""

    text = TextAreaField(
        "A short message to the patient (optional)",
        description="They see it in their messages. Leave it empty to record the review only.",
        validators=[Optional(), Length(max=MAX_LENGTH, message=TOO_LONG)],
    )
    submit = SubmitField("Mark as reviewed")


class CadenceForm(BaseForm):
    """How often the therapist reviews this patient."""

    days = SelectField(
        "Review this patient", choices=choices(REVIEW_CHOICES.items()), coerce=int, validate_choice=True
    )
    submit = SubmitField("Save")


def review_form() -> ReviewForm:
    """The review form, with the prefix that tells it from the page's other forms."""
    return ReviewForm(prefix="review")


def cadence_form(days: int) -> CadenceForm:
    """The cadence form showing the patient's current choice."""
    return CadenceForm(prefix="cadence", data={"days": days})
