"""Feedback moments in the app: finishing one asks the therapist, what it holds waits (the patient sees why,
until when, and what to do meanwhile), the therapist reads the answers and replies (audited), the reply opens
the way and shows to the patient; without a reply it opens after the clinic's days. The email carries no
answer; export and erasure include the feedback; the patient pages read no more statements."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.models import Alert, AuditEvent, FeedbackRequest, User
from tests.app.test_patient_page_cost import PAGE_STATEMENTS, count_statements, statements_for
from tests.conftest import FIXTURE_PROGRAM, sign_in_as
from tests.content.conftest import edit

ANSWER = "It says my back is breaking."
EXERCISE_OK = {
    "alarm_says": ANSWER,
    "worry": "6",
    "kind": "stress",
    "evidence-0-what": "Pain rose before a hard meeting",
    "evidence-0-kind": "Stress",
    "submit": "y",
}
REPLY = "Thank you. Notice how the meeting and the pain went together: that is a clue worth keeping."


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The fixture program with two feedback moments: the first week's exercise holds the next step, the
    second week's practice holds the third week."""
    program = tmp_path / "program"
    shutil.copytree(FIXTURE_PROGRAM, program)
    edit(
        program / "first" / "module.yaml",
        "    title: What my alarm says\n",
        "    title: What my alarm says\n    feedback: true\n",
    )
    edit(
        program / "second" / "module.yaml",
        "    title: Breathe\n",
        "    title: Breathe\n    feedback: module\n",
    )
    return {**app_config, "COURSE_CONTENT_DIR": str(program)}


@pytest.fixture
def therapist(make_therapist: Callable[..., User]) -> User:
    return make_therapist()


@pytest.fixture
def patient(make_patient: Callable[..., User], therapist: User) -> User:
    return make_patient(therapist, timezone="America/Denver")


def browser(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    sign_in_as(app, client, user)
    return client


def finish_alarm(app: Flask, patient: User, data: dict[str, Any] | None = None) -> FlaskClient:
    me = browser(app, patient)
    assert me.post("/learn/first/intro", data={"submit": "y"}).status_code == 302
    assert me.post("/learn/first/alarm", data=data or EXERCISE_OK).status_code == 302
    return me


def request_of(db: Session, patient: User) -> FeedbackRequest:
    db.expire_all()
    found = db.scalar(select(FeedbackRequest).where(FeedbackRequest.enrollment_id == patient.enrollment.id))  # type: ignore[union-attr]
    assert found is not None
    return found


def test_finishing_a_feedback_step_holds_the_next_step_and_says_why(
    app: Flask, db: Session, patient: User, clock: FrozenClock
) -> None:
    me = finish_alarm(app, patient)
    request = request_of(db, patient)
    assert (request.module_slug, request.step_id, request.asked_at) == ("first", "alarm", clock())
    assert request.reply is None
    held = me.get("/learn/first/quiz")
    assert held.status_code == 403
    page = held.data.decode()
    assert "Waiting for your therapist" in page
    assert "5 March" in page  # the clinic's three days on: the day it opens anyway
    for meanwhile in ("/checkin", "/journal", "/practice"):
        assert f'href="{meanwhile}' in page
    home = me.get("/learn/").data.decode()
    assert "Waiting for your therapist" in home
    assert "What my alarm says" in home
    assert "Waiting for your therapist" in me.get("/learn/first/alarm").data.decode()
    # Saving the step again does not ask again.
    assert me.post("/learn/first/alarm", data=EXERCISE_OK).status_code == 302
    assert len(db.scalars(select(FeedbackRequest)).all()) == 1


def test_the_therapist_reads_the_answers_and_the_reply_opens_the_next_step(
    app: Flask, db: Session, patient: User, therapist: User, clock: FrozenClock
) -> None:
    me = finish_alarm(app, patient)
    request_id = request_of(db, patient).id
    staff = browser(app, therapist)
    patient_page = staff.get(f"/clinic/patients/{patient.id}").data.decode()
    assert "Feedback waiting for your reply" in patient_page
    assert "Feedback waiting, under a day" in patient_page  # the glance's signal, as on the caseload
    url = f"/clinic/patients/{patient.id}/feedback/{request_id}"
    assert url in patient_page
    caseload = staff.get("/clinic/").data.decode()
    assert "Feedback waiting, under a day" in caseload
    page = staff.get(url)
    assert page.status_code == 200
    assert ANSWER in page.data.decode()
    clock.advance(minutes=20)  # within the staff's idle sign-out
    empty = staff.post(url, data={"text": "   "})
    assert empty.status_code == 422
    assert "Please write your reply first." in empty.data.decode()
    assert me.get("/learn/first/quiz").status_code == 403
    assert staff.post(url, data={"text": REPLY}).status_code == 302
    request = request_of(db, patient)
    assert (request.reply, request.replied_at, request.replied_by_id) == (REPLY, clock(), therapist.id)
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)))
    assert {"read_feedback", "reply_feedback"} <= actions
    assert me.get("/learn/first/quiz").status_code == 200
    assert REPLY in me.get("/learn/first/alarm").data.decode()
    assert REPLY in me.get("/learn/").data.decode()
    assert "Feedback waiting" not in staff.get("/clinic/").data.decode()
    replied_page = staff.get(f"/clinic/patients/{patient.id}").data.decode()
    assert "replied about “What my alarm says”" in replied_page
    assert "Feedback waiting," not in replied_page


