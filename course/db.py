"""Database wiring: the engines, and one session per app context (the tables' base is in course/schema.py).

Views get the session with `get_db()`; the app commits once per successful request (see `init_app`). On
PostgreSQL a GET or HEAD request runs without a transaction of its own (see `READ_METHODS`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from . import staleness
from .lazy_description import lazy_description_cursor
from .schema import Base as Base
from .schema import UTCDateTime as UTCDateTime


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """Foreign keys on, WAL for concurrent readers, a busy timeout instead of 'database is locked', and
    deleted content overwritten with zeros (secure_delete): a deleted person's words do not linger in free
    pages."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


# A pooled PostgreSQL connection that sat unused this long is pinged before use (and replaced if the server
# has gone away, as after a restart). One used more recently is trusted: pinging it on every request was a
# round trip of its own, a tenth of a small page's time. If it has died all the same, the error invalidates
# it and the pool, and that one request fails.
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, *, autocommit: bool = False) -> Engine:
    """Create the engine for a database URL with the options each backend needs; `autocommit` for a
    PostgreSQL engine whose connections run each statement on its own (the reading requests')."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 10})
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    if url.startswith("postgresql+psycopg"):
        options["connect_args"] = {"cursor_factory": lazy_description_cursor()}
    engine = create_engine(url, **options)

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure means: not usable
            raise DisconnectionError() from exc
        if not alive:
            raise DisconnectionError()  # the pool discards it and connects again

    return engine


def init_app(app: Flask) -> None:
    """Create the engines, watch every flush for caseload rows to mark stale (course/staleness.py), and
    commit once at the end of each successful request."""
    staleness.install()
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["course.engine"] = engine
    app.extensions["course.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    reads_autocommit = engine.dialect.name == "postgresql"
    app.extensions["course.reads_autocommit"] = reads_autocommit
    if reads_autocommit:
        # Its own pool of connections that stay in autocommit: cheaper than switching a pooled connection
        # there and back on every request (docs/PERFORMANCE.md).
        reader = make_engine(app.config["DATABASE_URL"], autocommit=True)
        app.extensions["course.read_engine"] = reader
        app.extensions["course.read_sessionmaker"] = sessionmaker(reader, expire_on_commit=False)

    @app.after_request
    def _commit(response: Any) -> Any:
        db: Session | None = g.pop("_db", None)
        if db is not None:
            try:
                if response.status_code >= 400:
                    db.rollback()
                    _write_kept(db)
                elif _has_writes(db):
                    db.commit()
                # else: nothing to commit, and closing costs less than SQLAlchemy's commit
            finally:
                db.close()
        return response

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("_db", None)
        if db is not None:
            db.rollback()
            db.close()


# The session's list of writes to make again after a rollback (`keep_after_rollback`).
_KEPT = "course.kept_after_rollback"


def keep_after_rollback(db: Session, write: Callable[[Session], object]) -> None:
    """Write what must stay even when the request fails: `write(db)` runs now, and should the request's
    transaction be rolled back (an answer of 400 or more, see `init_app`), it runs again after the rollback
    and commits on its own. For the trail of a failed attempt (a wrong code, a wrong password, a refused
    action) and a sign-in's bookkeeping, which a refusal must not undo. `write` must be safe to run again:
    it is given the session after a rollback, whose objects were expired."""
    write(db)
    if db.info.get("autocommit"):
        db.flush()  # a reading request's statements commit as they run: nothing is rolled back
        return
    db.info.setdefault(_KEPT, []).append(write)


@event.listens_for(Session, "after_commit")
def _kept_written(db: Session) -> None:
    # Committed with the rest (at the end of the request, or by a view that commits itself): nothing to
    # write again should the request fail after all.
    db.info.pop(_KEPT, None)


def _write_kept(db: Session) -> None:
    """After a failed request's rollback: its writes that must stay, committed on their own."""
    kept = db.info.pop(_KEPT, None)
    if not kept:
        return
    try:
        for write in kept:
            write(db)
        db.commit()
    except Exception:  # the answer is on its way: what could not be kept is logged
        db.rollback()
        current_app.logger.exception("a failed request's record could not be kept")


def _has_writes(db: Session) -> bool:
    """Whether ending the request's session needs a commit: objects to flush, or a transaction holding
    writes. A read in autocommit (PostgreSQL) committed each statement as it ran; SQLite's driver opens a
    transaction only before a write, so a connection outside one has nothing to commit."""
    if db.new or db.dirty or db.deleted:
        return True
    if db.info.get("autocommit") or not db.in_transaction():
        return False
    dbapi = db.connection().connection.dbapi_connection
    return not isinstance(dbapi, sqlite3.Connection) or dbapi.in_transaction


# On PostgreSQL, requests that only read run their statements without a transaction of their own (no BEGIN
# and COMMIT round trips), on the reading pool's autocommit connections. What such a request writes (an audit
# record of a view) commits statement by statement. SQLite opens no transaction for reads anyway (and
# switching modes costs a PRAGMA).
READ_METHODS = frozenset({"GET", "HEAD"})


def _reading() -> bool:
    return bool(
        current_app.extensions["course.reads_autocommit"]
        and has_request_context()
        and request.method in READ_METHODS
    )


def get_db() -> Session:
    """The database session of the current app context, opened on first use."""
    if "_db" not in g:
        if _reading():
            db = current_app.extensions["course.read_sessionmaker"]()
            db.info["autocommit"] = True
        else:
            db = current_app.extensions["course.sessionmaker"]()
        g._db = db
    found: Session = g._db
    return found


def wipe_after_commit(db: Session) -> None:
    """Once this session commits, fold SQLite's write-ahead log into the database file and empty it.

    With secure_delete on, a deletion writes zeroed pages; until a checkpoint they sit in the log while the
    file (and the log's older frames) still hold the old text. The checkpoint runs on a connection of its own
    after the commit (the session cannot run SQL then); it waits for readers as long as the busy timeout.
    PostgreSQL keeps deleted rows until VACUUM reclaims them (autovacuum does, in its own time)."""
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "sqlite":
        return

    def checkpoint(_session: Session) -> None:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    event.listen(db, "after_commit", checkpoint, once=True)


def get_engine() -> Engine:
    """The current app's engine."""
    engine: Engine = current_app.extensions["course.engine"]
    return engine


def engines(app: Flask) -> list[Engine]:
    """Every engine of the app: the main one, and on PostgreSQL the reading requests' (for listening to
    statements, and for closing their connections)."""
    found = [app.extensions["course.engine"]]
    if "course.read_engine" in app.extensions:
        found.append(app.extensions["course.read_engine"])
    return found


def dispose(app: Flask) -> None:
    """Close every pooled connection of the app's engines."""
    for engine in engines(app):
        engine.dispose()
