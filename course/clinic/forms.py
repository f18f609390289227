"""Forms for therapists."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from ..forms import BaseForm, KeyedForm

ASSESSMENT_STATEMENT = (
    "A clinician has assessed this person's pain as long-lasting, without a cause that needs other treatment"
)


class InviteForm(KeyedForm):
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
    assessed = BooleanField(
        ASSESSMENT_STATEMENT,
        description="Week 1 opens only once this is recorded. You can also record it later, on the "
        "patient's page.",
    )
    submit = SubmitField("Create invite link")


class OverrideForm(KeyedForm):
    """Open the next module now, pause or resume, with an optional reason kept in the record."""

    reason = StringField(
        "Reason (optional)", validators=[Length(max=500, message="Please keep it under 500 characters.")]
    )
    submit = SubmitField("Confirm")


class NoteForm(KeyedForm):
    """A private clinical note."""

    text = TextAreaField(
        "Private note",
        description="Only therapists see notes. The patient never does.",
        validators=[InputRequired("Please write the note first."), Length(max=5000)],
    )
    submit = SubmitField("Save note")


class AcknowledgeForm(BaseForm):
    """Acknowledge an alert, with what was done."""

    note = StringField("What you did (optional)", validators=[Length(max=1000)])
    submit = SubmitField("Acknowledge")


class AssessmentForm(BaseForm):
    """Record the clinical assessment that opens week 1."""

    confirm = BooleanField(
        ASSESSMENT_STATEMENT, validators=[InputRequired("Please tick the box to record the assessment.")]
    )
    submit = SubmitField("Record the assessment")


class FeedbackReplyForm(KeyedForm):
    """The therapist's reply to a patient's feedback moment."""

    text = TextAreaField(
        "Your reply",
        description="The patient sees it on the step and on their home page. What the step holds opens for "
        "them when you send it.",
        validators=[
            InputRequired("Please write your reply first."),
            Length(max=20000, message="Replies can be up to 20,000 characters."),
        ],
    )
    submit = SubmitField("Send reply")
