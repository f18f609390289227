"""Words kept from an ended session are health data: they expire, purge removes them, deletion removes them,
and keeping them is rate-limited per address."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from course.account.services import delete_patient, request_deletion
from course.clock import FrozenClock
from course.models import JournalEntry, PendingSubmission, User
from tests.conftest import TEST_PASSWORD, sign_in_as


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "COURSE_KEPT_TEXT_HOURS": 6, "COURSE_KEEP_LIMIT": "3 per hour"}


def post_after_session_ended(app: Flask, db: Session, patient: User, text: str) -> Any:
    client = app.test_client()
    sign_in_as(app, client, patient)
    db.execute(update(User).where(User.id == patient.id).values(session_version=User.session_version + 1))
    db.commit()
    client.post("/journal/new", data={"text": text})
    return client


def kept(db: Session) -> int:
    return db.scalar(select(func.count(PendingSubmission.id))) or 0


def test_kept_words_expire_after_the_set_hours(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient()
    client = post_after_session_ended(app, db, patient, "Written just before the session ended")
    assert kept(db) == 1
    clock.advance(hours=7)
    db.expire_all()
    signed_in = client.post("/auth/login", data={"email": patient.email, "password": TEST_PASSWORD})
    assert signed_in.headers["Location"] == "/"  # too old: not offered back
    assert "Written just before" not in client.get("/journal/new").data.decode()


def test_purge_removes_what_nobody_came_back_for(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient()
    post_after_session_ended(app, db, patient, "Old words")
    clock.advance(hours=5)
    post_after_session_ended(app, db, patient, "Newer words")
    clock.advance(hours=2)
    result = app.test_cli_runner().invoke(args=["purge"])
    assert "Removed 1 kept texts older than 6 hours." in result.output
    db.expire_all()
    assert [p.data["fields"][0][1] for p in db.scalars(select(PendingSubmission))] == ["Newer words"]


def test_a_patients_deletion_removes_their_kept_words(
    app: Flask,
    db: Session,
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
    clock: FrozenClock,
) -> None:
    patient, other = make_patient(), make_patient()
    post_after_session_ended(app, db, patient, "Mine")
    post_after_session_ended(app, db, other, "Someone else's")
    request_deletion(patient, clock() - timedelta(days=30))
    db.commit()
    delete_patient(db, patient, make_admin(), now=clock(), grace_days=14)
    db.commit()
    assert [p.user_hint for p in db.scalars(select(PendingSubmission))] == [other.id]


def test_keeping_is_limited_per_address(app: Flask, db: Session, make_patient: Callable[..., User]) -> None:
    patient = make_patient()
    for n in range(5):
        post_after_session_ended(app, db, patient, f"Attempt {n}")
    assert kept(db) == 3


def test_a_submission_with_errors_does_not_use_up_its_key(
    client: Any, db: Session, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    assert client.post("/journal/new", data={"text": "  ", "submission_key": "k1"}).status_code == 422
    assert (
        client.post("/journal/new", data={"text": "Now with words", "submission_key": "k1"}).status_code
        == 302
    )
    assert db.scalar(select(func.count(JournalEntry.id))) == 1
