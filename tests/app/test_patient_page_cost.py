"""What a patient's home and step pages cost per request: a fixed, small number of SQL statements whatever
the patient's history (docs/PERFORMANCE.md has the throughput these numbers buy)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from course import extensions
from course.clock import FrozenClock
from course.content.model import Catalog
from course.db import engines
from course.models import (
    CheckIn,
    FeedbackRequest,
    MeasureResponse,
    OverrideKind,
    ProgramOverride,
    StepProgress,
    StepStatus,
    User,
)

# The signed-in user with their enrollment (course/auth/session.py), then everything the page needs (one
# UNION ALL: course/learn/services.py), on either database. Counted as production runs them: a listener on
# the cursor sees every statement and changes nothing of how they run.
PAGE_STATEMENTS = 2


@contextmanager
def count_statements(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    for engine in engines(app):
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        for engine in engines(app):
            event.remove(engine, "before_cursor_execute", before)


def statements_for(app: Flask, client: Any, path: str) -> int:
    assert client.get(path).status_code == 200  # warm-up, as a running server would be
    with count_statements(app) as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def give_history(db: Session, patient: User, catalog: Catalog, clock: FrozenClock) -> None:
    """The first module complete and the rest started; overrides, a feedback moment replied to,
    questionnaires, today's check-in."""
    enrollment = patient.enrollment
    assert enrollment is not None
    now = clock()
    for i, (slug, step_ids) in enumerate(catalog.outline("standard")):
        for j, step_id in enumerate(step_ids):
            done = i == 0
            db.add(
                StepProgress(
                    enrollment_id=enrollment.id,
                    module_slug=slug,
                    step_id=step_id,
                    status=StepStatus.COMPLETE if done else StepStatus.STARTED,
                    answers={"note": f"{slug}/{step_id}"},
                    started_at=now - timedelta(days=30 - j),
                    updated_at=now - timedelta(days=30 - j),
                    completed_at=now - timedelta(days=29 - j) if done else None,
                )
            )
    db.add(
        FeedbackRequest(
            enrollment_id=enrollment.id,
            module_slug="first",
            step_id="alarm",
            asked_at=now - timedelta(days=28),
            reply="A reply.",
            replied_at=now - timedelta(days=27),
        )
    )
    for n, kind in enumerate([OverrideKind.PAUSE, OverrideKind.RESUME, OverrideKind.UNLOCK_NEXT]):
        db.add(ProgramOverride(enrollment_id=enrollment.id, kind=kind, at=now - timedelta(days=20 - n)))
    for n in range(3):
        db.add(
            MeasureResponse(
                enrollment_id=enrollment.id,
                measure_id="phq9",
                due_key=f"k{n}",
                answers={},
                complete=True,
                created_at=now,
                completed_at=now,
            )
        )
    db.add(CheckIn(patient_id=patient.id, day=now.date(), pain=4, created_at=now, updated_at=now))
    db.commit()


@pytest.fixture
def new_patient(make_patient: Callable[..., User], clock: FrozenClock) -> User:
    return make_patient(started_at=clock() - timedelta(days=40))


@pytest.fixture
def seasoned_patient(app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock) -> User:
    patient = make_patient(started_at=clock() - timedelta(days=40))
    give_history(db, patient, extensions.catalog(app), clock)
    return patient


def test_home_statements_same_small_number_for_new_and_seasoned_patients(
    app: Flask, client: Any, login: Callable[[User], None], new_patient: User, seasoned_patient: User
) -> None:
    counts = {}
    for name, patient in (("new", new_patient), ("seasoned", seasoned_patient)):
        login(patient)
        counts[name] = statements_for(app, client, "/learn/")
    assert counts == {"new": PAGE_STATEMENTS, "seasoned": PAGE_STATEMENTS}


def test_step_statements_same_small_number_for_new_and_seasoned_patients(
    app: Flask, client: Any, login: Callable[[User], None], new_patient: User, seasoned_patient: User
) -> None:
    counts = {}
    for name, patient in (("new", new_patient), ("seasoned", seasoned_patient)):
        login(patient)
        counts[name] = statements_for(app, client, "/learn/first/intro")
    assert counts == {"new": PAGE_STATEMENTS, "seasoned": PAGE_STATEMENTS}


def test_home_from_one_statement_still_shows_checkin_progress_and_questionnaires(
    client: Any, login: Callable[[User], None], seasoned_patient: User
) -> None:
    login(seasoned_patient)
    page = client.get("/learn/").data.decode()
    assert "Done for today." in page
    assert "opened early by your therapist" in page  # the unlock override counted
    assert page.count("steps done") >= 2


def test_step_from_one_statement_shows_what_was_saved_on_that_step_only(
    client: Any, login: Callable[[User], None], new_patient: User
) -> None:
    login(new_patient)
    assert client.post("/learn/first/intro", data={"submit": "y"}).status_code == 302
    typed = "It says my back is breaking."
    data = {"alarm_says": typed, "save": "y"}
    assert client.post("/learn/first/alarm", data=data).status_code == 302
    assert typed in client.get("/learn/first/alarm").data.decode()
    assert typed not in client.get("/learn/first/intro").data.decode()
