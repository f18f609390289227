"""A program that grows steps in weeks patients have finished (`added:`): those patients keep their later
weeks, are offered the new steps on home and in the week, and the caseload agrees; a patient who had not
finished the week by the date does the new step as usual."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from course import extensions
from course.clinic.services import caseload
from course.clock import FrozenClock
from course.learn.services import held_back_by_added, home_facts, program_for, step_page_facts
from course.models import Enrollment, StepProgress, StepStatus, User
from tests.app.test_patient_page_cost import count_statements
from tests.conftest import FIXTURE_PROGRAM
from tests.pacing.test_program_reading import reference_state

DAYS_AGO_ADDED = 5
PROGRAM = Path(__file__).parent.parent.parent / "modules"


@pytest.fixture
def grown_program(app_config: dict[str, Any], tmp_path: Path, clock: FrozenClock) -> dict[str, Any]:
    """The fixture program with a step added at the end of week 1 and one at the start of week 2, dated five
    days before the clock's today."""
    grown = tmp_path / "grown"
    shutil.copytree(FIXTURE_PROGRAM, grown)
    day = (clock() - timedelta(days=DAYS_AGO_ADDED)).date().isoformat()
    first = grown / "first" / "module.yaml"
    first.write_text(
        first.read_text()
        + f"""  - id: values
    type: exercise
    title: What matters to you
    added: {day}
    fields:
      - {{id: goal, kind: text, label: One small goal, required: true}}
"""
    )
    second = grown / "second" / "module.yaml"
    text = second.read_text()
    second.write_text(
        text.replace(
            "steps:\n",
            f"steps:\n  - id: extra\n    type: lesson\n    title: Something new\n    added: {day}\n"
            "    body: A new page.\n",
            1,
        )
    )
    app_config["COURSE_CONTENT_DIR"] = str(grown)
    return app_config


def finish(db: Session, enrollment: Enrollment, steps: dict[str, tuple[str, ...]], at: datetime) -> None:
    for slug, step_ids in steps.items():
        for n, step_id in enumerate(step_ids):
            moment = at + timedelta(hours=n)
            db.add(
                StepProgress(
                    enrollment_id=enrollment.id,
                    module_slug=slug,
                    step_id=step_id,
                    status=StepStatus.COMPLETE,
                    answers={},
                    started_at=moment,
                    updated_at=moment,
                    completed_at=moment,
                )
            )
    db.commit()


OLD_WEEKS = {"first": ("intro", "alarm", "quiz", "reflect"), "second": ("breathe", "wind-down")}


