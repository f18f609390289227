"""Forms for signing in, resetting a password and joining."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask import current_app
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from ..accounts import password_problem
from ..forms import BaseForm, choices


@cache
def timezone_choices() -> list[SelectChoice]:
    """Every IANA zone, as (value, label) pairs for a select."""
    zones = sorted(name for name in available_timezones() if "/" in name or name == "UTC")
    return choices((name, name.replace("_", " ")) for name in zones)


def _new_password(_form: BaseForm, field: PasswordField) -> None:
    problem = password_problem(field.data or "", current_app.config.get("COURSE_PASSWORD_LIST"))
    if problem:
        raise ValidationError(problem)


EMAIL = [
    InputRequired("Please enter your email address."),
    Email("Please check the email address."),
    Length(max=254),
]


class LoginForm(BaseForm):
    """Email and password."""

    email = EmailField("Email", validators=EMAIL)
    password = PasswordField(
        "Password", validators=[InputRequired("Please enter your password."), Length(max=200)]
    )
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class ResetRequestForm(BaseForm):
    """Ask for a reset link."""

    email = EmailField("Email", validators=EMAIL)
    submit = SubmitField("Send me a link")


class NewPasswordFields(BaseForm):
    """A new password, typed twice."""

    password = PasswordField(
        "New password",
        description="At least 10 characters. A few words you will remember work well.",
        validators=[InputRequired("Please choose a password."), Length(max=200), _new_password],
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            InputRequired("Please type the password again."),
            EqualTo("password", "The passwords differ."),
        ],
    )


class ResetPasswordForm(NewPasswordFields):
    """Set a new password from a reset link."""

    submit = SubmitField("Save my new password")


class JoinForm(NewPasswordFields):
    """A patient joining through their therapist's invite."""

    display_name = StringField(
        "Your name",
        description="The name your therapist will see.",
        validators=[InputRequired("Please tell us your name."), Length(max=120)],
    )
    email = EmailField("Email", description="You will sign in with this.", validators=EMAIL)
    timezone = SelectField(
        "Your time zone",
        description="So that new weeks open at your midnight.",
        validators=[InputRequired("Please choose your time zone.")],
    )
    accept = BooleanField(
        "I have read what this program is and is not, and I want to take part.",
        validators=[InputRequired("Please tick this box to continue.")],
    )
    submit = SubmitField("Create my account")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()
