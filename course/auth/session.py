"""How Flask-Login finds the signed-in user: id plus session version, active accounts only.

A page can have its facts read in the same statement as the user (`read_with_user`, `facts_rows`): on
PostgreSQL every statement is a round trip to the server, and the user's was half of a patient page's
database time (about 0.2 of 0.6 ms on the bench machine, and of the server's work). On SQLite
(`course.facts_with_user` off) the two are read apart: no round trip to save, and the combined statement's
wide rows cost more there (3% more instructions for a step page). Those pages also open no ORM session on
their usual path: the user and enrollment join it when the page opens it (`_load_for_page`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app, g, has_request_context, request, session
from sqlalchemy import (
    CompoundSelect,
    Select,
    and_,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import NullType

from .. import clock
from ..db import (
    READ_METHODS,
    UTCDateTime,
    attach_when_opened,
    fetch_rows,
    get_db,
    request_engine,
    session_rows,
)
from ..extensions import login_manager
from ..models import Enrollment, SignIn, User
from ..signins import TOKEN_KEY, token_hash
from . import bp

T = TypeVar("T")


def _columns(mapper: Mapper[Any]) -> tuple[tuple[str, ...], list[Any]]:
    """Each mapped column's attribute name and column, in the mapper's order."""
    props = [prop for prop in mapper.column_attrs if len(prop.columns) == 1]
    return tuple(prop.key for prop in props), [prop.columns[0] for prop in props]


_USER_KEYS, _user_columns = _columns(User.__mapper__)
_ENROLLMENT_KEYS, _enrollment_columns = _columns(Enrollment.__mapper__)
_COLUMNS = [*_user_columns, *_enrollment_columns]
_ACTIVE = _USER_KEYS.index("active")
_SESSION_VERSION = _USER_KEYS.index("session_version")


def _user_row(*columns: Any) -> Select[Any]:
    """A select of one user's row (with their enrollment's, if any) by the bound parameter `user_id`, only
    while the sign-in named by `sign_in` (its token's hash) is theirs and has not ended by `now`."""
    return (
        select(*columns)
        .join(
            SignIn,
            and_(
                SignIn.user_id == User.id,
                SignIn.token_hash == bindparam("sign_in"),
                SignIn.expires_at > bindparam("now", type_=UTCDateTime),
            ),
        )
        .outerjoin(Enrollment, Enrollment.patient_id == User.id)
        .where(User.id == bindparam("user_id"))
    )


def _sign_in_hash() -> str:
    """The hash of the sign-in token this request's session cookie carries ("" when none)."""
    token = session.get(TOKEN_KEY)
    return token_hash(token) if isinstance(token, str) else ""


# Every request runs this, so it is built once per process: the user and their enrollment as one row of plain
# columns. Building the two objects from it costs less than half of letting the ORM load them (about 45 of
# 125 us on the bench machine).
_USER_BY_ID = _user_row(*_COLUMNS)
# In a page's statement (below) the user's columns are read without their types' conversions, which
# `_converted` applies to the user's row: they would run on each of the facts' rows too.
_RAW_COLUMNS: list[Any] = [type_coerce(column, NullType()) for column in _COLUMNS]
_converters: dict[str, list[Callable[[Any], Any] | None]] = {}


def _converted(dialect: Dialect, values: Sequence[Any]) -> list[Any]:
    """The row's values as the columns' types return them (aware datetimes, enums, booleans, JSON)."""
    converters = _converters.get(dialect.name)
    if converters is None:
        converters = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in _COLUMNS]
        _converters[dialect.name] = converters
    return [value if conv is None else conv(value) for conv, value in zip(converters, values, strict=True)]


@dataclass(frozen=True)
class _Page:
    """A page whose facts the user loader reads along with the user."""

    facts: CompoundSelect[Any]
    params: Callable[[Mapping[str, Any], datetime], dict[str, Any]]
    # The user's row, then the facts' rows. Each row holds the facts' columns, then the user's; a row has
    # NULL in the columns that are not its own.
    statement: CompoundSelect[Any]
    width: int


@dataclass(frozen=True)
class _Read:
    facts: CompoundSelect[Any]
    params: dict[str, Any]
    rows: list[Sequence[Any]]


_PAGES: dict[str, _Page] = {}


