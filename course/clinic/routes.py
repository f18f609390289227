"""Views for therapists: the caseload and invites."""

from __future__ import annotations

from functools import partial
from urllib.parse import urljoin

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as BaseResponse

from .. import clock, extensions
from ..access import enrollment_for_therapist, role_required, therapist_may_see
from ..accounts import AccountError
from ..alerts import LABELS as ALERT_LABELS
from ..alerts import acknowledge, open_alerts
from ..assess.services import clear_to_continue, histories, screening_status, talking_therapies_reading
from ..audit import record, record_views
from ..auth.routes import safe_next
from ..content.model import Catalog
from ..db import get_db
from ..enrollment import create_invite, record_assessment, record_override
from ..forms import EmptyForm
from ..journal.forms import CommentForm
from ..journal.services import JournalError, add_comment, is_unread, mark_read
from ..learn.services import program_for
from ..mail import send_mail
from ..models import (
    Alert,
    AlertState,
    Enrollment,
    Invite,
    JournalEntry,
    OverrideKind,
    Role,
    StepProgress,
    StepStatus,
    User,
)
from ..tracking.routes import evidence_page
from . import summary
from .blueprint import bp
from .feedback import feedback_items
from .forms import AcknowledgeForm, AssessmentForm, InviteForm, NoteForm, OverrideForm
from .history import patient_history, program_of, shared_entries_with_replies, timeline
from .rows import table_rows
from .services import FILTERS, add_note, caseload_csv, latest_scores
from .services import caseload as caseload_rows

# A new invite's link, kept in the session from the save until the page shows it once.
NEW_INVITE_LINK = "new_invite_link"


@bp.get("/")
@role_required(Role.THERAPIST)
def caseload() -> str:
    """The therapist's patients, most in need first, with filters, search and pages."""
    catalog: Catalog = extensions.catalog()
    kind = request.args.get("show", "all")
    kind = kind if kind in FILTERS else "all"
    query = (request.args.get("q") or "")[:100]
    db = get_db()
    now = clock.now()
    shown = summary.page(db, current_user, catalog, now, kind, query, request.args.get("page", type=int) or 1)
    page = render_template(
        "clinic/caseload.html",
        rows=shown.lines,
        total=shown.total,
        matching=shown.matching,
        show=kind,
        q=query,
        page=shown.page,
        pages=shown.pages,
        filters=FILTERS,
        # Each row links to the conversation with a patient who is silent, stalled or waiting for a reply.
        caseload_rows=partial(
            table_rows, write_url=url_for("messages.patient_conversation", patient_id=0)[:-1]
        ),
    )
    # After the page is written, as for the patient page: the insert holds SQLite's write lock until commit.
    record_views(db, current_user, "view_caseload", [line.patient_id for line in shown.lines], now=now)
    return page


@bp.get("/export.csv")
@role_required(Role.THERAPIST)
def export_caseload() -> Response:
    """Progress and latest measures per patient as CSV; `deidentified=1` swaps names for stable pseudonyms."""
    db = get_db()
    now = clock.now()
    catalog: Catalog = extensions.catalog()
    rows = caseload_rows(db, current_user, catalog, now)
    deidentified = request.args.get("deidentified") == "1"
    scores = latest_scores(db, [r.enrollment.id for r in rows])
    body = caseload_csv(rows, scores, deidentified=deidentified, secret=current_app.config["SECRET_KEY"])
    patients = [row.enrollment.patient_id for row in rows]
    record_views(db, current_user, "export_caseload", patients, now=now, deidentified=deidentified)
    name = "caseload-deidentified.csv" if deidentified else "caseload.csv"
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/alerts")
@role_required(Role.THERAPIST)
def alerts() -> str:
    """The alert inbox: open alerts, most serious and newest first, then recently acknowledged ones."""
    db = get_db()
    mine = select(Enrollment.id).where(Enrollment.therapist_id == current_user.id)
    base = (
        select(Alert)
        .where(Alert.enrollment_id.in_(mine))
        .options(joinedload(Alert.enrollment).joinedload(Enrollment.patient))
    )
    open_ = db.scalars(
        base.where(Alert.state == AlertState.OPEN).order_by(Alert.severity, Alert.created_at.desc())
    )
    done = db.scalars(
        base.where(Alert.state == AlertState.ACKNOWLEDGED).order_by(Alert.acknowledged_at.desc()).limit(20)
    )
    open_alerts, done_alerts = list(open_), list(done)
    page = render_template(
        "clinic/alerts.html",
        open_alerts=open_alerts,
        done=done_alerts,
        labels=ALERT_LABELS,
        ack_forms=acknowledge_forms(open_alerts),
    )
    shown = [alert.enrollment.patient_id for alert in open_alerts + done_alerts]
    record_views(db, current_user, "view_alerts", shown, now=clock.now())
    return page


