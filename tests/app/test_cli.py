"""The demo, check and migration commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course import create_app
from course.config import PROJECT_ROOT
from course.db import dispose
from course.models import Enrollment, StepProgress, User
from tests.conftest import FIXTURE_PROGRAM


def test_demo_refused_outside_development(runner: Any) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "only for development" in result.output


def test_demo_loads_accounts_and_is_safe_twice(app: Flask, runner: Any, db: Session) -> None:
    app.config["COURSE_ENV"] = "development"
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "11 new accounts" in first.output
    second = runner.invoke(args=["demo"])
    assert "0 new accounts" in second.output
    assert db.scalar(select(func.count(User.id))) == 11
    emails = set(db.scalars(select(User.email)))
    assert {"admin@example.org", "therapist1@example.org", "therapist2@example.org"} <= emails
    assert {f"patient{i}@example.org" for i in range(1, 9)} <= emails
    by_therapist = dict(
        db.execute(
            select(User.email, func.count(Enrollment.id))
            .join(Enrollment, Enrollment.therapist_id == User.id)
            .group_by(User.email)
        ).all()
    )
    assert by_therapist == {"therapist1@example.org": 6, "therapist2@example.org": 2}
    assert db.scalar(select(func.count(StepProgress.id))) > 0
    assert runner.invoke(args=["demo", "--if-new"]).output.startswith("The database already has accounts")


def test_check_reports_program_and_warns_on_lost_step_ids(
    app: Flask, runner: Any, db: Session, make_patient: Any
) -> None:
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0
    assert "3 modules, 9 steps, no problems found" in result.output
    patient = make_patient()
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert enrollment is not None
    db.add(
        StepProgress(
            enrollment_id=enrollment.id,
            module_slug="first",
            step_id="renamed-away",
            status="complete",
            answers={},
        )
    )
    db.commit()
    warned = runner.invoke(args=["check"])
    assert "1 patient(s) have progress on step 'renamed-away' of module 'first'" in warned.output


# --- a fresh clone: no SECRET_KEY ---------------------------------------------------------------------------


@pytest.fixture
def without_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of a fresh clone in production mode: no key, no instance config, a new database."""
    for name in list(os.environ):
        if name in ("SECRET_KEY", "DATABASE_URL") or name.startswith(("COURSE_", "MAIL_", "FLASK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(FIXTURE_PROGRAM))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'course.sqlite3'}")
    return tmp_path


def test_check_runs_from_a_fresh_clone_without_a_secret_key(without_secret_key: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "course", "check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "3 modules, 9 steps, no problems found" in result.stdout
    assert "SECRET_KEY" not in result.stdout + result.stderr


def test_a_command_that_signs_says_in_one_line_that_it_needs_the_secret_key(without_secret_key: Path) -> None:
    group = FlaskGroup(create_app=create_app)
    result = CliRunner().invoke(group, ["send-notifications"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        "course: SECRET_KEY is not set. Set the SECRET_KEY environment variable (or COURSE_ENV=development "
        "for a local trial)."
    ]


def test_commands_that_need_no_secret_key_run_without_one(without_secret_key: Path) -> None:
    group = FlaskGroup(create_app=create_app)
    assert CliRunner().invoke(group, ["db", "upgrade"]).exit_code == 0
    checked = CliRunner().invoke(group, ["check"])
    assert checked.exit_code == 0, checked.output
    assert "no problems found" in checked.output
    assert "Progress not checked" not in checked.output  # the migrated database was read


def test_an_app_built_without_a_secret_key_serves_no_page_and_a_server_refuses_to_start(
    without_secret_key: Path,
) -> None:
    with click.Context(click.Command("shell"), info_name="shell", obj=ScriptInfo()):
        app = create_app()  # as `flask shell` builds it
    try:
        for path in ("/help", "/auth/login", "/healthz"):
            response = app.test_client().get(path)
            assert response.status_code == 503
            assert b"SECRET_KEY is not set" in response.data
    finally:
        dispose(app)
    with pytest.raises(SystemExit, match="SECRET_KEY is not set"):
        create_app()  # as gunicorn builds it
    with (
        click.Context(click.Command("run"), info_name="run", obj=ScriptInfo()),
        pytest.raises(SystemExit, match="SECRET_KEY is not set"),
    ):
        create_app()  # as `flask run` builds it
