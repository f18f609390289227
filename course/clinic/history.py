"""A patient's history for the therapist's pages, in a fixed number of statements however long it is.

- `pacing_history`: every completed step and every pacing override, which the pacing policy needs (the
  program and the therapist's actions bound them), the feedback moments and the patient's messages waiting
  to be read. One UNION ALL.
- `timeline_page`: one page of the timeline, built by the database: one UNION ALL of the kinds asked for,
  each part cut to the time window and to its own newest `limit + 1` rows (an index walk), then sorted and cut
  again. Its cost depends on the window and the limit, not on the length of the history. Pages go back in time
  by keyset: an "earlier" page starts at the instant where the previous one stopped (`until`, inclusive). A
  page never splits the events of one instant, unless more than a page's worth share it (then the rest of
  that instant is skipped: a page is never longer than its limit).
- `shared_entries_with_replies`: the newest shared entries, each with its number of replies, and how many
  are unread.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
from ..journal.services import unread_in_sql
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
from ..schema import UTCDateTime

TIMELINE_LIMIT = 60
WINDOW = timedelta(days=14)  # a page of the timeline covers at most two weeks

# The filters a therapist can choose, in the order shown, each with the rows it covers. Pacing changes are the
# therapist's own actions, so they go with the notes.
TIMELINE_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "checkins": ("Check-ins", ("checkin",)),
    "steps": ("Steps", ("step",)),
    "journal": ("Shared journal entries", ("shared",)),
    "measures": ("Questionnaires", ("measure",)),
    "alerts": ("Alerts", ("alert", "acknowledged")),
    "notes": ("Notes and pacing", ("note", "override")),
    "messages": ("Messages", ("message",)),
    "feedback": ("Feedback moments", ("feedback", "replied")),
}


class HistoryRow(NamedTuple):
    """One row of history. What `key`, `detail`, `who`, `day` and `value` hold depends on `kind`."""

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


@dataclass(frozen=True)
class TimelinePage:
    """One page of the timeline: its events, newest first, and where the next earlier page starts."""

    events: list[TimelineEvent]
    kinds: tuple[str, ...]  # the filters chosen (names of TIMELINE_KINDS)
    since: datetime  # exclusive: the window's start
    until: datetime | None  # inclusive: the window's end (None: up to now)
    earlier: datetime | None  # the `until` of the next earlier page, None when there is nothing before


# Events at the same instant are listed by kind in this order, then in the order they were saved (an alert's
# acknowledgement right after the alert): `rank`, then the row's id, then `sub`.
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
    "waiting": (8, 1),
}


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
    """A select with the columns of `HistoryRow` and the tie order; missing columns are typed NULLs (for
    PostgreSQL)."""
    rank, sub = _TIES[kind]
    return select(
        literal_column(f"'{kind}'", String).label("kind"),
        at.label("at"),
        id_.label("id"),
        (sql_cast(null(), String) if key is None else key).label("key"),
        (sql_cast(null(), String) if detail is None else detail).label("detail"),
        (sql_cast(null(), String) if who is None else who).label("who"),
        (sql_cast(null(), Date) if day is None else day).label("day"),
        (sql_cast(null(), Float) if value is None else value).label("value"),
        literal_column(str(rank), Integer).label("tie_rank"),
        literal_column(str(sub), Integer).label("tie_sub"),
    )


_ENROLLMENT = bindparam("enrollment_id", type_=Integer)
_PATIENT = bindparam("patient_id", type_=Integer)
_LIMIT = bindparam("limit", type_=Integer)
_SINCE = bindparam("since", type_=UTCDateTime())
_UNTIL = bindparam("until", type_=UTCDateTime())


def _steps() -> Select[Any]:
    return _select(
        "step",
        StepProgress.completed_at,
        StepProgress.id,
        key=StepProgress.module_slug,
        detail=StepProgress.step_id,
    ).where(
        StepProgress.enrollment_id == _ENROLLMENT,
        StepProgress.status == StepStatus.COMPLETE,
        StepProgress.completed_at.is_not(None),
    )


def _overrides() -> Select[Any]:
    return (
        _select(
            "override",
            ProgramOverride.at,
            ProgramOverride.id,
            key=sql_cast(ProgramOverride.kind, String),
            detail=ProgramOverride.reason,
            who=User.display_name,
        )
        .outerjoin_from(ProgramOverride, User, User.id == ProgramOverride.by_id)
        .where(ProgramOverride.enrollment_id == _ENROLLMENT)
    )


def _feedback() -> Select[Any]:
    """Every feedback moment the patient finished (key: module, detail: step)."""
    return _select(
        "feedback",
        FeedbackRequest.asked_at,
        FeedbackRequest.id,
        key=FeedbackRequest.module_slug,
        detail=FeedbackRequest.step_id,
    ).where(FeedbackRequest.enrollment_id == _ENROLLMENT)


def _replied() -> Select[Any]:
    """Every therapist's reply to a feedback moment (the pacing policy needs their times)."""
    return (
        _select(
            "replied",
            FeedbackRequest.replied_at,
            FeedbackRequest.id,
            key=FeedbackRequest.module_slug,
            detail=FeedbackRequest.step_id,
            who=User.display_name,
        )
        .outerjoin_from(FeedbackRequest, User, User.id == FeedbackRequest.replied_by_id)
        .where(FeedbackRequest.enrollment_id == _ENROLLMENT, FeedbackRequest.replied_at.is_not(None))
    )


