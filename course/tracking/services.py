"""Daily check-ins: one per local day (today or yesterday), with the adopted habits practised that day
(habits themselves are course/habits.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Integer, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .._zones import zone_of
from ..activity import touch
from ..content.model import Catalog
from ..evidence import DayRecord, Statement
from ..habits import adopted_habit_ids
from ..learn.services import get_progress, program_for, save_step
from ..models import CheckIn, Enrollment, HabitLog, User
from ..safety_watch import WrittenIn, watch_words

MOODS = (
    ("good", "Good"),
    ("okay", "Okay"),
    ("low", "Low"),
    ("worried", "Worried"),
    ("frustrated", "Frustrated"),
)
NOTE_MAX = 1000


class CheckInError(ValueError):
    """A check-in rule was broken; the message explains it to the patient."""


def local_today(user: User, now: datetime) -> date:
    """The patient's calendar day now."""
    return now.astimezone(zone_of(user)).date()


def day_problem(user: User, day: date, now: datetime) -> str | None:
    """Why a check-in cannot be made for this day (only today and yesterday are open), or None."""
    today = local_today(user, now)
    if day > today:
        return "That day has not come yet. You can check in for today or yesterday."
    if day < today - timedelta(days=1):
        return (
            "Check-ins can be made for today or yesterday only, so they stay close to how the day "
            "really was. It is fine to miss days."
        )
    return None


def checkin_for(db: Session, patient: User, day: date) -> CheckIn | None:
    """The patient's check-in for a local day, if any."""
    return db.scalar(
        select(CheckIn)
        .where(CheckIn.patient_id == patient.id, CheckIn.day == day)
        .options(selectinload(CheckIn.habits))
    )


@dataclass(frozen=True)
class CheckInSaved:
    """The check-in and whether its note calls for crisis help."""

    checkin: CheckIn
    created: bool
    crisis: bool


def save_checkin(
    db: Session, patient: User, day: date, values: dict[str, Any], habit_ids: list[str], *, now: datetime
) -> CheckInSaved:
    """Create or update the day's check-in (a second submit updates, never duplicates)."""
    problem = day_problem(patient, day, now)
    if problem:
        raise CheckInError(problem)
    adopted = set(adopted_habit_ids(db, patient))
    checkin = checkin_for(db, patient, day)
    created = checkin is None
    if checkin is None:
        checkin = CheckIn(patient_id=patient.id, day=day, created_at=now, **values)
        try:
            with db.begin_nested():
                db.add(checkin)
        except IntegrityError:
            # A double submit raced to the insert: update the row it made.
            checkin = checkin_for(db, patient, day)
            if checkin is None:
                raise
            created = False
    for key, value in values.items():
        setattr(checkin, key, value)
    checkin.updated_at = now
    touch(patient, now)
    checkin.habits = [HabitLog(habit_id=h) for h in dict.fromkeys(habit_ids) if h in adopted]
    db.flush()
    written_in = WrittenIn("check-in", f"a check-in note ({day.isoformat()})", {"day": day.isoformat()})
    crisis = watch_words(db, patient.enrollment, [checkin.note], written_in, now)
    return CheckInSaved(checkin, created, crisis)


def checkins_between(db: Session, patient: User, start: date, end: date) -> list[CheckIn]:
    """The patient's check-ins from start to end (local days, inclusive), oldest first."""
    return list(
        db.scalars(
            select(CheckIn)
            .where(CheckIn.patient_id == patient.id, CheckIn.day >= start, CheckIn.day <= end)
            .order_by(CheckIn.day)
        )
    )


# Built once per process with bound parameters (patient_id, start, end).
_DAY_RECORDS = (
    select(
        CheckIn.day, CheckIn.pain, CheckIn.sleep_hours, CheckIn.sleep_quality, CheckIn.stress, CheckIn.mood
    )
    .where(
        CheckIn.patient_id == bindparam("patient_id", type_=Integer),
        CheckIn.day >= bindparam("start", type_=Date),
        CheckIn.day <= bindparam("end", type_=Date),
    )
    .order_by(CheckIn.day)
)


def day_records_between(db: Session, patient: User, start: date, end: date) -> list[DayRecord]:
    """`day_records(checkins_between(...))` read as plain rows: the values only, no objects to track (the
    therapist's pages read twelve weeks of them on every view)."""
    params = {"patient_id": patient.id, "start": start, "end": end}
    return [DayRecord(*row) for row in db.execute(_DAY_RECORDS, params)]


def day_records(checkins: list[CheckIn]) -> list[DayRecord]:
    """Check-ins as the plain records the evidence statistics read."""
    return [
        DayRecord(
            day=c.day,
            pain=c.pain,
            sleep_hours=c.sleep_hours,
            sleep_quality=c.sleep_quality,
            stress=c.stress,
            mood=c.mood,
        )
        for c in checkins
    ]


def add_to_evidence_log(
    db: Session, enrollment: Enrollment, catalog: Catalog, statement: Statement, *, now: datetime
) -> str | None:
    """Append a statement from the patient's data to their evidence log; returns a problem, or None."""
    target = catalog.evidence_log
    if target is None:
        return "This program has no evidence log."
    module = catalog.module(target.module)
    step = module.step(target.step) if module else None
    if module is None or step is None:
        return "This program has no evidence log."
    state = program_for(db, enrollment, catalog, now)
    if not state.step_is_open(target.module, target.step):
        return f"Your evidence log opens in week {module.week}. The statement will still be here then."
    progress = get_progress(db, enrollment, target.module, target.step)
    answers = dict(progress.answers) if progress else {}
    rows = list(answers.get(target.list_field) or [])
    if any(row.get(target.text) == statement.text for row in rows):
        return "This is already in your evidence log."
    spec = next(f for f in getattr(step, "fields", ()) if f.id == target.list_field)
    if len(rows) >= spec.max_items:
        return f"Your evidence log is full ({spec.max_items} clues). Remove one there to make room."
    row: dict[str, Any] = {f.id: None for f in spec.item_fields}
    row[target.text] = statement.text
    if target.when:
        row[target.when] = statement.detail
    if target.kind and statement.id in target.kinds:
        row[target.kind] = target.kinds[statement.id]
    answers[target.list_field] = [*rows, row]
    save_step(db, enrollment, target.module, step, answers, complete=False, now=now)
    return None