def test_without_a_reply_the_next_step_opens_after_the_clinics_days(
    app: Flask, db: Session, patient: User, therapist: User, clock: FrozenClock
) -> None:
    me = finish_alarm(app, patient)
    assert "Feedback waiting, under a day" in browser(app, therapist).get("/clinic/").data.decode()
    clock.advance(days=2, hours=1)
    assert me.get("/learn/first/quiz").status_code == 403
    # The stored caseload row aged by itself (staff sign in anew: their sessions end when idle).
    assert "Feedback waiting, 2 days" in browser(app, therapist).get("/clinic/").data.decode()
    clock.advance(days=1)
    assert me.get("/learn/first/quiz").status_code == 200
    # The reply is still owed, and still shown first.
    assert "Feedback waiting, 3 days" in browser(app, therapist).get("/clinic/").data.decode()


def test_a_module_hold_waits_for_the_reply_and_an_early_opening_is_never_held(
    app: Flask, db: Session, patient: User, therapist: User, clock: FrozenClock
) -> None:
    me = finish_alarm(app, patient)
    staff = browser(app, therapist)
    request_id = request_of(db, patient).id
    assert (
        staff.post(f"/clinic/patients/{patient.id}/feedback/{request_id}", data={"text": REPLY}).status_code
        == 302
    )
    for step, data in (("quiz", {"hurt_harm": "no"}), ("reflect", {"text": "Pain moved today."})):
        assert me.post(f"/learn/first/{step}", data={**data, "submit": "y"}).status_code == 302
    clock.advance(days=7)  # Monday 9 March: week two open
    clock.advance(days=6)  # the breathing practice, late in week two, waits three days for a reply
    assert me.post("/learn/second/breathe", data={"submit": "y"}).status_code == 302
    assert me.post("/learn/second/wind-down", data={"adopt": "yes", "submit": "y"}).status_code == 302
    clock.advance(days=1)  # Monday 16 March: week three's day by the pace, but the reply has not come
    locked = me.get("/learn/third")
    assert locked.status_code == 403
    assert "Waiting for your therapist" in locked.data.decode()
    staff = browser(app, therapist)
    assert staff.post(f"/clinic/patients/{patient.id}/unlock", data={"reason": "Ready"}).status_code == 302
    assert me.get("/learn/third").status_code == 200


def test_the_answer_to_a_feedback_step_is_crisis_scanned(app: Flask, db: Session, patient: User) -> None:
    finish_alarm(app, patient, {**EXERCISE_OK, "alarm_says": "Some days I want to die."})
    assert db.scalar(select(Alert).where(Alert.kind == "crisis")) is not None
    assert request_of(db, patient).step_id == "alarm"