def acknowledge_forms(alerts: list[Alert]) -> dict[int, AcknowledgeForm]:
    """One acknowledge form per alert; the prefix keeps each one's note its own (ids, kept text)."""
    return {alert.id: AcknowledgeForm(prefix=f"alert-{alert.id}") for alert in alerts}


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=["GET", "POST"])
@role_required(Role.THERAPIST)
def acknowledge_alert(alert_id: int) -> BaseResponse | tuple[str, int]:
    """Acknowledge an alert with an optional note of what was done (the form is also on its own page)."""
    db = get_db()
    alert = db.get(Alert, alert_id)
    if alert is None or not therapist_may_see(current_user, alert.enrollment):
        abort(404)
    form = AcknowledgeForm(prefix=f"alert-{alert.id}")
    if form.validate_on_submit():
        acknowledge(db, alert, by=current_user, now=clock.now(), note=form.note.data)
        record(
            db,
            current_user,
            alert.enrollment.patient_id,
            "acknowledge_alert",
            now=clock.now(),
            alert_id=alert.id,
        )
        flash("Alert acknowledged.", "success")
        return redirect(safe_next(request.args.get("next")) or url_for(".alerts"))
    page = render_template("clinic/acknowledge.html", alert=alert, form=form, labels=ALERT_LABELS)
    record(db, current_user, alert.enrollment.patient_id, "view_alert", now=clock.now(), alert_id=alert.id)
    return page, 422 if form.is_submitted() else 200