def read_with_user(
    endpoint: str,
    facts: CompoundSelect[Any],
    params: Callable[[Mapping[str, Any], datetime], dict[str, Any]],
) -> None:
    """Have the user loader read `facts` (a UNION ALL of selects keyed by the bound parameter `user_id`,
    whose first column is a text tag) in its own statement when `endpoint` is requested with GET or HEAD.
    `params(view_args, now)` gives the other parameters. The page takes the rows with `facts_rows`."""
    fact_columns = list(facts.selects[0].selected_columns)
    user = _user_row(
        literal_column("'user'"), *(cast(null(), column.type) for column in fact_columns[1:]), *_RAW_COLUMNS
    )
    # Untyped NULLs: PostgreSQL takes their types from the user's row, which comes before them.
    arms = [arm.add_columns(*(literal_column("NULL") for _ in _COLUMNS)) for arm in facts.selects]  # type: ignore[attr-defined]
    _PAGES[endpoint] = _Page(facts, params, union_all(user, *arms), len(fact_columns))


def facts_rows(db: Session, facts: CompoundSelect[Any], params: dict[str, Any]) -> tuple[list[Any], datetime]:
    """The rows of `facts` for `params` and the time they were read as of: as the user loader read them for
    this request when it did (its `now` was the moment the user was loaded, a little before the one given),
    else read now."""
    read: _Read | None = g.pop("_facts_read", None) if has_request_context() else None
    if read is not None and read.facts is facts and read.params == {**params, "now": read.params["now"]}:
        return read.rows, read.params["now"]
    return session_rows(db, facts, params), params["now"]


@bp.teardown_app_request
def _forget_unused_reads(_exc: BaseException | None) -> None:
    """What the loader left for a page that did not take it ends with the request (an app context can outlive
    one: tests, commands)."""
    g.pop("_facts_read", None)


def _detached(cls: type[T], keys: tuple[str, ...], values: Sequence[Any]) -> T:
    """An object made from one row's values, with the identity the ORM would give it, in no session yet."""
    instance = cls.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    instance.__dict__.update(zip(keys, values, strict=True))
    make_transient_to_detached(instance)
    return instance


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The user for a session identity 'id:version'; stale versions (password changed) sign out."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    page = None
    if (
        has_request_context()
        and request.method in READ_METHODS
        and current_app.extensions.get("course.facts_with_user")
    ):
        page = _PAGES.get(request.endpoint or "")
    if page is not None and "_db" not in g:
        return _load_for_page(page, int(user_id), int(version))
    db = get_db()
    if db.identity_map:
        # Something was loaded before the user (not the case in a request): let the ORM reconcile it.
        found = db.execute(
            select(User)
            .where(User.id == int(user_id), User.id.in_(_USER_BY_ID.with_only_columns(User.id)))
            .params(user_id=int(user_id), sign_in=_sign_in_hash(), now=clock.now())
        ).scalar_one_or_none()
        return found if found is not None and found.active and found.session_version == int(version) else None
    params = {"user_id": int(user_id), "sign_in": _sign_in_hash(), "now": clock.now()}
    found_rows = fetch_rows(db.connection(), _USER_BY_ID, params)
    values = found_rows[0] if found_rows else None
    if values is None or not values[_ACTIVE] or values[_SESSION_VERSION] != int(version):
        return None
    user, enrollment = _user_and_enrollment(values)
    db.add(user)
    if enrollment is not None:
        db.add(enrollment)
    return user


def _load_for_page(page: _Page, user_id: int, version: int) -> User | None:
    """The user, with the page's facts read in the same statement (kept for `facts_rows`). The session is not
    opened for them: the user and enrollment join it when the page opens it (`attach_when_opened`), which
    the two pages read this way need only off their usual path. Opening it and attaching them were 7% of
    such a page's work on PostgreSQL."""
    params = {**page.params(request.view_args or {}, clock.now()), "user_id": user_id}
    with request_engine().connect() as connection:
        rows = fetch_rows(connection, page.statement, {**params, "sign_in": _sign_in_hash()})
        raw = next((row[page.width :] for row in rows if row[0] == "user"), None)
        values = None if raw is None else _converted(connection.dialect, raw)
    if values is None or not values[_ACTIVE] or values[_SESSION_VERSION] != version:
        return None
    # Only now, for the user they belong to: kept for the page, which takes them with `facts_rows`.
    g._facts_read = _Read(page.facts, params, [row[: page.width] for row in rows if row[0] != "user"])
    user, enrollment = _user_and_enrollment(values)
    attach_when_opened(*(instance for instance in (user, enrollment) if instance is not None))
    return user


def _user_and_enrollment(values: Sequence[Any]) -> tuple[User, Enrollment | None]:
    """The user and their enrollment from the row of `_COLUMNS`, each holding the other, as a joined load
    would leave them (pages read enrollment.patient for the time zone)."""
    split = len(_USER_KEYS)
    user = _detached(User, _USER_KEYS, values[:split])
    enrollment = None
    if values[split] is not None:
        enrollment = _detached(Enrollment, _ENROLLMENT_KEYS, values[split:])
        set_committed_value(enrollment, "patient", user)
    set_committed_value(user, "enrollment", enrollment)
    return user, enrollment
