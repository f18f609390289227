"""Views for clinic admins: therapists (add, hand over and deactivate, reactivate), the audit trail, and
patients' deletions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as BaseResponse

from .. import clock, signins
from ..access import role_required
from ..account.services import delete_patient, deletion_due
from ..accounts import AccountError, create_user, set_active
from ..audit import record, record_views
from ..auth.flow import tell_about_change
from ..csvfile import csv_text
from ..db import get_db
from ..forms import EmptyForm
from ..mail import outbox_path, send_mail
from ..models import AuditEvent, Enrollment, Role, User
from ..second_factor import remove_all
from ..staffing import HandoverError, Notice, deactivate_therapist, hand_over, patient_count, successors
from .blueprint import bp
from .forms import AuditFilterForm, HandoverForm, ResetFactorForm, TherapistForm


@bp.get("/")
@role_required(Role.ADMIN)
def therapists() -> str:
    """Every therapist with their number of patients."""
    db = get_db()
    counts = dict(
        db.execute(
            select(Enrollment.therapist_id, func.count(Enrollment.id)).group_by(Enrollment.therapist_id)
        ).all()
    )
    people = db.scalars(select(User).where(User.role == Role.THERAPIST).order_by(User.display_name)).all()
    admins = db.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.display_name)).all()
    return render_template(
        "admin/therapists.html", therapists=people, admins=admins, counts=counts, action_form=EmptyForm()
    )


@bp.route("/therapists/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_therapist() -> BaseResponse | tuple[str, int]:
    """Add a therapist account."""
    form = TherapistForm(data={"timezone": current_app.config["COURSE_DEFAULT_TIMEZONE"]})
    status = 200
    if form.validate_on_submit():
        try:
            user = create_user(
                get_db(),
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                role=Role.THERAPIST,
                timezone=form.timezone.data,
                now=clock.now(),
            )
        except AccountError as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
            status = 422
        else:
            record(get_db(), current_user, None, "add_therapist", now=clock.now(), therapist_id=user.id)
            flash(
                f"{user.display_name} can now sign in as a therapist. At their first sign-in they set up a "
                "second step.",
                "success",
            )
            return redirect(url_for(".therapists"))
    elif form.is_submitted():
        status = 422
    return render_template("admin/new_therapist.html", form=form), status


@bp.post("/therapists/<int:user_id>/<any(deactivate, reactivate):action>")
@role_required(Role.ADMIN)
def set_therapist_active(user_id: int, action: str) -> BaseResponse:
    """Deactivate (cannot sign in; nothing deleted) or reactivate a therapist. A therapist who still follows
    patients is deactivated only with the handover (`handover`)."""
    db = get_db()
    user = _therapist_or_404(user_id)
    if EmptyForm().validate_on_submit():
        if action == "reactivate":
            set_active(user, True, clock.now())
            record(db, current_user, None, "reactivate_therapist", now=clock.now(), therapist_id=user.id)
            flash(f"{user.display_name} can sign in again.", "success")
            return redirect(url_for(".therapists"))
        try:
            deactivate_therapist(db, user, clock.now())
        except HandoverError as exc:
            record(
                db,
                current_user,
                None,
                "deactivate_therapist_refused",
                now=clock.now(),
                therapist_id=user.id,
                reason=str(exc),
            )
            flash(str(exc), "info")
            return redirect(url_for(".handover", user_id=user.id))
        record(db, current_user, None, "deactivate_therapist", now=clock.now(), therapist_id=user.id)
        flash(f"{user.display_name} can no longer sign in.", "success")
    return redirect(url_for(".therapists"))


def _therapist_or_404(user_id: int) -> User:
    user = get_db().get(User, user_id)
    if user is None or user.role != Role.THERAPIST:
        abort(404)
    return user


@bp.route("/therapists/<int:user_id>/handover", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def handover(user_id: int) -> BaseResponse | tuple[str, int]:
    """Hand a leaving therapist's patients to another therapist, then deactivate the leaving account. The
    patients and the new therapist are told by email and in the app."""
    db = get_db()
    leaving = _therapist_or_404(user_id)
    candidates = successors(db, leaving)
    form = HandoverForm([(t.id, f"{t.display_name} ({t.email})") for t in candidates])
    count = patient_count(db, leaving)
    if form.validate_on_submit():
        now = clock.now()
        successor = next((t for t in candidates if t.id == form.successor.data), None)
        if successor is None:
            form.successor.errors = ["Please choose one of the active therapists."]
        else:
            notices = hand_over(
                db,
                leaving,
                successor,
                now=now,
                base_url=current_app.config["COURSE_BASE_URL"],
                clinic=current_app.config["COURSE_CLINIC_NAME"],
            )
            if leaving.active:
                deactivate_therapist(db, leaving, now)
            record(
                db,
                current_user,
                None,
                "hand_over_patients",
                now=now,
                therapist_id=leaving.id,
                successor_id=successor.id,
                patients=count,
            )
            # Saved before anyone is told: a failing email cannot undo the handover, and nobody hears of
            # one that was not saved.
            db.commit()
            unsent = _send_notices(notices)
            flash(
                f"{successor.display_name} now follows {leaving.display_name}'s patients, and "
                f"{leaving.display_name} can no longer sign in.",
                "success",
            )
            if unsent:
                flash(
                    f"{unsent} of the emails telling them could not be sent. They see the change in the app.",
                    "error",
                )
            return redirect(url_for(".therapists"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/handover.html",
        leaving=leaving,
        form=form,
        count=count,
        candidates=candidates,
        action_form=EmptyForm(),
    ), status


def _send_notices(notices: list[Notice]) -> int:
    """Send each email; the number that could not be sent (each failure is logged, none stops the others)."""
    unsent = 0
    for notice in notices:
        try:
            send_mail(notice.to, notice.subject, notice.body)
        except Exception:
            current_app.logger.exception("an email about a handover could not be sent")
            unsent += 1
    return unsent


def _audit_query(form: AuditFilterForm) -> Select[Any]:
    stmt = select(AuditEvent).options(joinedload(AuditEvent.actor), joinedload(AuditEvent.patient))
    if form.actor.data:
        stmt = stmt.join(User, User.id == AuditEvent.actor_id).where(
            User.email.ilike(f"%{form.actor.data.strip()}%")
        )
    if form.patient.data:
        stmt = stmt.where(AuditEvent.patient_id == form.patient.data)
    if form.action.data:
        stmt = stmt.where(AuditEvent.action == form.action.data)
    if form.start.data:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(form.start.data, time(0), tzinfo=UTC))
    if form.end.data:
        stmt = stmt.where(
            AuditEvent.at < datetime.combine(form.end.data + timedelta(days=1), time(0), tzinfo=UTC)
        )
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit() -> tuple[str, int]:
    """The audit trail: who saw or changed what about which patient, with filters."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    db = get_db()
    events = db.scalars(_audit_query(form).limit(500)).all() if valid else []
    page = render_template("admin/audit.html", form=form, events=events)
    shown = [event.patient_id for event in events if event.patient_id is not None]
    record_views(db, current_user, "view_audit", shown, now=clock.now(), filters=_filters(form))
    return page, 200 if valid else 422


