"""The demo, check and migration commands."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.models import Enrollment, StepProgress, User


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
