"""The caseload, fast at any size: each patient's triage row is kept in `caseload_entries`, so the caseload
page sorts, filters, counts and pages in SQL and computes rows only for patients whose row went stale.

A row goes stale when
- anything it is built from is written: every ORM flush is watched (course/staleness.py), so a check-in, a
  step, a journal share or read, a message sent or read, an alert, an override, an enrollment (a review, a
  review cadence) or a patient's name or time zone change marks that patient's row, whatever code path wrote
  it;
- time alone could change it: `fresh_until` (see `services.caseload`), or the clock went backwards;
- the program's content or this row format changed (`content_key`).

Only rows of the therapist being viewed are refreshed, on view. A refresh writes only where the row's
`version` is still the one read together with the data, so a write that lands during a refresh wins.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from ..content.model import Catalog
from ..models import (
    CaseloadEntry,
    Enrollment,
    User,
)
from ..schema import UTCDateTime
from ..staleness import insert_new_rows, new_caseload_row
from ..triage import Signal, sort_key
from .services import PAGE_SIZE, CaseRow, caseload

# Bump when what a row holds or how it is computed changes: every stored row is then recomputed once.
ROW_FORMAT = "5"

_entries = cast(Table, CaseloadEntry.__table__)


@dataclass(frozen=True)
class Line:
    """One caseload row as the page shows it."""

    patient_id: int
    name: str
    paused: bool
    finished: bool
    signals: list[Signal]
    week: int
    module_title: str
    steps_done: int
    steps_total: int
    last_active: datetime | None
    checkins_7d: int
    pain_week: float | None
    pain_change: float | None
    unread: int
    open_alerts: int


@dataclass(frozen=True)
class Page:
    """One page of the caseload with the counts the page shows."""

    lines: list[Line]
    total: int
    matching: int
    page: int
    pages: int


def content_key(catalog: Catalog) -> str:
    """The row format and a digest of everything in the content that a row depends on."""
    return f"{ROW_FORMAT}:{catalog.fingerprint()[:60]}"


def refresh(db: Session, therapist: User, catalog: Catalog, now: datetime) -> int:
    """Recompute this therapist's stale rows; returns how many were recomputed."""
    key = content_key(catalog)
    # The data and each row's version come from the same query, so a write after it bumps the version.
    rows = caseload(db, therapist, catalog, now, where=_stale(now, key))
    if not rows:
        return 0
    missing = [new_caseload_row(r.enrollment) for r in rows if r.version is None]
    if missing:  # enrollments written without the ORM (bulk loads): give them a row to keep
        db.execute(insert_new_rows(db.get_bind().dialect.name), missing)
    values = [_values(row, row.version or 0, key, now) for row in rows]
    db.execute(
        update(_entries).where(
            _entries.c.enrollment_id == bindparam("e_id"), _entries.c.version == bindparam("e_version")
        ),
        sorted(values, key=lambda v: v["e_id"]),  # one order for every writer: no deadlocks
    )
    return len(values)


def _stale(now: Any, key: Any) -> ColumnElement[bool]:
    """A row that is missing, marked by a write, outlived by time, computed in the future or for other
    content."""
    return or_(
        CaseloadEntry.enrollment_id.is_(None),
        CaseloadEntry.fresh_until.is_(None),
        CaseloadEntry.fresh_until <= now,
        CaseloadEntry.computed_at > now,
        CaseloadEntry.content_key != key,
    )


def _values(row: CaseRow, version: int, key: str, now: datetime) -> dict[str, Any]:
    rank, sort_name, name = sort_key(row.signals, row.name)
    return {
        "e_id": row.enrollment.id,
        "e_version": version,
        "computed_at": now,
        "fresh_until": row.fresh_until,
        "content_key": key,
        "rank": rank,
        "therapist_id": row.enrollment.therapist_id,
        "sort_name": sort_name,
        "order_key": f"{sort_name}\x01{name}",
        "week": row.week,
        "module_title": row.module_title,
        "steps_done": row.steps_done,
        "steps_total": row.steps_total,
        "checkins_7d": row.checkins_7d,
        "pain_week": row.pain_week,
        "pain_change": row.pain_change,
        "unread": row.unread,
        "open_alerts": row.open_alerts,
        "finished": row.finished,
        "inactive": any(s.kind in ("silent", "stalled") for s in row.signals),
        "signals": [[s.kind, s.text, s.severity] for s in row.signals],
    }