def _filters(form: AuditFilterForm) -> dict[str, str]:
    """The filters an admin used, for the audit trail's own record of who read it."""
    return {f.name: str(f.data) for f in form if f.name != "submit" and f.data not in (None, "")}


@bp.get("/audit.csv")
@role_required(Role.ADMIN)
def audit_csv() -> Response:
    """The filtered audit trail as CSV."""
    form = AuditFilterForm(request.args)
    if not form.validate():
        abort(400)
    db = get_db()
    events = db.scalars(_audit_query(form)).all()
    shown = [event.patient_id for event in events if event.patient_id is not None]
    record_views(db, current_user, "export_audit", shown, now=clock.now(), filters=_filters(form))
    rows: list[list[object]] = [["at_utc", "actor", "patient_id", "action", "detail"]]
    rows += [
        [
            event.at.isoformat(),
            event.actor.email if event.actor else "",
            event.patient_id,
            event.action,
            json.dumps(event.detail, ensure_ascii=False),
        ]
        for event in events
    ]
    return Response(
        csv_text(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@bp.get("/deletions")
@role_required(Role.ADMIN)
def deletions() -> str:
    """Patients who asked for their data to be deleted, and when each may be completed."""
    grace = int(current_app.config["COURSE_DELETION_GRACE_DAYS"])
    people = (
        get_db()
        .scalars(
            select(User).where(User.deletion_requested_at.is_not(None)).order_by(User.deletion_requested_at)
        )
        .all()
    )
    page = render_template(
        "admin/deletions.html",
        people=people,
        due=lambda u: deletion_due(u, grace),
        now=clock.now(),
        form=EmptyForm(),
    )
    record_views(get_db(), current_user, "view_deletions", [p.id for p in people], now=clock.now())
    return page


@bp.post("/deletions/<int:user_id>")
@role_required(Role.ADMIN)
def complete_deletion(user_id: int) -> BaseResponse:
    """Delete a patient and all their data once the grace period has passed."""
    db = get_db()
    patient = db.get(User, user_id)
    if patient is None or not patient.is_patient or patient.deletion_requested_at is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            delete_patient(
                db,
                patient,
                current_user,
                now=clock.now(),
                grace_days=int(current_app.config["COURSE_DELETION_GRACE_DAYS"]),
                outbox=outbox_path(),
            )
        except ValueError as exc:
            record(db, current_user, patient.id, "delete_patient_refused", now=clock.now(), reason=str(exc))
            flash(str(exc), "error")
        else:
            flash("The patient's data is deleted. The audit trail records that this happened.", "success")
    return redirect(url_for(".deletions"))


@bp.route("/staff/<int:user_id>/second-factor", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def reset_second_factor(user_id: int) -> BaseResponse | tuple[str, int]:
    """Reset a staff member's second factor (a lost phone): with a reason, audited; they set up a new one at
    their next sign-in, every sign-in of theirs ends, and they are told by email."""
    db = get_db()
    person = db.get(User, user_id)
    if person is None or person.is_patient or person.id == current_user.id:
        abort(404)
    form = ResetFactorForm()
    if form.validate_on_submit():
        now = clock.now()
        remove_all(db, person)
        signins.end_all(db, person.id)
        record(
            db,
            current_user,
            None,
            "reset_second_factor",
            now=now,
            staff_id=person.id,
            reason=form.reason.data,
        )
        tell_about_change(
            person, "Your second step was reset", "an admin reset the second step of your sign-in"
        )
        flash(f"{person.display_name} will set up a new second step at their next sign-in.", "success")
        return redirect(url_for(".therapists"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/reset_factor.html", person=person, form=form), status
