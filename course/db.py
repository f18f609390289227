"""Database wiring: the declarative base, a UTC-aware datetime type, and one session per app context.

Views get the session with `get_db()`; the app commits once per successful request (see `init_app`). On
PostgreSQL a GET or HEAD request runs without a transaction of its own (see `READ_METHODS`).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import (
    JSON,
    CompoundSelect,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    Select,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without a zone (the same on SQLite and PostgreSQL) and always returns aware UTC."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC; naive datetimes are refused as ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what the database returns."""
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base for every table, with named constraints so migrations stay reviewable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


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
        options["connect_args"] = {"cursor_factory": _lazy_description_cursor()}
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


def _lazy_description_cursor() -> type[Any]:
    """psycopg's cursor, but describing its result's columns only when asked.

    SQLAlchemy reads `cursor.description` after every statement that returns rows, and for a statement it has
    run before (every statement of a page) only checks that there is one: it knows the columns already.
    psycopg builds a described column for each column of the result on every read (name, type, size; 29 for
    a patient page's statement, 2-3% of the page). This cursor hands out a sequence of the same length that
    asks psycopg for the columns on first use.
    """
    import psycopg  # only where PostgreSQL is used

    describe = psycopg.Cursor.description.fget  # type: ignore[attr-defined]

    class LazyDescription(Sequence[Any]):
        __slots__ = ("_columns", "_cursor", "_length", "_result")

        def __init__(self, cursor: Any, result: Any) -> None:
            self._cursor, self._result, self._length = cursor, result, result.nfields
            self._columns: list[Any] | None = None

        def __len__(self) -> int:
            return int(self._length)

        def __getitem__(self, index: Any) -> Any:
            if self._columns is None:
                if self._cursor.pgresult is not self._result:
                    raise RuntimeError("the cursor has moved on to another result since this description")
                self._columns = describe(self._cursor)
            return self._columns[index]

        def __repr__(self) -> str:
            return repr(list(self))

    class LazyDescriptionCursor(psycopg.Cursor):
        @property
        def description(self) -> Any:
            result = self.pgresult
            if result is not None and result.nfields:
                return LazyDescription(self, result)
            return describe(self)

    return LazyDescriptionCursor


def init_app(app: Flask) -> None:
    """Create the engines, and commit once at the end of each successful request."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["course.engine"] = engine
    app.extensions["course.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    # A page's facts are read in the user loader's statement where each statement is a round trip to a
    # server (auth/session.py). SQLite runs in the process: there two narrow statements cost less than one
    # wide one (each column of each row is fetched on its own).
    app.extensions["course.facts_with_user"] = engine.dialect.name != "sqlite"
    reads_autocommit = engine.dialect.name == "postgresql"
    app.extensions["course.reads_autocommit"] = reads_autocommit
    if reads_autocommit:
        # Its own pool of connections that stay in autocommit: switching a pooled connection there and back
        # on every request cost about 25 us (2% of a patient page).
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
                # else: nothing to commit, and closing costs less than SQLAlchemy's commit (2% of a page)
            finally:
                db.close()
        return response

    @app.teardown_request
    def _forget_unattached(_exc: BaseException | None) -> None:
        # Objects left for a session the request never opened end with it (an app context can outlive one).
        g.pop("_attach_when_opened", None)

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
    """The database session of the current app context, opened on first use. Objects the user loader left
    for it (`attach_when_opened`) join it as it opens."""
    if "_db" not in g:
        if _reading():
            db = current_app.extensions["course.read_sessionmaker"]()
            db.info["autocommit"] = True
        else:
            db = current_app.extensions["course.sessionmaker"]()
        g._db = db
        for instance in g.pop("_attach_when_opened", ()):
            db.add(instance)
    found: Session = g._db
    return found


def request_engine() -> Engine:
    """The engine whose connections the current request's session uses (on PostgreSQL, a reading request's
    is the reading pool's)."""
    engine: Engine = current_app.extensions["course.read_engine" if _reading() else "course.engine"]
    return engine


def attach_when_opened(*instances: Any) -> None:
    """Have these objects (detached, with their identity) join the request's session when it opens, or now
    if it is open. Until then they answer from the attributes they hold, and a relationship they did not
    load cannot be loaded: the code that reads them must open the session first (`get_db`, `lazy_db`)."""
    if "_db" in g:
        for instance in instances:
            g._db.add(instance)
    else:
        g._attach_when_opened = [*g.get("_attach_when_opened", ()), *instances]


# The request's session for a view whose usual path needs none: opened (by `get_db`) on first use.
lazy_db: Session = cast(Session, LocalProxy(get_db))


