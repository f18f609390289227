"""Accounts: creating users, passwords, sign-in checks and password-reset tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

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


@cache
def common_passwords(path: str | None = None) -> frozenset[str]:
    """The shipped list of common passwords (or a clinic's own list), lowercased."""
    source = Path(path) if path else Path(__file__).parent / "data" / "common-passwords.txt"
    lines = source.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, word_list: str | None = None) -> str | None:
    """Why a new password is not acceptable, or None: too short, too common, or one repeated character."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(set(password)) <= 2 or password.lower() in common_passwords(word_list):
        return "That password is very common, so it is easy to guess. Please choose another."
    return None


def set_password(user: User, password: str, *, enforce_policy: bool = True) -> None:
    """Store a new password hash and sign the account out everywhere else."""
    problem = password_problem(password) if enforce_policy else None
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = generate_password_hash(password)
    user.session_version = (user.session_version or 0) + 1


def create_user(
    db: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    role: Role,
    timezone: str,
    now: datetime,
    enforce_policy: bool = True,
) -> User:
    """Create an account; the email must not be taken (in any case)."""
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
    set_password(user, password, enforce_policy=enforce_policy)
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
