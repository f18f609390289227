"""The patient pages read their facts in one statement each (a UNION ALL of small selects, each row tagged
with its kind; course/learn/services.py) and get them as named facts. Every kind of row each statement can
return must come back as its own named fact; the home page must know today's check-in in every time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import literal_column, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from course import extensions
from course.clock import FrozenClock
from course.content.model import Catalog
from course.db import get_db
from course.learn.services import (
    HOME_PAGE,
    PROGRAM,
    STEP_PAGE,
    Answered,
    CheckedIn,
    Done,
    Override,
    Replied,
    SavedAnswers,
    home_params,
    read_facts,
    step_params,
)
from course.models import CheckIn, StepProgress, StepStatus, User
from tests.app.test_patient_page_cost import give_history

# Each tag a statement's arms write, and the named fact it must come back as.
KINDS = {
    "done": Done,
    "override": Override,
    "reply": Replied,
    "saved": SavedAnswers,
    "answered": Answered,
    "checkin": CheckedIn,
}
STATEMENTS = {"program": PROGRAM, "step": STEP_PAGE, "home": HOME_PAGE}


def tags_of(statement: Any) -> set[str]:
    """The tags a UNION's arms write in their first column (a SQL text literal such as 'done')."""
    return {str(arm.selected_columns[0]).strip("'") for arm in statement.selects}


def test_every_tag_of_every_page_statement_has_a_named_fact() -> None:
    for name, statement in STATEMENTS.items():
        assert tags_of(statement) <= set(KINDS), name
    assert set().union(*(tags_of(s) for s in STATEMENTS.values())) == set(KINDS)


def params_for(name: str, patient: User, catalog: Catalog, now: datetime) -> dict[str, Any]:
    slug, step_ids = catalog.outline("standard")[0]
    found = {
        "program": {"now": now},
        "step": step_params(slug, step_ids[0], now),
        "home": home_params(now),
    }[name]
    return {**found, "user_id": patient.id}


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_every_row_comes_back_as_the_fact_its_tag_names(
    name: str, app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    catalog: Catalog = extensions.catalog(app)
    patient = make_patient(started_at=clock() - timedelta(days=40))
    give_history(db, patient, catalog, clock)
    statement = STATEMENTS[name]
    params = params_for(name, patient, catalog, clock())
    with app.app_context():
        rows = get_db().execute(statement, params).all()
        facts = read_facts(get_db(), statement, params)
    # The history gives every kind this statement can return at least one row.
    assert {row[0] for row in rows} == tags_of(statement)
    assert [type(fact) for fact in facts] == [KINDS[row[0]] for row in rows]
    for row, fact in zip(rows, facts, strict=True):
        if isinstance(fact, Done):
            assert fact.module_slug == row[1]
            assert set(fact.step_ids) == {
                s.step_id
                for s in db.query(StepProgress).filter_by(module_slug=row[1], status=StepStatus.COMPLETE)
                if s.enrollment_id == patient.enrollment.id  # type: ignore[union-attr]
            }
        elif isinstance(fact, Override):
            assert fact.kind in ("pause", "resume", "unlock_next")
        elif isinstance(fact, SavedAnswers):
            assert fact.status == StepStatus.COMPLETE
            assert fact.answers == {"note": f"{params['module_slug']}/{params['step_id']}"}
        elif isinstance(fact, Replied):
            assert (fact.module_slug, fact.step_id, fact.text) == ("first", "alarm", "A reply.")
        elif isinstance(fact, Answered):
            assert fact.measure_id == "phq9"
        elif isinstance(fact, CheckedIn):
            assert fact.day == clock().date()


def test_a_row_of_no_known_kind_is_refused(app: Flask) -> None:
    odd = select(literal_column("'mystery'"), *(literal_column("NULL") for _ in range(5)))
    with app.app_context(), pytest.raises(ValueError, match="mystery"):
        read_facts(get_db(), odd.union_all(odd), {})


def test_the_statements_are_short_enough_for_the_driver_to_remember_their_parsing() -> None:
    """psycopg converts a statement's placeholders once and remembers it, for statements of up to 4,096
    characters (psycopg/_queries.py, MAX_CACHED_STATEMENT_LENGTH); a longer one is parsed on every request."""
    for name, statement in STATEMENTS.items():
        assert len(str(statement.compile(dialect=postgresql.dialect()))) <= 4096, name


# UTC times just after midnight, mid-afternoon and just before midnight; the zones furthest from UTC
# (+14 and -12) and two more.
ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "UTC", "America/Denver"]
TIMES = [datetime(2026, 3, 2, 0, 30), datetime(2026, 3, 2, 15, 0), datetime(2026, 3, 2, 23, 30)]


@pytest.mark.parametrize("zone", ZONES)
def test_home_knows_todays_check_in_in_every_time_zone(
    db: Session,
    client: FlaskClient,
    login: Callable[[User], None],
    make_patient: Callable[..., User],
    clock: FrozenClock,
    zone: str,
) -> None:
    for naive in TIMES:
        when = naive.replace(tzinfo=ZoneInfo("UTC"))
        clock.set(when)
        patient = make_patient(timezone=zone, started_at=when - timedelta(days=3))
        login(patient)
        today = when.astimezone(ZoneInfo(zone)).date()
        # Yesterday's and tomorrow's check-ins (the latter as after moving west) are not today's.
        for day in (today - timedelta(days=1), today + timedelta(days=1)):
            db.add(CheckIn(patient_id=patient.id, day=day, pain=3, created_at=when, updated_at=when))
        db.commit()
        assert "Check in now" in client.get("/learn/").get_data(as_text=True), (zone, naive)
        db.add(CheckIn(patient_id=patient.id, day=today, pain=3, created_at=when, updated_at=when))
        db.commit()
        assert "Done for today" in client.get("/learn/").get_data(as_text=True), (zone, naive)
