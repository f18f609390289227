"""A therapist leaving: their patients are handed to another therapist before the account is deactivated,
and the patients and the new therapist are told. Nobody is left without a therapist who can see their
alerts; a safety alert that finds no active therapist all the same goes to the clinic's admins
(course/notify/services.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from . import signins
from .accounts import set_active
from .conversations import recount_unread
from .models import CaseloadEntry, Enrollment, Notification, Role, User


class HandoverError(ValueError):
    """The handover or deactivation cannot be done; the message says why, for the admin."""


@dataclass(frozen=True)
class Notice:
    """An email to send once the handover is saved."""

    to: str
    subject: str
    body: str


def patient_count(db: Session, therapist: User) -> int:
    """How many patients the therapist follows."""
    return db.scalar(select(func.count(Enrollment.id)).where(Enrollment.therapist_id == therapist.id)) or 0


def successors(db: Session, therapist: User) -> list[User]:
    """The active therapists who could take over this therapist's patients, by name."""
    return list(
        db.scalars(
            select(User)
            .where(User.role == Role.THERAPIST, User.active.is_(True), User.id != therapist.id)
            .order_by(User.display_name, User.id)
        )
    )


def deactivate_therapist(db: Session, therapist: User, now: datetime) -> None:
    """Deactivate a therapist who follows nobody (hand their patients over first)."""
    count = patient_count(db, therapist)
    if count:
        raise HandoverError(
            f"{therapist.display_name} still follows {count} patient{'s' if count != 1 else ''}. "
            "Choose who follows them first."
        )
    set_active(therapist, False, now)
    signins.end_all(db, therapist.id)  # every sign-in of theirs ends at once


def hand_over(
    db: Session, leaving: User, successor: User, *, now: datetime, base_url: str, clinic: str
) -> list[Notice]:
    """Give every patient of `leaving` to `successor`: their enrollments, and with them their alerts, open
    or not, their conversations (messages belong to the enrollment) and their caseload rows. Each patient
    and the successor get an in-app notification; the emails to send are returned (the caller sends them
    once this is saved)."""
    if leaving.id == successor.id or not successor.is_therapist or not successor.active:
        raise HandoverError("Please choose another active therapist.")
    enrollments = list(
        db.scalars(
            select(Enrollment)
            .where(Enrollment.therapist_id == leaving.id)
            .options(joinedload(Enrollment.patient))
            .order_by(Enrollment.id)
        )
    )
    if not enrollments:
        return []
    for enrollment in enrollments:
        enrollment.therapist_id = successor.id
    db.flush()  # the caseload's flush listener marks these rows stale; they also move to the successor now
    db.execute(
        update(CaseloadEntry)
        .where(CaseloadEntry.enrollment_id.in_([e.id for e in enrollments]))
        .values(therapist_id=successor.id)
        .execution_options(synchronize_session=False)
    )
    # The conversations belong to the enrollments and moved with them; so do the messages waiting to be read.
    recount_unread(db, [leaving.id, successor.id])
    base = base_url.rstrip("/")
    notices = []
    for enrollment in enrollments:
        patient = enrollment.patient
        db.add(
            Notification(
                user_id=patient.id,
                patient_id=patient.id,
                kind="new_therapist",
                text=(
                    f"{successor.display_name} now follows your program, in place of "
                    f"{leaving.display_name}. Your progress, journal and messages are as you left them."
                ),
                link=f"{base}/learn/",
                created_at=now,
            )
        )
        notices.append(
            Notice(
                patient.email,
                "Your therapist has changed",
                f"Hello {patient.display_name},\n\n"
                f"{leaving.display_name} no longer works with the program at {clinic}. From now on "
                f"{successor.display_name} follows your program: they see your progress and what you choose "
                f"to share, as {leaving.display_name} did.\n\n"
                "Nothing else changes: your progress, your journal and your messages are as you left "
                "them.\n\n"
                f"{base}/learn/\n",
            )
        )
    count = len(enrollments)
    patients = f"{count} patient{'s' if count != 1 else ''}"
    db.add(
        Notification(
            user_id=successor.id,
            kind="handover",
            text=f"{patients} of {leaving.display_name} now in your caseload, with their alerts.",
            link=f"{base}/clinic/",
            created_at=now,
        )
    )
    notices.append(
        Notice(
            successor.email,
            "Patients handed over to you",
            f"Hello {successor.display_name},\n\n"
            f"{patients} of {leaving.display_name} are now in your caseload, with their open alerts. "
            "Please sign in to see them.\n\n"
            f"{base}/clinic/\n",
        )
    )
    db.flush()
    return notices
