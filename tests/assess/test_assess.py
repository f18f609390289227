"""Safety screening before week 1, the pacing path, and outcome measures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.models import Alert, Enrollment, MeasureResponse, User
from course.safety import RED_FLAGS
from tests.conftest import sign_in_as

NO_FLAGS = {f"flag_{flag.id.replace('-', '_')}": "no" for flag in RED_FLAGS}


@pytest.fixture
def new_patient(make_patient: Callable[..., User], login: Callable[[User], None]) -> User:
    user = make_patient(screened=False)
    login(user)
    return user


def enrollment_of(db: Session, patient: User) -> Enrollment:
    db.expire_all()
    found = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert found is not None
    return found


def finish_first_two_weeks(client: Any, clock: FrozenClock) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    client.post("/learn/first/alarm", data={"alarm_says": "x", "evidence-0-what": "y", "submit": "y"})
    client.post("/learn/first/quiz", data={"hurt_harm": "no", "submit": "y"})
    client.post("/learn/first/reflect", data={"text": "z", "submit": "y"})
    clock.advance(days=8)
    client.post("/learn/second/breathe", data={"submit": "y"})
    client.post("/learn/second/wind-down", data={"adopt": "no", "submit": "y"})
    clock.advance(days=8)


def test_screening_comes_before_week_one(client: Any, new_patient: User) -> None:
    home = client.get("/learn/").data.decode()
    assert "A few safety questions before week 1" in home
    assert client.get("/learn/first/intro").headers["Location"] == "/screening"
    incomplete = client.post("/screening", data={"pem": "no"})
    assert incomplete.status_code == 422
    assert "Please answer yes or no." in incomplete.data.decode()


def test_screening_all_clear_starts_standard_path(client: Any, db: Session, new_patient: User) -> None:
    response = client.post("/screening", data={**NO_FLAGS, "pem": "no"})
    assert response.headers["Location"] == "/learn/"
    assert client.get("/learn/first/intro").status_code == 200
    enrollment = enrollment_of(db, new_patient)
    assert enrollment.pem is False
    assert enrollment.red_flags == []
    assert db.scalar(select(Alert)) is None


def test_screening_emergency_red_flag_stops_program_and_alerts(
    app: Any, client: Any, db: Session, new_patient: User, clock: FrozenClock
) -> None:
    client.post("/screening", data={**NO_FLAGS, "flag_saddle_numbness": "yes", "pem": "no"})
    page = client.get("/screening").data.decode()
    assert "Go to an emergency department now" in page
    assert client.get("/learn/first/intro").headers["Location"] == "/screening"
    assert "Please see a doctor before you start." in client.get("/learn/").data.decode()
    alert = db.scalar(select(Alert))
    assert alert is not None
    assert alert.kind == "red_flag"
    assert alert.details == {"source": "screening", "flags": ["saddle-numbness"], "urgency": "emergency"}
    therapist = enrollment_of(db, new_patient).therapist
    therapist_browser = app.test_client()
    sign_in_as(app, therapist_browser, therapist)
    detail = therapist_browser.get(f"/clinic/patients/{new_patient.id}").data.decode()
    assert "Red flags at screening" in detail
    therapist_browser.post(f"/clinic/patients/{new_patient.id}/clear")
    assert client.get("/learn/first/intro").status_code == 200


def test_screening_non_urgent_flag_advises_seeing_a_doctor_soon(client: Any, new_patient: User) -> None:
    client.post("/screening", data={**NO_FLAGS, "flag_weight_loss": "yes", "pem": "no"})
    page = client.get("/screening").data.decode()
    assert "See your doctor soon, within a few days" in page
    assert "emergency department" not in page


def test_pem_switches_to_pacing_path_and_alerts(
    client: Any, db: Session, new_patient: User, clock: FrozenClock
) -> None:
    client.post("/screening", data={**NO_FLAGS, "pem": "unsure"})
    assert enrollment_of(db, new_patient).pem is True
    assert db.scalar(select(Alert.kind)) == "pem"
    finish_first_two_weeks(client, clock)
    overview = client.get("/learn/third").data.decode()
    assert "Pacing your energy" in overview
    assert "Climbing the fear ladder" not in overview
    assert client.get("/learn/third/ladder").status_code == 404
    client.post("/learn/third/last", data={"submit": "y"})
    assert client.post("/learn/third/pacing", data={"submit": "y"}).status_code == 302
    assert "every week of the program" in client.get("/learn/").data.decode()


def test_standard_path_does_not_see_pacing_steps(
    client: Any, make_patient: Callable[..., User], login: Callable[[User], None], clock: FrozenClock
) -> None:
    login(make_patient())
    finish_first_two_weeks(client, clock)
    assert client.get("/learn/third/pacing").status_code == 404
    assert "Climbing the fear ladder" in client.get("/learn/third").data.decode()


PHQ_ZERO = {f"item_q{i}": "0" for i in range(1, 10)}


@pytest.fixture
def patient(make_patient: Callable[..., User], login: Callable[[User], None]) -> User:
    user = make_patient()
    login(user)
    return user


def test_measures_due_at_enrollment_show_on_home(client: Any, patient: User) -> None:
    home = client.get("/learn/").data.decode()
    assert "Patient Health Questionnaire (PHQ-9)" in home
    assert "/measures/phq9/enrollment" in home
    assert "/measures/pain-average/" in home


def test_measure_draft_not_scored_then_completed_once(client: Any, db: Session, patient: User) -> None:
    partial = {"item_q1": "2", "item_q2": "1", "save": "y"}
    assert client.post("/measures/phq9/enrollment", data=partial).status_code == 302
    draft = db.scalar(select(MeasureResponse))
    assert draft is not None
    assert draft.complete is False
    assert draft.score is None
    page = client.get("/measures/phq9/enrollment").data.decode()
    assert 'id="item_q1-2"' in page.split("checked")[1][:60] or "checked" in page
    missing = client.post("/measures/phq9/enrollment", data={"item_q1": "2", "submit": "y"})
    assert missing.status_code == 422
    assert "Please answer this question, or save for later." in missing.data.decode()
    full = {**PHQ_ZERO, "item_q1": "2", "item_q2": "3", "item_q3": "3", "item_q4": "3", "submit": "y"}
    assert client.post("/measures/phq9/enrollment", data=full).status_code == 302
    db.expire_all()
    done = db.scalar(select(MeasureResponse))
    assert done is not None
    assert done.complete is True
    assert done.score == 11
    assert done.band is not None
    again = client.post("/measures/phq9/enrollment", data=full, follow_redirects=True)
    assert "already answered" in again.data.decode()
    assert "phq9/enrollment" not in client.get("/learn/").data.decode()


def test_phq9_item_nine_shows_crisis_help_and_alerts(client: Any, db: Session, patient: User) -> None:
    answers = {**PHQ_ZERO, "item_q9": "1", "submit": "y"}
    page = client.post("/measures/phq9/enrollment", data=answers, follow_redirects=True).data.decode()
    assert "You do not have to go through this alone" in page
    assert "988" in page
    alert = db.scalar(select(Alert))
    assert alert is not None
    assert alert.kind == "crisis"
    assert alert.details == {"source": "PHQ-9", "due": "enrollment"}


def test_measure_not_open_yet_is_refused(client: Any, patient: User, clock: FrozenClock) -> None:
    assert client.get("/measures/phq9/week-4").status_code == 403
    clock.advance(days=28)
    assert client.get("/measures/phq9/week-4").status_code == 200


def test_measure_due_dates_follow_patient_zone(
    client: Any, make_patient: Callable[..., User], login: Callable[[User], None], clock: FrozenClock
) -> None:
    # Enrolled Monday 2 March 15:00 UTC = Tuesday 3 March 04:00 in Auckland: day 0 is 3 March there.
    login(make_patient(timezone="Pacific/Auckland"))
    clock.set(clock() + timedelta(days=28, hours=-4))  # 30 March 11:00 UTC = 31 March 00:00 in Auckland
    assert client.get("/measures/phq9/week-4").status_code == 200
    clock.set(clock() - timedelta(minutes=1))
    assert client.get("/measures/phq9/week-4").status_code == 403


def test_therapist_sees_scores_change_and_explanations(
    app: Any, client: Any, db: Session, patient: User, clock: FrozenClock
) -> None:
    client.post("/measures/pain-average/enrollment", data={"item_rating": "6", "submit": "y"})
    clock.advance(days=56)
    client.post("/measures/pain-average/week-8", data={"item_rating": "1", "submit": "y"})
    therapist = enrollment_of(db, patient).therapist
    browser = app.test_client()
    sign_in_as(app, browser, therapist)
    page = browser.get(f"/clinic/patients/{patient.id}").data.decode()
    assert "Change since the first: -5" in page
    assert "50% responder" in page
    assert "pain-free or nearly" in page
    assert "lower than when you started" in client.get("/measures").data.decode()


def test_therapist_sees_talking_therapies_categories_in_words(
    app: Any, client: Any, db: Session, patient: User, clock: FrozenClock
) -> None:
    def answer(measure: str, due: str, values: list[int]) -> None:
        data = {f"item_q{i}": str(v) for i, v in enumerate(values, start=1)}
        response = client.post(f"/measures/{measure}/{due}", data={**data, "submit": "y"})
        assert response.status_code in (200, 302), response.status_code

    answer("phq9", "enrollment", [2, 2, 2, 2, 2, 2, 2, 0, 0])  # 14: a case
    answer("gad7", "enrollment", [2, 2, 1, 1, 1, 1, 1])  # 9: a case
    clock.advance(days=56)
    answer("phq9", "week-8", [1, 1, 1, 1, 1, 1, 0, 0, 0])  # 6: down 8
    answer("gad7", "week-8", [1, 1, 1, 1, 0, 0, 0])  # 4: down 5
    therapist = enrollment_of(db, patient).therapist
    browser = app.test_client()
    sign_in_as(app, browser, therapist)
    page = browser.get(f"/clinic/patients/{patient.id}").data.decode()
    assert "Depression and anxiety together (NHS Talking Therapies)" in page
    assert "PHQ-9 down 8 points: a reliable improvement" in page
    assert "GAD-7 down 5 points: a reliable improvement" in page
    assert "Reliable improvement: yes." in page
    assert "Reliable recovery: yes" in page
    assert "Reliable deterioration: no." in page
    # The patient's own page does not carry the therapist's reading.
    assert "Reliable recovery" not in client.get("/measures").data.decode()
