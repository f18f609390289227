"""A patient's history for the therapist's patient page, in a fixed number of statements however long it is:
the timeline, the pacing state and the shared entries.

One UNION ALL statement reads every completed step and every pacing override (the pacing policy needs them
all; the program and the therapist's actions bound them) and, for each kind that grows day by day (check-ins,
shared entries, questionnaires, notes, alerts raised, alerts acknowledged, messages), only its newest
`limit` rows:
the newest `limit` events overall are always among those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    CompoundSelect,
    Date,
    Float,
    Integer,
    Select,
    String,
    bindparam,
    case,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from ..alerts import LABELS
from ..content.model import Catalog
from ..conversations import EXCERPT
from ..learn.services import policy_for
from ..models import (
    Alert,
    CheckIn,
    ClinicalNote,
    Comment,
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
from ..pacing import OverrideEvent, OverrideKindName, ProgramState

TIMELINE_LIMIT = 60


class HistoryRow(NamedTuple):
    """One row of `patient_history`. What `key`, `detail`, `who`, `day` and `value` hold depends on `kind`."""

    kind: str  # step, checkin, shared, measure, override, note, alert, acknowledged (an alert), message,
    # feedback (a feedback moment finished: key module, detail step), replied (the therapist's reply to it)
    at: datetime
    id: int  # of the row in its own table (the journal entry for `shared`, the alert for `acknowledged`)
    key: str | None  # step: module slug; measure: measure id; override, alert: its kind; message: who wrote
    # step: step id; override: reason; note: its text; acknowledged: the therapist's note; message: its start
    detail: str | None
    # override, note, acknowledged, message: the writer's name (None once the account is gone)
    who: str | None
    day: date | None  # checkin: its day
    value: float | None  # checkin: pain; measure: score; message: 1 while its reader has not read it


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened, for the patient's timeline."""

    at: datetime
    kind: str
    text: str
    entry_id: int | None = None  # a shared journal entry to link to


def _select(
    kind: str,
    at: Any,
    id_: Any,
    *,
    key: Any = None,
    detail: Any = None,
    who: Any = None,
    day: Any = None,
    value: Any = None,
) -> Select[Any]:
    """A select with the columns of `HistoryRow`; missing columns are typed NULLs (for PostgreSQL)."""
    return select(
        literal_column(f"'{kind}'", String).label("kind"),
        at.label("at"),
        id_.label("id"),
        (sql_cast(null(), String) if key is None else key).label("key"),
        (sql_cast(null(), String) if detail is None else detail).label("detail"),
        (sql_cast(null(), String) if who is None else who).label("who"),
        (sql_cast(null(), Date) if day is None else day).label("day"),
        (sql_cast(null(), Float) if value is None else value).label("value"),
    )


_LIMIT = bindparam("limit", type_=Integer)
_ENROLLMENT = bindparam("enrollment_id", type_=Integer)
_PATIENT = bindparam("patient_id", type_=Integer)


def _newest(query: Select[Any], at: Any, id_: Any) -> Select[Any]:
    """Only the newest `limit` rows of one kind (as a subquery: SQLite allows no LIMIT in a UNION's parts)."""
    newest = query.where(at.is_not(None)).order_by(at.desc(), id_).limit(_LIMIT).subquery()
    return select(*newest.c)


