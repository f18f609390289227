"""Forms for therapists."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField
from wtforms.validators import Email, Length, Optional


class InviteForm(FlaskForm):
    """Invite a patient; name and email are optional (the link can be handed over in person)."""

    patient_name = StringField(
        "Patient's name (optional)",
        description="Filled in for them on the sign-up page.",
        validators=[Length(max=120)],
    )
    email = EmailField(
        "Patient's email (optional)",
        description="If you give one, we email the link to the patient.",
        validators=[Optional(), Email("Please check the email address."), Length(max=254)],
    )
    submit = SubmitField("Create invite link")
