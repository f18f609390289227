"""Reminders that help and then stop, and a daily digest for therapists.

`due_messages` decides from the database and `now` what should go out; `send_all` sends each message once:
it first claims the message's unique key in `sent_messages` (committed), then sends, and releases the claim
if sending fails so a later run retries. Two runs at once, on any number of servers, cannot both claim a key.
Patients get nothing while paused, after finishing, or between 21:00 and 08:00 their time; emails carry no
health details beyond "your next module is ready". A new message is told by email to the person it was
written to (patient or therapist, each may switch it off; never between 21:00 and 08:00 their time, nor to a
paused patient): the email says only that there is a message, never its words, and once per run of unread
messages in a conversation (the next one is told after they have read those).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from .._zones import zone_of
from ..alerts import SEVERITY
from ..assess.services import due_now, screening_status
from ..content.model import Catalog
from ..journal.services import is_unread
from ..learn.services import program_for
from ..measures import Schedule
from ..models import (
    Alert,
    AlertState,
    Enrollment,
    FeedbackRequest,
    JournalEntry,
    Notification,
    NotificationOptOut,
    Role,
    SentMessage,
    User,
)
from ..models import (
    Message as ChatMessage,
)

PATIENT_KINDS = {
    "week_open": "When a new week of the program opens",
    "nudge": "A gentle reminder after a few quiet days (at most once a week)",
    "measure_due": "When a short questionnaire is ready",
    "feedback_reply": "When your therapist replies to answers you sent them",
    "message": "When your therapist sends you a message",
}
THERAPIST_KINDS = {
    "digest_alerts": "New alerts, in the daily digest",
    "digest_unread": "Unread shared journal entries, in the daily digest",
    "digest_silent": "Patients who went quiet, in the daily digest",
    "feedback_waiting": "When a patient's answers wait for your reply",
    "message": "When a patient sends you a message",
}
QUIET_FROM, QUIET_UNTIL = 21, 8  # no patient email between 21:00 and 08:00 local time
NUDGE_AFTER = timedelta(days=3)
FEEDBACK_NEWS = timedelta(days=2)  # a feedback moment or a reply is told about within this long
NUDGE_EVERY = timedelta(days=7)
SILENT_AFTER = timedelta(days=7)
SAFETY_KINDS = tuple(kind for kind, severity in SEVERITY.items() if severity == 0)


@dataclass(frozen=True)
class Message:
    """One email to one person, with the key that makes it go out once."""

    key: str
    user: User
    kind: str
    subject: str
    body: str
    link: str
    unsubscribe_kind: str | None  # None: cannot be switched off (safety alerts)
    notification: str | None = None  # text of the in-app notification (therapists, admins)
    patient_id: int | None = None  # the patient a message to someone else is about (goes with their deletion)


def opted_out(db: Session, user_ids: list[int]) -> set[tuple[int, str]]:
    """(user, kind) pairs people switched off."""
    if not user_ids:
        return set()
    return {
        (u, k)
        for u, k in db.execute(
            select(NotificationOptOut.user_id, NotificationOptOut.kind).where(
                NotificationOptOut.user_id.in_(user_ids)
            )
        )
    }


def set_opt_out(db: Session, user: User, kind: str, off: bool) -> None:
    """Switch one kind of message off (or back on) for a person."""
    existing = db.scalar(
        select(NotificationOptOut).where(
            NotificationOptOut.user_id == user.id, NotificationOptOut.kind == kind
        )
    )
    if off and existing is None:
        db.add(NotificationOptOut(user_id=user.id, kind=kind))
    elif not off and existing is not None:
        db.delete(existing)
    db.flush()


def _quiet(user: User, now: datetime) -> bool:
    hour = now.astimezone(zone_of(user)).hour
    return hour >= QUIET_FROM or hour < QUIET_UNTIL


def _patient_messages(
    db: Session, catalog: Catalog, schedule: Schedule, now: datetime, base: str, off: set[tuple[int, str]]
) -> list[Message]:
    messages: list[Message] = []
    enrollments = db.scalars(
        select(Enrollment)
        .join(User, User.id == Enrollment.patient_id)
        .where(User.active.is_(True), Enrollment.paused.is_(False))
        .options(joinedload(Enrollment.patient))
    ).all()
    recent_nudges = {
        u
        for (u,) in db.execute(
            select(SentMessage.user_id).where(
                SentMessage.kind == "nudge", SentMessage.sent_at > now - NUDGE_EVERY
            )
        )
    }
    for enrollment in enrollments:
        patient = enrollment.patient
        if _quiet(patient, now) or screening_status(enrollment) != "ok":
            continue
        state = program_for(db, enrollment, catalog, now)
        if state.finished:
            continue
        today = now.astimezone(zone_of(patient)).date().isoformat()
        for module_state in state.modules[1:]:
            opened = module_state.opened_at
            if (
                opened is not None
                and now - timedelta(days=3) <= opened <= now
                and (patient.id, "week_open") not in off
            ):
                module = catalog.module(module_state.slug)
                week = module.week if module else module_state.position + 1
                messages.append(
                    Message(
                        f"week_open:{enrollment.id}:{module_state.slug}",
                        patient,
                        "week_open",
                        "Your next module is ready",
                        f"Hello {patient.display_name},\n\n"
                        f"Week {week} of your program is open. Your next module is "
                        "ready whenever you are.",
                        f"{base}/learn/{module_state.slug}",
                        "week_open",
                    )
                )
        if (patient.id, "measure_due") not in off:
            for due in due_now(db, enrollment, schedule, now):
                messages.append(
                    Message(
                        f"measure:{enrollment.id}:{due.measure_id}:{due.due_key}",
                        patient,
                        "measure_due",
                        "A short questionnaire is ready",
                        f"Hello {patient.display_name},\n\n"
                        "A short questionnaire is ready for you. It takes a few "
                        "minutes.",
                        f"{base}/measures/{due.measure_id}/{due.due_key}",
                        "measure_due",
                    )
                )
        last = enrollment.last_active_at or enrollment.started_at
        if now - last >= NUDGE_AFTER and patient.id not in recent_nudges and (patient.id, "nudge") not in off:
            messages.append(
                Message(
                    f"nudge:{enrollment.id}:{today}",
                    patient,
                    "nudge",
                    "Your next step is waiting",
                    f"Hello {patient.display_name},\n\n"
                    "Whenever you are ready, your next step is waiting. Even a few "
                    "minutes counts.",
                    f"{base}/learn/",
                    "nudge",
                )
            )
    messages += _reply_messages(db, now, base, off)
    return messages


def _reply_messages(db: Session, now: datetime, base: str, off: set[tuple[int, str]]) -> list[Message]:
    """A patient's therapist replied to a feedback moment (the words stay in the app)."""
    messages: list[Message] = []
    replied = db.scalars(
        select(FeedbackRequest)
        .join(Enrollment, Enrollment.id == FeedbackRequest.enrollment_id)
        .join(User, User.id == Enrollment.patient_id)
        .where(
            User.active.is_(True),
            FeedbackRequest.replied_at.is_not(None),
            FeedbackRequest.replied_at > now - FEEDBACK_NEWS,
            FeedbackRequest.replied_at <= now,
        )
        .options(joinedload(FeedbackRequest.enrollment).joinedload(Enrollment.patient))
    ).all()
    for request in replied:
        patient = request.enrollment.patient
        if _quiet(patient, now) or (patient.id, "feedback_reply") in off:
            continue
        messages.append(
            Message(
                f"feedback_reply:{request.id}",
                patient,
                "feedback_reply",
                "Your therapist replied",
                f"Hello {patient.display_name},\n\nYour therapist replied to the answers you sent them. "
                "Sign in to read it.",
                f"{base}/learn/{request.module_slug}/{request.step_id}",
                "feedback_reply",
            )
        )
    return messages


