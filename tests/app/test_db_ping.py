"""PostgreSQL connections are pinged before use only after sitting idle, and one that died while idle (a
server restart) is replaced without the request noticing. Needs TEST_DATABASE_URL (CI sets it); SQLite has
no server to lose."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

import course.db
from course.config import normalise_database_url
from course.db import make_engine

URL = os.environ.get("TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_DATABASE_URL (a PostgreSQL database)")


def test_a_connection_used_recently_is_not_pinged(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(normalise_database_url(URL or ""))
    pings = []
    original = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(1) or original(c))
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    assert pings == []
    monkeypatch.setattr(course.db, "PING_AFTER_IDLE_SECONDS", -1.0)  # every connection counts as idle now
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    assert pings == [1]
    engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(normalise_database_url(URL or ""))
    with engine.connect() as connection:
        old_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    # The server ends that backend, as a restart would, while the connection sits in the pool.
    killer = make_engine(normalise_database_url(URL or ""))
    with killer.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old_pid}).scalar()
    killer.dispose()
    monkeypatch.setattr(course.db, "PING_AFTER_IDLE_SECONDS", -1.0)
    with engine.connect() as connection:
        new_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    assert new_pid != old_pid
    engine.dispose()
