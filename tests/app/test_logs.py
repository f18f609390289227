"""Logs: one JSON object a line; a request's line has its id, route, status, duration and user, and never
the path's tokens, a query string or form data."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from course import create_app
from course.db import dispose
from course.logs import LOGGERS
from course.models import User
from tests.conftest import TEST_PASSWORD

SECRET = "s3cret-Token-Value"


@pytest.fixture
def json_app(app: Flask, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The app logging JSON, made after the test's own `app` (loggers belong to the process: the last app
    made sets them)."""
    app = create_app({**app_config, "COURSE_LOG_FORMAT": "json", "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("something broke")

    yield app
    dispose(app)
    # Loggers outlive the app: the next test's app (plain text) puts them back.
    create_app({**app_config, "DATABASE_URL": "sqlite://"})


@pytest.fixture
def lines(json_app: Flask) -> Callable[[], list[dict[str, Any]]]:
    """What the app has logged so far, one parsed JSON object per line."""
    stream = io.StringIO()
    for name in LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(stream)

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    return read


def test_each_request_is_one_json_line_with_its_route_and_no_query_string(
    json_app: Flask, lines: Callable[[], list[dict[str, Any]]]
) -> None:
    response = json_app.test_client().get(f"/auth/reset/{SECRET}?token={SECRET}&email=a@example.org")
    [line] = lines()
    assert line["message"] == "request"
    assert line["level"] == "info"
    assert line["method"] == "GET"
    assert line["route"] == "/auth/reset/<token>"
    assert line["status"] == 410
    assert isinstance(line["duration_ms"], float)
    assert line["user_id"] is None
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert SECRET not in json.dumps(line)
    assert "example.org" not in json.dumps(line)


def test_a_signed_in_post_logs_the_user_and_never_the_form(
    json_app: Flask, lines: Callable[[], list[dict[str, Any]]], make_patient: Callable[..., User]
) -> None:
    patient = make_patient()
    client = json_app.test_client()
    client.post("/auth/login", data={"email": patient.email, "password": TEST_PASSWORD})
    client.post("/journal/new", data={"text": f"My private words {SECRET}", "key": "k1"})
    client.get("/no/such/page")
    signed_in, journal, missing = lines()
    assert (signed_in["route"], signed_in["status"], signed_in["user_id"]) == ("/auth/login", 302, patient.id)
    assert (journal["route"], journal["status"], journal["user_id"]) == ("/journal/new", 302, patient.id)
    assert (missing["route"], missing["status"], missing["user_id"]) == (None, 404, patient.id)
    written = json.dumps(lines())
    assert SECRET not in written
    assert TEST_PASSWORD not in written
    assert patient.email not in written


def test_health_checks_are_logged_only_when_not_ready(
    app: Flask, app_config: dict[str, Any], tmp_path: Path
) -> None:
    def logged(database_url: str) -> list[dict[str, Any]]:
        checked = create_app({**app_config, "COURSE_LOG_FORMAT": "json", "DATABASE_URL": database_url})
        stream = io.StringIO()
        for handler in logging.getLogger("course").handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(stream)
        client = checked.test_client()
        client.get("/healthz")
        client.get("/readyz")
        dispose(checked)
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    assert logged(app_config["DATABASE_URL"]) == []  # the load balancer asks every few seconds
    lost = logged(f"sqlite:///{tmp_path / 'missing' / 'course.sqlite3'}")
    assert [(line["message"], line.get("status")) for line in lost] == [
        ("database unreachable", None),
        ("request", 503),
    ]
    create_app({**app_config, "DATABASE_URL": "sqlite://"})


def test_request_id_taken_from_a_trusted_proxy_only(app_config: dict[str, Any]) -> None:
    def request_id(proxies: int, given: str) -> str:
        app = create_app({**app_config, "COURSE_LOG_FORMAT": "json", "COURSE_TRUSTED_PROXIES": proxies})
        found = app.test_client().get("/healthz", headers={"X-Request-Id": given}).headers["X-Request-Id"]
        dispose(app)
        return found

    assert request_id(1, "0f3c-caddy-id") == "0f3c-caddy-id"
    assert request_id(0, "0f3c-caddy-id") != "0f3c-caddy-id"
    assert request_id(1, "not an id; <script>") != "not an id; <script>"
    create_app({**app_config, "DATABASE_URL": "sqlite://"})


def test_an_error_is_logged_as_json_with_the_requests_id(
    json_app: Flask, lines: Callable[[], list[dict[str, Any]]]
) -> None:
    response = json_app.test_client().get(f"/boom?token={SECRET}")
    assert response.status_code == 500
    error, request_line = lines()
    assert error["level"] == "error"
    assert error["message"] == "unhandled error"
    assert "RuntimeError: something broke" in error["error"]
    assert error["request_id"] == request_line["request_id"] == response.headers["X-Request-Id"]
    assert request_line["status"] == 500
    assert SECRET not in json.dumps(lines())


def test_flasks_own_exception_line_names_the_route_not_the_path(
    json_app: Flask, lines: Callable[[], list[dict[str, Any]]]
) -> None:
    with json_app.test_request_context(f"/auth/reset/{SECRET}?token={SECRET}"):
        try:
            raise RuntimeError("the error page failed too")
        except RuntimeError:
            json_app.log_exception(sys.exc_info())  # type: ignore[arg-type]
    [line] = lines()
    assert line["message"] == "Exception on /auth/reset/<token> [GET]"
    assert SECRET not in json.dumps(line)


def test_log_level_warning_leaves_requests_out(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app({**app_config, "COURSE_LOG_FORMAT": "json", "COURSE_LOG_LEVEL": "WARNING"})
    stream = io.StringIO()
    for handler in logging.getLogger("course").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    app.test_client().get("/healthz")
    assert stream.getvalue() == ""
    dispose(app)
    create_app({**app_config, "DATABASE_URL": "sqlite://"})


def test_development_and_tests_keep_flasks_plain_logs(app: Flask) -> None:
    logger = logging.getLogger("course")
    assert logger.propagate
    assert not [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
