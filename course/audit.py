"""The audit trail: who saw or changed what about which patient, and when. Append-only.

Every view of a page that shows patient data, every change, every export (with the patients it held), every
sign-in, sign-out and change to how someone signs in is one or more rows. The app never updates or deletes
a row: the mapper refuses it, and so does any bulk UPDATE or DELETE statement aimed at the table
(`install_append_only`, installed with the database). Patient and actor ids are plain values, so the trail
outlives the people in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

from .db import keep_after_rollback
from .models import AuditEvent, User


class AuditTrailIsAppendOnly(RuntimeError):
    """Something tried to change or remove an audit event."""


def record(
    db: Session, actor: User | None, patient_id: int | None, action: str, *, now: datetime, **detail: Any
) -> None:
    """Append one audit event."""
    db.add(
        AuditEvent(
            at=now, actor_id=actor.id if actor else None, patient_id=patient_id, action=action, detail=detail
        )
    )


def record_failure(
    db: Session, actor: User | None, patient_id: int | None, action: str, *, now: datetime, **detail: Any
) -> None:
    """Append one event that stays even though the request fails: a failed attempt answers with an error,
    and the request's own work is rolled back, but the trail must keep that it happened (see
    `db.keep_after_rollback`)."""
    actor_id = actor.id if actor else None

    def write(session: Session) -> None:
        session.add(
            AuditEvent(at=now, actor_id=actor_id, patient_id=patient_id, action=action, detail=detail)
        )

    keep_after_rollback(db, write)


def record_views(
    db: Session, actor: User, action: str, patient_ids: Iterable[int], *, now: datetime, **detail: Any
) -> None:
    """Append one event per patient a page or an export showed (one statement however many), so the trail
    answers "who saw this patient" by patient; a page that showed no patient is still recorded once."""
    ids: list[int | None] = [*dict.fromkeys(patient_ids)] or [None]
    db.execute(
        insert(AuditEvent),
        [
            {"at": now, "actor_id": actor.id, "patient_id": patient_id, "action": action, "detail": detail}
            for patient_id in ids
        ],
    )


def _refuse_change(_mapper: Mapper[Any], _connection: Any, target: AuditEvent) -> None:
    raise AuditTrailIsAppendOnly(f"audit event {target.id} cannot be changed or removed")


def _refuse_bulk_change(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        getattr(mapper, "class_", None) is AuditEvent for mapper in state.all_mappers
    ):
        raise AuditTrailIsAppendOnly("the audit trail is append-only")


def install_append_only() -> None:
    """Refuse every update and delete of audit events made through the ORM (idempotent)."""
    if not event.contains(AuditEvent, "before_update", _refuse_change):
        event.listen(AuditEvent, "before_update", _refuse_change)
        event.listen(AuditEvent, "before_delete", _refuse_change)
    if not event.contains(Session, "do_orm_execute", _refuse_bulk_change):
        event.listen(Session, "do_orm_execute", _refuse_bulk_change)