def _therapist_messages(db: Session, now: datetime, base: str, off: set[tuple[int, str]]) -> list[Message]:
    messages: list[Message] = []
    safety = db.scalars(
        select(Alert)
        .where(
            Alert.kind.in_(SAFETY_KINDS),
            Alert.state == AlertState.OPEN,
            Alert.created_at > now - timedelta(days=2),
        )
        .options(joinedload(Alert.enrollment).joinedload(Enrollment.therapist))
    ).all()
    admins: list[User] | None = None
    for alert in safety:
        therapist = alert.enrollment.therapist
        patient_id = alert.enrollment.patient_id
        if therapist.active:
            messages.append(
                Message(
                    f"alert:{alert.id}",
                    therapist,
                    "safety_alert",
                    "A safety alert needs your attention",
                    f"Hello {therapist.display_name},\n\n"
                    "A safety alert was raised for one of your patients. Please "
                    "sign in to see it.",
                    f"{base}/clinic/patients/{patient_id}",
                    None,
                    notification="A safety alert needs your attention.",
                    patient_id=patient_id,
                )
            )
            continue
        # Nobody follows the patient: the clinic's admins hand them to a therapist who can act.
        if admins is None:
            admins = list(db.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True))))
        for admin in admins:
            messages.append(
                Message(
                    f"alert:{alert.id}:admin:{admin.id}",
                    admin,
                    "safety_alert",
                    "A safety alert has no active therapist",
                    f"Hello {admin.display_name},\n\n"
                    f"A safety alert was raised for a patient of {therapist.display_name}, whose account is "
                    "deactivated, so no therapist will see it. Please hand their patients to an active "
                    "therapist today.",
                    f"{base}/admin/therapists/{therapist.id}/handover",
                    None,
                    notification=(
                        f"A safety alert for a patient of {therapist.display_name} (deactivated) has no "
                        "therapist: hand their patients over."
                    ),
                    patient_id=patient_id,
                )
            )
    # A patient's answers to a feedback moment wait for the therapist's reply: told once, without the words.
    waiting = db.scalars(
        select(FeedbackRequest)
        .where(
            FeedbackRequest.replied_at.is_(None),
            FeedbackRequest.asked_at > now - FEEDBACK_NEWS,
            FeedbackRequest.asked_at <= now,
        )
        .options(joinedload(FeedbackRequest.enrollment).joinedload(Enrollment.therapist))
    ).all()
    for request in waiting:
        therapist = request.enrollment.therapist
        patient_id = request.enrollment.patient_id
        if not therapist.active or (therapist.id, "feedback_waiting") in off:
            continue
        messages.append(
            Message(
                f"feedback:{request.id}",
                therapist,
                "feedback_waiting",
                "A patient's answers wait for your reply",
                f"Hello {therapist.display_name},\n\n"
                "One of your patients finished a step that waits for your reply. Their next step opens "
                "when you reply. Please sign in to read their answers.",
                f"{base}/clinic/patients/{patient_id}/feedback/{request.id}",
                "feedback_waiting",
                notification="A patient's answers wait for your reply.",
                patient_id=patient_id,
            )
        )
    therapists = db.scalars(select(User).where(User.role == Role.THERAPIST, User.active.is_(True))).all()
    for therapist in therapists:
        local = now.astimezone(zone_of(therapist))
        if local.hour < QUIET_UNTIL or local.hour >= QUIET_FROM:
            continue
        mine = select(Enrollment.id).where(Enrollment.therapist_id == therapist.id)
        lines = []
        if (therapist.id, "digest_alerts") not in off:
            new_alerts = (
                db.scalar(
                    select(func.count(Alert.id)).where(
                        Alert.enrollment_id.in_(mine),
                        Alert.state == AlertState.OPEN,
                        Alert.created_at > now - timedelta(days=1),
                    )
                )
                or 0
            )
            if new_alerts:
                lines.append(f"{new_alerts} new alert{'s' if new_alerts != 1 else ''}")
        if (therapist.id, "digest_unread") not in off:
            shared = db.scalars(
                select(JournalEntry)
                .join(Enrollment, Enrollment.patient_id == JournalEntry.patient_id)
                .where(
                    Enrollment.therapist_id == therapist.id,
                    JournalEntry.shared.is_(True),
                    JournalEntry.deleted_at.is_(None),
                )
            ).all()
            unread = sum(1 for entry in shared if is_unread(entry))
            if unread:
                lines.append(f"{unread} unread shared journal entr{'ies' if unread != 1 else 'y'}")
        if (therapist.id, "digest_silent") not in off:
            silent = (
                db.scalar(
                    select(func.count(Enrollment.id)).where(
                        Enrollment.therapist_id == therapist.id,
                        Enrollment.paused.is_(False),
                        func.coalesce(Enrollment.last_active_at, Enrollment.started_at) < now - SILENT_AFTER,
                    )
                )
                or 0
            )
            if silent:
                lines.append(f"{silent} patient{'s' if silent != 1 else ''} quiet for a week or more")
        if lines and (therapist.id, "digest") not in off:
            summary = "; ".join(lines)
            messages.append(
                Message(
                    f"digest:{therapist.id}:{local.date().isoformat()}",
                    therapist,
                    "digest",
                    "Your daily summary",
                    f"Hello {therapist.display_name},\n\nToday: {summary}.",
                    f"{base}/clinic/",
                    "digest",
                    notification=f"Daily summary: {summary}.",
                )
            )
    return messages


