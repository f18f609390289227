"""Views for therapists: the caseload and invites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urljoin

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
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
from ..tracking.routes import evidence_view
from ..tracking.services import day_records_between, local_today
from . import summary
from .blueprint import bp
from .desk import glance
from .feedback import feedback_items
from .forms import AcknowledgeForm, AssessmentForm, InviteForm, NoteForm, OverrideForm
from .history import (
    ENTRIES_SHOWN,
    PRINT_ENTRIES,
    TIMELINE_KINDS,
    chosen_kinds,
    own_notes,
    pacing_history,
    program_of,
    shared_entries_with_replies,
    timeline_page,
)
from .rows import table_rows
from .services import FILTERS, add_note, caseload_csv, latest_scores
from .services import caseload as caseload_rows

# A new invite's link, kept in the session from the save until the page shows it once.
NEW_INVITE_LINK = "new_invite_link"


# The caseload's filter and sort, remembered in the session so the page opens as the therapist left it.
# Not the name searched for: a patient's name does not belong in a cookie.
CASELOAD_VIEW = "caseload_view"
SORT_LABELS = {
    "need": "most in need first",
    "name": "by name",
    "week": "by week",
    "progress": "by steps done",
    "active": "by last activity",
    "checkins": "by check-ins in 7 days",
    "pain": "by pain this week",
    "unread": "by unread entries",
    "alerts": "by open alerts",
}


def _caseload_view() -> tuple[str, str]:
    """The filter and sort the address asks for; the caseload's plain address (no query at all, as the menu
    links it) brings back the ones chosen last. What is chosen is remembered, the session written only when
    it changes, so paging or searching does not rewrite the cookie."""
    remembered = session.get(CASELOAD_VIEW) or {}
    source = request.args if request.args else remembered
    kind = source.get("show")
    sort = source.get("sort")
    kind = kind if kind in FILTERS else "all"
    sort = sort if sort and sort.lstrip("-") in summary.SORTS else "need"
    chosen = {"show": kind, "sort": sort}
    if ("show" in request.args or "sort" in request.args) and remembered != chosen:
        if chosen == {"show": "all", "sort": "need"}:
            session.pop(CASELOAD_VIEW, None)
        else:
            session[CASELOAD_VIEW] = chosen
    return kind, sort


@bp.get("/")
@role_required(Role.THERAPIST)
def caseload() -> str:
    """The therapist's patients, most in need first unless sorted otherwise, with filters, search and pages.
    The filter and sort chosen last are remembered."""
    catalog: Catalog = extensions.catalog()
    kind, sort = _caseload_view()
    query = (request.args.get("q") or "")[:100]
    db = get_db()
    now = clock.now()
    number = request.args.get("page", type=int) or 1
    shown = summary.page(db, current_user, catalog, now, kind, query, number, sort)
    page = render_template(
        "clinic/caseload.html",
        rows=shown.lines,
        total=shown.total,
        matching=shown.matching,
        show=kind,
        sort=sort,
        sort_label=SORT_LABELS[sort.lstrip("-")] + (", reversed" if sort.startswith("-") else ""),
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


PAGE_TIMELINE = 20  # events on the patient page; the timeline's own page shows more


def _patient_or_404(db: Session, patient_id: int) -> tuple[User, Enrollment]:
    """The patient and their enrollment, read in one statement (`enrollment_for_therapist` would need a
    second one for the patient); who may see it is decided as everywhere, by `therapist_may_see`. The view
    holds on to the patient: the session keeps objects only while they are referenced, and the enrollment's
    `patient` would otherwise be read again."""
    person = db.get(User, patient_id)
    enrollment = person.enrollment if person is not None else None
    if person is None or enrollment is None or not therapist_may_see(current_user, enrollment):
        abort(404)
    return person, enrollment


def _desk(
    db: Session, patient: User, enrollment: Enrollment, catalog: Catalog, now: datetime, unread: int
) -> dict[str, Any]:
    """What the patient page and its print view both show: the pacing state, open alerts, questionnaires,
    the check-in charts and the glance built from them (five statements)."""
    pacing_rows = pacing_history(db, enrollment)
    state = program_of(pacing_rows, enrollment, catalog, now)
    alerts_open = open_alerts(db, [enrollment.id])
    measure_histories = histories(db, enrollment, extensions.measures(), extensions.schedule())
    today = local_today(patient, now)
    records = day_records_between(db, patient, today - timedelta(days=83), today)
    feedback = feedback_items(pacing_rows, catalog)
    waiting_since = [item.asked_at for item in feedback if item.replied_at is None]
    at_a_glance = glance(
        enrollment,
        state,
        pacing_rows,
        catalog,
        records,
        alerts_open,
        unread,
        measure_histories,
        waiting_since,
        now,
        today,
    )
    return {
        "enrollment": enrollment,
        "state": state,
        "catalog": catalog,
        "glance": at_a_glance,
        "histories": measure_histories,
        "talking_therapies": talking_therapies_reading(measure_histories),
        "feedback": feedback,
        "open_alerts": alerts_open,
        "labels": ALERT_LABELS,
        **evidence_view(records, today, 4),
    }


@bp.get("/patients/<int:patient_id>")
@role_required(Role.THERAPIST)
def patient(patient_id: int) -> str:
    """One patient: at a glance (status, alerts, what waits, trends, questionnaires) with the actions beside
    progress, measures, check-ins, shared entries and the last two weeks of the timeline.

    A fixed number of statements however long the patient's history (see course/clinic/history.py)."""
    db = get_db()
    now = clock.now()
    person, enrollment = _patient_or_404(db, patient_id)
    catalog: Catalog = extensions.catalog()
    shared = shared_entries_with_replies(db, enrollment)
    desk = _desk(db, person, enrollment, catalog, now, shared.unread)
    screening = screening_status(enrollment)
    page = render_template(
        "clinic/patient.html",
        **desk,
        entries=shared.entries,
        entries_shown=ENTRIES_SHOWN,
        is_unread=is_unread,
        timeline=timeline_page(db, enrollment, catalog, now, limit=PAGE_TIMELINE),
        timeline_kinds=TIMELINE_KINDS,
        screening=screening,
        # Each form only where the page shows it.
        override_form=OverrideForm() if screening == "blocked" else None,
        pacing_forms=pacing_forms(desk["state"].next_locked is not None, enrollment.paused),
        note_form=NoteForm(),
        ack_forms=acknowledge_forms(desk["open_alerts"]),
        assessment_form=AssessmentForm() if enrollment.assessed_at is None else None,
    )
    # Recorded once the page is written: the insert holds SQLite's write lock until the commit, and other
    # requests writing would otherwise wait for the whole page.
    record_views(db, current_user, "view_patient", [patient_id], now=now)
    return page


