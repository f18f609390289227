"""Boosters after the program: opened by the pacing policy's own counting of days, with properties for any
history (tests/pacing's histories: random steps, pauses, unlocks), and the booster page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import extensions
from course.clock import FrozenClock
from course.content.model import Catalog
from course.models import BoosterAnswer, StepProgress, StepStatus, User
from course.pacing import program_state
from course.practice.tools import OFFERED_DAYS, Booster, Boosters
from tests.conftest import sign_in_as
from tests.pacing.test_pacing import START, histories


def boosters_after(slug: str, days: tuple[int, ...]) -> Boosters:
    return Boosters(slug, None, tuple(Booster(f"b{d}", f"After {d} days", d) for d in days), ("A source",))


@settings(max_examples=150, deadline=None)
@given(
    histories(),
    st.integers(0, 60 * 24 * 400),
    st.lists(st.integers(1, 120), min_size=1, max_size=3, unique=True),
)
def test_boosters_open_only_after_the_last_week_is_done_and_its_days_have_passed(
    history: tuple, later_minutes: int, days: list[int]
) -> None:
    outline, tz, pace, completions, overrides, _end = history
    now = START + timedelta(minutes=later_minutes)
    state = program_state(outline, START, tz, pace, completions, overrides, now)
    last = state.modules[-1]
    boosters = boosters_after(outline[-1][0], tuple(sorted(days)))
    opened = boosters.open_now(state, tz, now)
    if last.completed_at is None:
        # Nothing opens before the program is finished.
        assert opened == []
        assert all(boosters.opens_at(b, state, tz) is None for b in boosters.at)
        return
    for booster in boosters.at:
        at = boosters.opens_at(booster, state, tz)
        assert at is not None
        # A local midnight, `days` calendar days after the local day the last week was finished.
        local = at.astimezone(tz)
        assert (local.hour, local.minute) == (0, 0)
        assert (local.date() - last.completed_at.astimezone(tz).date()).days == booster.days
        assert at > last.completed_at
        assert (booster in opened) == (at <= now)
    # In order: a later booster never opens before an earlier one.
    assert opened == list(boosters.at[: len(opened)])
    # Offered on the home page only while open, for a while.
    for booster in boosters.offered(state, tz, now):
        at = boosters.opens_at(booster, state, tz)
        assert at is not None
        assert at <= now < at + timedelta(days=OFFERED_DAYS)


@settings(max_examples=100, deadline=None)
@given(histories(), st.integers(0, 60 * 24 * 200), st.integers(0, 60 * 24 * 200), st.integers(1, 120))
def test_an_open_booster_stays_open_as_time_passes(history: tuple, first: int, more: int, days: int) -> None:
    outline, tz, pace, completions, overrides, _end = history
    boosters = boosters_after(outline[-1][0], (days,))
    early, late = START + timedelta(minutes=first), START + timedelta(minutes=first + more)
    before = boosters.open_now(
        program_state(outline, START, tz, pace, completions, overrides, early), tz, early
    )
    after = boosters.open_now(program_state(outline, START, tz, pace, completions, overrides, late), tz, late)
    assert set(before) <= set(after)


# The page


def finish_program(db: Session, patient: User, catalog: Catalog, at: datetime) -> None:
    assert patient.enrollment is not None
    for week, module in enumerate(catalog.modules):
        for step in module.steps_for("standard"):
            done = at + timedelta(days=7 * week, hours=1)
            db.add(
                StepProgress(
                    enrollment_id=patient.enrollment.id,
                    module_slug=module.slug,
                    step_id=step.id,
                    status=StepStatus.COMPLETE,
                    answers={"alarm-says": "I go for a slow walk"} if step.id == "alarm" else {},
                    started_at=done,
                    updated_at=done,
                    completed_at=done,
                )
            )
    db.commit()


def test_the_month_one_booster_opens_thirty_days_after_the_last_week_with_the_flare_plan(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient()
    catalog: Catalog = extensions.catalog(app)
    finish_program(db, patient, catalog, clock())  # the last (third) week done 14 days and an hour in
    client: Any = app.test_client()
    clock.advance(days=14 + 29)
    sign_in_as(app, client, patient)
    locked = client.get("/practice/booster/month-1")
    assert locked.status_code == 403
    assert "“One month on” opens on" in locked.data.decode()
    assert "One month on" not in client.get("/learn/").data.decode()

    clock.advance(days=1)
    sign_in_as(app, client, patient)
    home = client.get("/learn/").data.decode()
    assert 'href="/practice/booster/month-1"' in home
    page = client.get("/practice/booster/month-1").data.decode()
    assert "Your flare plan" in page
    assert "I go for a slow walk" in page
    assert client.get("/practice/booster/month-3").status_code == 403
    refused = client.post("/practice/booster/month-1", data={"practise": "Tracking on Sundays"})
    assert refused.status_code == 422
    assert "Tracking on Sundays" in refused.data.decode()
    data = {"what_helped": "My evidence log", "practise": "Tracking on Sundays", "submission_key": "b1"}
    assert client.post("/practice/booster/month-1", data=data).status_code == 302
    (row,) = db.scalars(select(BoosterAnswer)).all()
    assert (row.booster_id, row.what_helped, row.practise) == (
        "month-1",
        "My evidence log",
        "Tracking on Sundays",
    )
    assert "Last time you wrote: “My evidence log”" in client.get("/practice/booster/month-1").data.decode()
    assert 'href="/practice/booster/month-1"' in client.get("/practice").data.decode()
    # Offered on the home page for a while, and open after that.
    clock.advance(days=OFFERED_DAYS)
    sign_in_as(app, client, patient)
    assert 'href="/practice/booster/month-1"' not in client.get("/learn/").data.decode()
    assert client.get("/practice/booster/month-1").status_code == 200
