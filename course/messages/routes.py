"""Views of the conversation between a patient and their therapist, and of the therapist's reviews: load
(404 for anyone else's patient), check access, call a service (course/conversations.py), render or redirect.

Opening a conversation changes nothing: messages count as read when their reader presses "Mark as read" or
writes back. A therapist's view of a conversation is audited, as the patient page is. Admins see no message.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import clock
from ..access import current_enrollment, enrollment_for_therapist, role_required
from ..audit import record, record_views
from ..conversations import (
    REVIEW_CHOICES,
    MessageError,
    Sent,
    conversations,
    mark_read,
    record_review,
    review_due_at,
    send,
    set_review_days,
    thread,
)
from ..db import get_db
from ..extensions import limiter
from ..forms import EmptyForm
from ..models import Enrollment, Role
from ..templating import show_crisis_help
from .blueprint import bp
from .forms import CadenceForm, MessageForm, cadence_form, review_form


def _sender_key() -> str:
    """Messages sent are counted per account (a clinic's patients may share one address)."""
    if current_user.is_authenticated:
        return f"messages:{current_user.id}"
    return f"messages-address:{request.remote_addr or ''}"


def _sent(response: Response) -> bool:
    return 300 <= response.status_code < 400


# Only messages that went out count: a refused message (too long, empty) can be corrected and sent again.
send_limit = limiter.shared_limit(
    lambda: str(current_app.config["COURSE_MESSAGE_LIMIT"]),
    scope="messages-sent",
    key_func=_sender_key,
    methods=["POST"],
    deduct_when=_sent,
)


def _after_send(sent: Sent | None) -> None:
    if sent is not None and sent.crisis:
        show_crisis_help("words")


@bp.app_template_global()
def reply_days() -> int:
    """The clinic's stated response time, in working days (COURSE_REPLY_DAYS)."""
    return int(current_app.config["COURSE_REPLY_DAYS"])


@bp.route("", methods=["GET", "POST"])
@send_limit
@role_required(Role.PATIENT)
def conversation() -> Response | tuple[str, int]:
    """The patient's conversation with their therapist, and a message to send."""
    db = get_db()
    enrollment = current_enrollment()
    form = MessageForm()
    if form.validate_on_submit():
        try:
            sent = send(db, enrollment, current_user, form.text.data, now=clock.now())
        except MessageError as exc:
            form.text.errors = [str(exc)]
        else:
            _after_send(sent)
            flash("Your message is sent.", "success")
            return redirect(url_for(".conversation", _anchor="main" if sent.crisis else "latest"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "messages/conversation.html",
        enrollment=enrollment,
        messages=thread(db, enrollment),
        form=form,
        read_form=EmptyForm(),
        waiting=current_user.unread_messages,
    ), status


@bp.post("/read")
@role_required(Role.PATIENT)
def mark_conversation_read() -> Response:
    """The patient has read their therapist's messages (their therapist sees the receipt)."""
    enrollment = current_enrollment()
    if EmptyForm().validate_on_submit() and mark_read(get_db(), enrollment, current_user, now=clock.now()):
        flash("Marked as read.", "success")
    return redirect(url_for(".conversation"))


@bp.get("/patients")
@role_required(Role.THERAPIST)
def inbox() -> str:
    """The therapist's conversations, those waiting for a reply first (names and counts, no words)."""
    db = get_db()
    found = conversations(db, current_user)
    page = render_template("messages/inbox.html", conversations=found)
    record_views(db, current_user, "view_conversations", [c.patient_id for c in found], now=clock.now())
    return page


def _therapist_page(enrollment: Enrollment, form: MessageForm, **more: Any) -> str:
    db = get_db()
    now = clock.now()
    page = render_template(
        "messages/therapist.html",
        enrollment=enrollment,
        messages=thread(db, enrollment),
        form=form,
        read_form=EmptyForm(),
        review_due=review_due_at(enrollment),
        now=now,
        **more,
    )
    record(db, current_user, enrollment.patient_id, "view_messages", now=now)
    return page


@bp.route("/patients/<int:patient_id>", methods=["GET", "POST"])
@send_limit
@role_required(Role.THERAPIST)
def patient_conversation(patient_id: int) -> Response | tuple[str, int]:
    """A conversation with one of the therapist's own patients (audited), and a message to send."""
    db = get_db()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    form = MessageForm()
    if form.validate_on_submit():
        now = clock.now()
        try:
            send(db, enrollment, current_user, form.text.data, now=now)
        except MessageError as exc:
            form.text.errors = [str(exc)]
        else:
            record(db, current_user, patient_id, "send_message", now=now)
            flash("Your message is sent. The patient's messages so far count as read.", "success")
            return redirect(url_for(".patient_conversation", patient_id=patient_id, _anchor="latest"))
    return _therapist_page(enrollment, form), 422 if form.is_submitted() else 200


@bp.post("/patients/<int:patient_id>/read")
@role_required(Role.THERAPIST)
def mark_patient_read(patient_id: int) -> Response:
    """The therapist has read the patient's messages: the caseload's "waiting" signal goes, and the patient
    sees the receipt."""
    db = get_db()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    if EmptyForm().validate_on_submit():
        now = clock.now()
        if mark_read(db, enrollment, current_user, now=now):
            record(db, current_user, patient_id, "read_messages", now=now)
            flash("Marked as read.", "success")
    return redirect(url_for(".patient_conversation", patient_id=patient_id))


@bp.route("/patients/<int:patient_id>/review", methods=["GET", "POST"])
@send_limit
@role_required(Role.THERAPIST)
def review(patient_id: int) -> Response | tuple[str, int]:
    """Review a patient in one press: a short message to them (optional) and the review's time. The form is
    on the patient page too; this page shows it again when something needs changing."""
    db = get_db()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    form = review_form()
    if form.validate_on_submit():
        now = clock.now()
        try:
            sent = record_review(db, enrollment, current_user, form.text.data, now=now)
        except MessageError as exc:
            form.text.errors = [str(exc)]
        else:
            record(db, current_user, patient_id, "review_patient", now=now, message=sent is not None)
            flash("Review recorded." + (" Your message is sent." if sent else ""), "success")
            return redirect(url_for("clinic.patient", patient_id=patient_id))
    now = clock.now()
    page = render_template(
        "messages/review.html",
        enrollment=enrollment,
        form=form,
        cadence=cadence_form(enrollment.review_days),
        review_due=review_due_at(enrollment),
        choices=REVIEW_CHOICES,
        now=now,
    )
    record(db, current_user, patient_id, "view_review_form", now=now)
    return page, 422 if form.is_submitted() else 200


@bp.post("/patients/<int:patient_id>/cadence")
@role_required(Role.THERAPIST)
def cadence(patient_id: int) -> Response:
    """Choose how often to review this patient (weekly by default)."""
    db = get_db()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    form = CadenceForm(prefix="cadence")
    if form.validate_on_submit() and form.days.data in REVIEW_CHOICES:
        set_review_days(enrollment, int(form.days.data))
        record(db, current_user, patient_id, "set_review_cadence", now=clock.now(), days=form.days.data)
        flash(f"Saved: {REVIEW_CHOICES[int(form.days.data)].lower()}.", "success")
    else:
        flash("Please choose how often to review this patient. Nothing was changed.", "error")
    return redirect(url_for("clinic.patient", patient_id=patient_id, _anchor="review"))


@bp.app_template_global()
def review_panel(enrollment: Enrollment) -> dict[str, Any]:
    """What the therapist's patient page shows of messages and reviews (clinic/_messages_panel.html), read
    from the enrollment the page loaded, so the page runs no statement more."""
    return {
        "review_form": review_form(),
        "cadence_form": cadence_form(enrollment.review_days),
        "review_due": review_due_at(enrollment),
        "choices": REVIEW_CHOICES,
        "now": clock.now(),
    }
