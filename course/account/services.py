"""A person's own account: password and time zone; a patient's data export and deletion."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import record
from ..conversations import export as messages_export
from ..csvfile import csv_text
from ..erasure import erase_patient
from ..feedback import feedback_of
from ..journal.services import export_json, export_markdown, list_entries
from ..models import CheckIn, Enrollment, MeasureResponse, Notification, StepProgress, User
from ..practice.services import practice_export


def export_archive(db: Session, patient: User, now: datetime) -> bytes:
    """Everything stored about the patient, as one zip: journal, answers, feedback moments with their
    therapist's replies, check-ins, measures, practice, messages with their therapist, profile."""
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    entries = list_entries(db, patient) + list_entries(db, patient, deleted=True)
    progress = (
        db.scalars(select(StepProgress).where(StepProgress.enrollment_id == enrollment.id)).all()
        if enrollment
        else []
    )
    measures = (
        db.scalars(select(MeasureResponse).where(MeasureResponse.enrollment_id == enrollment.id)).all()
        if enrollment
        else []
    )
    checkins = db.scalars(select(CheckIn).where(CheckIn.patient_id == patient.id).order_by(CheckIn.day)).all()
    profile: dict[str, Any] = {
        "name": patient.display_name,
        "email": patient.email,
        "time_zone": patient.timezone,
        "joined": patient.created_at.isoformat(),
        "exported": now.isoformat(),
    }
    if enrollment is not None:
        profile["program_started"] = enrollment.started_at.isoformat()
        profile["safety_screening"] = {
            "answered": enrollment.screened_at.isoformat() if enrollment.screened_at else None,
            "red_flags": enrollment.red_flags,
            "post_exertional_malaise": enrollment.pem,
        }
    answers = [
        {
            "module": p.module_slug,
            "step": p.step_id,
            "status": p.status.value,
            "answers": p.answers,
            "completed_at": p.completed_at.isoformat() if p.completed_at else None,
        }
        for p in progress
    ]
    scores = [
        {
            "questionnaire": m.measure_id,
            "when": m.due_key,
            "complete": m.complete,
            "score": m.score,
            "answers": {k: v for k, v in m.answers.items() if not k.startswith("_")},
            "completed_at": m.completed_at.isoformat() if m.completed_at else None,
        }
        for m in measures
    ]
    feedback = [
        {
            "module": f.module_slug,
            "step": f.step_id,
            "sent_at": f.asked_at.isoformat(),
            "reply": f.reply,
            "replied_at": f.replied_at.isoformat() if f.replied_at else None,
        }
        for f in (feedback_of(db, enrollment) if enrollment else [])
    ]
    table: list[list[object]] = [
        ["day", "pain", "sleep_hours", "sleep_quality", "stress", "mood", "habits", "note"]
    ]
    table += [
        [
            c.day.isoformat(),
            c.pain,
            c.sleep_hours,
            c.sleep_quality,
            c.stress,
            c.mood,
            " ".join(h.habit_id for h in c.habits),
            c.note,
        ]
        for c in checkins
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt", "Your data from the pain program, exported " + now.date().isoformat() + ".\n"
        )
        archive.writestr("profile.json", json.dumps(profile, ensure_ascii=False, indent=2))
        archive.writestr("journal.json", export_json(entries))
        archive.writestr("journal.md", export_markdown(entries, patient))
        archive.writestr("course-answers.json", json.dumps(answers, ensure_ascii=False, indent=2))
        archive.writestr("feedback.json", json.dumps(feedback, ensure_ascii=False, indent=2))
        archive.writestr("questionnaires.json", json.dumps(scores, ensure_ascii=False, indent=2))
        archive.writestr("check-ins.csv", csv_text(table))
        archive.writestr(
            "practice.json", json.dumps(practice_export(db, patient), ensure_ascii=False, indent=2)
        )
        archive.writestr(
            "messages.json", json.dumps(messages_export(db, patient), ensure_ascii=False, indent=2)
        )
    return buffer.getvalue()


def request_deletion(patient: User, now: datetime) -> None:
    """The patient asks for everything to be deleted; an admin completes it after the grace period."""
    if patient.deletion_requested_at is None:
        patient.deletion_requested_at = now


def cancel_deletion(patient: User) -> None:
    """The patient changed their mind during the grace period."""
    patient.deletion_requested_at = None


def deletion_due(patient: User, grace_days: int) -> datetime | None:
    """When the deletion may be completed, or None when nothing was requested."""
    if patient.deletion_requested_at is None:
        return None
    return patient.deletion_requested_at + timedelta(days=grace_days)


def delete_patient(
    db: Session, patient: User, admin: User, *, now: datetime, grace_days: int, outbox: Path | None = None
) -> None:
    """Delete the patient and everything of theirs once the grace period has passed (course/erasure.py); the
    audit trail keeps that it happened, with the former id as a plain value, not the data."""
    due = deletion_due(patient, grace_days)
    if not patient.is_patient or due is None or due > now:
        raise ValueError("This deletion cannot be completed yet.")
    requested = patient.deletion_requested_at
    deletion = erase_patient(db, patient, now=now, outbox=outbox)
    record(
        db,
        admin,
        None,
        "patient_deleted",
        now=now,
        former_patient_id=deletion.user_id,
        requested_at=requested.isoformat() if requested else None,
    )


def unread_notifications(db: Session, user: User) -> list[Notification]:
    """The person's unread notifications, newest first (a patient's say their therapist changed)."""
    return list(
        db.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(20)
        )
    )