def _until(text: str | None) -> datetime | None:
    """The `until` of a timeline page from its query parameter (an ISO time; UTC when it names no zone), or
    None (the latest page) when it is missing or not a time."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@bp.get("/patients/<int:patient_id>/timeline")
@role_required(Role.THERAPIST)
def timeline(patient_id: int) -> str:
    """The patient's timeline, two weeks a page, newest first, filtered by kind (one statement, audited)."""
    db = get_db()
    now = clock.now()
    person, enrollment = _patient_or_404(db, patient_id)
    catalog: Catalog = extensions.catalog()
    shown = timeline_page(
        db,
        enrollment,
        catalog,
        now,
        kinds=chosen_kinds(request.args.getlist("kind")),
        until=_until(request.args.get("until")),
    )
    page = render_template(
        "clinic/timeline.html",
        patient=person,
        enrollment=enrollment,
        timeline=shown,
        timeline_kinds=TIMELINE_KINDS,
    )
    record_views(db, current_user, "view_timeline", [patient_id], now=now)
    return page


@bp.get("/patients/<int:patient_id>/print")
@role_required(Role.THERAPIST)
def print_view(patient_id: int) -> str:
    """One A4 page to prepare a session: the glance, the questionnaires, what the patient shared since the
    last session and the therapist's own latest notes (audited like the patient page).

    "The last session" is the therapist's latest clinical note on this patient: a note is what a therapist
    writes after seeing someone. Before their first note, every shared entry counts (the newest few)."""
    db = get_db()
    now = clock.now()
    person, enrollment = _patient_or_404(db, patient_id)
    catalog: Catalog = extensions.catalog()
    notes = own_notes(db, enrollment, current_user)
    since = notes[0].created_at if notes else None
    shared = shared_entries_with_replies(db, enrollment, PRINT_ENTRIES, since)
    page = render_template(
        "clinic/print.html",
        **_desk(db, person, enrollment, catalog, now, shared.unread),
        entries=[entry for entry, _ in shared.entries],
        notes=notes,
        since=since,
        now=now,
    )
    record_views(db, current_user, "print_patient", [patient_id], now=now)
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


def pacing_forms(locked_next: bool, paused: bool) -> dict[str, OverrideForm]:
    """A form per pacing action the patient page offers now (opening the next module while one is locked,
    and pause or resume); the prefix keeps each one's reason its own."""
    shown: tuple[str, ...] = ("unlock",) if locked_next else ()
    shown += ("resume",) if paused else ("pause",)
    return {action: OverrideForm(prefix=action) for action in shown}


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
