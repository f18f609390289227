"""Forms for signing in, resetting a password and joining."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

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


def _new_password(form: BaseForm, field: PasswordField) -> None:
    """The password's strength, judged with the person's name and email (from the form, or set by the view
    as `password_context`) as things an attacker would try first."""
    context = [str(form[name].data or "") for name in ("display_name", "email") if name in form]
    context += list(getattr(form, "password_context", ()))
    problem = password_problem(field.data or "", context)
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
    remember = BooleanField(
        "Keep me signed in on this device",
        description="For patients. Staff are always signed out after 12 hours, or 30 minutes idle.",
    )
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


class CodeForm(BaseForm):
    """The second step of signing in: a code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        validators=[InputRequired("Please type the code."), Length(max=40)],
    )
    submit = SubmitField("Continue")


class TotpSetupForm(BaseForm):
    """Confirm an authenticator app by typing the code it shows."""

    code = StringField(
        "The 6-digit code the app shows",
        validators=[InputRequired("Please type the code the app shows."), Length(max=20)],
    )
    submit = SubmitField("Turn it on")
