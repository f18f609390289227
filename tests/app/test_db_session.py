"""One database session per request: on PostgreSQL a reading request runs without a transaction of its own
(no BEGIN and COMMIT round trips); every other request, and every request on SQLite, is one transaction that
commits when the response is successful and rolls back otherwise."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from course import clock
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


def test_a_request_commits_only_when_it_wrote(app: Flask, client: Any) -> None:
    """A request that only read ends without SQLAlchemy's commit (2% of a small page); objects it added and
    rows its statements wrote are kept, on either database, whatever the method."""

    @app.route("/test-read", methods=["GET", "POST"])
    def read() -> str:
        get_db().scalar(select(func.count(AuditEvent.id)))
        return "ok"

    @app.route("/test-add", methods=["GET", "POST"])
    def add() -> str:
        get_db().scalar(select(func.count(AuditEvent.id)))
        get_db().add(AuditEvent(actor_id=None, action="test", detail={}))
        return "ok"

    @app.route("/test-insert", methods=["GET", "POST"])
    def insert_row() -> str:
        get_db().scalar(select(func.count(AuditEvent.id)))
        get_db().execute(insert(AuditEvent).values(action="test", detail={}, at=clock.now()))
        return "ok"

    commits: list[object] = []

    def committed(session: object) -> None:
        commits.append(session)

    event.listen(Session, "after_commit", committed)
    try:
        assert client.get("/test-read").status_code == 200
        assert commits == []
        for method in ("get", "post"):
            for path in ("/test-add", "/test-insert"):
                before = count_events(app)
                assert getattr(client, method)(path).status_code == 200
                assert count_events(app) == before + 1, (method, path)
    finally:
        event.remove(Session, "after_commit", committed)
