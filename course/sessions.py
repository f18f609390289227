"""Signed-cookie sessions and CSRF tokens, with the per-request work done once per process where it can be.

Every signed-in page opens the session cookie (base64, zlib, JSON and an HMAC check) and signs a CSRF token
for the sign-out form (JSON, zlib, base64 and an HMAC). Both give the same answer for the same input, so:

- a cookie already verified by this process, and not older than the session lifetime, is not verified
  again (only sessions holding plain text, numbers and flags are remembered, so no page can change a
  remembered value in place);
- a CSRF token signed for this session's secret in the last `CSRF_REUSE_SECONDS` is used again. The token
  carries its signing time, so it expires that much earlier than `WTF_CSRF_TIME_LIMIT` (eight hours).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

REMEMBERED_COOKIES = 4096
CSRF_REUSE_SECONDS = 300
_PLAIN = (str, int, float, bool, type(None))
# Requests this app's own hooks leave alone: the load balancer's health checks and static files.
UNTOUCHED_ENDPOINTS = frozenset({"healthz", "readyz", "static"})


class RememberingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, remembering the cookies this process has verified."""

    def __init__(self) -> None:
        self._serializer: tuple[Any, URLSafeTimedSerializer | None] = (None, None)
        # cookie -> (its data, when its signature stops being accepted)
        self._verified: dict[str, tuple[dict[str, Any], float]] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Built once per secret key, not on every request.
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
            self._verified = {}
        return self._serializer[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        remembered = self._verified.get(value)
        if remembered is not None and time.time() < remembered[1]:
            return self.session_class(remembered[0])
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if data and all(isinstance(v, _PLAIN) for v in data.values()):
            if len(self._verified) >= REMEMBERED_COOKIES:
                self._verified = {}  # start again rather than track ages: a full table is rare
            self._verified[value] = (data, signed_at.timestamp() + max_age)
        return self.session_class(data)


def init_app(app: Flask) -> None:
    """Use the remembering sessions, and reuse recently signed CSRF tokens."""
    app.session_interface = RememberingSessionInterface()
    signed: dict[str, tuple[str, float]] = {}  # session's CSRF secret -> (signed token, when signed)
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    @app.before_request
    def _recent_csrf_token() -> None:
        # Flask-WTF's generate_csrf returns g.<field> when it is set, and signs a new token otherwise.
        if request.endpoint in UNTOUCHED_ENDPOINTS:
            return
        secret = session.get(field)
        if isinstance(secret, str):
            found = signed.get(secret)
            if found is not None and time.time() - found[1] < CSRF_REUSE_SECONDS:
                setattr(g, field, found[0])
                g._csrf_reused = True

    @app.after_request
    def _remember_csrf_token(response: Any) -> Any:
        token = g.get(field)
        if token is not None and not g.get("_csrf_reused"):
            secret = session.get(field)
            if isinstance(secret, str):
                if len(signed) >= REMEMBERED_COOKIES:
                    signed.clear()
                signed[secret] = (token, time.time())
        return response