def _messages() -> Select[Any]:
    """The conversation's messages: who wrote (key), how each starts (detail), 1 while unread (value)."""
    return (
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
        .where(Message.enrollment_id == _ENROLLMENT)
    )


def _waiting() -> Select[Any]:
    """The patient's messages their therapist has not read yet (the desk's "waiting for your reply")."""
    return _select("waiting", Message.created_at, Message.id).where(
        Message.enrollment_id == _ENROLLMENT, Message.from_patient.is_(True), Message.read_at.is_(None)
    )


# Each part of the timeline: the row kind, its select, its time column and its id column.
_PARTS: dict[str, tuple[Any, Any, Any]] = {
    "step": (_steps, StepProgress.completed_at, StepProgress.id),
    "override": (_overrides, ProgramOverride.at, ProgramOverride.id),
    "feedback": (_feedback, FeedbackRequest.asked_at, FeedbackRequest.id),
    "replied": (_replied, FeedbackRequest.replied_at, FeedbackRequest.id),
    "message": (_messages, Message.created_at, Message.id),
    "checkin": (
        lambda: _select(
            "checkin", CheckIn.created_at, CheckIn.id, day=CheckIn.day, value=sql_cast(CheckIn.pain, Float)
        ).where(CheckIn.patient_id == _PATIENT),
        CheckIn.created_at,
        CheckIn.id,
    ),
    "shared": (
        lambda: _select("shared", JournalEntry.shared_at, JournalEntry.id).where(
            JournalEntry.patient_id == _PATIENT,
            JournalEntry.shared.is_(true()),
            JournalEntry.deleted_at.is_(None),
        ),
        JournalEntry.shared_at,
        JournalEntry.id,
    ),
    "measure": (
        lambda: _select(
            "measure",
            MeasureResponse.completed_at,
            MeasureResponse.id,
            key=MeasureResponse.measure_id,
            value=MeasureResponse.score,
        ).where(MeasureResponse.enrollment_id == _ENROLLMENT, MeasureResponse.complete.is_(true())),
        MeasureResponse.completed_at,
        MeasureResponse.id,
    ),
    "note": (
        lambda: (
            _select(
                "note",
                ClinicalNote.created_at,
                ClinicalNote.id,
                detail=ClinicalNote.text,
                who=User.display_name,
            )
            .outerjoin_from(ClinicalNote, User, User.id == ClinicalNote.author_id)
            .where(ClinicalNote.enrollment_id == _ENROLLMENT)
        ),
        ClinicalNote.created_at,
        ClinicalNote.id,
    ),
    "alert": (
        lambda: _select("alert", Alert.created_at, Alert.id, key=Alert.kind).where(
            Alert.enrollment_id == _ENROLLMENT
        ),
        Alert.created_at,
        Alert.id,
    ),
    "acknowledged": (
        lambda: (
            _select("acknowledged", Alert.acknowledged_at, Alert.id, detail=Alert.note, who=User.display_name)
            .outerjoin_from(Alert, User, User.id == Alert.acknowledged_by_id)
            .where(Alert.enrollment_id == _ENROLLMENT)
        ),
        Alert.acknowledged_at,
        Alert.id,
    ),
}

# Built once per process with bound parameters, so a view neither rebuilds the expression nor its cache key.
# The first select gives the result its column types (UTC times, dates, floats).
_PACING: CompoundSelect[Any] = union_all(_steps(), _overrides(), _feedback(), _replied(), _waiting())


def pacing_history(db: Session, enrollment: Enrollment) -> list[HistoryRow]:
    """Every completed step, pacing override, feedback moment and reply to one of the enrollment, and each
    message of the patient's their therapist has not read yet (kind "waiting"), in one statement."""
    params = {"enrollment_id": enrollment.id}
    return [HistoryRow(*row[:8]) for row in db.execute(_PACING, params)]


def program_of(
    history: list[HistoryRow], enrollment: Enrollment, catalog: Catalog, now: datetime
) -> ProgramState:
    """The pacing policy's answer for this patient, from the completions, overrides and replies to feedback
    moments in their history."""
    completions = {(str(row.key), str(row.detail)): row.at for row in history if row.kind == "step"}
    overrides = [
        OverrideEvent(cast(OverrideKindName, row.key), row.at)
        for row in sorted(history, key=lambda row: row.id)
        if row.kind == "override"
    ]
    replies = {(str(row.key), str(row.detail)): row.at for row in history if row.kind == "replied"}
    return policy_for(enrollment, catalog, completions, overrides, now, replies)


