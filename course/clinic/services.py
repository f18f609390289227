"""The therapist's workspace: the caseload (a fixed number of queries, whatever its size) and the actions a
therapist takes. Triage rules live in course/triage.py; a patient's timeline in course/clinic/history.py."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, literal, select, union_all
from sqlalchemy.orm import Session, joinedload

from .._zones import zone_of
from ..content.model import Catalog
from ..conversations import review_due_at
from ..csvfile import csv_text
from ..journal.services import unread_in_sql
from ..models import (
    Alert,
    AlertState,
    CaseloadEntry,
    CheckIn,
    ClinicalNote,
    Enrollment,
    FeedbackRequest,
    JournalEntry,
    MeasureResponse,
    Message,
    ProgramOverride,
    StepProgress,
    StepStatus,
    User,
)
from ..pacing import OverrideEvent, ProgramState, local_midnight_after, program_state
from ..triage import (
    FEEDBACK_COUNTED_AFTER,
    SILENT_AFTER,
    STALLED_AFTER,
    PatientActivity,
    Signal,
    signals,
    sort_key,
)

SAFETY_KINDS = ("crisis", "red_flag")
DAY = timedelta(days=1)
FILTERS = ("all", "alerts", "inactive", "finished", "paused")
PAGE_SIZE = 50


@dataclass
class CaseRow:
    """One patient on the caseload, with what the therapist needs at a glance."""

    enrollment: Enrollment
    state: ProgramState
    week: int
    module_title: str
    steps_done: int
    steps_total: int
    last_active: datetime | None
    checkins_7d: int
    pain_week: float | None
    pain_change: float | None  # this week's mean minus the mean of the first 7 check-ins
    unread: int
    open_alerts: int
    signals: list[Signal] = field(default_factory=list)
    fresh_until: datetime | None = None  # the first moment this row could change without any write
    version: int | None = None  # of the stored row this was computed for (None: there is none)

    @property
    def finished(self) -> bool:
        """Every module done."""
        return self.state.finished

    @property
    def name(self) -> str:
        """The patient's display name."""
        return self.enrollment.patient.display_name

    @property
    def patient_id(self) -> int:
        """The patient's user id."""
        return self.enrollment.patient_id

    @property
    def paused(self) -> bool:
        """Whether the therapist paused the program."""
        return self.enrollment.paused


