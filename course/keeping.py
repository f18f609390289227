"""No typed word is lost, on any form: the one mechanism every form with free text uses.

- A stale or missing CSRF token: the view runs again with no form validating (`BaseForm.validate_on_submit`
  says no), so the page comes back with everything typed in its fields, a calm message and a fresh token.
  Nothing is saved without a valid token.
- A session that ended (signed out elsewhere, idle sign-out, password changed): when the request still
  carries that person's signed session cookie, what they posted is kept on the server (health data:
  it expires after COURSE_KEPT_TEXT_HOURS, `flask purge` removes it, a patient's deletion removes theirs;
  keeping is rate-limited per address) and offered back in the same form after they sign in. A post
  without such a session keeps nothing: no anonymous writes.
- A double submit or a second tab: a `KeyedForm`'s one-time key is claimed when it validates, in the
  request's transaction, so the second submission finds it and is sent where the first went.

Forms come from course/forms.py; this module knows them only as WTForms forms.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from limits import parse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from . import clock
from .db import get_db
from .extensions import limiter, login_manager
from .models import PendingSubmission, SubmissionKey
from .text import clean_text

# The browser's session holds only a token; the words are on the server.
KEPT_SESSION_KEY = "kept_form"  # kept while signed out, until the person signs in again
RESTORE_SESSION_KEY = "restore_form"  # being offered back, until the form is saved
# Never kept: the token, and anything secret.
NOT_KEPT = frozenset({"csrf_token", "password", "current", "confirm", "submit", "save"})
KEPT_KIND = "form"
REFRESHED = (
    "For your safety this page needed refreshing. Nothing was saved yet, and everything you typed is still "
    "here: please press the button again."
)


class AlreadySaved(Exception):
    """A keyed form was submitted again; `location` is where the first submission went."""

    def __init__(self, location: str | None) -> None:
        super().__init__("submitted twice")
        self.location = location


@dataclass(frozen=True)
class Kept:
    """Words kept for a person while they were signed out, for the page where they wrote them."""

    token: str
    page: str
    fields: list[tuple[str, str]]


def init_app(app: Flask) -> None:
    """Install the handlers: refused tokens, ended sessions, second submissions."""
    app.register_error_handler(CSRFError, _token_refused)
    app.register_error_handler(AlreadySaved, _already_saved)
    login_manager.unauthorized_handler(_signed_out)
    app.after_request(_after_saving)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_refused(error: CSRFError) -> Response | tuple[str, int]:
    """Run the view again with no form validating: it shows its form with everything typed in it."""
    g.csrf_refused = True
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method != "POST" or view is None:
        return render_template(
            "errors/error.html",
            code=400,
            title="Please try that again",
            message="This page was open for a long time. Please reload it and try again.",
        ), 400
    try:
        response = current_app.make_response(cast(Any, view(**(request.view_args or {}))))
    except HTTPException as exc:
        return current_app.make_response(cast(Any, current_app.handle_http_exception(exc)))
    if response.status_code < 300 or response.status_code == 422:
        response.status_code = 400  # the form again, with what was typed (base.html says why)
    elif response.status_code < 400 and current_user.is_authenticated:
        # A button-only action sent the person back without acting: say so on the page they land on.
        flash(REFRESHED, "info")
    return response


def _already_saved(error: AlreadySaved) -> Response:
    flash("That was saved already (it was sent twice), so nothing was added.", "info")
    return redirect(error.location or request.path)


def ended_identity() -> int | None:
    """The account whose session this request's signed cookie carried, when that session has ended."""
    ended = g.get("ended_user_id")
    if isinstance(ended, int):
        return ended
    user_id = str(session.get("_user_id", "")).partition(":")[0]
    return int(user_id) if user_id.isdigit() else None


def _signed_out() -> Response:
    """Flask-Login's unauthorized handler: sign in first, keeping what was posted when it was someone's."""
    if request.method == "POST" and _keep_posted():
        flash(
            "You were signed out, but what you wrote is kept. Sign in, and it will be back where you "
            "wrote it.",
            "info",
        )
        return redirect(url_for("auth.login"))
    if request.method == "POST":
        flash("You were signed out. Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    flash(str(login_manager.login_message), str(login_manager.login_message_category))
    return redirect(url_for("auth.login", next=request.full_path))


def _keep_posted() -> bool:
    """Keep the posted fields for the person whose session ended; False when nobody's or nothing to keep."""
    user_id = ended_identity()
    if user_id is None:
        return False
    fields = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in NOT_KEPT and isinstance(value, str)
    ]
    if not any(value.strip() for name, value in fields if not name.endswith("submission_key")):
        return False
    limit = parse(str(current_app.config["COURSE_KEEP_LIMIT"]))
    if not limiter.limiter.hit(limit, "keep-text", request.remote_addr or ""):
        return False
    token = secrets.token_urlsafe(24)
    db = get_db()
    db.add(
        PendingSubmission(
            token_hash=_hash(token),
            kind=KEPT_KIND,
            data={"page": _page_of_form(), "fields": [[name, clean_text(value)] for name, value in fields]},
            user_hint=user_id,
            created_at=clock.now(),
        )
    )
    db.commit()  # the answer is a redirect to sign in: the words must be stored before it
    session[KEPT_SESSION_KEY] = token
    return True


