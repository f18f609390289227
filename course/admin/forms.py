"""Forms for clinic admins."""

from __future__ import annotations

from wtforms import DateField, EmailField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from ..auth.forms import NewPasswordFields, timezone_choices
from ..forms import BaseForm, KeyedForm, choices


class TherapistForm(KeyedForm, NewPasswordFields):
    """A new therapist account; the admin sets a first password and hands it over."""

    display_name = StringField("Name", validators=[InputRequired("Please enter a name."), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Please enter an email."),
            Email("Please check the email address."),
            Length(max=254),
        ],
    )
    timezone = SelectField("Time zone", validators=[InputRequired("Please choose a time zone.")])
    submit = SubmitField("Add therapist")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class AuditFilterForm(BaseForm):
    """Filters for the audit trail (a GET form: nothing changes)."""

    class Meta:
        csrf = False

    actor = StringField("Who (email contains)", validators=[Optional(), Length(max=254)])
    patient = IntegerField(
        "Patient number", validators=[Optional(), NumberRange(min=1, message="A patient number.")]
    )
    action = StringField("Action", validators=[Optional(), Length(max=60)])
    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])
    submit = SubmitField("Show")


class ResetFactorForm(KeyedForm):
    """Why a staff member's second factor is reset: kept in the audit trail."""

    reason = StringField(
        "Why are you resetting it?",
        description="For example: they lost their phone, and you spoke to them on the phone today.",
        validators=[InputRequired("Please say why: the audit trail keeps it."), Length(max=300)],
    )
    submit = SubmitField("Reset their second step")


class HandoverForm(KeyedForm):
    """Who follows a leaving therapist's patients."""

    successor = SelectField(
        "Who follows these patients from now on",
        coerce=lambda value: int(value) if str(value).isdigit() else None,
        validators=[InputRequired("Please choose a therapist.")],
        validate_choice=False,  # checked against the active therapists when saving (a clear message)
    )
    submit = SubmitField("Hand over and deactivate")

    def __init__(self, candidates: list[tuple[int, str]], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.successor.choices = choices([("", "Choose a therapist"), *candidates])