@bp.route("/invites", methods=["GET", "POST"])
@role_required(Role.THERAPIST)
def invites() -> BaseResponse | tuple[str, int]:
    """Create an invite link for a new patient, and see recent ones."""
    db = get_db()
    now = clock.now()
    form = InviteForm()
    # Shown once, on the page the save redirects to (post, redirect, get: a double submit invites once).
    new_link = session.pop(NEW_INVITE_LINK, None) if request.method == "GET" else None
    status = 200
    if form.validate_on_submit():
        invite, token = create_invite(
            db,
            current_user,
            patient_name=form.patient_name.data,
            email=form.email.data,
            now=now,
            days=int(current_app.config["COURSE_INVITE_DAYS"]),
            assessed=bool(form.assessed.data),
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
        session[NEW_INVITE_LINK] = new_link
        return redirect(url_for(".invites"))
    if form.is_submitted():
        status = 422
    recent = db.scalars(
        select(Invite)
        .where(Invite.therapist_id == current_user.id)
        .options(joinedload(Invite.patient))
        .order_by(Invite.created_at.desc())
        .limit(50)
    ).all()
    page = render_template("clinic/invites.html", form=form, new_link=new_link, invites=recent, now=now)
    joined = [invite.patient_id for invite in recent if invite.patient_id is not None]
    record_views(db, current_user, "view_invites", joined, now=now)
    return page, status


@bp.get("/patients/<int:patient_id>")
@role_required(Role.THERAPIST)
def patient(patient_id: int) -> str:
    """One patient: alerts, progress, timeline, charts, shared entries, and the therapist's actions.

    A fixed number of statements however long the patient's history (see course/clinic/history.py)."""
    db = get_db()
    now = clock.now()
    # The patient with their enrollment in one statement (`enrollment_for_therapist` would need a second one
    # for the patient); who may see it is decided as everywhere, by `therapist_may_see`.
    person = db.get(User, patient_id)
    enrollment = person.enrollment if person is not None else None
    if enrollment is None or not therapist_may_see(current_user, enrollment):
        abort(404)
    catalog: Catalog = extensions.catalog()
    history = patient_history(db, enrollment)
    alerts_open = open_alerts(db, [enrollment.id])
    measure_histories = histories(db, enrollment, extensions.measures(), extensions.schedule())
    page = render_template(
        "clinic/patient.html",
        enrollment=enrollment,
        state=program_of(history, enrollment, catalog, now),
        catalog=catalog,
        entries=shared_entries_with_replies(db, enrollment),
        is_unread=is_unread,
        events=timeline(history, catalog),
        feedback=feedback_items(history, catalog),
        histories=measure_histories,
        talking_therapies=talking_therapies_reading(measure_histories),
        screening=screening_status(enrollment),
        open_alerts=alerts_open,
        labels=ALERT_LABELS,
        pacing_forms=pacing_forms(),
        note_form=NoteForm(),
        ack_forms=acknowledge_forms(alerts_open),
        assessment_form=AssessmentForm(),
        **evidence_page(enrollment.patient, 4),
    )
    # Recorded once the page is written: the insert holds SQLite's write lock until the commit, and other
    # requests writing would otherwise wait for the whole page.
    record(db, current_user, patient_id, "view_patient", now=now)
    return page


@bp.get("/patients/<int:patient_id>/work")
@role_required(Role.THERAPIST)
def work(patient_id: int) -> str:
    """The patient's answers to the steps they completed, as each kind of step reads them to a therapist
    (journal steps only through shared entries)."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    catalog: Catalog = extensions.catalog()
    done = {
        (p.module_slug, p.step_id): p.answers or {}
        for p in db.scalars(
            select(StepProgress).where(
                StepProgress.enrollment_id == enrollment.id, StepProgress.status == StepStatus.COMPLETE
            )
        )
    }
    readings = []
    for module in catalog.modules:
        answered = []
        for step in module.steps:
            reading = step.reading(done[module.slug, step.id]) if (module.slug, step.id) in done else None
            if reading is not None:
                answered.append((step, reading))
        if answered:
            readings.append((module, answered))
    record(db, current_user, patient_id, "view_work", now=now)
    return render_template("clinic/work.html", enrollment=enrollment, readings=readings)


PACING_ACTIONS = ("unlock", "pause", "resume")


def pacing_forms() -> dict[str, OverrideForm]:
    """A form per pacing action; the prefix keeps each one's reason its own."""
    return {action: OverrideForm(prefix=action) for action in PACING_ACTIONS}


@bp.route("/patients/<int:patient_id>/<any(unlock, pause, resume):action>", methods=["GET", "POST"])
@role_required(Role.THERAPIST)
def pacing_action(patient_id: int, action: str) -> BaseResponse | tuple[str, int]:
    """Open the next module now, pause or resume the program; recorded with who, when and why."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    form = OverrideForm(prefix=action)
    if form.validate_on_submit():
        kind = {
            "unlock": OverrideKind.UNLOCK_NEXT,
            "pause": OverrideKind.PAUSE,
            "resume": OverrideKind.RESUME,
        }[action]
        catalog: Catalog = extensions.catalog()
        if kind == OverrideKind.UNLOCK_NEXT and program_for(db, enrollment, catalog, now).next_locked is None:
            flash("Every module is already open.", "info")
            return redirect(url_for(".patient", patient_id=patient_id))
        try:
            record_override(db, enrollment, kind, by=current_user, now=now, reason=form.reason.data)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            record(db, current_user, patient_id, f"pacing_{action}", now=now)
            messages = {
                "unlock": "The next module is open now.",
                "pause": "The program is paused.",
                "resume": "The program is running again.",
            }
            flash(messages[action], "success")
        return redirect(url_for(".patient", patient_id=patient_id))
    page = render_template("clinic/pacing.html", enrollment=enrollment, action=action, form=form)
    record(db, current_user, patient_id, "view_pacing_form", now=now, pacing=action)
    return page, 422 if form.is_submitted() else 200


@bp.route("/patients/<int:patient_id>/note", methods=["GET", "POST"])
@role_required(Role.THERAPIST)
def note(patient_id: int) -> BaseResponse | tuple[str, int]:
    """Save a private clinical note; it appears in the timeline (the form is also on its own page)."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    form = NoteForm()
    if form.validate_on_submit():
        add_note(db, enrollment, current_user, form.text.data or "", now)
        record(db, current_user, patient_id, "add_note", now=now)
        flash("Note saved.", "success")
        return redirect(url_for(".patient", patient_id=patient_id, _anchor="timeline"))
    record(db, current_user, patient_id, "view_note_form", now=now)
    return render_template("clinic/note.html", enrollment=enrollment, form=form), (
        422 if form.is_submitted() else 200
    )


@bp.get("/patients/<int:patient_id>/journal/<int:entry_id>")
@role_required(Role.THERAPIST)
def shared_entry(patient_id: int, entry_id: int) -> str:
    """A shared journal entry with the replies (audited). Opening it changes nothing: it counts as read once
    the therapist says so ("Mark as read") or replies."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    entry = _shared_entry_or_404(enrollment, entry_id)
    record(db, current_user, patient_id, "read_shared_entry", now=now, entry_id=entry.id)
    return _shared_entry_page(enrollment, entry, CommentForm())


def _shared_entry_page(enrollment: Enrollment, entry: JournalEntry, form: CommentForm) -> str:
    return render_template(
        "clinic/shared_entry.html",
        enrollment=enrollment,
        entry=entry,
        form=form,
        unread=is_unread(entry),
        read_form=EmptyForm(),
    )


@bp.post("/patients/<int:patient_id>/journal/<int:entry_id>/read")
@role_required(Role.THERAPIST)
def mark_entry_read(patient_id: int, entry_id: int) -> BaseResponse:
    """Mark a shared entry as read, so the unread counts (caseload, digest) stop counting it."""
    db = get_db()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    entry = _shared_entry_or_404(enrollment, entry_id)
    if EmptyForm().validate_on_submit():
        mark_read(entry, clock.now())
        flash("Marked as read.", "success")
        return redirect(url_for(".patient", patient_id=patient_id, _anchor="shared"))
    return redirect(url_for(".shared_entry", patient_id=patient_id, entry_id=entry_id))


@bp.post("/patients/<int:patient_id>/journal/<int:entry_id>/comment")
@role_required(Role.THERAPIST)
def comment(patient_id: int, entry_id: int) -> BaseResponse | tuple[str, int]:
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
    return _shared_entry_page(enrollment, entry, form), 422


def _shared_entry_or_404(enrollment: Enrollment, entry_id: int) -> JournalEntry:
    entry = get_db().get(JournalEntry, entry_id)
    if entry is None or entry.patient_id != enrollment.patient_id or not entry.shared or entry.deleted_at:
        abort(404)
    return entry


@bp.post("/patients/<int:patient_id>/clear")
@role_required(Role.THERAPIST)
def clear(patient_id: int) -> BaseResponse:
    """Clear a patient whose screening raised red flags to start, once they have been checked by a doctor."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    if OverrideForm().validate_on_submit() and enrollment.red_flags and enrollment.cleared_at is None:
        clear_to_continue(db, enrollment, current_user, now)
        record(db, current_user, patient_id, "clear_red_flags", now=now)
        flash("The patient can start the program now.", "success")
    return redirect(url_for(".patient", patient_id=patient_id))


@bp.post("/patients/<int:patient_id>/assessment")
@role_required(Role.THERAPIST)
def assessment(patient_id: int) -> BaseResponse:
    """Record that a clinician assessed the patient's pain as fitting the program: week 1 can open."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    form = AssessmentForm()
    if not form.validate_on_submit():
        flash("Please tick the box to record the assessment. Nothing was recorded.", "error")
        return redirect(url_for(".patient", patient_id=patient_id, _anchor="assessment"))
    if record_assessment(enrollment, current_user, now):
        record(db, current_user, patient_id, "record_assessment", now=now)
        flash(
            "The assessment is recorded. Week 1 opens for the patient once they have answered the safety "
            "questions.",
            "success",
        )
    return redirect(url_for(".patient", patient_id=patient_id))