def _page_of_form() -> str:
    """Where the form was: the page it was posted from (same site), else the address it posted to."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path
    return request.path


def _fresh_since(now: datetime) -> datetime:
    return now - timedelta(hours=int(current_app.config["COURSE_KEPT_TEXT_HOURS"]))


def claim_kept(db: Session, token: str | None, user_id: int, now: datetime) -> str | None:
    """At sign-in: the page to offer kept words back on, when they were this person's and are fresh.

    Anything else kept under the token is dropped: words kept for another account are never shown."""
    if not token:
        return None
    kept = db.scalar(select(PendingSubmission).where(PendingSubmission.token_hash == _hash(token)))
    if kept is None:
        return None
    if kept.user_hint != user_id or kept.created_at < _fresh_since(now) or kept.kind != KEPT_KIND:
        db.delete(kept)
        return None
    session[RESTORE_SESSION_KEY] = token
    return str(kept.data.get("page") or "/")


def _restoring() -> Kept | None:
    """The kept words being offered back on this page to the signed-in person, read once per request."""
    if "kept" in g:
        found: Kept | None = g.kept
        return found
    g.kept = None
    token = session.get(RESTORE_SESSION_KEY)
    if isinstance(token, str) and current_user.is_authenticated:
        kept = get_db().scalar(select(PendingSubmission).where(PendingSubmission.token_hash == _hash(token)))
        if (
            kept is not None
            and kept.user_hint == current_user.id
            and kept.created_at >= _fresh_since(clock.now())
            and kept.data.get("page") == request.path
        ):
            fields = [(str(name), str(value)) for name, value in kept.data.get("fields", [])]
            g.kept = Kept(token, request.path, fields)
    found_now: Kept | None = g.kept
    return found_now


def kept_formdata(form: Any) -> MultiDict[str, str] | None:
    """The kept words as this form's data, when they were written in it (every kept field is one of its
    own; forms repeated on a page tell themselves apart with a prefix)."""
    if request.method != "GET":
        return None
    kept = _restoring()
    if kept is None:
        return None
    names = {name for name, value in kept.fields if not name.endswith("submission_key")}
    own = [field.name for field in form]  # with the form's prefix; a list's rows are "name-0-part"
    if not names or not all(any(n == o or n.startswith(f"{o}-") for o in own) for n in names):
        return None
    g.kept_shown = True
    return MultiDict(kept.fields)


def form_saved(form: Any) -> None:
    """A form validated. A keyed form whose key was used already stops the view here; otherwise the key is
    claimed if the view saves (answers with a redirect, see `_after_saving`). Kept words it showed are
    forgotten once it is saved."""
    key = getattr(form, "submission_key", None)
    if key is not None and key.data and current_user.is_authenticated:
        found = _key_location(get_db(), str(key.data)[:64])
        if found is not None:
            raise AlreadySaved(found[0])
        g.pending_key = str(key.data)[:64]
    token = session.get(RESTORE_SESSION_KEY)
    if isinstance(token, str):
        g.saved_kept = token


def _key_location(db: Session, key: str) -> tuple[str | None] | None:
    """(where the submission went) when this person used the key already, else None."""
    row = db.execute(
        select(SubmissionKey.location).where(
            SubmissionKey.user_id == current_user.id, SubmissionKey.key == key
        )
    ).first()
    return None if row is None else (row[0],)


def _after_saving(response: Response) -> Response:
    """After a save (a view that validated its form and answers with a redirect: post, redirect, get): claim
    the form's one-time key, and drop the kept words it saved.

    The key is claimed in the request's own transaction, last: a second submission that raced the first
    waits for the first to commit, finds the key, and its own work is rolled back instead of saved twice.
    """
    if not 300 <= response.status_code < 400:
        return response
    key = g.get("pending_key")
    if key is not None:
        db = get_db()
        location = urlsplit(response.location or "")._replace(scheme="", netloc="").geturl()[:500]
        db.add(SubmissionKey(user_id=current_user.id, key=key, created_at=clock.now(), location=location))
        try:
            db.flush()
        except IntegrityError:
            db.rollback()
            found = _key_location(db, key)
            return _already_saved(AlreadySaved(found[0] if found else None))
    token = g.get("saved_kept")
    if token is not None:
        get_db().execute(delete(PendingSubmission).where(PendingSubmission.token_hash == _hash(token)))
        session.pop(RESTORE_SESSION_KEY, None)
    return response


def purge_kept(db: Session, now: datetime, hours: int, key_days: int = 2) -> int:
    """Remove kept words older than `hours`, and one-time keys older than `key_days`; the number removed."""
    removed = db.execute(
        delete(PendingSubmission).where(PendingSubmission.created_at < now - timedelta(hours=hours))
    )
    db.execute(delete(SubmissionKey).where(SubmissionKey.created_at < now - timedelta(days=key_days)))
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]


def forget_person(db: Session, user_id: int) -> None:
    """Remove everything kept for a person (their deletion)."""
    db.execute(delete(PendingSubmission).where(PendingSubmission.user_hint == user_id))
