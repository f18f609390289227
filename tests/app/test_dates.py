"""Dates on pages are written in the viewer's time zone, with the year only when it is not this year's; the
viewer's zone is looked up once per request, so two people in different zones see their own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from flask import Flask
from flask_login import login_user

from course.clock import FrozenClock
from course.models import User
from course.templating import local_datetime, long_date


def test_dates_in_each_viewers_zone_and_year(
    app: Flask, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 6, 15, 12, 0, tzinfo=UTC))
    late = datetime(2026, 6, 10, 23, 30, tzinfo=UTC)  # already the 11th east of UTC
    tokyo = make_therapist(timezone="Asia/Tokyo")
    chicago = make_therapist(timezone="America/Chicago")
    with app.test_request_context():
        login_user(tokyo)
        assert long_date(late) == "Thursday 11 June"
        assert local_datetime(late) == "Thursday 11 June, 08:30"
        assert long_date(date(2025, 12, 31)) == "Wednesday 31 December 2025"
        assert long_date(late, chicago) == "Wednesday 10 June"  # someone else's zone when asked for
    with app.test_request_context():
        login_user(chicago)
        assert long_date(late) == "Wednesday 10 June"
        assert local_datetime(late) == "Wednesday 10 June, 18:30"
    clock.set(datetime(2027, 1, 2, 12, 0, tzinfo=UTC))
    with app.test_request_context():
        login_user(tokyo)
        assert long_date(late) == "Thursday 11 June 2026"  # last year's now
        assert long_date(None) == ""
