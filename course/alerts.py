"""Alerts for therapists: one model, raised by services (journal, measures, screening, triage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Alert, AlertState, Enrollment, User

# Kinds, most serious first. Severity orders the therapist's inbox.
SEVERITY = {
    "crisis": 0,  # crisis help was shown (journal words, PHQ-9 item 9)
    "red_flag": 0,  # a red-flag symptom at screening
    "pem": 1,  # post-exertional malaise: movement module switched to pacing
    "worsening": 1,
    "inactive": 2,
}
LABELS = {
    "crisis": "Crisis help was shown",
    "red_flag": "Red-flag symptom reported",
    "pem": "Post-exertional malaise reported",
    "worsening": "Pain getting worse",
    "inactive": "Inactive",
}


def raise_alert(
    db: Session, enrollment: Enrollment, kind: str, *, now: datetime, details: dict[str, Any]
) -> Alert:
    """Open an alert of a known kind for the patient's therapist."""
    if kind not in SEVERITY:
        raise ValueError(f"unknown alert kind {kind!r}")
    alert = Alert(
        enrollment_id=enrollment.id, kind=kind, severity=SEVERITY[kind], created_at=now, details=details
    )
    db.add(alert)
    db.flush()
    return alert


def acknowledge(db: Session, alert: Alert, *, by: User, now: datetime, note: str | None) -> None:
    """Mark an alert as seen and handled by the patient's therapist, with an optional note."""
    if alert.state == AlertState.ACKNOWLEDGED:
        return
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_by_id = by.id
    alert.acknowledged_at = now
    alert.note = (note or "").strip() or None
    db.flush()


def open_alerts(db: Session, enrollment_ids: list[int]) -> list[Alert]:
    """Open alerts for some enrollments, most serious and newest first."""
    if not enrollment_ids:
        return []
    return list(
        db.scalars(
            select(Alert)
            .where(Alert.enrollment_id.in_(enrollment_ids), Alert.state == AlertState.OPEN)
            .order_by(Alert.severity, Alert.created_at.desc())
        )
    )
