"""Sign-ins recorded on the server: a session cookie is valid only while its sign-in exists.

Signing out, the staff idle sign-out, a password change, a reset, a deactivation or an admin's reset of a
second factor deletes sign-ins, and a copied cookie whose sign-in is gone is refused by the user loader
(course/auth/session.py). Each sign-in also has an absolute end: staff COURSE_STAFF_SESSION_HOURS (12),
patients COURSE_PATIENT_SESSION_DAYS.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .models import SignIn, User

# The session cookie's key for the sign-in's token (Flask-Login's own keys start with an underscore too).
TOKEN_KEY = "_sid"  # noqa: S105  # nosec B105  # a key's name, not a secret


def token_hash(token: str) -> str:
    """What the database keeps of a sign-in's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime(user: User, staff_hours: int, patient_days: int) -> timedelta:
    """How long a sign-in of this person may last, however active they are."""
    return timedelta(days=patient_days) if user.is_patient else timedelta(hours=staff_hours)


def start(db: Session, user: User, *, device: str, now: datetime, lasts: timedelta) -> str:
    """Record a new sign-in; the token goes into the session cookie."""
    token = secrets.token_urlsafe(32)
    db.add(
        SignIn(
            user_id=user.id,
            token_hash=token_hash(token),
            device=device[:200],
            created_at=now,
            last_seen_at=now,
            expires_at=now + lasts,
        )
    )
    db.flush()
    return token


def end(db: Session, token: str | None) -> None:
    """End one sign-in (this browser's)."""
    if token:
        db.execute(delete(SignIn).where(SignIn.token_hash == token_hash(token)))


def end_all(db: Session, user_id: int, *, except_token: str | None = None) -> int:
    """End every sign-in of a person, but this browser's when given; how many ended."""
    statement = delete(SignIn).where(SignIn.user_id == user_id)
    if except_token:
        statement = statement.where(SignIn.token_hash != token_hash(except_token))
    return int(db.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def seen(db: Session, token: str | None, now: datetime) -> None:
    """Note that a sign-in was used now (the caller does this at most once a minute)."""
    if token:
        db.execute(update(SignIn).where(SignIn.token_hash == token_hash(token)).values(last_seen_at=now))


@dataclass(frozen=True)
class Place:
    """A browser where a person is signed in, for "Where you are signed in"."""

    device: str
    started: datetime
    last_seen: datetime
    this_one: bool


def places(db: Session, user: User, current_token: str | None, now: datetime) -> list[Place]:
    """The person's live sign-ins, this browser's first, then the most recently used."""
    mine = token_hash(current_token) if current_token else ""
    rows = db.scalars(
        select(SignIn)
        .where(SignIn.user_id == user.id, SignIn.expires_at > now)
        .order_by(SignIn.last_seen_at.desc())
    )
    found = [Place(row.device, row.created_at, row.last_seen_at, row.token_hash == mine) for row in rows]
    return sorted(found, key=lambda place: not place.this_one)


def purge_expired(db: Session, now: datetime) -> int:
    """Remove sign-ins past their absolute end; how many."""
    return int(db.execute(delete(SignIn).where(SignIn.expires_at <= now)).rowcount or 0)  # type: ignore[attr-defined]
