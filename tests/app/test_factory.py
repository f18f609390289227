"""create_app: configuration order, secret key rules, content errors at start-up, headers and error pages."""

from __future__ import annotations

import contextlib
import gc
import shutil
import weakref
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, after_this_request

from course import create_app
from course.db import dispose

FIXTURE = Path(__file__).parent.parent / "fixtures" / "program"


def test_create_app_production_without_secret_key_refuses_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("COURSE_ENV", "production")
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(FIXTURE))
    with pytest.raises(SystemExit) as stopped:
        create_app()
    message = str(stopped.value.code)
    assert message.startswith("course: SECRET_KEY is not set.")
    assert "\n" not in message


@pytest.mark.parametrize("workers", [2, 9])
def test_create_app_production_several_workers_counting_limits_in_memory_refuses_in_one_line(
    app_config: dict[str, Any], workers: int
) -> None:
    production = {**app_config, "TESTING": False, "COURSE_ENV": "production", "COURSE_WORKERS": workers}
    with pytest.raises(SystemExit) as stopped:
        create_app(production)
    message = str(stopped.value.code)
    assert message.startswith(f"course: RATELIMIT_STORAGE_URI is memory:// but {workers} workers serve")
    assert "redis://" in message
    assert "\n" not in message


def test_create_app_several_workers_start_with_shared_limits_or_in_development(
    app_config: dict[str, Any],
) -> None:
    production = {**app_config, "TESTING": False, "COURSE_ENV": "production", "COURSE_WORKERS": 4}
    shared = create_app({**production, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    one = create_app({**production, "COURSE_WORKERS": 1})
    development = create_app({**production, "COURSE_ENV": "development"})
    # A Redis that stops answering holds a sign-in for a second at most.
    assert shared.config["RATELIMIT_STORAGE_OPTIONS"] == {"socket_connect_timeout": 1, "socket_timeout": 1}
    for app in (shared, one, development):
        dispose(app)


def test_workers_count_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(FIXTURE))
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("COURSE_WORKERS", "3")
    with pytest.raises(SystemExit, match="but 3 workers serve the app"):
        create_app()


def test_create_app_development_generates_secret_key_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("COURSE_ENV", "development")
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(FIXTURE))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second
    assert len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_create_app_environment_overrides_instance_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.py").write_text("COURSE_CLINIC_NAME = 'From instance'\nCOURSE_INVITE_DAYS = 3\n")
    monkeypatch.setenv("COURSE_ENV", "development")
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(FIXTURE))
    monkeypatch.setenv("COURSE_INVITE_DAYS", "5")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    app = create_app()
    assert app.config["COURSE_CLINIC_NAME"] == "From instance"
    assert app.config["COURSE_INVITE_DAYS"] == 5
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
    assert app.config["SESSION_COOKIE_SECURE"] is False  # development over plain http


def test_create_app_broken_content_refuses_with_file_and_line(
    app_config: dict[str, Any], tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURE, broken)
    (broken / "third" / "module.yaml").write_text(
        (broken / "third" / "module.yaml").read_text().replace("type: lesson", "type: lecture")
    )
    with pytest.raises(SystemExit) as stopped:
        create_app({**app_config, "COURSE_CONTENT_DIR": str(broken)})
    message = str(stopped.value.code)
    # It names the folder the clinic configured, not the shipped modules/.
    assert message.startswith(f"course: the program in {broken} has problems:\n")
    assert f"{FIXTURE.parent.parent.parent / 'modules'}" not in message
    assert "broken/third/module.yaml:10: unknown step type 'lecture'" in message


def test_healthz_answers_without_session(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.data == b"ok\n"
    assert "Set-Cookie" not in response.headers


def test_security_headers_on_every_page(client: Any) -> None:
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_security_headers_each_once_and_a_views_own_value_kept(app: Flask, client: Any) -> None:
    app.add_url_rule(
        "/own-headers",
        "own_headers",
        lambda: ("<p>x</p>", 200, {"X-Frame-Options": "SAMEORIGIN", "cache-control": "private"}),
    )
    page = client.get("/auth/login").headers
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
        "X-XSS-Protection",
        "Permissions-Policy",
        "Cache-Control",
    ):
        assert len(page.getlist(name)) == 1, name
    assert page["X-Frame-Options"] == "DENY"
    assert page["Cache-Control"] == "no-store"
    own = client.get("/own-headers").headers
    assert own.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert own.getlist("Cache-Control") == ["private"]
    assert own["X-Content-Type-Options"] == "nosniff"
    assert client.get("/healthz").headers.getlist("Cache-Control") == ["no-store"]
    assert "Strict-Transport-Security" not in page  # plain http in tests


def test_unknown_page_is_friendly_404(client: Any) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_unexpected_error_is_friendly_500_without_trace(app_config: dict[str, Any]) -> None:
    app: Flask = create_app({**app_config, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.data
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data


def test_plain_functions_are_asked_about_once_and_coroutines_every_time(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flask.app

    asked: list[Any] = []
    real = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda f: asked.append(f) or real(f))

    def plain() -> str:
        return "plain"

    async def coroutine() -> str:
        return "coroutine"

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(plain) is plain
    assert asked == [plain]
    for _ in range(2):  # never remembered as plain (without asgiref Flask refuses to run it)
        with contextlib.suppress(RuntimeError):
            assert app.ensure_sync(coroutine) is not coroutine
    assert asked == [plain, coroutine, coroutine]
    unhashable: Any = type("Unhashable", (), {"__call__": lambda self: "x", "__hash__": None})()
    assert app.ensure_sync(unhashable) is unhashable
    for _ in range(2):  # a builtin has no weak reference: asked about every time, never refused
        assert app.ensure_sync(len) is len


def test_functions_found_plain_are_remembered_only_while_they_live(app: Flask, client: Any) -> None:
    # Flask passes each request's after_this_request closures through ensure_sync: none may outlive it.
    closures: list[weakref.ref[Any]] = []

    @app.get("/after-this-request")
    def with_closure() -> str:
        @after_this_request
        def closure(response: Any) -> Any:
            response.headers["X-Closure"] = "ran"
            return response

        closures.append(weakref.ref(closure))
        return "ok"

    for _ in range(3):
        assert client.get("/after-this-request").headers["X-Closure"] == "ran"
    gc.collect()
    assert len(closures) == 3
    assert all(found() is None for found in closures)


def test_pages_still_answer_through_the_remembered_hooks(client: Any) -> None:
    for _ in range(2):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.headers["X-Frame-Options"] == "DENY"  # an after_request hook ran