@dataclass(frozen=True)
class _Prepared:
    """A statement compiled once for a dialect: its SQL, how to bind its parameters, how to read its rows."""

    sql: str
    compiled: Any
    order: tuple[str, ...] | None  # the parameters' order for a positional driver (SQLite's), else None
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # the parameters that need converting
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # the columns that need converting

    def parameters(self, params: Mapping[str, Any]) -> Any:
        values = self.compiled.construct_params(params)
        for name, convert in self.binds:
            values[name] = convert(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)


# (statement's id, dialect, driver, server version) -> (the statement, kept so its id is not reused; prepared)
_prepared: dict[tuple[int, str, str, Any], tuple[Any, _Prepared | None]] = {}


def _prepare(statement: Select[Any] | CompoundSelect[Any], dialect: Dialect) -> _Prepared | None:
    """The statement compiled for the dialect, once per process; None for one `fetch_rows` cannot run itself
    (a parameter that expands into several, or one whose name the driver needs escaped)."""
    key = (id(statement), dialect.name, dialect.driver, dialect.server_version_info)
    found = _prepared.get(key)
    if found is not None:
        return found[1]
    compiled: Any = statement.compile(dialect=dialect)
    prepared = None
    if (
        not compiled.escaped_bind_names
        and not any(bind.expanding or bind.literal_execute for bind in compiled.binds.values())
        # A number's conversion may depend on the type the driver reports for the column, which is known only
        # once a statement has run.
        and not any(isinstance(column.type, Numeric) for column in statement.selected_columns)
    ):
        # One conversion per parameter name: parameters of the same name are one value (bound once).
        binds: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None:
                binds[name] = convert
        results = []
        for index, column in enumerate(statement.selected_columns):
            convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if convert is not None:
                results.append((index, convert))
        order = tuple(compiled.positiontup) if compiled.positional else None
        prepared = _Prepared(str(compiled), compiled, order, tuple(binds.items()), tuple(results))
    _prepared[key] = (statement, prepared)
    return prepared


def fetch_rows(
    connection: Connection, statement: Select[Any] | CompoundSelect[Any], params: Mapping[str, Any]
) -> list[Sequence[Any]]:
    """The rows of a select the app runs on most requests (one built once per process: it is compiled once and
    kept), run on the driver's cursor.

    SQLAlchemy's execution of one statement (its compiled-statement cache, execution context, result and row
    objects) cost about 70 us of the worker's CPU for a patient page's statement, where the driver took 45.
    This keeps what the app relies on: the SQL is SQLAlchemy's, compiled once per dialect; parameters and
    columns are converted by their types as SQLAlchemy converts them; an error is handled by SQLAlchemy's own
    handler (raised as `StatementError` or `DBAPIError`'s subclasses; a lost connection invalidated with every
    older connection of its pool). When anything listens to statements (the tests and the benchmark count
    them; `echo` or SQL logging shows them; a `handle_error` listener would see their errors), the statement
    goes through SQLAlchemy's own execution. A select of numbers does too (their conversion may depend on the
    column type the driver reports). Through a session, use `session_rows`.
    """
    dispatch: Any = connection.dispatch
    prepared = _prepare(statement, connection.dialect)
    if (
        prepared is None
        or connection.engine.logger.isEnabledFor(logging.INFO)  # echo, or SQL logging configured
        or dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or dispatch.before_execute
        or dispatch.after_execute
        or connection.dialect.dispatch.handle_error
    ):
        return list(connection.execute(statement, params).all())
    dbapi_connection = connection.connection.dbapi_connection
    bound: Any = params
    cursor = None
    try:
        bound = prepared.parameters(params)
        cursor = dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(prepared.sql, bound)
        rows: Sequence[Sequence[Any]] = cursor.fetchall()
        cursor.close()
    except BaseException as error:
        if cursor is not None:
            with suppress(Exception):  # the driver's own error is the one to report
                cursor.close()
        # What SQLAlchemy's execution does with any error on the way (the one private call here): a value its
        # type refuses raised as StatementError, a driver error as DBAPIError's subclass; on a lost connection
        # this connection and every older one of its pool invalidated, so that none fails another request.
        connection._handle_dbapi_exception(error, prepared.sql, bound, cursor, None)
    if prepared.results:
        converted: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for index, convert in prepared.results:
                values[index] = convert(values[index])
            converted.append(values)
        return converted
    return list(rows)


def session_rows(
    db: Session, statement: Select[Any] | CompoundSelect[Any], params: Mapping[str, Any]
) -> list[Sequence[Any]]:
    """`fetch_rows` on the session's connection, after flushing what the session holds, as its own `execute`
    would (autoflush): the rows then include what this request added or changed."""
    if db.autoflush:
        db.flush()
    return fetch_rows(db.connection(), statement, params)


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
