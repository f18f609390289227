"""`/readyz`: whether this server can serve, for a load balancer (Caddy's active health check).

`/healthz` only says the process answers. `/readyz` also asks the database and, when the sign-in limits are
counted in Redis, Redis:

- database unreachable: 503, so the load balancer sends patients to another server;
- Redis unreachable: 200 all the same, marked "degraded". Every server shares the one Redis, so a 503 would
  take them all out; the limiter counts in each worker's memory until Redis is back (Flask-Limiter's
  in-memory fallback), and the log says so once per change.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from flask import Flask, current_app
from sqlalchemy import text

from .db import get_engine
from .extensions import limiter

log = logging.getLogger("course.readiness")
# What Redis answered at each app's last check, so that each change is logged once.
_redis_answered: weakref.WeakKeyDictionary[Flask, bool] = weakref.WeakKeyDictionary()


def database_answers() -> bool:
    """Whether the database runs a trivial statement."""
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any failure means: not ready
        log.exception("database unreachable")
        return False
    return True


def redis_answers() -> bool | None:
    """Whether the rate limiter's Redis answers a ping; None when the limits are counted in memory."""
    if str(current_app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        return None
    return bool(limiter.storage.check())


def report() -> tuple[dict[str, Any], int]:
    """The `/readyz` answer and its status; a change in Redis's answer is logged once."""
    database = database_answers()
    redis = redis_answers()
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's documented target
    if redis is not None and redis != _redis_answered.get(app, True):
        if redis:
            log.warning("Redis answers again: sign-in limits are shared by every worker")
        else:
            log.warning("Redis unreachable: sign-in limits are counted by each worker until it is back")
        _redis_answered[app] = redis
    body: dict[str, Any] = {"database": "ok" if database else "unreachable"}
    if redis is not None:
        body["redis"] = "ok" if redis else "unreachable: sign-in limits counted per worker"
    if not database:
        body["status"] = "unavailable"
    elif redis is False:
        body["status"] = "degraded"
    else:
        body["status"] = "ready"
    return body, 200 if database else 503
