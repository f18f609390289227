"""Forms for a person's own account."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, SelectField, SubmitField
from wtforms.validators import InputRequired, Length

from ..auth.forms import NewPasswordFields, timezone_choices
from ..forms import BaseForm


class ChangePasswordForm(NewPasswordFields):
    """The current password, then the new one twice."""

    current = PasswordField(
        "Current password", validators=[InputRequired("Please enter your current password."), Length(max=200)]
    )
    submit = SubmitField("Change password")


class TimezoneForm(BaseForm):
    """The time zone new weeks and check-in days follow."""

    timezone = SelectField("Your time zone", validators=[InputRequired("Please choose your time zone.")])
    submit = SubmitField("Save time zone")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class DeleteRequestForm(BaseForm):
    """A patient confirms they want everything deleted."""

    confirm = BooleanField(
        "I understand that my journal, answers, check-ins and questionnaires will be deleted for good.",
        validators=[InputRequired("Please tick the box to confirm.")],
    )
    submit = SubmitField("Ask for my data to be deleted")


class TurnOffFactorsForm(BaseForm):
    """A patient turns off the second step of signing in, with their password."""

    current = PasswordField(
        "Your password", validators=[InputRequired("Please enter your password."), Length(max=200)]
    )
    submit = SubmitField("Turn off the second step")


class ConfirmPasswordForm(BaseForm):
    """The person types their password again before changing how they sign in."""

    current = PasswordField(
        "Your password", validators=[InputRequired("Please enter your password."), Length(max=200)]
    )
    submit = SubmitField("Continue")
