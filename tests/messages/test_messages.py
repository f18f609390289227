"""Messages between a patient and their therapist: sending and reading (receipts, unread counts in the header
and the caseload), bad input, the email that says only that there is a message, the crisis check, the
therapist's timeline, the export, and the therapist's review cadence."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.conversations import conversations
from course.models import Alert, AuditEvent, CaseloadEntry, Enrollment, Message, User
from course.notify.services import set_opt_out
from tests.app.test_patient_page_cost import PAGE_STATEMENTS, statements_for
from tests.conftest import sign_in_as

WORDS = "My hips ached after the walk, but less than I feared"


def client_of(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    sign_in_as(app, client, user)
    return client


@pytest.fixture
def pair(
    make_therapist: Callable[..., User], make_patient: Callable[..., User], clock: FrozenClock
) -> tuple[User, User]:
    therapist = make_therapist(name="Dr Rivera")
    patient = make_patient(therapist, name="Alex Patient", started_at=clock() - timedelta(days=3))
    return therapist, patient


def unread(db: Session, user: User) -> int:
    db.expire_all()
    value = db.scalar(select(User.unread_messages).where(User.id == user.id))
    assert value is not None
    return value


def nav_of(html: str) -> str:
    found = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    assert found is not None
    return found.group(1)


def test_a_conversation_sends_reads_and_gives_receipts_with_counts_per_person(
    app: Flask, db: Session, pair: tuple[User, User], make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    therapist, patient = pair
    bystander = make_patient(therapist, name="Other Patient")
    me, staff, other = client_of(app, patient), client_of(app, therapist), client_of(app, bystander)

    page = me.get("/messages").data.decode()
    assert "Dr Rivera usually replies within 2 working days" in page
    assert "This is not for emergencies" in page
    assert 'class="crisis-contacts"' in page
    sent = me.post("/messages", data={"text": WORDS, "submission_key": "k1"})
    assert sent.status_code == 302
    assert unread(db, therapist) == 1
    assert unread(db, patient) == 0
    # The header's count is each person's own, though the header is rendered once per role.
    assert 'Messages <span class="count">1<' in nav_of(staff.get("/clinic/").data.decode())
    assert 'class="count"' not in nav_of(other.get("/learn/").data.decode())
    # Not read yet: the patient sees it; opening the conversation changes nothing.
    assert "Not read yet" in me.get("/messages").data.decode()
    thread = staff.get(f"/messages/patients/{patient.id}").data.decode()
    assert WORDS in thread
    assert "Mark as read" in thread
    assert unread(db, therapist) == 1
    clock.advance(minutes=10)
    assert staff.post(f"/messages/patients/{patient.id}/read").status_code == 302
    assert unread(db, therapist) == 0
    assert "Read " in me.get("/messages").data.decode()
    # The reply waits for the patient; writing back counts as reading it.
    assert (
        staff.post(
            f"/messages/patients/{patient.id}",
            data={"text": "Well noticed. Keep going.", "submission_key": "k2"},
        ).status_code
        == 302
    )
    assert unread(db, patient) == 1
    assert 'Messages <span class="count">1<' in nav_of(me.get("/learn/").data.decode())
    assert "Well noticed" in me.get("/messages").data.decode()
    me.post("/messages", data={"text": "Thank you", "submission_key": "k3"})
    assert unread(db, patient) == 0
    assert unread(db, therapist) == 1
    assert "Well noticed" not in other.get("/messages").data.decode()
    # Each view of the conversation is in the audit trail.
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)))
    assert {"view_messages", "read_messages", "send_message"} <= actions


def test_empty_or_too_long_messages_are_refused_and_keep_the_text(
    app: Flask, db: Session, pair: tuple[User, User]
) -> None:
    therapist, patient = pair
    me, staff = client_of(app, patient), client_of(app, therapist)
    empty = me.post("/messages", data={"text": "   ", "submission_key": "a"})
    assert empty.status_code == 422
    assert "Please write your message first." in empty.data.decode()
    long_text = "A long day. " * 500
    refused = me.post("/messages", data={"text": long_text, "submission_key": "b"})
    assert refused.status_code == 422
    assert "Please keep your message to 5,000 characters" in refused.data.decode()
    assert long_text.strip() in refused.data.decode()
    reply = staff.post(f"/messages/patients/{patient.id}", data={"text": long_text, "submission_key": "c"})
    assert reply.status_code == 422
    assert long_text.strip() in reply.data.decode()
    review = staff.post(
        f"/messages/patients/{patient.id}/review",
        data={"review-text": long_text, "review-submission_key": "d"},
    )
    assert review.status_code == 422
    assert long_text.strip() in review.data.decode()
    assert db.scalar(select(Message.id)) is None
    db.expire_all()
    assert db.scalar(select(Enrollment.reviewed_at).where(Enrollment.patient_id == patient.id)) is None


def test_sending_is_rate_limited_per_account(app: Flask, pair: tuple[User, User]) -> None:
    app.config["COURSE_MESSAGE_LIMIT"] = "2 per hour"
    _therapist, patient = pair
    me = client_of(app, patient)
    codes = [
        me.post("/messages", data={"text": f"Note {n}", "submission_key": f"r{n}"}).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]


def test_crisis_words_in_a_message_show_help_and_alert_without_the_words(
    app: Flask, db: Session, pair: tuple[User, User]
) -> None:
    _therapist, patient = pair
    me = client_of(app, patient)
    page = me.post(
        "/messages", data={"text": "I want to end my life", "submission_key": "c1"}, follow_redirects=True
    ).data.decode()
    assert 'id="crisis-help"' in page
    alert = db.scalar(select(Alert))
    assert alert is not None
    assert alert.details["source"] == "message"
    assert "life" not in json.dumps(alert.details)


def test_the_email_says_only_that_there_is_a_message_and_respects_choices(
    app: Flask, db: Session, runner: Any, pair: tuple[User, User], clock: FrozenClock
) -> None:
    therapist, patient = pair
    client_of(app, patient).post("/messages", data={"text": WORDS, "submission_key": "e1"})
    assert runner.invoke(args=["send-notifications"]).exit_code == 0
    mail = mail_to(app, therapist)
    assert [m.subject for m in mail] == ["A patient sent you a message"]
    assert "hips" not in mail[0].body
    assert WORDS not in mail[0].body
    assert f"/messages/patients/{patient.id}" in mail[0].body
    # Told once for the messages waiting: a second message before reading it sends no second email.
    client_of(app, patient).post("/messages", data={"text": "And one more thing", "submission_key": "e2"})
    assert runner.invoke(args=["send-notifications"]).exit_code == 0
    assert len(mail_to(app, therapist)) == 1
    # The patient switched these emails off: the reply is not emailed.
    set_opt_out(db, patient, "message", True)
    db.commit()
    client_of(app, therapist).post(
        f"/messages/patients/{patient.id}", data={"text": "Thanks for writing", "submission_key": "e3"}
    )
    assert runner.invoke(args=["send-notifications"]).exit_code == 0
    assert not [m for m in mail_to(app, patient) if m.subject == "You have a new message"]


def mail_to(app: Flask, user: User) -> list[Any]:
    return [m for m in app.extensions.get("course.sent_mail", []) if m.to == user.email]


def test_no_message_email_in_quiet_hours(
    app: Flask, db: Session, runner: Any, pair: tuple[User, User], clock: FrozenClock
) -> None:
    therapist, patient = pair
    client_of(app, therapist).post(
        f"/messages/patients/{patient.id}", data={"text": "How was the week?", "submission_key": "q1"}
    )
    clock.advance(hours=7)  # 22:00 UTC, the patient's zone
    assert runner.invoke(args=["send-notifications"]).exit_code == 0
    assert not mail_to(app, patient)
    clock.advance(hours=11)  # 09:00
    assert runner.invoke(args=["send-notifications"]).exit_code == 0
    sent = [m for m in mail_to(app, patient) if m.subject == "You have a new message"]
    assert len(sent) == 1
    assert "How was the week" not in sent[0].body


def test_the_caseload_shows_waiting_messages_and_a_new_message_makes_the_row_stale(
    app: Flask, db: Session, pair: tuple[User, User], clock: FrozenClock
) -> None:
    therapist, patient = pair
    staff = client_of(app, therapist)
    assert "waiting for your reply" not in staff.get("/clinic/").data.decode()
    client_of(app, patient).post("/messages", data={"text": WORDS, "submission_key": "s1"})
    db.expire_all()
    entry = db.get(CaseloadEntry, patient.enrollment.id)  # type: ignore[union-attr]
    assert entry is not None
    assert entry.fresh_until is None  # stale: the next view recomputes it
    caseload = staff.get("/clinic/").data.decode()
    assert "1 message waiting for your reply" in caseload
    assert f'<a class="small" href="/messages/patients/{patient.id}">Reply<' in caseload
    staff.post(f"/messages/patients/{patient.id}/read")
    assert "waiting for your reply" not in staff.get("/clinic/").data.decode()


def test_a_review_sends_the_message_and_records_the_time_and_the_cadence_is_chosen(
    app: Flask, db: Session, pair: tuple[User, User], clock: FrozenClock
) -> None:
    therapist, patient = pair

    def staff() -> FlaskClient:  # signed in afresh after the clock moves (staff are signed out when idle)
        return client_of(app, therapist)

    clock.advance(days=5)  # eight days since the patient started: a weekly review is due
    assert "Review due" in staff().get("/clinic/").data.decode()
    clock.advance(days=6)  # and silent for a week: the caseload offers to write to them
    caseload = staff().get("/clinic/").data.decode()
    assert f'<a class="small" href="/messages/patients/{patient.id}">Write<' in caseload
    page = staff().get(f"/clinic/patients/{patient.id}").data.decode()
    assert "Mark as reviewed" in page
    assert "Every week" in page
    done = staff().post(
        f"/messages/patients/{patient.id}/review",
        data={"review-text": "Good progress this week.", "review-submission_key": "v1"},
    )
    assert done.headers["Location"] == f"/clinic/patients/{patient.id}"
    db.expire_all()
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert enrollment is not None
    assert enrollment.reviewed_at == clock()
    assert db.scalar(select(Message.text)) == "Good progress this week."
    assert "Review due" not in staff().get("/clinic/").data.decode()
    # A review without a message records the review only.
    clock.advance(days=1)
    staff().post(f"/messages/patients/{patient.id}/review", data={"review-submission_key": "v2"})
    db.expire_all()
    assert len(db.scalars(select(Message)).all()) == 1
    # Every two weeks: due again 14 days after the last review, not 7.
    staff().post(f"/messages/patients/{patient.id}/cadence", data={"cadence-days": "14"})
    clock.advance(days=8)
    assert "Review due" not in staff().get("/clinic/").data.decode()
    clock.advance(days=6)
    assert "Review due" in staff().get("/clinic/").data.decode()
    refused = staff().post(f"/messages/patients/{patient.id}/cadence", data={"cadence-days": "3"})
    assert refused.status_code == 302
    db.expire_all()
    assert db.scalar(select(Enrollment.review_days).where(Enrollment.patient_id == patient.id)) == 14


def test_messages_are_in_the_timeline_and_the_export(
    app: Flask, db: Session, pair: tuple[User, User]
) -> None:
    therapist, patient = pair
    me, staff = client_of(app, patient), client_of(app, therapist)
    me.post("/messages", data={"text": WORDS, "submission_key": "t1"})
    page = staff.get(f"/clinic/patients/{patient.id}").data.decode()
    assert "Message from the patient (not read yet): “My hips ached after the walk" in page
    staff.post(f"/messages/patients/{patient.id}", data={"text": "Noted, thank you.", "submission_key": "t2"})
    page = staff.get(f"/clinic/patients/{patient.id}").data.decode()
    assert "Message from Dr Rivera: “Noted, thank you.”" in page
    assert "(not read yet)" not in page
    archive = zipfile.ZipFile(io.BytesIO(me.get("/account/export.zip").data))
    exported = json.loads(archive.read("messages.json"))
    assert [(m["from"], m["text"]) for m in exported] == [("you", WORDS), ("Dr Rivera", "Noted, thank you.")]
    assert exported[0]["read"] is not None


def test_the_therapist_list_puts_waiting_conversations_first(
    app: Flask, db: Session, pair: tuple[User, User], make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    therapist, patient = pair
    answered = make_patient(therapist, name="Answered Ann")
    client_of(app, answered).post("/messages", data={"text": "Hello", "submission_key": "i1"})
    staff = client_of(app, therapist)
    staff.post(f"/messages/patients/{answered.id}", data={"text": "Hello Ann", "submission_key": "i2"})
    clock.advance(minutes=5)
    client_of(app, patient).post("/messages", data={"text": WORDS, "submission_key": "i3"})
    page = staff.get("/messages/patients").data.decode()
    assert page.index("Alex Patient") < page.index("Answered Ann")
    assert "1 waiting for your reply" in page
    assert WORDS not in page  # names and counts only
    # The aggregate's time keeps the column's type on both databases: aware UTC.
    assert conversations(db, therapist)[0].last_at == clock()


def test_the_conversation_follows_the_patient_to_a_new_therapist(
    app: Flask,
    db: Session,
    pair: tuple[User, User],
    make_therapist: Callable[..., User],
    make_admin: Callable[..., User],
) -> None:
    therapist, patient = pair
    successor = make_therapist(name="Dr Next")
    me = client_of(app, patient)
    me.post("/messages", data={"text": "First question", "submission_key": "h1"})
    client_of(app, therapist).post(
        f"/messages/patients/{patient.id}", data={"text": "First answer", "submission_key": "h2"}
    )
    me.post("/messages", data={"text": WORDS, "submission_key": "h3"})
    assert unread(db, therapist) == 1
    admin = client_of(app, make_admin())
    handed = admin.post(f"/admin/therapists/{therapist.id}/handover", data={"successor": str(successor.id)})
    assert handed.status_code == 302
    assert unread(db, therapist) == 0
    assert unread(db, successor) == 1
    new = client_of(app, successor)
    page = new.get(f"/messages/patients/{patient.id}").data.decode()
    assert "First question" in page
    assert "Dr Rivera" in page  # who wrote the earlier answer stays with it
    assert WORDS in page
    assert "1 message waiting for your reply" in new.get("/clinic/").data.decode()
    new.post(f"/messages/patients/{patient.id}", data={"text": "I follow you now", "submission_key": "h4"})
    page = me.get("/messages").data.decode()
    assert "Dr Next usually replies" in page
    assert "I follow you now" in page
    assert "First answer" in page


def test_messages_add_no_statement_to_the_home_the_caseload_or_the_patient_page(
    app: Flask, db: Session, pair: tuple[User, User], make_patient: Callable[..., User]
) -> None:
    therapist, patient = pair
    quiet = make_patient(therapist, name="Quiet Quinn")
    me, staff = client_of(app, patient), client_of(app, therapist)
    caseload_before = statements_for(app, staff, "/clinic/")
    for n in range(5):
        me.post("/messages", data={"text": f"Note {n}", "submission_key": f"p{n}"})
    staff.post(f"/messages/patients/{patient.id}", data={"text": "Thank you", "submission_key": "p9"})
    me.post("/messages", data={"text": "One more", "submission_key": "p10"})
    staff.post(f"/messages/patients/{patient.id}", data={"text": "Noted", "submission_key": "p11"})
    assert unread(db, patient) == 1
    # The header's count comes with the signed-in user's own row.
    assert statements_for(app, me, "/learn/") == PAGE_STATEMENTS
    assert 'class="count"' in nav_of(me.get("/learn/").data.decode())
    assert statements_for(app, staff, "/clinic/") == caseload_before
    with_messages = statements_for(app, staff, f"/clinic/patients/{patient.id}")
    assert with_messages == statements_for(app, staff, f"/clinic/patients/{quiet.id}")
