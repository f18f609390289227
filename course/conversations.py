"""Messages between a patient and their therapist, and the therapist's review cadence.

- One conversation per enrollment: it belongs to the patient's place in the program, so it follows them to
  a new therapist (course/staffing.py moves the enrollment) and goes with their deletion (the schema's
  cascade). Plain text, at most `MAX_LENGTH` characters.
- Read receipts: a message counts as read when the person it was written to says so ("Mark as read", a
  POST) or writes back; opening a page changes nothing.
- Unread counts: each account keeps how many messages wait for it (`User.unread_messages`), so the header's
  count comes with the signed-in user's own row. `recount_unread` sets it from the messages themselves, and
  every change to who may read what calls it: a message sent or read, a handover, a patient's deletion.
- Every patient message is read by the crisis check (`safety_watch.watch_words`), as the journal is.
- The review cadence: a therapist reviews each patient every `review_days` (weekly unless they choose
  otherwise); `review_due_at` is when the next review is due, which the caseload's triage reads.

Services take the session, the people and `now`; they never touch the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from ._zones import zone_of
from .activity import touch
from .models import Enrollment, Message, User
from .safety_watch import WrittenIn, watch_words

MAX_LENGTH = 5000
# How often a therapist may choose to review a patient, in days, and how the choice reads.
REVIEW_CHOICES = {7: "Every week", 14: "Every 2 weeks", 30: "Every month"}
DEFAULT_REVIEW_DAYS = 7
THREAD_LENGTH = 200  # messages shown on the conversation page (the patient's export has them all)
EXCERPT = 80  # characters of a message the therapist's timeline shows


class MessageError(ValueError):
    """A message that cannot be sent; the text says why, for the person who wrote it."""


@dataclass(frozen=True)
class Sent:
    """A message saved, and whether its words call for crisis help (a patient's message only)."""

    message: Message
    crisis: bool


def check_text(text: str | None) -> str:
    """The message as it will be saved, or MessageError saying what to change."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise MessageError("Please write your message first.")
    if len(cleaned) > MAX_LENGTH:
        raise MessageError(
            f"Your message is {len(cleaned):,} characters long. Please keep it to {MAX_LENGTH:,}, or send it "
            "in two parts."
        )
    return cleaned


def _recipient_id(enrollment: Enrollment, from_patient: bool) -> int:
    return enrollment.therapist_id if from_patient else enrollment.patient_id


def send(db: Session, enrollment: Enrollment, sender: User, text: str | None, *, now: datetime) -> Sent:
    """Save a message from the patient or their therapist in the patient's conversation.

    Writing back counts as reading what the other person wrote. A patient's message counts as activity and
    is read by the crisis check (the alert says where, never the words)."""
    body = check_text(text)
    from_patient = sender.id == enrollment.patient_id
    if not from_patient and sender.id != enrollment.therapist_id:
        raise MessageError("Only the patient and their therapist write in this conversation.")
    message = Message(
        enrollment_id=enrollment.id, from_patient=from_patient, sender_id=sender.id, text=body, created_at=now
    )
    db.add(message)
    _mark_read(db, enrollment, reader_is_patient=from_patient, now=now)
    crisis = False
    if from_patient:
        touch(enrollment, now)
        db.flush()
        day = now.astimezone(zone_of(sender)).date().isoformat()
        written_in = WrittenIn("message", f"a message to their therapist ({day})")
        crisis = watch_words(db, enrollment, [body], written_in, now)
    recount_unread(db, [enrollment.patient_id, enrollment.therapist_id])
    return Sent(message, crisis)


def mark_read(db: Session, enrollment: Enrollment, reader: User, *, now: datetime) -> int:
    """Mark every message written to `reader` in this conversation as read now; how many there were."""
    count = _mark_read(db, enrollment, reader_is_patient=reader.id == enrollment.patient_id, now=now)
    recount_unread(db, [reader.id])
    return count


def _mark_read(db: Session, enrollment: Enrollment, *, reader_is_patient: bool, now: datetime) -> int:
    """Through the ORM, so the caseload's flush listener sees the change (the row's "waiting" signal)."""
    unread = db.scalars(
        select(Message).where(
            Message.enrollment_id == enrollment.id,
            Message.from_patient.is_(not reader_is_patient),
            Message.read_at.is_(None),
        )
    ).all()
    for message in unread:
        message.read_at = now
    db.flush()
    return len(unread)


def unread_count_of(user_id: Any) -> Any:
    """SQL: how many messages wait for the account `user_id` (a column or a value) to read them."""
    return (
        select(func.count(Message.id))
        .join(Enrollment, Enrollment.id == Message.enrollment_id)
        .where(
            Message.read_at.is_(None),
            or_(
                and_(Message.from_patient.is_(True), Enrollment.therapist_id == user_id),
                and_(Message.from_patient.is_(False), Enrollment.patient_id == user_id),
            ),
        )
        .scalar_subquery()
    )


def recount_unread(db: Session, user_ids: Iterable[int]) -> None:
    """Set each account's unread count from the messages themselves (one statement)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    db.execute(
        update(User)
        .where(User.id.in_(ids))
        .values(unread_messages=unread_count_of(User.id))
        .execution_options(synchronize_session=False)
    )


