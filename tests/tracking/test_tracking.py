"""Daily check-ins, habits and the evidence page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.models import Alert, CheckIn, HabitLog, StepProgress, User
from course.tracking.services import local_today

GOOD = {
    "pain": "4",
    "sleep_hours": "7.5",
    "sleep_quality": "6",
    "stress": "3",
    "mood": "okay",
    "note": "Walked.",
}


@pytest.fixture
def patient(make_patient: Callable[..., User], login: Callable[[User], None]) -> User:
    user = make_patient(timezone="America/Denver")
    login(user)
    return user


def checkins(db: Session) -> list[CheckIn]:
    db.expire_all()
    return list(db.scalars(select(CheckIn).order_by(CheckIn.day)))


def test_checkin_saves_for_local_day_and_second_submit_updates(
    client: Any, db: Session, patient: User, clock: FrozenClock
) -> None:
    assert client.post("/checkin", data=GOOD).status_code == 302
    assert client.post("/checkin", data={**GOOD, "pain": "6"}).status_code == 302
    saved = checkins(db)
    assert len(saved) == 1
    assert saved[0].day == local_today(patient, clock())  # 2 March in Denver (08:00 there)
    assert saved[0].day == date(2026, 3, 2)
    assert saved[0].pain == 6
    assert saved[0].sleep_hours == 7.5
    page = client.get("/checkin").data.decode()
    assert "You checked in already" in page


def test_checkin_pain_not_prefilled_from_yesterday(client: Any, patient: User, clock: FrozenClock) -> None:
    client.post("/checkin", data=GOOD)
    clock.advance(days=1)
    page = client.get("/checkin").data.decode()
    assert "checked" not in page.split('id="pain"')[1].split("</fieldset>")[0]


def test_checkin_yesterday_allowed_older_and_future_refused(client: Any, db: Session, patient: User) -> None:
    assert client.post("/checkin/2026-03-01", data=GOOD).status_code == 302
    old = client.post("/checkin/2026-02-28", data=GOOD)
    assert old.status_code == 422
    assert "today or yesterday only" in old.data.decode()
    future = client.get("/checkin/2026-03-03")
    assert future.status_code == 422
    assert "has not come yet" in future.data.decode()
    assert client.get("/checkin/not-a-date").status_code == 404
    assert [c.day for c in checkins(db)] == [date(2026, 3, 1)]


def test_checkin_bad_values_get_messages_and_keep_input(client: Any, db: Session, patient: User) -> None:
    response = client.post(
        "/checkin", data={**GOOD, "pain": "11", "sleep_hours": "20", "mood": "ecstatic", "note": "n" * 1001}
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert "Please choose 0 to 10." in page
    assert "Please choose between 0 and 16 hours." in page
    assert "Please choose one of the moods shown." in page
    assert "Please keep the note to 1,000 characters." in page
    assert "n" * 1001 in page
    missing = client.post("/checkin", data={**GOOD, "pain": ""})
    assert "Please choose a number for your pain." in missing.data.decode()
    assert checkins(db) == []


def test_habits_adopted_in_course_appear_in_checkin_and_are_logged(
    client: Any, db: Session, patient: User, clock: FrozenClock
) -> None:
    client.post("/habits/wind-down/adopt")
    page = client.get("/checkin").data.decode()
    assert "Wind down before bed" in page
    client.post("/checkin", data={**GOOD, "habits": ["wind-down", "not-adopted"]})
    logs = db.scalars(select(HabitLog.habit_id)).all()
    assert logs == ["wind-down"]
    clock.advance(days=1)
    client.post("/checkin", data={**GOOD, "habits": ["wind-down"]})
    habits = client.get("/habits").data.decode()
    assert "2 of 7" in habits
    client.post("/habits/wind-down/drop")
    assert 'value="wind-down"' not in client.get("/checkin").data.decode()
    assert "(dropped)" in client.get("/habits").data.decode()


def test_habit_step_yes_adopts_the_habit(client: Any, patient: User, clock: FrozenClock) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    client.post("/learn/first/alarm", data={"alarm_says": "x", "evidence-0-what": "y", "submit": "y"})
    client.post("/learn/first/quiz", data={"hurt_harm": "no", "submit": "y"})
    client.post("/learn/first/reflect", data={"text": "z", "submit": "y"})
    clock.advance(days=8)
    client.post("/learn/second/breathe", data={"submit": "y"})
    client.post("/learn/second/wind-down", data={"adopt": "yes", "submit": "y"})
    assert "Wind down before bed" in client.get("/checkin").data.decode()


def test_checkin_crisis_note_shows_help_and_alerts(client: Any, db: Session, patient: User) -> None:
    page = client.post("/checkin", data={**GOOD, "note": "I feel like I can't go on"}, follow_redirects=True)
    assert "You do not have to go through this alone" in page.data.decode()
    alert = db.scalar(select(Alert))
    assert alert is not None
    assert alert.details["source"] == "check-in"


def _fill(
    db: Session, patient: User, today: date, days: int, pain_of: Callable[[int], tuple[int, float, int]]
) -> None:
    for i in range(days):
        pain, sleep, stress = pain_of(i)
        db.add(
            CheckIn(
                patient_id=patient.id,
                day=today - timedelta(days=i),
                pain=pain,
                sleep_hours=sleep,
                stress=stress,
            )
        )
    db.commit()


def test_evidence_page_says_nothing_with_too_little_data(client: Any, db: Session, patient: User) -> None:
    _fill(db, patient, date(2026, 3, 2), 10, lambda i: (3 + i % 5, 5 + i % 3, i % 10))
    page = client.get("/evidence").data.decode()
    assert "Nothing to say yet" in page
    assert "<svg" in page
    assert 'role="img"' in page


def test_evidence_page_states_pattern_and_adds_it_to_evidence_log(
    client: Any, db: Session, patient: User
) -> None:
    # Short nights and stressful days go with more pain: 28 days alternating.
    _fill(db, patient, date(2026, 3, 2), 28, lambda i: (7, 5.0, 8) if i % 2 else (3, 8.0, 2))
    page = client.get("/evidence?weeks=4").data.decode()
    assert "less than 6 hours" in page
    assert "7.0" in page
    assert "3.0" in page
    assert "Add to my evidence log" in page
    assert "The numbers as a table" in page
    client.post("/learn/first/intro", data={"submit": "y"})
    response = client.post("/evidence/add/stress-pain", follow_redirects=True)
    assert "Added to your evidence log." in response.data.decode()
    progress = db.scalar(select(StepProgress).where(StepProgress.step_id == "alarm"))
    assert progress is not None
    row = progress.answers["evidence"][0]
    assert row["kind"] == "Stress"
    assert "stress" in row["what"].lower()
    again = client.post("/evidence/add/stress-pain", follow_redirects=True)
    assert "already in your evidence log" in again.data.decode()


def test_evidence_log_not_open_yet_is_explained(client: Any, db: Session, patient: User) -> None:
    _fill(db, patient, date(2026, 3, 2), 28, lambda i: (7, 5.0, 8) if i % 2 else (3, 8.0, 2))
    response = client.post("/evidence/add/stress-pain", follow_redirects=True)
    assert "Your evidence log opens in week 1" in response.data.decode()
    assert db.scalar(select(func.count(StepProgress.id))) == 0
