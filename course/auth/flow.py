"""Signing in, step by step: the password, then a second factor when the person has one (staff must), then a
sign-in recorded on the server. Views call these; the rules are in course/signins.py and second_factor.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from .. import clock, signins
from ..audit import record
from ..db import get_db, keep_after_rollback
from ..keeping import KEPT_SESSION_KEY, claim_kept
from ..mail import send_mail_after_response
from ..models import User
from ..second_factor import has_second_factor

PENDING_KEY = "_pending_sign_in"
# How long the step between the password and the second factor may take.
PENDING_FOR = timedelta(minutes=10)


@dataclass(frozen=True)
class Pending:
    """A person whose password was right, on their way through the second factor."""

    user: User
    remember: bool
    next_url: str | None


def after_password(user: User, *, remember: bool, next_url: str | None) -> Response:
    """The password was right: ask for the second factor (or to set one up, for staff), or sign in."""
    db = get_db()
    if has_second_factor(db, user) or not user.is_patient:
        kept = session.get(KEPT_SESSION_KEY)
        session.clear()
        if kept:
            session[KEPT_SESSION_KEY] = kept
        session[PENDING_KEY] = {
            "uid": user.id,
            "v": user.session_version,
            "at": int(clock.now().timestamp()),
            "remember": remember,
            "next": next_url,
        }
        if has_second_factor(db, user):
            return redirect(url_for("auth.verify"))
        return redirect(url_for("auth.enrol"))
    return complete(user, remember=remember, next_url=next_url)


def pending() -> Pending | None:
    """The person between password and second factor in this browser, while the step is fresh."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    started = data.get("at")
    if not isinstance(started, int) or clock.now().timestamp() - started > PENDING_FOR.total_seconds():
        session.pop(PENDING_KEY, None)
        return None
    user = get_db().get(User, data.get("uid"))
    if user is None or not user.active or user.session_version != data.get("v"):
        session.pop(PENDING_KEY, None)
        return None
    next_url = data.get("next")
    return Pending(user, bool(data.get("remember")), next_url if isinstance(next_url, str) else None)


# When the person last typed their password in this browser (a Unix time). Changes to how they sign in
# (a new password, passkeys, an authenticator app, recovery codes, turning the second step off) need it
# typed within CONFIRMED_FOR: someone who finds a signed-in browser, or a copy of its cookie, cannot make
# the account theirs.
PASSWORD_AT_KEY = "_password_at"  # noqa: S105  # nosec B105  # a key's name, not a secret
CONFIRMED_FOR = timedelta(minutes=10)


def person_here() -> tuple[User, bool] | None:
    """(the person signing in, or else signed in, in this browser, whether they are signing in) or None."""
    waiting = pending()
    if waiting is not None:
        return waiting.user, True
    if current_user.is_authenticated:
        return current_user._get_current_object(), False
    return None


def enrolling() -> tuple[User, bool] | None:
    """(the person who may set up a second factor now, whether they are signing in) or None. While signing
    in, only someone with no second factor yet may set one up: the password alone never adds or replaces
    one."""
    found = person_here()
    if found is not None and found[1] and has_second_factor(get_db(), found[0]):
        return None
    return found


def note_password_confirmed(at: float) -> None:
    """The person typed their password right at `at` (a Unix time) in this browser."""
    session[PASSWORD_AT_KEY] = int(at)


def password_recently_confirmed() -> bool:
    """Whether the person typed their password in this browser within CONFIRMED_FOR."""
    at = session.get(PASSWORD_AT_KEY)
    return isinstance(at, int) and clock.now().timestamp() - at <= CONFIRMED_FOR.total_seconds()


def ask_for_password(next_url: str) -> Response:
    """Send the person to type their password again, then on to `next_url`."""
    flash("To keep your account safe, please type your password again first.", "info")
    return redirect(url_for("account.confirm_password", next=next_url))


ENROLLED_KEY = "_enrolled_in_sign_in"


def note_enrolled(user: User) -> None:
    """A second factor was just set up while signing in: the next step may finish signing in (once)."""
    session[ENROLLED_KEY] = user.id


