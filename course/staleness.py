"""Keeps the caseload's stored rows honest: every ORM flush that writes what a row is built from marks that
patient's row stale, whatever code wrote it (see course/clinic/summary.py). `install` turns the listener on
for every ORM session of the process: `db.init_app` calls it (the app, its commands, the tests), and so does
a script that writes through the ORM without the app (bench/concurrency.py).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, event, false, inspect, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, UOWTransaction

from .models import (
    Alert,
    CaseloadEntry,
    CheckIn,
    Enrollment,
    FeedbackRequest,
    JournalEntry,
    Message,
    ProgramOverride,
    StepProgress,
    User,
)

_BY_ENROLLMENT = (StepProgress, ProgramOverride, Alert, FeedbackRequest, Message)
_BY_PATIENT = (CheckIn, JournalEntry)
_entries = cast(Table, CaseloadEntry.__table__)


def new_caseload_row(enrollment: Enrollment) -> dict[str, Any]:
    """A stale row for an enrollment that has none yet."""
    return {
        "enrollment_id": enrollment.id,
        "patient_id": enrollment.patient_id,
        "therapist_id": enrollment.therapist_id,
        "version": 0,
    }


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return state.deleted or any(state.attrs[name].history.has_changes() for name in names)


def install() -> None:
    """Watch every ORM session's flushes from now on (once per process, however often called)."""
    if not event.contains(Session, "after_flush", _invalidate):
        event.listen(Session, "after_flush", _invalidate)


def _invalidate(session: Session, _flush: UOWTransaction) -> None:
    """Mark the rows of every patient whose data this flush wrote (and give new enrollments a row)."""
    enrollments: set[int] = set()
    patients: set[int] = set()
    new_rows: list[dict[str, Any]] = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _BY_ENROLLMENT):
            enrollments.add(obj.enrollment_id)
        elif isinstance(obj, _BY_PATIENT):
            patients.add(obj.patient_id)
        elif isinstance(obj, Enrollment):
            enrollments.add(obj.id)
            if obj in session.new:
                new_rows.append(new_caseload_row(obj))
        elif isinstance(obj, User) and _changed(obj, "display_name", "timezone"):
            patients.add(obj.id)
    enrollments.discard(None)  # type: ignore[arg-type,unused-ignore]
    patients.discard(None)  # type: ignore[arg-type,unused-ignore]
    if not (enrollments or patients or new_rows):
        return
    connection = session.connection()
    if enrollments or patients:
        connection.execute(
            update(_entries)
            .where(
                or_(
                    _entries.c.enrollment_id.in_(enrollments) if enrollments else false(),
                    _entries.c.patient_id.in_(patients) if patients else false(),
                )
            )
            .values(fresh_until=None, version=_entries.c.version + 1)
        )
    if new_rows:
        connection.execute(insert_new_rows(connection.dialect.name), new_rows)


def insert_new_rows(dialect: str) -> Any:
    """INSERT of new (stale) caseload rows that leaves a row already there alone."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(_entries).on_conflict_do_nothing(index_elements=["enrollment_id"])
