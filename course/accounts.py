"""Accounts: creating users, passwords, sign-in checks and password-reset tokens."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from .models import Role, User, normalise_email

MIN_PASSWORD_LENGTH = 10
# Hash checked when no account matches, so a missing email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


class AccountError(ValueError):
    """A rule about accounts was broken; the message is shown to the person."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def find_user_by_email(db: Session, email: str) -> User | None:
    """The account with this email, ignoring case."""
    return db.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


# zxcvbn's scale: 0 (guessable in under a thousand tries) to 4 (very unguessable); 3 is "safely
# unguessable" against an attacker online and a slow hash offline.
MIN_STRENGTH = 3


def password_problem(password: str, context: Sequence[str] = ()) -> str | None:
    """Why a new password is not acceptable, or None. Judged by zxcvbn, which knows common passwords,
    keyboard patterns, dates and repeats, and is told the person's own name and email (`context`)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    # zxcvbn judges the first 72 characters: from version 4.5 it refuses longer input with ValueError.
    inputs = [part for item in context for part in _words(item)]
    squeezed = re.sub(r"[^a-z0-9]", "", password.lower())
    own = [re.sub(r"[^a-z0-9]", "", item.lower().partition("@")[0]) for item in context]
    if any(len(word) >= 4 and word in squeezed for word in own):
        return "Please do not build your password from your name or email: they are the first things tried."
    result = zxcvbn(password[:72], user_inputs=inputs)
    if result["score"] >= MIN_STRENGTH:
        return None
    feedback = result.get("feedback") or {}
    advice = feedback.get("warning") or "That password would be easy to guess."
    tips = " ".join(feedback.get("suggestions") or ["Add another word or two. Uncommon words are better."])
    return f"{advice.rstrip('.')}. {tips}".strip()


def _words(value: str) -> list[str]:
    """A name or email as the words someone might build a password from."""
    return [word for word in re.split(r"[^a-z0-9]+", value.lower()) if len(word) > 1]


def set_password(user: User, password: str, *, enforce_policy: bool = True) -> None:
    """Store a new password hash and sign the account out everywhere else."""
    problem = (
        password_problem(password, (user.display_name or "", user.email or "")) if enforce_policy else None
    )
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = generate_password_hash(password)
    user.session_version = (user.session_version or 0) + 1


def create_user(
    db: Session,
    *,
    email: str,
    display_name: str,
    role: Role,
    timezone: str,
    now: datetime,
    password: str | None = None,
    password_hash: str | None = None,
    enforce_policy: bool = True,
) -> User:
    """Create an account with a password (checked against the policy) or a hash made earlier (a sign-up
    confirmed by email); the email must not be taken (in any case)."""
    if find_user_by_email(db, email) is not None:
        raise AccountError("An account with this email already exists.", "email")
    user = User(
        email=email,
        display_name=display_name.strip(),
        role=role,
        timezone=timezone,
        active=True,
        session_version=0,
        created_at=now,
        # Replaced by set_password on the next line.
        password_hash="",  # nosec B106
    )
    if password_hash is not None:
        user.password_hash = password_hash
        user.session_version = 1
    else:
        set_password(user, password or "", enforce_policy=enforce_policy)
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, email: str, password: str) -> User | None:
    """The active account matching email and password, or None (same work either way)."""
    user = find_user_by_email(db, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def set_active(user: User, active: bool, now: datetime) -> None:
    """Deactivate or reactivate an account; nothing is deleted, sessions end at once."""
    user.active = active
    user.deactivated_at = None if active else now
    if not active:
        user.session_version += 1


def _reset_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="password-reset")


def make_reset_token(user: User, secret_key: str, *, now: datetime, hours: int) -> str:
    """A signed token naming the account, its session version (so using it once makes it stale) and expiry."""
    expires = int((now + timedelta(hours=hours)).timestamp())
    return _reset_serializer(secret_key).dumps({"uid": user.id, "v": user.session_version, "exp": expires})


def user_for_reset_token(db: Session, token: str, secret_key: str, *, now: datetime) -> User | None:
    """The account a reset token is for, when it is genuine, unexpired and not yet used."""
    try:
        data = _reset_serializer(secret_key).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("exp"), int) or data["exp"] <= now.timestamp():
        return None
    user = db.get(User, data.get("uid"))
    if user is None or not user.active or user.session_version != data.get("v"):
        return None
    return user
