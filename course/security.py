"""Per-request guards: strict security headers on every response, and the staff idle sign-out."""

from __future__ import annotations

from flask import Flask, after_this_request, flash, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from . import clock, sessions, signins
from .auth.flow import sign_out
from .db import get_db, keep_after_rollback
from .extensions import login_manager

SEEN_RESOLUTION_SECONDS = 60

SECURITY_HEADERS = tuple(
    (name, name.lower(), value)
    for name, value in (
        (
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        # The old XSS auditor is gone from browsers and was itself exploitable; OWASP advises turning it off.
        ("X-XSS-Protection", "0"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    )
)


def init_app(app: Flask) -> None:
    """Install the headers and the idle sign-out (before the CSRF check: see create_app)."""

    @app.after_request
    def security_headers(response: Response) -> Response:
        # Added in one pass, a view's own value winning, rather than by eight Headers.setdefault calls that
        # each scan the list case-insensitively.
        present = {name.lower() for name, _value in response.headers.items()}
        headers = response.headers
        for name, lower, value in SECURITY_HEADERS:
            if lower not in present:
                headers.add(name, value)
        # Every answer without its own caching rule, whatever its type: pages, and the ZIP, JSON, Markdown
        # and CSV downloads of health data, which a shared computer's browser cache would otherwise keep.
        if "cache-control" not in present:
            headers.add("Cache-Control", "no-store")
        if app.config.get("SESSION_COOKIE_SECURE") and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.before_request
    def staff_idle_timeout() -> Response | None:
        """Sign therapists and admins out after a configurable idle time; note activity at most once a
        minute (the session cookie's `_seen`, and the sign-in's last use on the server)."""
        if request.endpoint in sessions.UNTOUCHED_ENDPOINTS or not current_user.is_authenticated:
            return None
        now = clock.now()
        last = session.get("_seen")
        if not current_user.is_patient:  # patients are not timed out: they write long entries
            limit = int(app.config["COURSE_STAFF_IDLE_MINUTES"]) * 60
            if isinstance(last, (int, float)) and now.timestamp() - last > limit:
                user = current_user._get_current_object()
                g.ended_user_id = user.id  # whose session ended: what they were posting is kept for them
                sign_out(user, why="idle_sign_out")
                flash("You were signed out after a period without activity. Please sign in again.", "info")
                if request.method == "POST":
                    response: Response = login_manager.unauthorized()
                    return response
                return redirect(url_for("auth.login", next=request.full_path))
        if not isinstance(last, (int, float)) or now.timestamp() - last >= SEEN_RESOLUTION_SECONDS:
            # At most once a minute: each write sends a new signed cookie; the limit is counted in minutes.
            session["_seen"] = int(now.timestamp())
            token = session.get(signins.TOKEN_KEY)

            @after_this_request
            def note_seen(response: Response) -> Response:
                # Written once the view is done, as a view's audit event is: on SQLite the write holds the
                # database's write lock until the request commits, not through the whole page. Kept even if
                # the request is refused: the cookie carries the new time whatever the answer.
                keep_after_rollback(get_db(), lambda db: signins.seen(db, token, now))
                return response

        return None
