"""The files in deploy/: gunicorn's settings and hooks, the systemd units, the Caddyfile. `make deploy-test`
(tests/deploy/rehearsal.py) runs them all together; these check each one quickly."""

from __future__ import annotations

import configparser
import gc
import json
import os
import runpy
import shlex
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from course import create_app
from course.db import dispose

DEPLOY = Path(__file__).resolve().parent.parent.parent / "deploy"
UNITS = DEPLOY / "systemd"


def gunicorn_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in ("COURSE_WORKERS", "COURSE_THREADS", "COURSE_BIND"):
        # Set, then removed: monkeypatch puts back what was there before, including the COURSE_WORKERS the
        # settings file itself writes.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_workers_from_the_cores_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    settings = gunicorn_settings(monkeypatch)
    assert settings["workers"] == 9
    assert settings["bind"] == ["127.0.0.1:8000"]
    chosen = gunicorn_settings(monkeypatch, COURSE_WORKERS="3", COURSE_BIND="10.0.0.11:8000")
    assert chosen["workers"] == 3
    assert chosen["bind"] == ["10.0.0.11:8000"]
    assert os.environ["COURSE_WORKERS"] == "3"  # what the app reads


def test_gunicorn_settings_keep_tokens_out_of_logs_and_load_the_app_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = gunicorn_settings(monkeypatch)
    assert settings["accesslog"] is None  # paths carry one-time tokens: the app logs routes instead
    assert settings["preload_app"] is True
    assert settings["forwarded_allow_ips"] == ""  # the app's COURSE_TRUSTED_PROXIES decides
    assert settings["logconfig_dict"]["formatters"]["json"]["()"] == "course.logs.JsonFormatter"
    assert settings["timeout"] > 0
    assert settings["graceful_timeout"] > 0


def _server(app: Flask, workers: int) -> Any:
    return SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app), cfg=SimpleNamespace(workers=workers))


def test_gunicorn_refuses_more_workers_than_the_app_was_told_with_memory_limits(
    monkeypatch: pytest.MonkeyPatch, app_config: dict[str, Any]
) -> None:
    settings = gunicorn_settings(monkeypatch, COURSE_WORKERS="1")
    production = create_app({**app_config, "TESTING": False, "COURSE_ENV": "production", "COURSE_WORKERS": 1})
    shared = create_app(
        {
            **app_config,
            "TESTING": False,
            "COURSE_ENV": "production",
            "RATELIMIT_STORAGE_URI": "redis://x:6379",
        }
    )
    settings["on_starting"](_server(production, 1))
    settings["on_starting"](_server(shared, 4))
    with pytest.raises(SystemExit, match="memory:// but 4 workers serve the app"):
        settings["on_starting"](_server(production, 4))  # `gunicorn --workers 4` on the command line
    dispose(production)
    dispose(shared)


def test_gunicorn_freezes_what_the_master_loaded_before_each_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = gunicorn_settings(monkeypatch)
    gc.unfreeze()
    try:
        settings["pre_fork"](None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_example_settings_are_ones_the_app_or_gunicorn_reads() -> None:
    from course.config import DEFAULTS

    result = subprocess.run(
        ["sh", "-c", 'set -a; . "$0"; env -0', str(DEPLOY / "course.env.example")],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    found = dict(item.split("=", 1) for item in result.stdout.split("\0") if item)
    for name in ("PATH", "PWD", "SHLVL", "_"):
        found.pop(name, None)
    read_by_gunicorn = {"COURSE_BIND", "COURSE_THREADS", "COURSE_WORKERS"}
    assert set(found) - set(DEFAULTS) - read_by_gunicorn - {"COURSE_INSTANCE_PATH"} == set()
    assert found["MAIL_DEFAULT_SENDER"] == "Riverside Pain Clinic <course@riverside-clinic.example>"
    assert found["COURSE_TRUSTED_PROXIES"] == "1"


def test_course_flask_runs_flask_as_the_units_do() -> None:
    script = (DEPLOY / "course-flask").read_text()
    subprocess.run(["sh", "-n", str(DEPLOY / "course-flask")], check=True)
    assert os.access(DEPLOY / "course-flask", os.X_OK)
    service = units()["course.service"]["Service"]
    assert f". {service['EnvironmentFile']}" in script
    assert f"cd {service['WorkingDirectory']}" in script
    assert f"runuser -u {service['User']}" in script


def units() -> dict[str, configparser.ConfigParser]:
    found = {}
    for path in sorted(UNITS.iterdir()):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(path)
        found[path.name] = parser
    return found


def test_units_run_commands_the_app_has(app: Flask) -> None:
    commands = app.cli.list_commands(app.app_context())  # type: ignore[arg-type]
    for name, unit in units().items():
        if not name.endswith(".service"):
            continue
        start = shlex.split(unit["Service"]["ExecStart"])
        if "flask" in start[0] or (len(start) > 2 and "flask" in start[2]):
            words = shlex.split(start[-1]) if start[0] == "/bin/sh" else start
            command = words[words.index("course") + 1]
            assert command in commands, f"{name}: flask command {command!r} does not exist"
        else:
            assert start[1:] == ["--config", "deploy/gunicorn.conf.py", "course:create_app()"], name
        assert unit["Service"]["EnvironmentFile"] == "/etc/course/course.env", name
        assert unit["Service"]["User"] == "course", name


def test_timers_start_their_services_when_the_docs_say() -> None:
    found = units()
    schedule = {
        "course-notify.timer": "*:0/15",
        "course-purge.timer": "*-*-* 03:30:00",
        "course-backup.timer": "*-*-* 02:15:00",
    }
    assert {name for name in found if name.endswith(".timer")} == set(schedule)
    for timer, when in schedule.items():
        assert found[timer]["Timer"]["OnCalendar"] == when
        assert timer.replace(".timer", ".service") in found


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_units_pass_systemd_analyze() -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, sorted(UNITS.iterdir()))],
        capture_output=True,
        text=True,
        check=False,
    )
    # The release is not installed in /srv/course on the machine running the tests.
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "/srv/course/.venv/bin/" not in line
    ]
    assert problems == []


@pytest.mark.skipif(shutil.which("caddy") is None, reason="needs caddy (Debian: apt-get install caddy)")
def test_caddyfile_adapts_with_hsts_compression_static_files_and_health_checks() -> None:
    result = subprocess.run(
        ["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        env={"COURSE_DOMAIN": "course.riverside-clinic.example", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    adapted = json.loads(result.stdout)
    text = json.dumps(adapted)
    server = adapted["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]  # HTTPS, with a certificate Caddy obtains for the domain
    assert '"Strict-Transport-Security": ["max-age=31536000; includeSubDomains"]' in text
    assert '"deferred": true' in text  # replaces the app's header instead of adding a second
    assert '"handler": "encode"' in text
    assert '"Cache-Control": ["public, max-age=31536000, immutable"]' in text
    assert '"handler": "file_server"' in text
    assert '"uri": "/readyz"' in text
    assert '"X-Request-Id": ["{http.request.uuid}"]' in text
    assert "logs" not in server  # no access log: the app's own lines never hold paths or query strings