def page(
    db: Session,
    therapist: User,
    catalog: Catalog,
    now: datetime,
    kind: str,
    query: str,
    number: int,
    sort: str = "need",
) -> Page:
    """Refresh what is stale, then one page of rows in the `sort` order (`SORTS`; most in need first by
    default), with the filter and name search. Three statements when every row is fresh, whatever the sort."""
    needle = query.strip().casefold()
    counting, listing = _statements(kind, bool(needle), sort if sort.lstrip("-") in SORTS else "need")
    params: dict[str, Any] = {
        "therapist": therapist.id,
        "now": now,
        "key": content_key(catalog),
        "pattern": "%" + _escape_like(needle) + "%",
    }
    total, matching, stale = db.execute(counting, params).one()
    if stale:
        refresh(db, therapist, catalog, now)
        total, matching, stale = db.execute(counting, params).one()
    pages = max(1, -(-int(matching) // PAGE_SIZE))
    number = min(max(1, number), pages)
    found: list[Any] = list(
        db.execute(listing, {**params, "limit": PAGE_SIZE, "offset": (number - 1) * PAGE_SIZE})
    )
    lines = [Line(*row[:4], [Signal(*signal) for signal in row[4]], *row[5:]) for row in found]  # type: ignore[call-arg]
    return Page(lines, int(total), int(matching), number, pages)


# In the order of `Line`'s fields.
_LISTED = (
    Enrollment.patient_id,
    User.display_name.label("name"),
    Enrollment.paused,
    CaseloadEntry.finished,
    CaseloadEntry.signals,
    CaseloadEntry.week,
    CaseloadEntry.module_title,
    CaseloadEntry.steps_done,
    CaseloadEntry.steps_total,
    Enrollment.last_active_at.label("last_active"),
    CaseloadEntry.checkins_7d,
    CaseloadEntry.pain_week,
    CaseloadEntry.pain_change,
    CaseloadEntry.unread,
    CaseloadEntry.open_alerts,
)


# The caseload's sortable columns: the column, whether it sorts ascending first (each column's first order is
# the one that brings a patient in need up: the longest quiet, the least done, the most pain...), and where
# rows without a value go ("first" when ascending: "never active" is the longest quiet). A leading "-"
# reverses. Ties keep the default order, most in need first then by name, so pages never shuffle. "need"
# reads straight off the stored rows' index; the others sort one therapist's rows, a few hundred at most.
SORTS: dict[str, tuple[Any, bool, str | None]] = {
    "need": (None, True, None),
    "name": (CaseloadEntry.order_key, True, None),
    "week": (CaseloadEntry.week, True, None),
    "progress": (CaseloadEntry.steps_done, True, None),
    "active": (Enrollment.last_active_at, True, "first"),
    "checkins": (CaseloadEntry.checkins_7d, True, None),
    "pain": (CaseloadEntry.pain_week, False, "last"),
    "unread": (CaseloadEntry.unread, False, None),
    "alerts": (CaseloadEntry.open_alerts, False, None),
}


def _order(sort: str) -> list[Any]:
    """The ORDER BY of a sort name from `SORTS` (with an optional leading "-")."""
    default = [CaseloadEntry.rank, CaseloadEntry.order_key, CaseloadEntry.enrollment_id]
    column, ascending, nulls = SORTS[sort.lstrip("-")]
    if column is None:
        return default
    if sort.startswith("-"):
        ascending = not ascending
    ordered = column.asc() if ascending else column.desc()
    if nulls == "first":
        ordered = ordered.nulls_first() if ascending else ordered.nulls_last()
    elif nulls == "last":
        ordered = ordered.nulls_last()
    return [ordered, *default]


@functools.cache
def _statements(kind: str, search: bool, sort: str = "need") -> tuple[Any, Any]:
    """The counting and listing statements for one filter and sort, built once per process (parameters:
    therapist, now, key, pattern, limit, offset)."""
    chosen = _filter(kind, search)
    stale = _stale(bindparam("now", type_=UTCDateTime()), bindparam("key", type_=String()))
    counting = (
        select(
            func.count(Enrollment.id),
            func.count(CaseloadEntry.enrollment_id).filter(chosen),
            func.count(Enrollment.id).filter(stale),
        )
        .select_from(Enrollment)
        .outerjoin(CaseloadEntry, CaseloadEntry.enrollment_id == Enrollment.id)
        .where(Enrollment.therapist_id == bindparam("therapist"))
    )
    listing = (
        select(*_LISTED)
        .join(Enrollment, Enrollment.id == CaseloadEntry.enrollment_id)
        .join(User, User.id == Enrollment.patient_id)
        .where(
            CaseloadEntry.therapist_id == bindparam("therapist"),
            Enrollment.therapist_id == bindparam("therapist"),
            chosen,
        )
        .order_by(*_order(sort))
        .limit(bindparam("limit", type_=Integer()))
        .offset(bindparam("offset", type_=Integer()))
    )
    return counting, listing


def _filter(kind: str, search: bool) -> ColumnElement[bool]:
    """The caseload filters (see services.FILTERS) and a name search (the `pattern` parameter), as SQL."""
    conditions: list[ColumnElement[bool]] = []
    if kind == "alerts":
        conditions.append(CaseloadEntry.open_alerts > 0)
    elif kind == "inactive":
        conditions.append(CaseloadEntry.inactive.is_(True))
    elif kind == "finished":
        conditions.append(CaseloadEntry.finished.is_(True))
    elif kind == "paused":
        conditions.append(Enrollment.paused.is_(True))
    if search:
        conditions.append(CaseloadEntry.sort_name.like(bindparam("pattern", type_=String()), escape="\\"))
    return and_(true(), *conditions) if conditions else true()


def _escape_like(text: str) -> str:
    """Escape LIKE's wildcards so a search for '50%' or 'a_b' finds exactly that."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
