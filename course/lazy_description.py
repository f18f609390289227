"""A work-around for psycopg 3 building `cursor.description` anew on every read.

SQLAlchemy reads `cursor.description` after every statement that returns rows, and for a statement it has
run before (every statement of a page) only checks that there is one: it knows the columns already. psycopg
builds a described column for each column of the result on every read (name, type, size). This cursor hands
out a sequence of the same length that asks psycopg for the columns on first use.

Upstream: https://github.com/psycopg/psycopg/issues/446 (description much slower in 3.x) and the pull
request that makes it lazy there, https://github.com/psycopg/psycopg/pull/1240. Once a psycopg release does
that, delete this module, its use in `course/db.py:make_engine` and tests/app/test_lazy_description.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def lazy_description_cursor() -> type[Any]:
    """psycopg's cursor class, describing its result's columns only when asked."""
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
