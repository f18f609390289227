"""Per-request guards: strict security headers on every response, and the staff idle sign-out."""

from __future__ import annotations

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from . import clock, sessions
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
        # Added in one pass, a view's own value winning: eight Headers.setdefault calls (each scanning the
        # list case-insensitively) cost more than the rest of a small response.
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
        """Sign therapists and admins out after a configurable idle time; note activity otherwise."""
        if request.endpoint in sessions.UNTOUCHED_ENDPOINTS:
            return None
        if not current_user.is_authenticated or current_user.is_patient:
            return None  # patients are not timed out (they write long entries); their session stays unchanged
        now = clock.now().timestamp()
        last = session.get("_seen")
        limit = int(app.config["COURSE_STAFF_IDLE_MINUTES"]) * 60
        if isinstance(last, (int, float)) and now - last > limit:
            g.ended_user_id = current_user.id  # whose session ended: what they were posting is kept for them
            logout_user()
            session.clear()
            flash("You were signed out after a period without activity. Please sign in again.", "info")
            if request.method == "POST":
                response: Response = login_manager.unauthorized()
                return response
            return redirect(url_for("auth.login", next=request.full_path))
        if not isinstance(last, (int, float)) or now - last >= SEEN_RESOLUTION_SECONDS:
            # At most once a minute: each write sends a new signed cookie; the limit is counted in minutes.
            session["_seen"] = int(now)
        return None
