"""The audit trail: every therapist view of patient data, and every change, with who and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .models import AuditEvent, User


def record(
    db: Session, actor: User | None, patient_id: int | None, action: str, *, now: datetime, **detail: Any
) -> None:
    """Append one audit event (never updated, never deleted with the data it describes)."""
    db.add(
        AuditEvent(
            at=now, actor_id=actor.id if actor else None, patient_id=patient_id, action=action, detail=detail
        )
    )