# Built once per process with bound parameters, so a view neither rebuilds the expression nor its cache key.
# The first select gives the result its column types (UTC times, dates, floats).
_HISTORY: CompoundSelect[Any] = union_all(
    _select(
        "step",
        StepProgress.completed_at,
        StepProgress.id,
        key=StepProgress.module_slug,
        detail=StepProgress.step_id,
    ).where(
        StepProgress.enrollment_id == _ENROLLMENT,
        StepProgress.status == StepStatus.COMPLETE,
        StepProgress.completed_at.is_not(None),
    ),
    # Every feedback moment and reply (the pacing policy needs the replies; the program bounds them).
    _select(
        "feedback",
        FeedbackRequest.asked_at,
        FeedbackRequest.id,
        key=FeedbackRequest.module_slug,
        detail=FeedbackRequest.step_id,
    ).where(FeedbackRequest.enrollment_id == _ENROLLMENT),
    _select(
        "replied",
        FeedbackRequest.replied_at,
        FeedbackRequest.id,
        key=FeedbackRequest.module_slug,
        detail=FeedbackRequest.step_id,
        who=User.display_name,
    )
    .outerjoin_from(FeedbackRequest, User, User.id == FeedbackRequest.replied_by_id)
    .where(FeedbackRequest.enrollment_id == _ENROLLMENT, FeedbackRequest.replied_at.is_not(None)),
    _select(
        "override",
        ProgramOverride.at,
        ProgramOverride.id,
        key=sql_cast(ProgramOverride.kind, String),
        detail=ProgramOverride.reason,
        who=User.display_name,
    )
    .outerjoin_from(ProgramOverride, User, User.id == ProgramOverride.by_id)
    .where(ProgramOverride.enrollment_id == _ENROLLMENT),
    _newest(
        _select(
            "checkin", CheckIn.created_at, CheckIn.id, day=CheckIn.day, value=sql_cast(CheckIn.pain, Float)
        ).where(CheckIn.patient_id == _PATIENT),
        CheckIn.created_at,
        CheckIn.id,
    ),
    _newest(
        _select("shared", JournalEntry.shared_at, JournalEntry.id).where(
            JournalEntry.patient_id == _PATIENT,
            JournalEntry.shared.is_(true()),
            JournalEntry.deleted_at.is_(None),
        ),
        JournalEntry.shared_at,
        JournalEntry.id,
    ),
    _newest(
        _select(
            "measure",
            MeasureResponse.completed_at,
            MeasureResponse.id,
            key=MeasureResponse.measure_id,
            value=MeasureResponse.score,
        ).where(MeasureResponse.enrollment_id == _ENROLLMENT, MeasureResponse.complete.is_(true())),
        MeasureResponse.completed_at,
        MeasureResponse.id,
    ),
    _newest(
        _select(
            "note", ClinicalNote.created_at, ClinicalNote.id, detail=ClinicalNote.text, who=User.display_name
        )
        .outerjoin_from(ClinicalNote, User, User.id == ClinicalNote.author_id)
        .where(ClinicalNote.enrollment_id == _ENROLLMENT),
        ClinicalNote.created_at,
        ClinicalNote.id,
    ),
    _newest(
        _select("alert", Alert.created_at, Alert.id, key=Alert.kind).where(
            Alert.enrollment_id == _ENROLLMENT
        ),
        Alert.created_at,
        Alert.id,
    ),
    _newest(
        _select(
            "acknowledged",
            Alert.acknowledged_at,
            Alert.id,
            detail=Alert.note,
            who=User.display_name,
        )
        .outerjoin_from(Alert, User, User.id == Alert.acknowledged_by_id)
        .where(Alert.enrollment_id == _ENROLLMENT),
        Alert.acknowledged_at,
        Alert.id,
    ),
    _newest(
        _select(
            "message",
            Message.created_at,
            Message.id,
            key=case((Message.from_patient, "patient"), else_="therapist"),
            detail=func.substr(Message.text, 1, EXCERPT + 1),
            who=User.display_name,
            value=sql_cast(case((Message.read_at.is_(None), 1), else_=0), Float),
        )
        .outerjoin_from(Message, User, User.id == Message.sender_id)
        .where(Message.enrollment_id == _ENROLLMENT),
        Message.created_at,
        Message.id,
    ),
)


def patient_history(db: Session, enrollment: Enrollment, limit: int = TIMELINE_LIMIT) -> list[HistoryRow]:
    """Every completed step and override, and the newest `limit` rows of each other kind (one statement)."""
    params = {"enrollment_id": enrollment.id, "patient_id": enrollment.patient_id, "limit": limit}
    return [HistoryRow(*row) for row in db.execute(_HISTORY, params)]


def program_of(
    history: list[HistoryRow], enrollment: Enrollment, catalog: Catalog, now: datetime
) -> ProgramState:
    """The pacing policy's answer for this patient, from the completions and overrides in their history."""
    completions = {(str(row.key), str(row.detail)): row.at for row in history if row.kind == "step"}
    overrides = [
        OverrideEvent(cast(OverrideKindName, row.key), row.at)
        for row in sorted(history, key=lambda row: row.id)
        if row.kind == "override"
    ]
    replies = {(str(row.key), str(row.detail)): row.at for row in history if row.kind == "replied"}
    return policy_for(enrollment, catalog, completions, overrides, now, replies)


