"""The one place the app reads the time, so tests and demos can move it instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app


def system_now() -> datetime:
    """The real current time, aware and in UTC."""
    return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved: `clock.advance(days=7)`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.current = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a timedelta's keyword arguments and return the new time."""
        self.current += timedelta(**delta)
        return self.current

    def set(self, when: datetime) -> None:
        """Jump to an aware datetime."""
        self.current = when.astimezone(UTC)


def now() -> datetime:
    """The current app's 'now' (aware UTC); tests replace app.extensions['course.clock']."""
    clock: Callable[[], datetime] = current_app.extensions.get("course.clock", system_now)
    return clock()
