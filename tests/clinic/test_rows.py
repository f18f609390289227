"""The caseload's rows written in Python (course/clinic/rows.py) are the HTML its template wrote
(tests/fixtures/templates/reference_caseload_rows.html), for any row."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask_login import login_user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.clinic.rows import table_rows
from course.clinic.summary import Line
from course.models import User
from course.triage import Signal

REFERENCE = Path(__file__).parent.parent / "fixtures" / "templates" / "reference_caseload_rows.html"
TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\"'é–")), max_size=12)
COUNT = st.integers(min_value=0, max_value=400)
SIGNAL = st.builds(
    Signal, kind=st.sampled_from(["safety", "silent", "a<b"]), text=TEXT, severity=st.integers(0, 4)
)
LINE = st.builds(
    Line,
    patient_id=st.integers(min_value=1, max_value=10**6),
    name=TEXT,
    paused=st.booleans(),
    finished=st.booleans(),
    signals=st.lists(SIGNAL, max_size=3),
    week=st.integers(min_value=0, max_value=12),
    module_title=TEXT,
    steps_done=COUNT,
    steps_total=COUNT,
    last_active=st.none()
    | st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    checkins_7d=st.integers(0, 7),
    pain_week=st.none() | st.floats(0, 10, allow_nan=False).map(lambda x: round(x, 1)) | st.integers(0, 10),
    pain_change=st.none() | st.floats(-10, 10, allow_nan=False),
    unread=COUNT,
    open_alerts=COUNT,
)


def normalised(html: object) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(LINE, max_size=6))
def test_rows_are_what_the_template_wrote(
    app: Flask, make_therapist: Callable[..., User], rows: list[Line]
) -> None:
    reference = app.jinja_env.from_string(REFERENCE.read_text())
    therapist = make_therapist(timezone="Pacific/Auckland")
    with app.test_request_context():
        login_user(therapist)
        expected = reference.render(rows=rows, patient_url="/clinic/patients/")
        assert normalised(table_rows(rows, "/clinic/patients/")) == normalised(expected)