# Events at the same instant are listed by kind in this order, then in the order they were saved (an alert's
# acknowledgement right after the alert).
_TIES = {
    "step": (0, 0),
    "checkin": (1, 0),
    "shared": (2, 0),
    "measure": (3, 0),
    "override": (4, 0),
    "note": (5, 0),
    "alert": (6, 0),
    "acknowledged": (6, 1),
    "feedback": (0, 1),
    "replied": (7, 0),
    "message": (8, 0),
}
_VERBS = {
    "unlock_next": "opened the next module early",
    "pause": "paused the program",
    "resume": "resumed the program",
}


def timeline(history: list[HistoryRow], catalog: Catalog, limit: int = TIMELINE_LIMIT) -> list[TimelineEvent]:
    """The patient's work and the therapist's actions, newest first, at most `limit` of them."""
    titles = {(m.slug, s.id): (m.week, s.title) for m in catalog.modules for s in m.steps}
    rows = sorted(history, key=lambda row: (_TIES[row.kind][0], row.id, _TIES[row.kind][1]))
    rows.sort(key=lambda row: row.at, reverse=True)  # stable: ties keep the order above
    return [_event(row, titles) for row in rows[:limit]]


def _event(row: HistoryRow, titles: dict[tuple[str, str], tuple[int, str]]) -> TimelineEvent:
    who = row.who if row.who is not None else "A therapist"
    if row.kind == "step":
        week, title = titles.get((str(row.key), str(row.detail)), (0, str(row.detail)))
        return TimelineEvent(row.at, "step", f"Finished “{title}” (week {week})")
    if row.kind == "checkin":
        day = cast(date, row.day)
        return TimelineEvent(row.at, "checkin", f"Check-in for {day.day} {day:%b}: pain {row.value:g}")
    if row.kind == "shared":
        return TimelineEvent(row.at, "shared", "Shared a journal entry", row.id)
    if row.kind == "measure":
        return TimelineEvent(row.at, "measure", f"Answered {row.key}: score {row.value:g}")
    if row.kind == "override":
        reason = f": {row.detail}" if row.detail else ""
        return TimelineEvent(row.at, "override", f"{who} {_VERBS[str(row.key)]}{reason}")
    if row.kind == "note":
        return TimelineEvent(row.at, "note", f"Note by {who}: {row.detail}")
    if row.kind in ("feedback", "replied"):
        week, title = titles.get((str(row.key), str(row.detail)), (0, str(row.detail)))
        if row.kind == "feedback":
            return TimelineEvent(row.at, "feedback", f"Sent “{title}” (week {week}) for your reply")
        return TimelineEvent(row.at, "feedback", f"{who} replied about “{title}” (week {week})")
    if row.kind == "alert":
        return TimelineEvent(row.at, "alert", f"Alert: {LABELS.get(str(row.key), str(row.key))}")
    if row.kind == "message":
        return TimelineEvent(row.at, "message", _message_text(row))
    note = f": {row.detail}" if row.detail else ""
    return TimelineEvent(row.at, "alert", f"{who} acknowledged the alert{note}")


def _message_text(row: HistoryRow) -> str:
    """A message in the timeline: who wrote it, whether it waits to be read, and how it starts (the whole
    message is on the conversation page)."""
    text = " ".join(str(row.detail or "").split())
    start = text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"
    if row.key == "patient":
        waiting = " (not read yet)" if row.value else ""
        return f"Message from the patient{waiting}: “{start}”"
    who = row.who if row.who is not None else "A therapist"
    return f"Message from {who}: “{start}”"


def shared_entries_with_replies(db: Session, enrollment: Enrollment) -> list[tuple[JournalEntry, int]]:
    """What the patient shares with their therapist, newest first, each with its number of replies (one
    statement: the replies themselves are read on the entry's own page)."""
    replies = select(func.count(Comment.id)).where(Comment.entry_id == JournalEntry.id).scalar_subquery()
    return [
        (entry, int(count))
        for entry, count in db.execute(
            select(JournalEntry, replies)
            .where(
                JournalEntry.patient_id == enrollment.patient_id,
                JournalEntry.shared.is_(true()),
                JournalEntry.deleted_at.is_(None),
            )
            .order_by(JournalEntry.shared_at.desc())
        )
    ]