def test_a_patient_who_finished_weeks_1_and_2_before_the_new_steps_keeps_week_3(
    grown_program: dict[str, Any],
    app: Flask,
    db: Session,
    client: Any,
    login: Callable[[User], None],
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    patient = make_patient(started_at=now - timedelta(days=30))
    enrollment = patient.enrollment
    assert enrollment is not None
    finish(db, enrollment, {"first": OLD_WEEKS["first"]}, now - timedelta(days=29))
    finish(db, enrollment, {"second": OLD_WEEKS["second"]}, now - timedelta(days=22))
    catalog = extensions.catalog(app)

    state = program_for(db, enrollment, catalog, now)
    assert state == reference_state(db, enrollment, catalog, now)
    assert [m.status for m in state.modules] == ["done", "done", "open"]
    assert state.module("first").new_steps == ("values",)  # type: ignore[union-attr]
    assert state.module("second").new_steps == ("extra",)  # type: ignore[union-attr]
    assert state.current == ("third", "last")
    third_opened = state.module("third").opened_at  # type: ignore[union-attr]

    login(patient)
    home = client.get("/learn/").data.decode()
    assert "New in weeks you finished" in home
    assert 'href="/learn/first/values"' in home
    assert 'href="/learn/second/extra"' in home
    assert 'href="/learn/third/last"' in home  # today's work is still week 3
    assert "New: added after you finished this week" in client.get("/learn/first").data.decode()
    assert client.get("/learn/third/last").status_code == 200
    # Their own work after an offered step stays open to read again.
    assert client.get("/learn/second/breathe").status_code == 200

    # Doing an offered step later is welcome and moves nothing.
    assert (
        client.post("/learn/first/values", data={"goal": "Walk to the corner", "submit": "y"}).status_code
        == 302
    )
    with count_statements(app) as seen:
        after = program_for(db, enrollment, catalog, now)
    assert len(seen) == 1  # the added step's own time comes in the page's one statement
    assert after == reference_state(db, enrollment, catalog, now)
    assert after.module("first").new_steps == ()  # type: ignore[union-attr]
    assert after.module("third").opened_at == third_opened  # type: ignore[union-attr]
    assert "New in weeks you finished" in client.get("/learn/").data.decode()  # week 2's is still offered

    # The therapist's caseload reads the same weeks.
    rows = caseload(db, enrollment.therapist, catalog, now)
    assert [row.week for row in rows if row.enrollment.id == enrollment.id] == [3]


def test_a_patient_who_finishes_the_week_after_the_date_does_the_new_step(
    grown_program: dict[str, Any],
    app: Flask,
    db: Session,
    client: Any,
    login: Callable[[User], None],
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    patient = make_patient(started_at=now - timedelta(days=10))
    enrollment = patient.enrollment
    assert enrollment is not None
    finish(db, enrollment, {"first": OLD_WEEKS["first"]}, now - timedelta(days=DAYS_AGO_ADDED - 1))
    catalog = extensions.catalog(app)
    state = program_for(db, enrollment, catalog, now)
    assert state == reference_state(db, enrollment, catalog, now)
    first, second = state.modules[0], state.modules[1]
    assert (first.is_done, first.next_step, first.new_steps) == (False, "values", ())
    assert not second.is_open
    login(patient)
    home = client.get("/learn/").data.decode()
    assert "New in weeks you finished" not in home
    assert 'href="/learn/first/values"' in home
    assert client.get("/learn/second").status_code == 403
    rows = caseload(db, enrollment.therapist, catalog, now)
    assert [row.week for row in rows if row.enrollment.id == enrollment.id] == [1]


def test_check_warns_when_an_added_date_was_earlier_than_the_day_the_step_reached_patients(
    grown_program: dict[str, Any],
    app: Flask,
    db: Session,
    runner: Any,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    # Finished week 1 after the date, without the step (the program did not have it yet), and went on.
    patient = make_patient(started_at=now - timedelta(days=20))
    enrollment = patient.enrollment
    assert enrollment is not None
    finish(db, enrollment, {"first": OLD_WEEKS["first"]}, now - timedelta(days=DAYS_AGO_ADDED - 1))
    finish(db, enrollment, {"second": ("breathe",)}, now - timedelta(days=1))
    # Finished before the date: not held, not counted.
    kept = make_patient(started_at=now - timedelta(days=30))
    assert kept.enrollment is not None
    finish(db, kept.enrollment, {"first": OLD_WEEKS["first"]}, now - timedelta(days=29))
    finish(db, kept.enrollment, {"second": ("breathe",)}, now - timedelta(days=21))
    assert held_back_by_added(db, extensions.catalog(app), now) == [("first", "values", 1)]
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0
    assert "step 'values' of module 'first' now holds 1 patient(s)" in result.output


def test_the_page_statement_gives_the_policy_what_each_steps_own_time_gives(
    grown_program: dict[str, Any],
    app: Flask,
    db: Session,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    """Whatever was done when, around the date the steps were added: the grouped reading of the patient
    pages equals the policy fed each step's own time."""
    catalog = extensions.catalog(app)
    schedule = extensions.schedule(app)
    rng = random.Random(20261207)
    now = clock()
    steps = [(slug, step_id) for slug, step_ids in catalog.outline("standard") for step_id in step_ids]
    for trial in range(40):
        patient = make_patient(started_at=now - timedelta(days=rng.randint(10, 40)))
        enrollment = patient.enrollment
        assert enrollment is not None
        for slug, step_id in rng.sample(steps, rng.randint(0, len(steps))):
            at = now - timedelta(hours=rng.uniform(0, 24 * (DAYS_AGO_ADDED * 2)))
            finish(db, enrollment, {slug: (step_id,)}, at)
        expected = reference_state(db, enrollment, catalog, now)
        assert program_for(db, enrollment, catalog, now) == expected, f"trial {trial}"
        assert home_facts(db, enrollment, catalog, schedule, now).state == expected, f"trial {trial}"
        assert step_page_facts(db, enrollment, catalog, "first", "values", now)[0] == expected, (
            f"trial {trial}"
        )


@pytest.fixture
def real_program(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["COURSE_CONTENT_DIR"] = str(PROGRAM)
    return app_config


def test_in_the_program_weeks_1_and_2_finished_before_the_values_step_keep_week_3_open(
    real_program: dict[str, Any],
    app: Flask,
    db: Session,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    """The real program: the values step added to week 2 does not hold week 3 for a patient who finished
    weeks 1 and 2 before its date (the test clock is months before it)."""
    catalog = extensions.catalog(app)
    step = catalog.module("evidence").step("what-matters")  # type: ignore[union-attr]
    assert step is not None
    assert step.added is not None
    assert clock().date() < step.added
    now = clock()
    patient = make_patient(started_at=now - timedelta(days=30))
    enrollment = patient.enrollment
    assert enrollment is not None
    outline = dict(catalog.outline("standard"))
    finish(db, enrollment, {"alarm-system": outline["alarm-system"]}, now - timedelta(days=29))
    old_week_two = tuple(s for s in outline["evidence"] if s != "what-matters")
    finish(db, enrollment, {"evidence": old_week_two}, now - timedelta(days=22))
    state = program_for(db, enrollment, catalog, now)
    assert state == reference_state(db, enrollment, catalog, now)
    assert [m.status for m in state.modules[:3]] == ["done", "done", "open"]
    assert state.module("evidence").new_steps == ("what-matters",)  # type: ignore[union-attr]
    assert state.current == ("somatic-tracking", outline["somatic-tracking"][0])
