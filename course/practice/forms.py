"""Forms of the any-day tools: each creates a row, so each carries a one-time key (KeyedForm)."""

from __future__ import annotations

from typing import Any

from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from ..forms import KeyedForm, choices
from .services import NOTE_MAX

SCALE = choices((v, str(v)) for v in range(11))
SURE = choices([("", "Choose")] + [(str(v), f"{v}%") for v in range(0, 101, 10)])


def _number(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        return -1  # refused by the range check, with its message


def _in_range(low: int, high: int, message: str):  # type: ignore[no-untyped-def]
    def check(_form: KeyedForm, field: Any) -> None:
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(message)

    return check


def _scale(label: str, *, required: str | None = None) -> RadioField:
    first = InputRequired(required) if required else Optional()
    return RadioField(
        label,
        choices=SCALE,
        coerce=_number,
        validate_choice=False,
        validators=[first, _in_range(0, 10, "Please choose a number from 0 to 10.")],
    )


def _text(label: str, required: str | None = None, **kw: Any) -> Any:
    validators: list[Any] = [InputRequired(required)] if required else [Optional()]
    validators.append(Length(max=NOTE_MAX, message=f"Please keep this to {NOTE_MAX:,} characters."))
    return kw.pop("field", TextAreaField)(label, validators=validators, **kw)


class PracticeLogForm(KeyedForm):
    """Fear before and after a somatic tracking practice, and what the patient noticed."""

    fear_before = _scale("Before you start")
    fear_after = _scale("Now, after the practice")
    note = _text("What did you notice? (optional)")
    submit = SubmitField("Save this practice")


class TryItForm(KeyedForm):
    """Before the activity: what it is, what the patient predicts, how bad, how sure (labels set per path)."""

    activity = _text(
        "What movement or activity will you try?", "Please say what you will try.", field=StringField
    )
    prediction = _text("What do you think will happen?", "Please write what you think will happen.")
    predicted = _scale("How bad do you think it will be?", required="Please choose a number from 0 to 10.")
    sure = SelectField(
        "How sure are you? (optional)",
        choices=SURE,
        coerce=_number,
        validate_choice=False,
        validators=[Optional(), _in_range(0, 100, "Please choose from 0% to 100%.")],
    )
    plan = _text("What will you tell your alarm while you do it? (optional)")
    submit = SubmitField("Save my prediction")


class CompareForm(KeyedForm):
    """After the activity: what happened and how bad it was."""

    outcome = _text("What happened?", "Please write what happened, in a few words.")
    actual = _scale("How bad was it?", required="Please choose a number from 0 to 10.")
    submit = SubmitField("Save what happened")


class ReappraisalForm(KeyedForm):
    """A pain thought, how much the patient believes it, their answer from their own evidence, and again."""

    thought = _text(
        "What is the pain thought?",
        "Please write the thought, in a few words.",
        description="For example: This means my back is damaged. Or: This will never get better.",
    )
    belief_before = SelectField(
        "How much do you believe it right now? (optional)",
        choices=SURE,
        coerce=_number,
        validate_choice=False,
        validators=[Optional(), _in_range(0, 100, "Please choose from 0% to 100%.")],
    )
    answer = _text(
        "What does your own evidence say?",
        "Please write an answer from your evidence.",
        description=(
            "Look at your clues on this page. For example: Last week it hurt more on a stressful day "
            "and less on a calm one. My alarm reacts to stress too."
        ),
    )
    belief_after = SelectField(
        "How much do you believe the thought now? (optional)",
        choices=SURE,
        coerce=_number,
        validate_choice=False,
        validators=[Optional(), _in_range(0, 100, "Please choose from 0% to 100%.")],
    )
    submit = SubmitField("Save")


class BoosterForm(KeyedForm):
    """A booster after the program: what helped, and what to keep practising."""

    what_helped = _text(
        "What has helped you most since the program?",
        "Please write what helped, in a few words.",
        description="For example: somatic tracking after breakfast, my evidence log, or pacing my days.",
    )
    practise = _text(
        "What will you keep practising? (optional)",
        description="Pick one or two things. Small and often is enough.",
    )
    submit = SubmitField("Save")


# The pacing path's wording for the same forms (post-exertional malaise): plan within energy, never more.
PACED_LABELS = {
    "activity": (
        "What activity will you plan?",
        "Pick something you already do, or part of it. This is not about doing more.",
    ),
    "prediction": (
        "What do you expect it will cost you?",
        "For example: I'll need to lie down after, or I'll feel foggy tomorrow.",
    ),
    "predicted": ("How much energy do you think it will take?", "0 is very little, 10 is all you have."),
    "plan": (
        "How will you keep it within your energy?",
        "For example: do half, sit down for it, rest before you feel worn out.",
    ),
    "outcome": (
        "How was your energy afterwards, and the next day?",
        "Notice any early signs that it was too much.",
    ),
    "actual": ("How much energy did it take?", "0 is very little, 10 is all you have."),
}
PACED_PLAN_REQUIRED = "Please write how you will keep it within your energy."


def use_paced_labels(form: TryItForm | CompareForm) -> None:
    """Word the form for the pacing path."""
    for name, (label, hint) in PACED_LABELS.items():
        if name in form:
            form[name].label.text = label
            form[name].description = hint
    if isinstance(form, TryItForm):
        form.submit.label.text = "Save my plan"
