"""`fetch_rows` (course/db.py) runs the selects of the most visited pages on the driver's cursor instead of
through SQLAlchemy's execution. Its rows must be the ones SQLAlchemy returns, converted the same way; errors
must arrive as SQLAlchemy raises them; a lost connection must be invalidated so that the pool replaces it; and
anything listening to statements must see the statement. On SQLite always, on PostgreSQL too when
TEST_DATABASE_URL is set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, bindparam, column, event, select, table
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from course.auth.session import _PAGES, _USER_BY_ID
from course.clock import FrozenClock
from course.db import fetch_rows, make_engine
from course.learn.services import HOME_PAGE, PROGRAM, STEP_PAGE, home_params, step_params
from course.models import User
from tests.app.test_patient_page_cost import give_history


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
    give_history(db, patient, app.extensions["course.catalog"], clock)
    slug, step_ids = app.extensions["course.catalog"].outline("standard")[0]
    now = clock()
    cases: list[tuple[Any, dict[str, Any]]] = [
        (_USER_BY_ID, {"user_id": patient.id}),
        (PROGRAM, {"user_id": patient.id, "now": now}),
        (HOME_PAGE, {**home_params(now), "user_id": patient.id}),
        (STEP_PAGE, {**step_params(slug, step_ids[0], now), "user_id": patient.id}),
        (_PAGES["learn.home"].statement, {**home_params(now), "user_id": patient.id}),
        (_PAGES["learn.step"].statement, {**step_params(slug, step_ids[0], now), "user_id": patient.id}),
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


def test_a_lost_connection_is_invalidated_and_replaced(app: Flask, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose")
    engine = app.extensions["course.engine"]
    other = make_engine(database_url, autocommit=True)
    try:
        with engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with other.connect() as killer:
                killer.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
            with pytest.raises(DBAPIError) as lost:
                fetch_rows(connection, select(bindparam("n")), {"n": 1})
            assert lost.value.connection_invalidated
            assert connection.invalidated
        with engine.connect() as connection:
            assert fetch_rows(connection, select(bindparam("n")), {"n": 2}) == [(2,)]
    finally:
        other.dispose()


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