def caseload(
    db: Session,
    therapist: User,
    catalog: Catalog,
    now: datetime,
    where: ColumnElement[bool] | None = None,
) -> list[CaseRow]:
    """Every patient of this therapist (or those matching `where`, which may test their `CaseloadEntry`),
    most in need first (safety, worsening, stalled or silent, rest), each with the moment its row could next
    change by time alone. Three queries, whatever the caseload's size."""
    chosen = Enrollment.therapist_id == therapist.id
    if where is not None:
        chosen = and_(chosen, where)
    # Per patient, in one query: the enrollment, its stored row's version, unread shares, open alerts and
    # the pain baseline (mean of the first 7 check-ins), as correlated subqueries on indexed columns.
    unread_shares = (
        select(func.count(JournalEntry.id))
        .where(JournalEntry.patient_id == Enrollment.patient_id, unread_in_sql())
        .scalar_subquery()
    )
    open_alerts = Alert.enrollment_id == Enrollment.id, Alert.state == AlertState.OPEN
    alert_count = select(func.count(Alert.id)).where(*open_alerts).scalar_subquery()
    safety_count = (
        select(func.count(Alert.id)).where(*open_alerts, Alert.kind.in_(SAFETY_KINDS)).scalar_subquery()
    )
    first_week = (
        select(CheckIn.pain)
        .where(CheckIn.patient_id == Enrollment.patient_id)
        .order_by(CheckIn.day)
        .limit(7)
        .correlate(Enrollment)
        .subquery()
    )
    baseline_mean = select(func.avg(first_week.c.pain)).scalar_subquery()
    waiting_messages = (
        select(func.count(Message.id))
        .where(
            Message.enrollment_id == Enrollment.id,
            Message.from_patient.is_(True),
            Message.read_at.is_(None),
        )
        .scalar_subquery()
    )
    loaded = db.execute(
        select(
            Enrollment,
            CaseloadEntry.version,
            unread_shares,
            alert_count,
            safety_count,
            baseline_mean,
            waiting_messages,
        )
        .outerjoin(CaseloadEntry, CaseloadEntry.enrollment_id == Enrollment.id)
        .where(chosen)
        .options(joinedload(Enrollment.patient))
    ).all()
    if not loaded:
        return []
    enrollment_ids = [row[0].id for row in loaded]
    patient_ids = [row[0].patient_id for row in loaded]
    # Per module: how many steps are done and when the last one was (steps open in order, so the done steps
    # are the module's first ones), and in the same query every pacing override.
    done_per_module: dict[int, list[tuple[str, int, datetime]]] = defaultdict(list)
    overrides: dict[int, list[OverrideEvent]] = defaultdict(list)
    progress = select(
        literal("step").label("what"),
        StepProgress.enrollment_id,
        StepProgress.module_slug.label("name"),
        func.count(StepProgress.id).label("n"),
        func.max(StepProgress.completed_at).label("at"),
    ).where(StepProgress.enrollment_id.in_(enrollment_ids), StepProgress.status == StepStatus.COMPLETE)
    pacing = select(
        literal("override"),
        ProgramOverride.enrollment_id,
        cast(ProgramOverride.kind, String),
        literal(0),
        ProgramOverride.at,
    ).where(ProgramOverride.enrollment_id.in_(enrollment_ids))
    # And the feedback moments: those waiting for a reply (since when), and the replies (the pacing policy
    # lets go at them), each named "module step".
    feedback_key = FeedbackRequest.module_slug.concat(literal(" ")).concat(FeedbackRequest.step_id)
    asked = select(
        literal("asked"), FeedbackRequest.enrollment_id, feedback_key, literal(0), FeedbackRequest.asked_at
    ).where(FeedbackRequest.enrollment_id.in_(enrollment_ids), FeedbackRequest.replied_at.is_(None))
    replied = select(
        literal("replied"),
        FeedbackRequest.enrollment_id,
        feedback_key,
        literal(0),
        FeedbackRequest.replied_at,
    ).where(FeedbackRequest.enrollment_id.in_(enrollment_ids), FeedbackRequest.replied_at.is_not(None))
    events: list[Any] = list(
        db.execute(
            union_all(
                progress.group_by(StepProgress.enrollment_id, StepProgress.module_slug),
                pacing,
                asked,
                replied,
            )
        )
    )
    waiting: dict[int, list[datetime]] = defaultdict(list)
    replies: dict[int, dict[tuple[str, str], datetime]] = defaultdict(dict)
    for what, enrollment_id, name, count, at in events:
        if at is None:
            continue
        if what == "step":
            done_per_module[enrollment_id].append((name, int(count), _as_utc(at)))
        elif what == "asked":
            waiting[enrollment_id].append(_as_utc(at))
        elif what == "replied":
            module_slug, step_id = name.split(" ", 1)
            replies[enrollment_id][(module_slug, step_id)] = _as_utc(at)
        else:
            overrides[enrollment_id].append(OverrideEvent(name, _as_utc(at)))
    # Check-ins of the last 22 UTC days cover every patient's last 21 local days.
    recent: dict[int, dict[date, float]] = defaultdict(dict)
    since = (now - timedelta(days=22)).date()
    for patient_id, day, pain in db.execute(
        select(CheckIn.patient_id, CheckIn.day, CheckIn.pain).where(
            CheckIn.patient_id.in_(patient_ids), CheckIn.day >= since
        )
    ):
        recent[patient_id][day] = float(pain)
    added_modules = {slug for path in ("standard", "pacing") for slug, _ in catalog.added(path)}
    added_done = _added_module_completions(db, added_modules, enrollment_ids)
    outlines = {path: catalog.outline(path) for path in ("standard", "pacing")}
    step_keys = {
        path: {slug: tuple((slug, step) for step in steps) for slug, steps in outline}
        for path, outline in outlines.items()
    }
    rows = []
    for enrollment, version, unread, total, safety, first, unread_messages in loaded:
        patient = enrollment.patient
        tz = zone_of(patient)
        today = now.astimezone(tz).date()
        path = "pacing" if enrollment.pem else "standard"
        outline = outlines[path]
        done = _completions(step_keys[path], done_per_module.get(enrollment.id, []))
        if added_modules:  # those modules' steps by their own times (`_added_module_completions`)
            done = {key: at for key, at in done.items() if key[0] not in added_modules}
            done.update(added_done.get(enrollment.id, {}))
        state = program_state(
            outline,
            enrollment.started_at,
            tz,
            catalog.pace_days,
            done,
            overrides.get(enrollment.id, []),
            now,
            catalog.feedback_holds(path),
            replies.get(enrollment.id, {}),
            catalog.feedback_days,
            added=catalog.added(path),
        )
        open_modules = [m for m in state.modules if m.is_open]
        working = next((m for m in state.modules if m.is_open and not m.is_done), None)
        current = working or (open_modules[-1] if open_modules else None)
        module = catalog.module(current.slug) if current else None
        pains = {
            d: p for d, p in recent.get(patient.id, {}).items() if today - timedelta(days=20) <= d <= today
        }
        week = [p for d, p in pains.items() if d > today - timedelta(days=7)]
        pain_week = round(sum(week) / len(week), 1) if week else None
        last_step = None
        if working is not None:
            in_module = [at for (slug, _), at in done.items() if slug == working.slug]
            last_step = max(in_module) if in_module else None
        row = CaseRow(
            enrollment=enrollment,
            state=state,
            week=module.week if module else 0,
            module_title=module.title if module else "",
            steps_done=sum(m.steps_done for m in state.modules),
            steps_total=sum(m.steps_total for m in state.modules),  # offered steps (`added:`) not counted
            last_active=enrollment.last_active_at,
            checkins_7d=len(week),
            pain_week=pain_week,
            pain_change=round(pain_week - float(first), 1)
            if pain_week is not None and first is not None
            else None,
            unread=int(unread or 0),
            open_alerts=int(total or 0),
            version=version,
        )
        row.signals = signals(
            PatientActivity(
                enrolled_at=enrollment.started_at,
                last_active_at=row.last_active,
                current_module_opened_at=working.opened_at if working else None,
                last_step_completed_at=last_step,
                daily_pain=pains,
                open_safety_alerts=int(safety or 0),
                unread_shares=row.unread,
                finished=state.finished,
                paused=enrollment.paused,
                awaiting_assessment=enrollment.assessed_at is None,
                feedback_waiting=len(waiting.get(enrollment.id, ())),
                feedback_since=min(waiting[enrollment.id]) if waiting.get(enrollment.id) else None,
                waiting_messages=int(unread_messages or 0),
                review_due_at=review_due_at(enrollment),
            ),
            now,
            today,
        )
        # Everything above changes by time alone only when the local day turns (pain windows, module
        # openings), when the patient falls silent or stalls, and then each whole day ("Silent for 9 days").
        opened = working.opened_at if working else None
        moments = [(row.last_active or enrollment.started_at, SILENT_AFTER)]
        moments += [(m, STALLED_AFTER) for m in (opened, last_step) if m is not None]
        # A feedback moment waiting: its day count ("Feedback waiting, 2 days"), and the moment it lets go
        # without a reply (the week shown may change then).
        asked_at = waiting.get(enrollment.id, [])
        if asked_at:
            moments.append((min(asked_at), FEEDBACK_COUNTED_AFTER))
        lets_go = [at + timedelta(days=catalog.feedback_days) for at in asked_at]
        # And when the therapist's next review falls due ("Review due").
        due = review_due_at(enrollment)
        row.fresh_until = min(
            [local_midnight_after(now, 1, tz)]
            + [_next_day_counted(m, after, now) for m, after in moments]
            + [at for at in lets_go if at > now]
            + ([due] if due > now else [])
        )
        rows.append(row)
    rows.sort(key=lambda r: sort_key(r.signals, r.name))
    return rows


