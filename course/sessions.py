"""Signed-cookie sessions, each cookie verified once per process.

Every signed-in page opens the session cookie (base64, zlib, JSON and an HMAC check), which gives the same
answer for the same cookie. A cookie already verified by this process, and not older than the session
lifetime, is not verified again. Only sessions holding plain text, numbers and flags are remembered, so no
page can change a remembered value in place.

CSRF tokens are Flask-WTF's own: `generate_csrf` signs one per page from the secret in the session, which
stays the same for the whole sign-in (so a page read does not rewrite the cookie, and every page's token is
accepted until WTF_CSRF_TIME_LIMIT).
"""

from __future__ import annotations

import time
from typing import Any

from cachetools import LRUCache
from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

REMEMBERED_COOKIES = 4096
_PLAIN = (str, int, float, bool, type(None))
# Requests this app's own hooks leave alone: the load balancer's health checks and static files.
UNTOUCHED_ENDPOINTS = frozenset({"site.healthz", "site.readyz", "static"})


class RememberingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, remembering the cookies this process has verified."""

    def __init__(self) -> None:
        self._serializer: tuple[Any, URLSafeTimedSerializer | None] = (None, None)
        # cookie -> (its data, when its signature stops being accepted); the least recently used goes first
        self._verified: LRUCache[str, tuple[dict[str, Any], float]] = LRUCache(maxsize=REMEMBERED_COOKIES)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """As Flask's, built once per secret key rather than on every request."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
            self._verified.clear()
        return self._serializer[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """As Flask's, answering a cookie this process verified before from memory until it expires."""
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
            self._verified[value] = (data, signed_at.timestamp() + max_age)
        return self.session_class(data)


def init_app(app: Flask) -> None:
    """Use the remembering sessions."""
    app.session_interface = RememberingSessionInterface()