MESSAGE_NOTICE_WITHIN = timedelta(days=7)  # an unread message older than this is not emailed about any more


def _new_message_notices(db: Session, now: datetime, base: str, off: set[tuple[int, str]]) -> list[Message]:
    """One email per conversation and reader for the first message they have not read (its id is in the
    key, so the next email waits until they have read it). The words stay in the app."""
    first_unread = (
        select(ChatMessage.enrollment_id, ChatMessage.from_patient, func.min(ChatMessage.id).label("first"))
        .where(ChatMessage.read_at.is_(None), ChatMessage.created_at > now - MESSAGE_NOTICE_WITHIN)
        .group_by(ChatMessage.enrollment_id, ChatMessage.from_patient)
        .subquery()
    )
    rows = db.execute(
        select(Enrollment, first_unread.c.from_patient, first_unread.c.first)
        .join(first_unread, first_unread.c.enrollment_id == Enrollment.id)
        .options(joinedload(Enrollment.patient), joinedload(Enrollment.therapist))
        .order_by(Enrollment.id, first_unread.c.from_patient)
    ).all()
    messages = []
    for enrollment, from_patient, first in rows:
        reader = enrollment.therapist if from_patient else enrollment.patient
        if not reader.active or (reader.id, "message") in off or _quiet(reader, now):
            continue
        if not from_patient and enrollment.paused:
            continue
        if from_patient:
            subject, who = "A patient sent you a message", "One of your patients sent you a message."
            link = f"{base}/messages/patients/{enrollment.patient_id}"
        else:
            subject, who = "You have a new message", "Your therapist sent you a message."
            link = f"{base}/messages"
        messages.append(
            Message(
                f"message:{reader.id}:{first}",
                reader,
                "message",
                subject,
                f"Hello {reader.display_name},\n\n{who} Please sign in to read it.",
                link,
                "message",
                patient_id=enrollment.patient_id if from_patient else None,
            )
        )
    return messages


