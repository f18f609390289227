"""Views for therapists: the caseload and invites."""

from __future__ import annotations

from urllib.parse import urljoin

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from .. import clock
from ..access import enrollment_for_therapist, role_required
from ..audit import record
from ..content.model import Catalog
from ..db import get_db
from ..enrollment import create_invite
from ..journal.forms import CommentForm
from ..journal.services import JournalError, add_comment, is_unread, shared_entries
from ..learn.services import program_for
from ..mail import send_mail
from ..models import Enrollment, Invite, JournalEntry, Role
from . import bp
from .forms import InviteForm


@bp.get("/")
@role_required(Role.THERAPIST)
def caseload() -> str:
    """The therapist's own patients and where each one is."""
    db = get_db()
    now = clock.now()
    catalog: Catalog = current_app.extensions["course.catalog"]
    enrollments = db.scalars(
        select(Enrollment)
        .where(Enrollment.therapist_id == current_user.id)
        .options(joinedload(Enrollment.patient))
        .order_by(Enrollment.started_at.desc())
    ).all()
    rows = []
    for enrollment in enrollments:
        state = program_for(db, enrollment, catalog, now)
        open_modules = [m for m in state.modules if m.is_open]
        rows.append(
            {
                "enrollment": enrollment,
                "week": len(open_modules),
                "done": sum(m.steps_done for m in state.modules),
                "total": sum(m.steps_total for m in state.modules),
                "finished": state.finished,
            }
        )
    return render_template("clinic/caseload.html", rows=rows)


@bp.route("/invites", methods=["GET", "POST"])
@role_required(Role.THERAPIST)
def invites() -> Response | tuple[str, int]:
    """Create an invite link for a new patient, and see recent ones."""
    db = get_db()
    now = clock.now()
    form = InviteForm()
    new_link: str | None = None
    status = 200
    if form.validate_on_submit():
        invite, token = create_invite(
            db,
            current_user,
            patient_name=form.patient_name.data,
            email=form.email.data,
            now=now,
            days=int(current_app.config["COURSE_INVITE_DAYS"]),
        )
        new_link = urljoin(current_app.config["COURSE_BASE_URL"], url_for("auth.join", token=token))
        if invite.email:
            send_mail(
                invite.email,
                f"Your invitation from {current_user.display_name}",
                f"Hello{' ' + invite.patient_name if invite.patient_name else ''},\n\n"
                f"{current_user.display_name} has invited you to the pain program at "
                f"{current_app.config['COURSE_CLINIC_NAME']}.\n\nTo create your account, open this link "
                f"(it works once, within {current_app.config['COURSE_INVITE_DAYS']} days):\n\n{new_link}\n",
            )
        form = InviteForm(formdata=None)
    elif form.is_submitted():
        status = 422
    recent = db.scalars(
        select(Invite)
        .where(Invite.therapist_id == current_user.id)
        .options(joinedload(Invite.patient))
        .order_by(Invite.created_at.desc())
        .limit(50)
    ).all()
    return render_template(
        "clinic/invites.html", form=form, new_link=new_link, invites=recent, now=now
    ), status


@bp.get("/patients/<int:patient_id>")
@role_required(Role.THERAPIST)
def patient(patient_id: int) -> str:
    """One of the therapist's patients: progress through the program and shared journal entries."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    catalog: Catalog = current_app.extensions["course.catalog"]
    state = program_for(db, enrollment, catalog, now)
    entries = shared_entries(db, enrollment)
    record(db, current_user, patient_id, "view_patient", now=now)
    return render_template(
        "clinic/patient.html",
        enrollment=enrollment,
        state=state,
        catalog=catalog,
        entries=entries,
        is_unread=is_unread,
    )


@bp.get("/patients/<int:patient_id>/journal/<int:entry_id>")
@role_required(Role.THERAPIST)
def shared_entry(patient_id: int, entry_id: int) -> str:
    """A shared journal entry with the replies; reading it marks it read (and is audited)."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    entry = _shared_entry_or_404(enrollment, entry_id)
    entry.therapist_read_at = now
    record(db, current_user, patient_id, "read_shared_entry", now=now, entry_id=entry.id)
    return render_template("clinic/shared_entry.html", enrollment=enrollment, entry=entry, form=CommentForm())


@bp.post("/patients/<int:patient_id>/journal/<int:entry_id>/comment")
@role_required(Role.THERAPIST)
def comment(patient_id: int, entry_id: int) -> Response | tuple[str, int]:
    """Reply beside a shared entry; the patient sees it with the entry."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    entry = _shared_entry_or_404(enrollment, entry_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            add_comment(db, entry, current_user, form.text.data or "", now)
        except JournalError as exc:
            form.text.errors = [str(exc)]
        else:
            record(db, current_user, patient_id, "comment_shared_entry", now=now, entry_id=entry.id)
            flash("Your reply is saved. The patient will see it beside the entry.", "success")
            return redirect(url_for(".shared_entry", patient_id=patient_id, entry_id=entry_id))
    return render_template("clinic/shared_entry.html", enrollment=enrollment, entry=entry, form=form), 422


def _shared_entry_or_404(enrollment: Enrollment, entry_id: int) -> JournalEntry:
    entry = get_db().get(JournalEntry, entry_id)
    if entry is None or entry.patient_id != enrollment.patient_id or not entry.shared or entry.deleted_at:
        abort(404)
    return entry
