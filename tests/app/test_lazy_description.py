"""On PostgreSQL the cursor describes its result's columns only when asked (course/db.py): SQLAlchemy asks for
them only for statements it has not run before. What it is asked must be what psycopg says. Needs
TEST_DATABASE_URL (CI sets it)."""

from __future__ import annotations

import os
from typing import Any

import psycopg
import pytest
from sqlalchemy import Integer, column, select, text, values

from course.config import normalise_database_url
from course.db import make_engine

URL = os.environ.get("TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_DATABASE_URL (a PostgreSQL database)")


@pytest.fixture(params=[False, True], ids=["transactions", "autocommit"])
def engine(request: pytest.FixtureRequest) -> Any:
    found = make_engine(normalise_database_url(URL or ""), autocommit=request.param)
    yield found
    found.dispose()


def _described(cursor: Any) -> list[tuple[Any, ...]]:
    return [
        (c.name, c.type_code, c.display_size, c.internal_size, c.precision, c.scale)
        for c in cursor.description
    ]


def test_the_description_is_psycopgs_when_asked(engine: Any) -> None:
    query = "SELECT 1 AS a, 'x'::text AS b, now() AS c, 2.5::numeric(4, 1) AS d, NULL::date AS e"
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        assert type(cursor) is not psycopg.Cursor
        cursor.execute(query)
        lazy = cursor.description
        assert len(lazy) == 5
        assert [column[0] for column in lazy] == ["a", "b", "c", "d", "e"]
        with psycopg.connect(URL or "") as plain:
            reference = plain.cursor()
            reference.execute(query)
            assert _described(cursor) == _described(reference)
        assert lazy[-1].name == "e"
        assert [c.name for c in lazy[1:3]] == ["b", "c"]


def test_no_description_without_rows(engine: Any) -> None:
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        cursor.execute("CREATE TEMPORARY TABLE lazy_t (a int)")
        assert cursor.description is None


def test_statements_seen_for_the_first_time_and_again_read_their_columns(engine: Any) -> None:
    # Text statements are matched by the names in the description; compiled ones by position, once cached.
    with engine.connect() as connection:
        for _ in range(3):
            row = connection.execute(text("SELECT 7 AS seven, 'q' AS letter")).one()
            assert row._mapping == {"seven": 7, "letter": "q"}
            rows = connection.execute(select(values(column("n", Integer), name="v").data([(1,), (2,)]))).all()
            assert [r.n for r in rows] == [1, 2]
        assert connection.exec_driver_sql("SELECT 3 AS three").keys() == ["three"]


def test_a_description_kept_past_its_result_refuses_to_describe_another(engine: Any) -> None:
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        cursor.execute("SELECT 1 AS first")
        kept = cursor.description
        cursor.execute("SELECT 2 AS second")
        with pytest.raises(RuntimeError, match="moved on"):
            kept[0]
        assert cursor.description[0].name == "second"
