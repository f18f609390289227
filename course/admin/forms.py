"""Forms for clinic admins."""

from __future__ import annotations

from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from ..auth.forms import NewPasswordFields, timezone_choices


class TherapistForm(NewPasswordFields):
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
