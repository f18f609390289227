"""One database session per request: on PostgreSQL a reading request runs without a transaction of its own
(no BEGIN and COMMIT round trips); every other request, and every request on SQLite, is one transaction that
commits when the response is successful and rolls back otherwise."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, func, select

from course.db import get_db
from course.models import AuditEvent


def autocommit(app: Flask, method: str) -> bool:
    with app.test_request_context(method=method):
        db = get_db()
        dbapi = db.connection().connection.dbapi_connection
        if app.extensions["course.engine"].dialect.name == "postgresql":
            return bool(dbapi.autocommit)  # type: ignore[union-attr]
        return dbapi.isolation_level is None  # type: ignore[union-attr]


def test_reads_run_without_a_transaction_on_postgresql_only(app: Flask) -> None:
    postgresql = app.extensions["course.engine"].dialect.name == "postgresql"
    assert autocommit(app, "GET") is postgresql
    assert autocommit(app, "HEAD") is postgresql
    # The connection goes back to the pool transactional again: the next writing request gets a transaction.
    for method in ("POST", "PUT", "DELETE"):
        assert autocommit(app, method) is False
    assert autocommit(app, "GET") is postgresql


def test_a_failed_write_request_keeps_nothing(app: Flask, client: Any) -> None:
    @app.post("/test-write-then-fail")
    def write_then_fail() -> tuple[str, int]:
        db = get_db()
        db.add(AuditEvent(actor_id=None, action="test", detail={}))
        db.flush()
        return "no", 400

    before = count_events(app)
    assert client.post("/test-write-then-fail").status_code == 400
    assert count_events(app) == before


def count_events(app: Flask) -> int:
    with app.app_context():
        return int(get_db().scalar(select(func.count(AuditEvent.id))) or 0)


def test_a_read_on_postgresql_ends_without_commit_unless_it_added_something(app: Flask, client: Any) -> None:
    """A read in autocommit has nothing to commit (SQLAlchemy's commit cost 2% of a small page); objects it
    added are still saved."""

    @app.get("/test-read")
    def read() -> str:
        get_db().scalar(select(func.count(AuditEvent.id)))
        return "ok"

    @app.get("/test-read-and-record")
    def read_and_record() -> str:
        get_db().add(AuditEvent(actor_id=None, action="test", detail={}))
        return "ok"

    commits: list[object] = []
    sessions = app.extensions["course.sessionmaker"]

    def committed(session: object) -> None:
        commits.append(session)

    event.listen(sessions, "after_commit", committed)
    try:
        assert client.get("/test-read").status_code == 200
        postgresql = app.extensions["course.engine"].dialect.name == "postgresql"
        assert len(commits) == (0 if postgresql else 1)
        before = count_events(app)
        assert client.get("/test-read-and-record").status_code == 200
        assert count_events(app) == before + 1
    finally:
        event.remove(sessions, "after_commit", committed)
