"""Enrollment: invites from a therapist, a patient joining through one, and pacing overrides."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from .accounts import AccountError, create_user, find_user_by_email
from .models import (
    Enrollment,
    Invite,
    OverrideKind,
    PendingJoin,
    ProgramOverride,
    Role,
    User,
    normalise_email,
)

InviteStatus = Literal["ok", "used", "expired", "unknown", "inactive"]


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(
    db: Session,
    therapist: User,
    *,
    patient_name: str | None,
    email: str | None,
    now: datetime,
    days: int,
    assessed: bool = False,
) -> tuple[Invite, str]:
    """A single-use invite valid for `days`; returns it with the token (shown once, stored only hashed).

    `assessed`: the therapist records that the person's pain was assessed as fitting the program, so week 1
    can open as soon as they have answered the safety questions."""
    if not therapist.is_therapist or not therapist.active:
        raise AccountError("Only an active therapist can invite patients.")
    token = secrets.token_urlsafe(24)
    invite = Invite(
        token_hash=_hash_token(token),
        therapist_id=therapist.id,
        patient_name=(patient_name or "").strip() or None,
        email=(email or "").strip().lower() or None,
        created_at=now,
        expires_at=now + timedelta(days=days),
        assessed_at=now if assessed else None,
    )
    db.add(invite)
    db.flush()
    return invite, token


@dataclass(frozen=True)
class InviteLookup:
    """What a token leads to."""

    status: InviteStatus
    invite: Invite | None


def look_up_invite(db: Session, token: str, now: datetime) -> InviteLookup:
    """Whether an invite link can still be used, and the invite when it exists."""
    invite = db.scalar(select(Invite).where(Invite.token_hash == _hash_token(token)))
    if invite is None:
        return InviteLookup("unknown", None)
    return InviteLookup(invite_status(invite, now), invite)


def invite_status(invite: Invite, now: datetime) -> InviteStatus:
    """Whether an invite can be used now: the one check behind the invite's page and the confirmation of a
    sign-up made through it (which may come up to two days later)."""
    if invite.used_at is not None:
        return "used"
    if invite.expires_at <= now:
        return "expired"
    if not invite.therapist.active:
        # The therapist left: nobody would follow the person who joins (their patients were handed over).
        return "inactive"
    return "ok"


JOIN_CONFIRM_HOURS = 48
INACTIVE_THERAPIST = (
    "The therapist who sent this invitation no longer works with the program here, so it cannot be used. "
    "Please contact the clinic: they can put you in touch with another therapist, who will send you a new "
    "invitation."
)


@dataclass(frozen=True)
class JoinStarted:
    """A sign-up waiting for its email to be confirmed: the token for the link, and whether the email
    already belongs to an account (the email then says so instead; the page never does)."""

    token: str
    email: str
    account_exists: bool


def start_join(
    db: Session,
    invite: Invite,
    *,
    email: str,
    display_name: str,
    password: str,
    timezone: str,
    now: datetime,
) -> JoinStarted:
    """Keep a sign-up until its email is confirmed. The same work is done whether or not the email is taken
    (the password is hashed either way), so the answer's timing tells nothing."""
    password_hash = generate_password_hash(password)
    exists = find_user_by_email(db, email) is not None
    token = secrets.token_urlsafe(24)
    if not exists:
        db.add(
            PendingJoin(
                token_hash=_hash_token(token),
                invite_id=invite.id,
                email=normalise_email(email),
                display_name=display_name.strip(),
                password_hash=password_hash,
                timezone=timezone,
                created_at=now,
            )
        )
        db.flush()
    return JoinStarted(token, normalise_email(email), exists)


@dataclass(frozen=True)
class JoinLookup:
    """What a confirmation link leads to: the sign-up while it can be confirmed ("ok"), else why not
    ("unknown" also for a link past its hours)."""

    status: InviteStatus
    join: PendingJoin | None