def _next_day_counted(since: datetime, after: timedelta, now: datetime) -> datetime:
    """The first moment after `now` when a whole number of days, `after` or more, will have passed since
    `since`: when a day count starting at `after` ("Silent for 7 days") appears or changes."""
    return since + max(after // DAY, (now - since) // DAY + 1) * DAY


def _added_module_completions(
    db: Session, modules: set[str], enrollment_ids: list[int]
) -> dict[int, dict[tuple[str, str], datetime]]:
    """Each step's own completion time in the modules that have a step added later (`added:`): whether it
    is waived, and when its module was finished, depend on them (pacing.waived_steps), where the counts per
    module give only the first steps. One query, only when the program has such steps."""
    found: dict[int, dict[tuple[str, str], datetime]] = defaultdict(dict)
    if not modules:
        return found
    for enrollment_id, slug, step_id, at in db.execute(
        select(
            StepProgress.enrollment_id,
            StepProgress.module_slug,
            StepProgress.step_id,
            StepProgress.completed_at,
        ).where(
            StepProgress.enrollment_id.in_(enrollment_ids),
            StepProgress.status == StepStatus.COMPLETE,
            StepProgress.module_slug.in_(sorted(modules)),
        )
    ):
        if at is not None:
            found[enrollment_id][(slug, step_id)] = _as_utc(at)
    return found


def _completions(
    keys: dict[str, tuple[tuple[str, str], ...]], per_module: list[tuple[str, int, datetime]]
) -> dict[tuple[str, str], datetime]:
    """Completion times for the pacing policy from per-module counts: the first `count` steps, by `latest`."""
    found: dict[tuple[str, str], datetime] = {}
    for slug, count, latest in per_module:
        found.update(dict.fromkeys(keys.get(slug, ())[:count], latest))
    return found


def _as_utc(value: Any) -> datetime:
    """An aggregate loses the column type on SQLite; values come back as naive UTC (or text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def add_note(db: Session, enrollment: Enrollment, therapist: User, text: str, now: datetime) -> ClinicalNote:
    """A private clinical note (never shown to the patient)."""
    note = ClinicalNote(
        enrollment_id=enrollment.id, author_id=therapist.id, text=text.strip(), created_at=now
    )
    db.add(note)
    db.flush()
    return note


def pseudonym(secret: str, patient_id: int) -> str:
    """A stable pseudonymous id for de-identified exports (the same patient gets the same id each time)."""
    digest = hmac.new(secret.encode(), f"patient:{patient_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:10]}"


def caseload_csv(
    rows: list[CaseRow], scores: dict[int, dict[str, float]], *, deidentified: bool, secret: str
) -> str:
    """Progress and latest measures per patient, with names or with stable pseudonyms."""
    measure_ids = sorted({m for per in scores.values() for m in per})
    header = ["patient"] + ([] if deidentified else ["email"])
    header += [
        "started",
        "week",
        "steps_done",
        "steps_total",
        "finished",
        "paused",
        "checkins_7d",
        "pain_week",
        "pain_change",
        "open_alerts",
    ] + [f"latest_{m}" for m in measure_ids]
    table: list[Sequence[object]] = [header]
    for row in rows:
        patient = row.enrollment.patient
        ident = [pseudonym(secret, patient.id)] if deidentified else [patient.display_name, patient.email]
        started = (
            row.enrollment.started_at.date().isoformat()
            if not deidentified
            else row.enrollment.started_at.strftime("%Y-%m")
        )
        table.append(
            ident
            + [
                started,
                row.week,
                row.steps_done,
                row.steps_total,
                row.finished,
                row.enrollment.paused,
                row.checkins_7d,
                row.pain_week,
                row.pain_change,
                row.open_alerts,
            ]
            + [scores.get(row.enrollment.id, {}).get(m) for m in measure_ids]
        )
    return csv_text(table)


def latest_scores(db: Session, enrollment_ids: list[int]) -> dict[int, dict[str, float]]:
    """The most recent complete score per measure per enrollment (one query)."""
    result: dict[int, dict[str, float]] = defaultdict(dict)
    if not enrollment_ids:
        return result
    for enrollment_id, measure, score, _ in db.execute(
        select(
            MeasureResponse.enrollment_id,
            MeasureResponse.measure_id,
            MeasureResponse.score,
            MeasureResponse.completed_at,
        )
        .where(MeasureResponse.enrollment_id.in_(enrollment_ids), MeasureResponse.complete.is_(True))
        .order_by(MeasureResponse.completed_at)
    ):
        if score is not None:
            result[enrollment_id][measure] = score
    return result
