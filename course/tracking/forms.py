"""The daily check-in form: large targets, nothing pre-filled for pain, under 30 seconds on a phone."""

from __future__ import annotations

from wtforms import RadioField, SelectField, SubmitField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from ..forms import BaseForm, KeyedForm, choices
from ..steps.fields import MultiCheckboxField
from .services import MOODS, NOTE_MAX


def _hours(value: object) -> float | None:
    if value in (None, ""):
        return None
    return float(str(value))


def _in_range(low: float, high: float, message: str):  # type: ignore[no-untyped-def]
    def check(_form: BaseForm, field: object) -> None:
        data = getattr(field, "data", None)
        if data is not None and not low <= data <= high:
            raise ValidationError(message)

    return check


SCALE = choices((v, str(v)) for v in range(11))
SLEEP = choices([("", "Choose")] + [(f"{h / 2:g}", f"{h / 2:g} hours") for h in range(0, 33)])


class CheckInForm(KeyedForm):
    """Pain now, last night's sleep, stress, mood, the habits practised today and an optional note."""

    pain = RadioField(
        "Pain right now",
        description="0 is no pain, 10 is the worst you can imagine.",
        choices=SCALE,
        coerce=lambda v: None if v in (None, "") else int(v),
        validate_choice=False,
        validators=[
            InputRequired("Please choose a number for your pain."),
            _in_range(0, 10, "Please choose 0 to 10."),
        ],
    )
    sleep_hours = SelectField(
        "Hours of sleep last night",
        choices=SLEEP,
        coerce=_hours,
        validate_choice=False,
        validators=[Optional(), _in_range(0, 16, "Please choose between 0 and 16 hours.")],
    )
    sleep_quality = RadioField(
        "How well did you sleep? (optional)",
        description="0 is very badly, 10 is very well.",
        choices=SCALE,
        coerce=lambda v: None if v in (None, "") else int(v),
        validate_choice=False,
        validators=[Optional(), _in_range(0, 10, "Please choose 0 to 10.")],
    )
    stress = RadioField(
        "Stress today (optional)",
        description="0 is none, 10 is the most you can imagine.",
        choices=SCALE,
        coerce=lambda v: None if v in (None, "") else int(v),
        validate_choice=False,
        validators=[Optional(), _in_range(0, 10, "Please choose 0 to 10.")],
    )
    mood = RadioField(
        "Mood (optional)",
        choices=choices(MOODS),
        validate_choice=False,
        validators=[Optional()],
    )
    habits = MultiCheckboxField("Habits you practised today", choices=[], validate_choice=False)
    note = TextAreaField(
        "A note (optional)",
        validators=[Length(max=NOTE_MAX, message=f"Please keep the note to {NOTE_MAX:,} characters.")],
    )
    submit = SubmitField("Save check-in")

    def validate_mood(self, field: RadioField) -> None:
        """Only the listed moods."""
        if field.data and field.data not in dict(MOODS):
            raise ValidationError("Please choose one of the moods shown.")
