"""The patient's home and step pages have their facts read in the user loader's statement (one statement a
page; see course/auth/session.py). The rows must be those the page would read itself, kept only for the user
who was signed in, and for the page and parameters they were read for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from course import extensions
from course.auth.session import facts_rows, load_user
from course.clock import FrozenClock
from course.content.model import Catalog
from course.db import get_db
from course.learn.services import HOME_PAGE, STEP_PAGE, home_params, step_params
from course.models import CheckIn, User
from tests.app.test_patient_page_cost import give_history, statements_for
from tests.conftest import signed_in_request


@pytest.fixture(autouse=True)
def facts_with_user(app: Flask) -> None:
    """Read with the user on SQLite too (by default it reads them apart), so both databases test it."""
    app.extensions["course.facts_with_user"] = True


def first_step(app: Flask) -> tuple[str, str]:
    catalog: Catalog = extensions.catalog(app)
    slug, step_ids = catalog.outline("standard")[0]
    return slug, step_ids[0]


def sorted_rows(rows: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(row) for row in rows), key=repr)


def read_alone(app: Flask, facts: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with app.app_context():
        return sorted_rows(get_db().execute(facts, params).all())


@pytest.mark.parametrize("page", ["home", "step"])
def test_rows_read_with_the_user_are_the_pages_own(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock, page: str
) -> None:
    patient = make_patient(started_at=clock() - timedelta(days=40))
    give_history(db, patient, extensions.catalog(app), clock)
    slug, step_id = first_step(app)
    now = clock()
    if page == "home":
        path, facts, params = "/learn/", HOME_PAGE, home_params(now)
    else:
        path, facts, params = f"/learn/{slug}/{step_id}", STEP_PAGE, step_params(slug, step_id, now)
    params["user_id"] = patient.id
    expected = read_alone(app, facts, params)
    assert {row[0] for row in expected} >= ({"done", "override"} | ({"saved"} if page == "step" else set()))
    with signed_in_request(app, patient, path):
        assert load_user(patient.get_id()) is not None
        rows, at = facts_rows(get_db(), facts, params)
        assert sorted_rows(rows) == expected
        assert at == now
        assert "_facts_read" not in g  # taken once


def test_home_and_step_run_one_statement(
    app: Flask,
    db: Session,
    client: FlaskClient,
    login: Callable[[User], None],
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    patient = make_patient(started_at=clock() - timedelta(days=40))
    give_history(db, patient, extensions.catalog(app), clock)
    login(patient)
    slug, step_id = first_step(app)
    assert statements_for(app, client, "/learn/") == 1
    assert statements_for(app, client, f"/learn/{slug}/{step_id}") == 1


def test_rows_for_other_parameters_or_another_page_are_read_again(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient(started_at=clock() - timedelta(days=40))
    give_history(db, patient, extensions.catalog(app), clock)
    catalog: Catalog = extensions.catalog(app)
    (slug, first_ids), (other_slug, other_ids) = catalog.outline("standard")[:2]
    now = clock()
    other = {**step_params(other_slug, other_ids[0], now), "user_id": patient.id}
    with signed_in_request(app, patient, f"/learn/{slug}/{first_ids[0]}"):
        assert load_user(patient.get_id()) is not None
        rows, _ = facts_rows(get_db(), STEP_PAGE, other)
        assert sorted_rows(rows) == read_alone(app, STEP_PAGE, other)
    with signed_in_request(app, patient, f"/learn/{slug}/{first_ids[0]}"):
        assert load_user(patient.get_id()) is not None
        params = {**home_params(now), "user_id": patient.id}
        rows, _ = facts_rows(get_db(), HOME_PAGE, params)
        assert sorted_rows(rows) == read_alone(app, HOME_PAGE, params)


def test_nothing_is_kept_when_nobody_is_signed_in_or_the_request_writes(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient()
    give_history(db, patient, extensions.catalog(app), clock)
    with signed_in_request(app, patient, "/learn/"):
        assert load_user(f"{patient.id}:{patient.session_version + 1}") is None  # signed out elsewhere
        assert "_facts_read" not in g
    with signed_in_request(app, patient, "/learn/"):
        assert load_user(f"{patient.id + 1000}:1") is None
        assert "_facts_read" not in g
    slug, step_id = first_step(app)
    with signed_in_request(app, patient, f"/learn/{slug}/{step_id}", method="POST"):
        assert load_user(patient.get_id()) is not None
        assert "_facts_read" not in g  # a save reads what it needs after the user, in its own transaction


# UTC times just after midnight, mid-afternoon and just before midnight; the zones furthest from UTC
# (+14 and -12) and two more.
ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "UTC", "America/Denver"]
TIMES = [datetime(2026, 3, 2, 0, 30), datetime(2026, 3, 2, 15, 0), datetime(2026, 3, 2, 23, 30)]


@pytest.mark.parametrize("together", [True, False], ids=["with the user", "apart"])
@pytest.mark.parametrize("zone", ZONES)
def test_home_knows_todays_check_in_in_every_time_zone(
    together: bool,
    app: Flask,
    db: Session,
    client: FlaskClient,
    login: Callable[[User], None],
    make_patient: Callable[..., User],
    clock: FrozenClock,
    zone: str,
) -> None:
    app.extensions["course.facts_with_user"] = together
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


def test_the_statements_are_short_enough_for_the_driver_to_remember_their_parsing() -> None:
    """psycopg converts a statement's placeholders once and remembers it, for statements of up to 4,096
    characters (psycopg/_queries.py, MAX_CACHED_STATEMENT_LENGTH); a longer one is parsed again on every
    request (2% of a home page's time on PostgreSQL)."""
    from sqlalchemy.dialects import postgresql

    import course.learn.routes  # noqa: F401  (registers the pages)
    from course.auth.session import _PAGES

    assert {"learn.home", "learn.step"} <= set(_PAGES)
    for endpoint, page in _PAGES.items():
        assert len(str(page.statement.compile(dialect=postgresql.dialect()))) <= 4096, endpoint


def count_sessions(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request session opened, by which maker."""
    opened: list[str] = []
    for name in ("course.sessionmaker", "course.read_sessionmaker"):
        maker = app.extensions.get(name)
        if maker is not None:

            def counted(maker: Any = maker, name: str = name) -> Session:
                opened.append(name)
                return maker()

            monkeypatch.setitem(app.extensions, name, counted)
    return opened


def test_home_and_step_open_no_session_on_their_usual_path(
    app: Flask,
    db: Session,
    client: FlaskClient,
    login: Callable[[User], None],
    make_patient: Callable[..., User],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = make_patient(started_at=clock() - timedelta(days=40))
    give_history(db, patient, extensions.catalog(app), clock)
    login(patient)
    slug, step_id = first_step(app)
    opened = count_sessions(app, monkeypatch)
    for path in ("/learn/", f"/learn/{slug}/{step_id}"):
        assert client.get(path).status_code == 200
    assert opened == []
    # Another page opens it as usual, and a save does.
    assert client.get(f"/learn/{slug}").status_code == 200
    assert opened


def test_the_user_joins_the_session_when_the_page_opens_it(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient(timezone="Europe/Paris")
    patient.enrollment.pem = True  # type: ignore[union-attr]
    db.commit()
    with signed_in_request(app, patient, "/learn/"):
        user = load_user(patient.get_id())
        assert user is not None
        assert user.enrollment is not None
        assert user.enrollment.patient is user
        assert inspect(user).detached  # not in a session yet: none was opened
        assert (user.timezone, user.enrollment.pem) == ("Europe/Paris", True)
        session = get_db()
        assert inspect(user).persistent
        assert inspect(user.enrollment).persistent
        assert session.get(User, patient.id) is user  # the session's own: no second copy of the row
        assert not session.dirty
        # A relationship it did not load comes on first use, now that it is in a session.
        assert user.enrollment.therapist.id == patient.enrollment.therapist_id  # type: ignore[union-attr]
        assert user is not None
        user.timezone = "Asia/Tokyo"
        session.commit()
    db.expire_all()
    assert db.scalar(select(User.timezone).where(User.id == patient.id)) == "Asia/Tokyo"


def test_a_session_open_before_the_user_is_loaded_takes_them_at_once(
    app: Flask, make_patient: Callable[..., User]
) -> None:
    patient = make_patient()
    with signed_in_request(app, patient, "/learn/"):
        session = get_db()
        user = load_user(patient.get_id())
        assert user is not None
        assert user in session
        assert user.enrollment in session


def test_nothing_left_for_the_session_outlives_the_request(
    app: Flask,
    db: Session,
    client: FlaskClient,
    login: Callable[[User], None],
    make_patient: Callable[..., User],
) -> None:
    # A request inside an app context that outlives it (as in tests and commands) shares that context's `g`:
    # objects left for a session the page never opened, and facts it never took, must end with the request.
    patient = make_patient(screened=False)  # the step sends them to the screening: its facts go unused
    login(patient)
    slug, step_id = first_step(app)
    with app.app_context():
        assert client.get(f"/learn/{slug}/{step_id}").status_code == 302
        assert "_attach_when_opened" not in g
        assert "_facts_read" not in g
        patient.display_name = "Renamed"
        db.commit()
        assert get_db().get(User, patient.id).display_name == "Renamed"  # type: ignore[union-attr]
