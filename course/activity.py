"""The one place that notes a patient's latest activity (for the caseload's "last active" and triage)."""

from __future__ import annotations

from datetime import datetime

from .models import Enrollment, User


def touch(patient: User | Enrollment | None, now: datetime) -> None:
    """Record that the patient did something at `now` (never moves backwards)."""
    enrollment = patient.enrollment if isinstance(patient, User) else patient
    if enrollment is not None and (enrollment.last_active_at is None or enrollment.last_active_at < now):
        enrollment.last_active_at = now
