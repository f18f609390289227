"""The pacing policy's answer for a patient is remembered by the process (course/learn/services.py `_state`)
between the moments the policy says time could change it. What the pages show must always be what the policy
says at that moment: after a week opens, after a new completion, with the clock set back, and for another
patient whose rows look the same but who started elsewhere in time or lives in another zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from course import extensions, pacing
from course.clock import FrozenClock
from course.db import get_db
from course.learn import services
from course.models import Enrollment, StepProgress, StepStatus, User


@pytest.fixture
def decided(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The moments the policy was asked about (nothing remembered from earlier tests)."""
    monkeypatch.setattr(services, "_STATES", {})
    asked: list[datetime] = []

    def counting(*args: Any) -> Any:
        asked.append(args[-1])
        return pacing.program_state_until(*args)

    monkeypatch.setattr(services, "program_state_until", counting)
    return asked


def complete(db: Session, patient: User, slug: str, step_ids: tuple[str, ...], at: datetime) -> None:
    enrollment = db.query(Enrollment).filter_by(patient_id=patient.id).one()
    for step_id in step_ids:
        db.add(
            StepProgress(
                enrollment_id=enrollment.id,
                module_slug=slug,
                step_id=step_id,
                status=StepStatus.COMPLETE,
                answers={},
                started_at=at,
                updated_at=at,
                completed_at=at,
            )
        )
    db.commit()


def state_for(app: Flask, patient: User, now: datetime) -> Any:
    with app.test_request_context():
        db = get_db()
        enrollment = db.query(Enrollment).filter_by(patient_id=patient.id).one()
        return services.program_for(db, enrollment, extensions.catalog(app), now)


def test_a_state_is_remembered_until_a_week_opens(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock, decided: list[datetime]
) -> None:
    zone = ZoneInfo("America/Denver")
    patient = make_patient(started_at=clock(), timezone="America/Denver")
    (week1, steps1), (week2, _steps2) = extensions.catalog(app).outline("standard")[:2]
    complete(db, patient, week1, steps1, clock() + timedelta(hours=1))
    clock.advance(hours=2)

    first = state_for(app, patient, clock())
    assert not first.module(week2).is_open
    opens = datetime.combine(first.module(week2).opens_on, datetime.min.time(), tzinfo=zone)
    assert len(decided) == 1

    clock.set(opens - timedelta(microseconds=1))
    assert state_for(app, patient, clock()) is first  # remembered: nothing changes before the day
    assert len(decided) == 1

    clock.set(opens)
    opened = state_for(app, patient, clock())
    assert opened.module(week2).is_open
    assert len(decided) == 2
    services._STATES.clear()
    assert state_for(app, patient, clock()) == opened  # what the policy says when asked afresh

    # The clock set back (a test, a corrected server clock): worked out again, not taken from later.
    clock.set(opens - timedelta(days=1))
    back = state_for(app, patient, clock())
    assert not back.module(week2).is_open
    assert len(decided) == 4


def test_a_new_completion_is_seen_at_once(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock, decided: list[datetime]
) -> None:
    patient = make_patient(started_at=clock())
    (week1, steps1), *_ = extensions.catalog(app).outline("standard")
    clock.advance(hours=1)
    before = state_for(app, patient, clock())
    assert before.current == (week1, steps1[0])
    complete(db, patient, week1, steps1[:1], clock())
    after = state_for(app, patient, clock())
    assert after.step_is_complete(week1, steps1[0])
    assert after.current == (week1, steps1[1])
    assert len(decided) == 2


def test_patients_whose_rows_look_alike_are_told_apart(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock, decided: list[datetime]
) -> None:
    start = clock()
    (week1, steps1), (week2, _) = extensions.catalog(app).outline("standard")[:2]
    at = start + timedelta(hours=1)
    # The same completions; one lives in Auckland, one started a week earlier, one is on the pacing path.
    here = make_patient(started_at=start, timezone="UTC")
    far = make_patient(started_at=start, timezone="Pacific/Auckland")
    earlier = make_patient(started_at=start - timedelta(days=7), timezone="UTC")
    pacing_path = make_patient(started_at=start, timezone="UTC", pem=True)  # post-exertional malaise
    for patient in (here, far, earlier, pacing_path):
        complete(db, patient, week1, steps1, at)
    clock.set(start + timedelta(days=6))
    states = {p.email: state_for(app, p, clock()) for p in (here, far, earlier, pacing_path)}
    assert len(decided) == 4
    assert not states[here.email].module(week2).is_open
    assert states[earlier.email].module(week2).is_open
    assert states[far.email].module(week2).opens_on != states[here.email].module(week2).opens_on
    # The pacing path has its own steps (one step of the test program's third week differs).
    assert states[pacing_path.email].step_ids != states[here.email].step_ids