def test_the_therapists_email_says_feedback_waits_without_the_answer(
    app: Flask, db: Session, patient: User, therapist: User, runner: Any, clock: FrozenClock
) -> None:
    finish_alarm(app, patient)
    assert runner.invoke(args=["send-notifications"]).exit_code == 0
    subject = "A patient's answers wait for your reply"

    def sent(to: str, subject: str) -> list[Any]:
        return [m for m in app.extensions.get("course.sent_mail", []) if (m.to, m.subject) == (to, subject)]

    mail = sent(therapist.email, subject)
    assert len(mail) == 1
    assert ANSWER not in mail[0].body
    assert "alarm" not in mail[0].body.lower()  # not even the step's name
    assert f"/clinic/patients/{patient.id}/feedback/" in mail[0].body
    assert runner.invoke(args=["send-notifications"]).exit_code == 0
    assert len(sent(therapist.email, subject)) == 1
    # The patient hears of the reply (in the morning, in Denver), without its words.
    staff = browser(app, therapist)
    url = f"/clinic/patients/{patient.id}/feedback/{request_of(db, patient).id}"
    assert staff.post(url, data={"text": REPLY}).status_code == 302
    clock.advance(hours=3)
    assert runner.invoke(args=["send-notifications"]).exit_code == 0
    told = sent(patient.email, "Your therapist replied")
    assert len(told) == 1
    assert REPLY not in told[0].body
    assert "/learn/first/alarm" in told[0].body


def test_the_export_holds_the_feedback_and_its_reply(
    app: Flask, db: Session, patient: User, therapist: User
) -> None:
    me = finish_alarm(app, patient)
    url = f"/clinic/patients/{patient.id}/feedback/{request_of(db, patient).id}"
    assert browser(app, therapist).post(url, data={"text": REPLY}).status_code == 302
    archive = zipfile.ZipFile(io.BytesIO(me.get("/account/export.zip").data))
    exported = json.loads(archive.read("feedback.json"))
    assert [(f["module"], f["step"], f["reply"]) for f in exported] == [("first", "alarm", REPLY)]


def test_another_patients_feedback_is_not_found(
    app: Flask, db: Session, patient: User, therapist: User, make_patient: Callable[..., User]
) -> None:
    finish_alarm(app, patient)
    other = make_patient(therapist)
    request_id = request_of(db, patient).id
    staff = browser(app, therapist)
    assert staff.get(f"/clinic/patients/{other.id}/feedback/{request_id}").status_code == 404
    assert staff.get(f"/clinic/patients/{patient.id}/feedback/{request_id + 1}").status_code == 404


def test_patient_pages_read_no_more_statements_with_feedback(
    app: Flask, db: Session, patient: User, therapist: User
) -> None:
    me = finish_alarm(app, patient)
    assert statements_for(app, me, "/learn/") == PAGE_STATEMENTS
    assert statements_for(app, me, "/learn/first/alarm") == PAGE_STATEMENTS
    url = f"/clinic/patients/{patient.id}/feedback/{request_of(db, patient).id}"
    assert browser(app, therapist).post(url, data={"text": REPLY}).status_code == 302
    assert statements_for(app, me, "/learn/") == PAGE_STATEMENTS
    assert statements_for(app, me, "/learn/first/quiz") == PAGE_STATEMENTS


def test_caseload_and_patient_page_read_no_more_statements_with_feedback(
    app: Flask, db: Session, patient: User, therapist: User, make_patient: Callable[..., User]
) -> None:
    make_patient(therapist)  # a patient without feedback on the same caseload
    staff = browser(app, therapist)

    def counted(path: str) -> int:
        assert staff.get(path).status_code == 200  # warm-up: stale caseload rows are refreshed here
        with count_statements(app) as seen:
            assert staff.get(path).status_code == 200
        return len(seen)

    before = {path: counted(path) for path in ("/clinic/", f"/clinic/patients/{patient.id}")}
    finish_alarm(app, patient)
    url = f"/clinic/patients/{patient.id}/feedback/{request_of(db, patient).id}"
    assert staff.post(url, data={"text": REPLY}).status_code == 302
    after = {path: counted(path) for path in before}
    assert after == before