def thread(db: Session, enrollment: Enrollment, limit: int = THREAD_LENGTH) -> list[Message]:
    """The conversation, oldest first (its newest `limit` messages), with who wrote each."""
    newest = list(
        db.scalars(
            select(Message)
            .where(Message.enrollment_id == enrollment.id)
            .options(joinedload(Message.sender))
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
    )
    return newest[::-1]


@dataclass(frozen=True)
class Conversation:
    """One line of the therapist's list of conversations."""

    patient_id: int
    name: str
    waiting: int
    last_at: datetime | None


def conversations(db: Session, therapist: User) -> list[Conversation]:
    """The therapist's patients who have a conversation, those waiting for a reply first, then the most
    recent (one statement)."""
    waiting = func.count(Message.id).filter(Message.from_patient.is_(True), Message.read_at.is_(None))
    last = func.max(Message.created_at)
    rows = db.execute(
        select(Enrollment.patient_id, User.display_name, waiting, last)
        .join(Message, Message.enrollment_id == Enrollment.id)
        .join(User, User.id == Enrollment.patient_id)
        .where(Enrollment.therapist_id == therapist.id)
        .group_by(Enrollment.patient_id, User.display_name)
        .order_by((waiting > 0).desc(), last.desc(), Enrollment.patient_id)
    ).all()
    return [Conversation(pid, name, int(n or 0), at) for pid, name, n, at in rows]


def review_due_at(enrollment: Enrollment) -> datetime:
    """When the therapist's next review of this patient is due: `review_days` after the last review (or
    after the patient started, before the first)."""
    return (enrollment.reviewed_at or enrollment.started_at) + timedelta(days=enrollment.review_days)


def set_review_days(enrollment: Enrollment, days: int) -> None:
    """Choose how often to review the patient (one of REVIEW_CHOICES)."""
    if days not in REVIEW_CHOICES:
        raise MessageError("Please choose how often to review this patient.")
    enrollment.review_days = days


def record_review(
    db: Session, enrollment: Enrollment, therapist: User, text: str | None, *, now: datetime
) -> Sent | None:
    """A review: the short message to the patient, when there is one, and the review's time."""
    sent = send(db, enrollment, therapist, text, now=now) if (text or "").strip() else None
    enrollment.reviewed_at = now
    db.flush()
    return sent


def export(db: Session, patient: User) -> list[dict[str, Any]]:
    """Every message of the patient's conversation, for their own export (oldest first)."""
    rows = db.execute(
        select(Message, User.display_name)
        .join(Enrollment, Enrollment.id == Message.enrollment_id)
        .outerjoin(User, User.id == Message.sender_id)
        .where(Enrollment.patient_id == patient.id)
        .order_by(Message.created_at, Message.id)
    ).all()
    return [
        {
            "from": "you" if message.from_patient else (name or "your therapist"),
            "sent": message.created_at.isoformat(),
            "read": message.read_at.isoformat() if message.read_at else None,
            "text": message.text,
        }
        for message, name in rows
    ]
