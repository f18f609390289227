"""`fetch_rows` (course/db.py) runs the selects of the most visited pages on the driver's cursor instead of
through SQLAlchemy's execution. Its rows must be the ones SQLAlchemy returns, converted the same way; errors
must arrive as SQLAlchemy raises them; a lost connection must be invalidated so that the pool replaces it; and
anything listening to statements must see the statement. On SQLite always, on PostgreSQL too when
TEST_DATABASE_URL is set."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, Float, Numeric, bindparam, cast, column, event, select, table, union_all
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from course import extensions
from course.auth.session import _PAGES, _USER_BY_ID
from course.clock import FrozenClock
from course.config import normalise_database_url
from course.db import UTCDateTime, fetch_rows, get_db, make_engine
from course.learn.services import HOME_PAGE, PROGRAM, STEP_PAGE, home_params, program_for, step_params
from course.models import Enrollment, OverrideKind, ProgramOverride, User
from course.signins import token_hash
from tests.app.test_patient_page_cost import give_history
from tests.conftest import sign_in_token


@pytest.fixture
def connection(app: Flask) -> Iterator[Connection]:
    with app.extensions["course.engine"].connect() as found:
        yield found


def sqlalchemys(connection: Connection, statement: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.execute(statement, params).all()]


def on_the_cursor(
    connection: Connection, statement: Any, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Any, ...]]:
    """fetch_rows, failing if it went through SQLAlchemy's execution."""

    def refuse(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("went through Connection.execute")

    with monkeypatch.context() as patch:
        patch.setattr(Connection, "execute", refuse)
        return [tuple(row) for row in fetch_rows(connection, statement, params)]


def test_the_pages_rows_are_sqlalchemys(
    app: Flask,
    db: Session,
    connection: Connection,
    make_patient: Callable[..., User],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = make_patient(started_at=clock() - timedelta(days=40))
    give_history(db, patient, extensions.catalog(app), clock)
    slug, step_ids = extensions.catalog(app).outline("standard")[0]
    now = clock()
    signed_in = {"user_id": patient.id, "sign_in": token_hash(sign_in_token(app, patient))}
    cases: list[tuple[Any, dict[str, Any]]] = [
        (_USER_BY_ID, {**signed_in, "now": now}),
        (PROGRAM, {"user_id": patient.id, "now": now}),
        (HOME_PAGE, {**home_params(now), "user_id": patient.id}),
        (STEP_PAGE, {**step_params(slug, step_ids[0], now), "user_id": patient.id}),
        (_PAGES["learn.home"].statement, {**home_params(now), **signed_in}),
        (_PAGES["learn.step"].statement, {**step_params(slug, step_ids[0], now), **signed_in}),
    ]
    for statement, params in cases:
        expected = sqlalchemys(connection, statement, params)
        assert expected
        for _ in range(2):  # compiled the first time, then taken from the process's store
            assert on_the_cursor(connection, statement, params, monkeypatch) == expected
    # Converted by the columns' types: aware UTC times, and days as dates (SQLite returns text for both).
    home = fetch_rows(connection, HOME_PAGE, cases[2][1])
    times = [row[3] for row in home if row[3] is not None]
    assert times
    assert all(at.tzinfo is UTC for at in times)
    days = [row[5] for row in home if row[0] == "checkin"]
    assert clock().date() in days  # give_history checked in today
    assert all(type(day) is date for day in days)


def test_a_value_its_type_refuses_is_reported_as_sqlalchemy_reports_it(connection: Connection) -> None:
    naive = {"user_id": 1, "now": datetime(2026, 1, 1)}
    with pytest.raises(StatementError, match="naive datetime") as theirs:
        connection.execute(PROGRAM, naive)
    with pytest.raises(StatementError, match="naive datetime") as ours:
        fetch_rows(connection, PROGRAM, naive)
    assert type(ours.value) is type(theirs.value)
    assert isinstance(ours.value.orig, ValueError)


def test_driver_errors_are_sqlalchemys(app: Flask) -> None:
    missing: Any = select(column("x")).select_from(table("no_such_table"))
    engine = app.extensions["course.engine"]
    with engine.connect() as connection, pytest.raises(DBAPIError) as theirs:
        connection.execute(missing)
    with engine.connect() as connection, pytest.raises(DBAPIError) as ours:
        fetch_rows(connection, missing, {})
    assert type(ours.value) is type(theirs.value)
    assert type(ours.value.orig) is type(theirs.value.orig)
    assert "no_such_table" in str(ours.value)
    assert not ours.value.connection_invalidated
    with engine.connect() as connection:  # the pool's connections are still good
        assert fetch_rows(connection, select(bindparam("n")), {"n": 5}) == [(5,)]


URL = os.environ.get("TEST_DATABASE_URL")


@pytest.mark.skipif(not URL, reason="needs TEST_DATABASE_URL (a PostgreSQL database)")
def test_a_lost_server_costs_one_statement_not_one_per_pooled_connection() -> None:
    # As after a restart of PostgreSQL: every pooled connection is dead. The first statement fails (as with
    # SQLAlchemy's execution) and invalidates the pool's older connections with it: the next ones reconnect.
    url = normalise_database_url(URL or "")
    engine, killer = make_engine(url), make_engine(url, autocommit=True)
    one: Any = select(bindparam("n"))
    try:
        held = [engine.connect() for _ in range(3)]
        pids = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for c in held]
        for c in held:
            c.close()  # back to the pool, alive
        with killer.connect() as k:
            for pid in pids:
                k.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
        with engine.connect() as connection, pytest.raises(DBAPIError) as lost:
            fetch_rows(connection, one, {"n": 1})
        assert lost.value.connection_invalidated
        for n in range(2, 6):
            with engine.connect() as connection:
                assert fetch_rows(connection, one, {"n": n}) == [(n,)]
    finally:
        engine.dispose()
        killer.dispose()


def test_listeners_see_the_statement(connection: Connection) -> None:
    seen: list[str] = []

    def before(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    engine = connection.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        with engine.connect() as watched:
            rows = fetch_rows(watched, select(bindparam("n") + 1), {"n": 41})
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert [tuple(row) for row in rows] == [(42,)]
    assert len(seen) == 1
    assert "SELECT" in seen[0]


def test_a_list_parameter_goes_through_sqlalchemy(
    connection: Connection, make_patient: Callable[..., User]
) -> None:
    patients = [make_patient(), make_patient()]
    ids = [p.id for p in patients]
    statement = select(User.id).where(User.id.in_(bindparam("ids", expanding=True))).order_by(User.id)
    assert [tuple(row) for row in fetch_rows(connection, statement, {"ids": ids})] == [(i,) for i in ids]


def test_sql_logging_goes_through_sqlalchemy(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    # SQL logging configured (as echo does): the statement is logged as any other. A connection takes the
    # logging level when it is made.
    engine = app.extensions["course.engine"]
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"), engine.connect() as connection:
        rows = fetch_rows(connection, select(bindparam("n") * 2), {"n": 21})
    assert [tuple(row) for row in rows] == [(42,)]
    assert any("SELECT" in record.getMessage() for record in caplog.records)


def test_parameters_of_one_name_are_converted_once(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    twice = union_all(select(bindparam("t", type_=UTCDateTime)), select(bindparam("t", type_=UTCDateTime)))
    assert on_the_cursor(connection, twice, {"t": at}, monkeypatch) == sqlalchemys(
        connection, twice, {"t": at}
    )


def test_numbers_go_through_sqlalchemy(connection: Connection) -> None:
    # Their conversion may depend on the column type the driver reports (psycopg's Float and Numeric do).
    numbers = select(cast(bindparam("x"), Float), cast(bindparam("y"), Numeric(4, 1)))
    assert fetch_rows(connection, numbers, {"x": 1.5, "y": 2.5}) == sqlalchemys(
        connection, numbers, {"x": 1.5, "y": 2.5}
    )


def test_a_session_shows_its_own_unsaved_changes(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    # Through a session (session_rows), as its own execute would: what it holds is flushed first.
    patient = make_patient(started_at=clock() - timedelta(days=1))
    catalog = extensions.catalog(app)
    with app.test_request_context():
        session = get_db()
        enrollment = session.query(Enrollment).filter_by(patient_id=patient.id).one()
        session.add(ProgramOverride(enrollment_id=enrollment.id, kind=OverrideKind.PAUSE, at=clock()))
        assert program_for(session, enrollment, catalog, clock()).paused
        session.rollback()
