"""A patient's data ends: `erase_patient` is the one function that removes everything of theirs, and the
deletion log (ids and dates only) lets `flask restore` erase again whoever a restored backup brings back.

What goes, and how:
- their account and every row hanging from it, by the schema's ON DELETE CASCADE: enrollment, progress,
  overrides, feedback moments (with the therapist's replies), journal (revisions, replies), messages,
  check-ins, habits, measures, alerts, clinical notes, caseload row,
  notifications and sent-message records about them or to them, opt-outs, one-time form keys;
- words kept from their ended sessions (course/keeping.py names them only by id);
- invites that carry their id or email; their name is cleared from their therapist's unused invites that
  carry it (compared without case, as Python's casefold does: SQL's lower() misses letters such as ß and,
  on SQLite, every letter outside ASCII); another therapist's invite, or one someone used, is not theirs;
- the development outbox's copies of mail sent to them, when mail is kept there;
- on SQLite, the freed pages are zeroed (secure_delete) and folded into the file once the deletion commits.
The audit trail keeps what happened: its events lose the link to the account (ON DELETE SET NULL), and the
deletion itself is recorded with the former id as a plain value by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, delete, func, inspect, or_, select, update
from sqlalchemy.orm import Session

from .conversations import recount_unread
from .db import wipe_after_commit
from .keeping import forget_person
from .mail import forget_recipient
from .models import DeletionLogEntry, Enrollment, Invite, PendingJoin, User


@dataclass(frozen=True)
class Deletion:
    """One line of the deletion log: which account (its id and creation time) was deleted, and when."""

    user_id: int
    account_created_at: datetime
    requested_at: datetime | None
    deleted_at: datetime


def erase_patient(db: Session, patient: User, *, now: datetime, outbox: Path | None = None) -> Deletion:
    """Remove everything of the patient's (see the module's docstring) and log the deletion."""
    if not patient.is_patient:
        raise ValueError("Only a patient's account is erased this way.")
    deletion = Deletion(patient.id, patient.created_at, patient.deletion_requested_at, now)
    email, name = patient.email, patient.display_name
    _log(db, deletion)
    forget_person(db, patient.id)
    # Sign-ups waiting for confirmation with their address (the invites' own go with them below).
    db.execute(delete(PendingJoin).where(func.lower(PendingJoin.email) == email.lower()))
    db.execute(
        delete(Invite).where(or_(Invite.patient_id == patient.id, func.lower(Invite.email) == email.lower()))
    )
    _clear_name_from_invites(db, patient.id, name)
    # The rows go by the database's cascades: the session must not hold them as if they were still there.
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    for held in (patient, enrollment):
        if held is not None and held in db:
            db.expunge(held)
    db.execute(delete(User).where(User.id == deletion.user_id))
    if enrollment is not None:  # their messages went with them: their therapist's unread count follows
        recount_unread(db, [enrollment.therapist_id])
    wipe_after_commit(db)
    if outbox is not None and outbox.is_dir():
        forget_recipient(outbox, email)
    return deletion


def _clear_name_from_invites(db: Session, patient_id: int, name: str) -> None:
    """Clear the patient's name from their therapist's unused invites that carry it, in any case."""
    therapist_id = db.scalar(select(Enrollment.therapist_id).where(Enrollment.patient_id == patient_id))
    if therapist_id is None:
        return
    wanted = name.strip().casefold()
    named = db.execute(
        select(Invite.id, Invite.patient_name).where(
            Invite.therapist_id == therapist_id, Invite.used_at.is_(None), Invite.patient_name.is_not(None)
        )
    ).all()
    ids = [invite_id for invite_id, invited in named if (invited or "").strip().casefold() == wanted]
    if ids:
        db.execute(
            update(Invite)
            .where(Invite.id.in_(ids))
            .values(patient_name=None)
            .execution_options(synchronize_session=False)
        )


def _log(db: Session, deletion: Deletion) -> None:
    already = db.scalar(
        select(DeletionLogEntry.id).where(
            DeletionLogEntry.user_id == deletion.user_id,
            DeletionLogEntry.account_created_at == deletion.account_created_at,
        )
    )
    if already is None:
        db.add(
            DeletionLogEntry(
                user_id=deletion.user_id,
                account_created_at=deletion.account_created_at,
                requested_at=deletion.requested_at,
                deleted_at=deletion.deleted_at,
            )
        )
        db.flush()


def read_log(engine: Engine) -> list[Deletion]:
    """Every deletion the database has logged (none when it predates the log)."""
    if not inspect(engine).has_table(DeletionLogEntry.__tablename__):
        return []
    with Session(engine) as db:
        return [
            Deletion(e.user_id, e.account_created_at, e.requested_at, e.deleted_at)
            for e in db.scalars(select(DeletionLogEntry).order_by(DeletionLogEntry.id))
        ]


def reapply(db: Session, deletions: list[Deletion], *, outbox: Path | None = None) -> list[int]:
    """After a restore: log every deletion again, and erase each account the restored data brought back
    (the same id and creation time). The ids erased again."""
    erased = []
    for deletion in deletions:
        _log(db, deletion)
        patient = db.get(User, deletion.user_id)
        if patient is not None and patient.created_at == deletion.account_created_at:
            erase_patient(db, patient, now=deletion.deleted_at, outbox=outbox)
            erased.append(deletion.user_id)
    return erased