def pending_join(db: Session, token: str, now: datetime) -> JoinLookup:
    """A sign-up waiting for confirmation, while its link is fresh and its invite still usable."""
    found = db.scalar(select(PendingJoin).where(PendingJoin.token_hash == _hash_token(token)))
    if found is None or found.created_at <= now - timedelta(hours=JOIN_CONFIRM_HOURS):
        return JoinLookup("unknown", None)
    invite = db.get(Invite, found.invite_id)
    if invite is None:
        return JoinLookup("unknown", None)
    status = invite_status(invite, now)
    return JoinLookup(status, found if status == "ok" else None)


def purge_expired_joins(db: Session, now: datetime) -> int:
    """Remove sign-ups whose confirmation link has run out (with their password hashes); how many."""
    cutoff = now - timedelta(hours=JOIN_CONFIRM_HOURS)
    result = db.execute(delete(PendingJoin).where(PendingJoin.created_at <= cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def finish_join(db: Session, join: PendingJoin, now: datetime) -> User:
    """The email is confirmed: create the patient's account and enrollment, and use the invite up."""
    invite = db.get(Invite, join.invite_id)
    status = "unknown" if invite is None else invite_status(invite, now)
    if status == "inactive":
        # Never an enrollment with a therapist who left: nobody would follow this patient.
        raise AccountError(INACTIVE_THERAPIST)
    if invite is None or status != "ok":
        raise AccountError("This invitation link can no longer be used.")
    patient = create_user(
        db,
        email=join.email,
        display_name=join.display_name,
        password_hash=join.password_hash,
        role=Role.PATIENT,
        timezone=join.timezone,
        now=now,
    )
    # Marking the invite used in the same statement as the check makes a second, concurrent use fail.
    used = db.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now, patient_id=patient.id)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise AccountError("This invitation link has just been used.")
    # Other sign-ups waiting on this invite cannot be confirmed any more.
    db.execute(delete(PendingJoin).where(PendingJoin.invite_id == invite.id))
    db.add(
        Enrollment(
            patient_id=patient.id,
            therapist_id=invite.therapist_id,
            started_at=now,
            accepted_terms_at=now,
            paused=False,
            assessed_at=invite.assessed_at,
            assessed_by_id=invite.therapist_id if invite.assessed_at else None,
        )
    )
    db.flush()
    db.expire(invite)
    return patient


def enroll(db: Session, patient: User, therapist: User, started_at: datetime) -> Enrollment:
    """Enroll a patient with a therapist directly (demo data and tests), their assessment recorded."""
    enrollment = Enrollment(
        patient_id=patient.id,
        therapist_id=therapist.id,
        started_at=started_at,
        accepted_terms_at=started_at,
        assessed_at=started_at,
        assessed_by_id=therapist.id,
    )
    db.add(enrollment)
    db.flush()
    return enrollment


def record_override(
    db: Session,
    enrollment: Enrollment,
    kind: OverrideKind,
    *,
    by: User,
    now: datetime,
    reason: str | None = None,
) -> ProgramOverride:
    """Record a therapist's pacing change (open next module now, pause, resume) with who, when and why.

    Pausing a paused program or resuming a running one is refused, so the history reads plainly.
    """
    if not by.is_therapist or enrollment.therapist_id != by.id:
        raise AccountError("Only the patient's own therapist can change their pacing.")
    if kind == OverrideKind.PAUSE and enrollment.paused:
        raise AccountError("The program is already paused.")
    if kind == OverrideKind.RESUME and not enrollment.paused:
        raise AccountError("The program is not paused.")
    override = ProgramOverride(
        enrollment=enrollment, kind=kind, at=now, by_id=by.id, reason=(reason or "").strip() or None
    )
    db.add(override)
    if kind == OverrideKind.PAUSE:
        enrollment.paused = True
    elif kind == OverrideKind.RESUME:
        enrollment.paused = False
    db.flush()
    return override


def record_assessment(enrollment: Enrollment, therapist: User, now: datetime) -> bool:
    """The therapist records that a clinician assessed the pain as long-lasting, without a cause that needs
    other treatment; week 1 can open. False (and nothing changes) when it was recorded already."""
    if enrollment.assessed_at is not None:
        return False
    enrollment.assessed_at = now
    enrollment.assessed_by_id = therapist.id
    return True
