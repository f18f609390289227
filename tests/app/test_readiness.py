"""/readyz for the load balancer, and a lost Redis: never a 500, the limits go on per worker, the log and
/readyz say so."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from course import create_app
from course.db import dispose


def unused_port() -> int:
    """A loopback port nothing listens on (a Redis that is gone)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def lost_redis_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(
        {
            **app_config,
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{unused_port()}/0",
            "COURSE_LOGIN_LIMIT_ADDRESS": "3 per minute",
        }
    )
    yield app
    dispose(app)


def test_readyz_ready_when_the_database_answers(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_readyz_unavailable_when_the_database_does_not_answer(
    app_config: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'course.sqlite3'}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert "database unreachable" in caplog.text
    assert app.test_client().get("/healthz").status_code == 200  # the process itself still answers
    dispose(app)


def test_lost_redis_never_fails_a_sign_in_and_limits_go_on_per_worker(
    lost_redis_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = lost_redis_app.test_client()
    with caplog.at_level(logging.WARNING):
        codes = [
            client.post(
                "/auth/login", data={"email": f"person{n}@example.org", "password": "wrong password!"}
            ).status_code
            for n in range(4)
        ]
    assert codes == [422, 422, 422, 429]
    assert "falling back to in-memory storage" in caplog.text


def test_readyz_reports_a_lost_redis_once_without_failing(
    lost_redis_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = lost_redis_app.test_client()
    with caplog.at_level(logging.WARNING, logger="course.readiness"):
        answers = [client.get("/readyz") for _ in range(2)]
    for response in answers:
        assert response.status_code == 200  # every server shares the Redis: none is taken out for it
        assert response.get_json() == {
            "status": "degraded",
            "database": "ok",
            "redis": "unreachable: sign-in limits counted per worker",
        }
    assert caplog.text.count("Redis unreachable") == 1
