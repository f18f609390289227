"""Logs as one JSON object a line, and one line per request.

A request's line names its route's pattern (`/journal/<int:entry_id>/edit`), never the path it was called
with nor its query string: paths carry one-time tokens (invites, password resets, unsubscribe links) and
query strings whatever a browser put there. Form data is never logged. Each line carries the request id,
taken from the trusted proxy's `X-Request-Id` (Caddy sets one) or made here, and sent back in the response.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import inspect
from werkzeug.wrappers import Response

from .sessions import UNTOUCHED_ENDPOINTS

# The loggers whose lines go out as JSON: the app's own and the rate limiter's (it says when Redis is lost).
LOGGERS = ("course", "flask-limiter")
REQUEST_LOGGER = "course.request"
# The load balancer asks these every few seconds: their lines are written only when they do not answer 200.
HEALTH_CHECKS = frozenset({"site.healthz", "site.readyz"})
# What a proxy's request id may look like; anything else is replaced by one made here.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# LogRecord's own attributes: anything else on a record came from `extra=` and is written as a field.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, the request id inside a request, and
    the fields given with `extra=`. gunicorn's own lines use it too (deploy/gunicorn.conf.py)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            line["request_id"] = g.request_id
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class _Ours(logging.StreamHandler):
    """The handler this module installs, told apart so that a second app in one process replaces it."""


def init_app(app: Flask) -> None:
    """Send the app's logs to stderr as JSON when COURSE_LOG_FORMAT is "json", and log each request.

    Loggers belong to the process: an app made later in the same process (tests make many) puts them back
    as it wants them.
    """
    json_lines = app.config["COURSE_LOG_FORMAT"] == "json"
    level = logging.getLevelName(str(app.config["COURSE_LOG_LEVEL"]).upper())
    handler = _Ours(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, _Ours)]:
            logger.removeHandler(old)
        logger.propagate = not json_lines
        if json_lines:
            logger.addHandler(handler)
            logger.setLevel(level if isinstance(level, int) else logging.INFO)
        else:
            logger.setLevel(logging.NOTSET)
    if not json_lines:
        return
    requests = logging.getLogger(REQUEST_LOGGER)
    trust_request_id = int(app.config["COURSE_TRUSTED_PROXIES"]) > 0

    @app.before_request
    def start_request_log() -> None:
        g.request_started = time.perf_counter()
        given = request.headers.get("X-Request-Id", "") if trust_request_id else ""
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:  # a response made before this request's first hook ran
            return response
        response.headers["X-Request-Id"] = g.request_id
        if request.endpoint in HEALTH_CHECKS and response.status_code == 200:
            return response
        if requests.isEnabledFor(logging.INFO):
            rule = request.url_rule
            requests.info(
                "request",
                extra={
                    "method": request.method,
                    "route": rule.rule if rule is not None else None,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": _user_id(),
                },
            )
        return response


def _user_id() -> int | None:
    """The signed-in user's id, where the request has looked the user up (every page does; the health
    checks and static files do not, and are not made to). Read from the object's identity: by now the
    request's database session is closed, and a failed request's rollback has expired its attributes."""
    if request.endpoint in UNTOUCHED_ENDPOINTS:
        return None
    state = inspect(current_user._get_current_object(), raiseerr=False)
    identity = state.identity if state is not None else None
    return int(identity[0]) if identity else None
