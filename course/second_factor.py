"""Second factors: authenticator-app codes (TOTP) and single-use recovery codes. Passkeys live in
course/auth/passkeys.py. Staff must have a second factor; patients may turn one on.

A TOTP code is accepted once: the time step it was accepted for is kept, and a code for that step or an
earlier one is refused (RFC 6238 section 5.2), also to a second request racing with the first. Recovery
codes are random, shown once, and kept hashed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from .models import Passkey, RecoveryCode, User

STEP_SECONDS = 30
# A code from the step before or after now is accepted too: phones' clocks drift.
DRIFT_STEPS = 1
RECOVERY_CODES = 10


def new_secret() -> str:
    """A fresh authenticator-app secret (base32)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of an address as inline SVG (no image file, no script)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#1b1b1b", light="#ffffff", omitsize=True))


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step the code is valid for at `now` (allowing drift), or None."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), digits):
            return step
    return None


def accept_totp(db: Session, user: User, code: str, now: datetime) -> bool:
    """Whether the code is this person's current one and was not used before; remembers it when so.

    The step is claimed by one conditional UPDATE (checked by its row count), so two requests racing with
    the same code cannot both pass: the second finds the step taken, whatever it had read before."""
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, now)
    if step is None:
        return False
    claimed = db.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.expire(user, ["totp_last_step"])
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def confirm_totp(user: User, secret: str, code: str, now: datetime) -> bool:
    """Set up an authenticator app: the secret becomes the person's once a code from it is right."""
    step = matching_step(secret, code, now)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_last_step = step
    return True


def recovery_code_hash(code: str) -> str:
    """What is kept of a recovery code: its hash, of its letters and digits in lower case."""
    # High-entropy random codes (50 bits), so one fast hash is enough; they are compared without spaces
    # or dashes, in lower case.
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def new_recovery_codes(db: Session, user: User) -> list[str]:
    """Replace the person's recovery codes with ten new ones, returned once (only hashes are kept)."""
    _lock_person(db, user)
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return _make_codes(db, user)


def owes_recovery_codes(db: Session, user: User) -> bool:
    """Whether the person has a passkey and no recovery codes: a first passkey makes none (they are made when
    the next page's button is pressed, see course/auth/passkeys.py; an authenticator app makes them as it is
    set up), and removing every second factor removes the codes too (`remove_all`)."""
    if passkey_count(db, user) == 0:
        return False
    return not db.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id))


def first_recovery_codes(db: Session, user: User) -> list[str] | None:
    """The person's first ten recovery codes, returned once; None when they are not owed any (they have
    codes already: made in another tab or browser, or by a first press of the same button)."""
    _lock_person(db, user)
    if not owes_recovery_codes(db, user):
        return None
    return _make_codes(db, user)


def _lock_person(db: Session, user: User) -> None:
    """Lock the person's row until the transaction ends, so two requests making codes for them take turns:
    without it, on PostgreSQL a second request's DELETE waited for the first's and then missed its new
    codes, leaving twenty working codes, ten never shown. FOR NO KEY UPDATE (key_share), so a row that only
    points at the person (a new sign-in) is not held up. SQLite lets one writer at a time anyway."""
    db.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def _make_codes(db: Session, user: User) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.add(RecoveryCode(user_id=user.id, code_hash=recovery_code_hash(raw)))
    db.flush()
    return codes


def use_recovery_code(db: Session, user: User, code: str, now: datetime) -> bool:
    """Accept an unused recovery code once: marked used by one conditional UPDATE, checked by its row
    count, so two requests racing with the same code cannot both pass."""
    used = db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def recovery_codes_left(db: Session, user: User) -> int:
    """How many unused recovery codes the person has."""
    return int(
        db.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def passkey_count(db: Session, user: User) -> int:
    """How many passkeys the person registered."""
    return int(db.scalar(select(func.count(Passkey.id)).where(Passkey.user_id == user.id)) or 0)


def has_second_factor(db: Session, user: User) -> bool:
    """Whether signing in asks this person for a second factor."""
    return bool(user.totp_secret) or passkey_count(db, user) > 0


def needs_second_factor(user: User) -> bool:
    """Staff must have one; a patient only if they turned one on."""
    return not user.is_patient


def remove_all(db: Session, user: User) -> None:
    """Forget every second factor of a person (an admin's reset, or a patient turning them off)."""
    user.totp_secret = None
    user.totp_last_step = None
    db.execute(delete(Passkey).where(Passkey.user_id == user.id))
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