@functools.cache
def _timeline_statement(kinds: tuple[str, ...]) -> Select[Any]:
    """One UNION ALL of the row kinds the chosen filters cover, each cut to the window and its newest `limit`
    rows (as a subquery: SQLite allows no LIMIT in a UNION's parts), sorted and cut once more. Built once per
    set of filters (parameters: enrollment_id, patient_id, since, until, limit)."""
    parts = []
    for name in kinds:
        for kind in TIMELINE_KINDS[name][1]:
            build, at, id_ = _PARTS[kind]
            newest = (
                build().where(at > _SINCE, at <= _UNTIL).order_by(at.desc(), id_).limit(_LIMIT).subquery()
            )
            parts.append(select(*newest.c))
    everything = union_all(*parts).subquery()
    columns = everything.c
    return (
        select(everything)
        .order_by(columns.at.desc(), columns.tie_rank, columns.id, columns.tie_sub)
        .limit(_LIMIT)
    )


_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def chosen_kinds(asked: list[str]) -> tuple[str, ...]:
    """The known filter names among `asked`, in their listed order; every kind when none is known."""
    known = tuple(name for name in TIMELINE_KINDS if name in asked)
    return known or tuple(TIMELINE_KINDS)


def timeline_page(
    db: Session,
    enrollment: Enrollment,
    catalog: Catalog,
    now: datetime,
    *,
    kinds: tuple[str, ...] = tuple(TIMELINE_KINDS),
    until: datetime | None = None,
    limit: int = TIMELINE_LIMIT,
) -> TimelinePage:
    """The events of the chosen kinds in the two weeks up to `until` (inclusive; default: now and later),
    newest first, at most `limit` of them (one statement)."""
    end = until or now
    since = end - WINDOW
    params = {
        "enrollment_id": enrollment.id,
        "patient_id": enrollment.patient_id,
        "since": since,
        "until": until or _FAR_FUTURE,
        "limit": limit + 1,
    }
    rows = [HistoryRow(*row[:8]) for row in db.execute(_timeline_statement(kinds), params)]
    earlier: datetime | None = since if since > enrollment.started_at else None
    if len(rows) > limit:
        cut = rows[limit].at
        whole = [row for row in rows[:limit] if row.at > cut]
        rows = whole or rows[:limit]
        earlier = cut if whole else cut - timedelta(microseconds=1)
    titles = {(m.slug, s.id): (m.week, s.title) for m in catalog.modules for s in m.steps}
    return TimelinePage([_event(row, titles) for row in rows], kinds, since, until, earlier)


_VERBS = {
    "unlock_next": "opened the next module early",
    "pause": "paused the program",
    "resume": "resumed the program",
}


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


ENTRIES_SHOWN = 10  # shared entries on the patient page; the timeline lists every one


@dataclass(frozen=True)
class SharedEntries:
    """The newest shared entries, each with its number of replies, and how many shared entries are unread."""

    entries: list[tuple[JournalEntry, int]]
    unread: int


def _shared_statement(since: bool) -> Select[Any]:
    """The shared entries with their replies and the unread total (parameters: patient_id, limit, and since
    when `since`)."""
    replies = select(func.count(Comment.id)).where(Comment.entry_id == JournalEntry.id).scalar_subquery()
    # Not correlated with the entry of each row: the count is over all the patient's entries.
    unread = (
        select(func.count(JournalEntry.id))
        .where(JournalEntry.patient_id == _PATIENT, unread_in_sql())
        .correlate(None)
        .scalar_subquery()
    )
    query = select(JournalEntry, replies, unread).where(
        JournalEntry.patient_id == _PATIENT,
        JournalEntry.shared.is_(true()),
        JournalEntry.deleted_at.is_(None),
    )
    if since:
        query = query.where(JournalEntry.shared_at > _SINCE)
    return query.order_by(JournalEntry.shared_at.desc(), JournalEntry.id.desc()).limit(_LIMIT)


# Built once per process, as the history's statements are.
_SHARED = {False: _shared_statement(since=False), True: _shared_statement(since=True)}


def shared_entries_with_replies(
    db: Session, enrollment: Enrollment, limit: int = ENTRIES_SHOWN, since: datetime | None = None
) -> SharedEntries:
    """What the patient shares with their therapist (after `since`, when given), the newest `limit` first,
    each with its number of replies, and the number of unread ones among all of them (one statement: the
    replies themselves are read on the entry's own page)."""
    params = {"patient_id": enrollment.patient_id, "limit": limit, "since": since}
    rows = db.execute(_SHARED[since is not None], params).all()
    return SharedEntries([(entry, int(count)) for entry, count, _ in rows], int(rows[0][2]) if rows else 0)


PRINT_ENTRIES = 6  # shared entries on the print view: one A4 page
PRINT_NOTES = 5


def own_notes(db: Session, enrollment: Enrollment, therapist: User) -> list[ClinicalNote]:
    """The therapist's own latest notes on this patient, newest first, at most `PRINT_NOTES`."""
    return list(
        db.scalars(
            select(ClinicalNote)
            .where(ClinicalNote.enrollment_id == enrollment.id, ClinicalNote.author_id == therapist.id)
            .order_by(ClinicalNote.created_at.desc(), ClinicalNote.id.desc())
            .limit(PRINT_NOTES)
        )
    )