def enrolled_now(user: User) -> bool:
    """Whether this sign-in set up the person's second factor (the note is used once)."""
    return session.pop(ENROLLED_KEY, None) == user.id


def complete(user: User, *, remember: bool, next_url: str | None, how: str = "password") -> Response:
    """Sign in: a fresh session with a sign-in recorded on the server, then where the person was going
    (or the words they were writing when their last session ended)."""
    db = get_db()
    now = clock.now()
    kept = session.pop(KEPT_SESSION_KEY, None)
    password_at = _password_typed_at(user, how, now.timestamp())
    session.clear()  # nothing from before sign-in carries over into the signed-in session
    login_user(user)  # never Flask-Login's remember cookie: the sign-in below is what lasts
    config = current_app.config
    lasts = signins.lifetime(
        user, int(config["COURSE_STAFF_SESSION_HOURS"]), int(config["COURSE_PATIENT_SESSION_DAYS"])
    )
    session[signins.TOKEN_KEY] = signins.start(db, user, device=_device(), now=now, lasts=lasts)
    session["_seen"] = int(now.timestamp())
    if password_at is not None:
        note_password_confirmed(password_at)
    # Staff sessions end with the browser; a patient may keep theirs for the configured days.
    session.permanent = remember and user.is_patient
    record(db, user, user.id if user.is_patient else None, "sign_in", now=now, method=how)
    page = claim_kept(db, kept, user.id, now)
    if page is not None:
        flash("Welcome back. What you were writing is below: check it, then save it.", "info")
        return redirect(safe_next(page) or url_for("site.index"))
    return redirect(safe_next(next_url) or url_for("site.index"))


def _password_typed_at(user: User, how: str, now: float) -> float | None:
    """When this sign-in's password was typed: now, or when the second step began. None for a join, whose
    password was typed at sign-up, possibly days ago."""
    if how == "password":
        return now
    waiting = session.get(PENDING_KEY)
    if how == "join" or not isinstance(waiting, dict) or waiting.get("uid") != user.id:
        return None
    started = waiting.get("at")
    return started if isinstance(started, int) else None


def sign_out(user: User, *, why: str) -> None:
    """End this browser's sign-in on the server and in the cookie (and any remember cookie)."""
    token = session.get(signins.TOKEN_KEY)
    patient_id = user.id if user.is_patient else None
    now = clock.now()

    def end_and_record(db: Session) -> None:
        signins.end(db, token)
        record(db, user, patient_id, why, now=now)

    # Kept even if the request fails: the cookie forgets the sign-in whatever the answer, and the server must
    # too, or a copy of the cookie would still work.
    keep_after_rollback(get_db(), end_and_record)
    # Cleared first, then Flask-Login's sign-out, whose note to delete a remember cookie must survive.
    session.clear()
    logout_user()


def safe_next(target: str | None) -> str | None:
    """A `next` URL only when it stays on this host."""
    if not target:
        return None
    joined = urlsplit(urljoin(request.host_url, target))
    if joined.scheme in ("http", "https") and joined.netloc == urlsplit(request.host_url).netloc:
        path = joined.path or "/"
        if path.startswith("//"):
            return None
        return path + (f"?{joined.query}" if joined.query else "")
    return None


_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)


def _device() -> str:
    """A short description of the browser, for "Where you are signed in" ("Firefox on Android")."""
    agent = request.user_agent.string or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), "A browser")
    system = next((name for mark, name in _SYSTEMS if mark in agent), None)
    return f"{browser} on {system}" if system else browser


def tell_about_change(user: User, subject: str, what: str) -> None:
    """Email the person after a change to how they sign in, so they notice one they did not make."""
    send_mail_after_response(
        user.email,
        subject,
        f"Hello {user.display_name},\n\nThis is to let you know that {what} "
        f"({clock.now():%Y-%m-%d %H:%M} UTC).\n\nIf that was you, there is nothing to do. If it was not, "
        f"contact {current_app.config['COURSE_CLINIC_NAME']} today.\n",
    )