def due_messages(
    db: Session, catalog: Catalog, schedule: Schedule, now: datetime, base_url: str
) -> list[Message]:
    """Every message that should go out now and has not gone out yet."""
    people = list(db.scalars(select(User.id).where(User.active.is_(True))))
    off = opted_out(db, people)
    candidates = (
        _patient_messages(db, catalog, schedule, now, base_url, off)
        + _therapist_messages(db, now, base_url, off)
        + _new_message_notices(db, now, base_url, off)
    )
    sent = (
        {
            k
            for (k,) in db.execute(
                select(SentMessage.key).where(SentMessage.key.in_([m.key for m in candidates]))
            )
        }
        if candidates
        else set()
    )
    return [m for m in candidates if m.key not in sent]


@dataclass
class RunReport:
    """What one run did."""

    sent: int = 0
    skipped: int = 0  # another run claimed it first
    failed: int = 0


def send_all(
    db: Session, messages: list[Message], send: Callable[[Message], None], now: datetime
) -> RunReport:
    """Claim each message's key (committed), send it, and release the claim when sending fails."""
    report = RunReport()
    for message in messages:
        claim = SentMessage(
            key=message.key,
            user_id=message.user.id,
            kind=message.kind,
            sent_at=now,
            patient_id=message.patient_id,
        )
        try:
            db.add(claim)
            db.commit()
        except IntegrityError:
            db.rollback()
            report.skipped += 1
            continue
        try:
            send(message)
        except Exception:
            db.execute(delete(SentMessage).where(SentMessage.key == message.key))
            db.commit()
            report.failed += 1
            continue
        if message.notification:
            db.add(
                Notification(
                    user_id=message.user.id,
                    kind=message.kind,
                    text=message.notification,
                    link=message.link,
                    created_at=now,
                    patient_id=message.patient_id,
                )
            )
            db.commit()
        report.sent += 1
    return report


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="unsubscribe")


def unsubscribe_token(secret: str, user: User, kind: str) -> str:
    """A signed token for switching off one kind of message with one click."""
    return _serializer(secret).dumps({"u": user.id, "k": kind})


def read_unsubscribe_token(db: Session, secret: str, token: str) -> tuple[User, str] | None:
    """The person and kind a token is for, or None when it is not genuine."""
    try:
        data = _serializer(secret).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user = db.get(User, data.get("u"))
    kind = str(data.get("k", ""))
    if user is None or kind not in (PATIENT_KINDS | THERAPIST_KINDS | {"digest": ""}):
        return None
    return user, kind


def kinds_for(user: User) -> dict[str, str]:
    """The kinds of message this person can switch on and off."""
    return PATIENT_KINDS if user.is_patient else THERAPIST_KINDS if user.is_therapist else {}
