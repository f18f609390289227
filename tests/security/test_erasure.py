"""A patient's deletion leaves nothing behind: no row, column, kept text, invite, notification, sent-message
record, mail copy or free page of the SQLite file holds their name, email or words."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.db import Base
from course.models import (
    AuditEvent,
    BoosterAnswer,
    DeletionLogEntry,
    FeedbackRequest,
    Invite,
    Notification,
    PendingSubmission,
    PracticeLog,
    Reappraisal,
    SentMessage,
    TryIt,
    User,
)
from tests.app.test_invites import join_and_confirm
from tests.conftest import sign_in_as

NAME = "Quillon Marchbanks"
EMAIL = "quillon.marchbanks@example.org"
WORDS = "velvetthunder marmalade"
MARKERS = ("quillon", "marchbanks", "velvetthunder")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "MAIL_BACKEND": "outbox"}  # mail kept as files, to check it goes too


def signed_in(app: Flask, user: User) -> Any:
    client = app.test_client()
    sign_in_as(app, client, user)
    return client


def found_in_tables(db: Session) -> list[str]:
    """Where a marker appears: every column of every row of every table."""
    db.expire_all()
    found = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)).all():
            text = repr(tuple(row)).lower()
            found += [f"{table.name}: {marker}" for marker in MARKERS if marker in text]
    db.rollback()
    return found


def found_in_files(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        if path.exists():
            data = path.read_bytes().lower()
            found += [f"{path.name}: {marker}" for marker in MARKERS if marker.encode() in data]
    return found


def outbox_to(app: Flask, address: str) -> list[Path]:
    outbox = Path(app.instance_path) / "outbox"
    return [p for p in outbox.glob("*.eml") if re.search(rf"^To: {re.escape(address)}$", p.read_text(), re.M)]


def test_deletion_leaves_no_name_email_or_words_anywhere(
    app: Flask,
    runner: Any,
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
    clock: Any,
) -> None:
    therapist = make_therapist()
    bystander = make_patient(therapist, name="Other Person").id
    staff = signed_in(app, therapist)
    # Joined through an invite carrying their name and email; two more invites carry one of them.
    page = staff.post("/clinic/invites", data={"patient_name": NAME, "email": EMAIL}, follow_redirects=True)
    link = re.search(rb'value="http://127\.0\.0\.1:5000(/auth/join/[^"]+)"', page.data)
    assert link
    staff.post("/clinic/invites", data={"email": EMAIL.upper()})
    staff.post("/clinic/invites", data={"patient_name": NAME.lower()})
    me = app.test_client()
    joined = join_and_confirm(
        app,
        me,
        link.group(1).decode(),
        {
            "display_name": NAME,
            "email": EMAIL,
            "password": "purple kettle morning",
            "confirm": "purple kettle morning",
            "timezone": "UTC",
            "accept": "y",
        },
    )
    assert joined.status_code == 302
    patient = db.scalar(select(User).where(User.email == EMAIL))
    assert patient is not None
    patient_id = patient.id
    patient.enrollment.screened_at = clock()  # type: ignore[union-attr]
    db.commit()
    # Words everywhere a patient writes, some of them crisis words (an alert, mail to the therapist).
    me.post("/learn/first/intro", data={"submit": "y"})
    me.post("/learn/first/alarm", data={"alarm_says": WORDS, "evidence-0-what": WORDS, "save": "y"})
    me.post("/checkin", data={"pain": "4", "note": WORDS})
    created = me.post("/journal/new", data={"text": f"{WORDS} and I want to die", "submission_key": "a"})
    entry_id = int(re.findall(r"/journal/(\d+)", created.headers["Location"])[0])
    me.post(f"/journal/{entry_id}/edit", data={"text": f"{WORDS} again", "revision": "1"})
    me.post(f"/journal/{entry_id}/share")
    base = f"/clinic/patients/{patient_id}"
    staff.get(base)
    staff.post(f"{base}/journal/{entry_id}/comment", data={"text": f"About {WORDS}"})
    staff.post(f"{base}/note", data={"text": f"{NAME} said {WORDS}"})
    # Messages both ways, and one waiting for the therapist (their unread count must not outlive it).
    me.post("/messages", data={"text": f"{WORDS} for my therapist", "submission_key": "m1"})
    staff.post(f"/messages/patients/{patient_id}", data={"text": f"About {WORDS}", "submission_key": "m2"})
    me.post("/messages", data={"text": f"More {WORDS}", "submission_key": "m3"})
    assert db.scalar(select(func.max(User.unread_messages))) == 1
    db.add(PendingSubmission(token_hash="x" * 64, kind="form", data={"t": WORDS}, user_hint=patient_id))
    # The any-day tools (their views are tested in tests/practice): a practice note and an experiment.
    day = clock().date()
    db.add(
        PracticeLog(patient_id=patient_id, tool="somatic-tracking", script_id="short", day=day, note=WORDS)
    )
    db.add(
        TryIt(patient_id=patient_id, activity=WORDS, prediction=WORDS, predicted=8, outcome=WORDS, actual=4)
    )
    db.add(Reappraisal(patient_id=patient_id, thought=WORDS, answer=WORDS))
    db.add(BoosterAnswer(patient_id=patient_id, booster_id="month-1", what_helped=WORDS, practise=WORDS))
    # A feedback moment and the therapist's reply, which quotes the patient.
    db.add(
        FeedbackRequest(
            enrollment_id=patient.enrollment.id,  # type: ignore[union-attr]
            module_slug="first",
            step_id="alarm",
            asked_at=clock(),
            reply=f"About {WORDS}",
            replied_at=clock(),
        )
    )
    db.commit()
    assert runner.invoke(args=["send-notifications"]).exit_code == 0
    assert db.scalar(select(Notification).where(Notification.patient_id == patient_id)) is not None
    assert db.scalar(select(SentMessage).where(SentMessage.patient_id == patient_id)) is not None
    assert outbox_to(app, EMAIL)
    assert len(found_in_tables(db)) > 10  # the words really were stored

    assert me.post("/account/delete", data={"confirm": "y"}).status_code == 302
    clock.advance(days=14, minutes=1)
    db.close()  # the app is running: nothing of ours holds the file while the deletion commits
    assert signed_in(app, make_admin()).post(f"/admin/deletions/{patient_id}").status_code == 302

    assert found_in_tables(db) == []
    assert db.scalar(select(func.max(User.unread_messages))) == 0
    assert outbox_to(app, EMAIL) == []
    database = app.config["DATABASE_URL"]
    if database.startswith("sqlite"):
        path = Path(database.removeprefix("sqlite:///"))
        assert found_in_files([path, Path(f"{path}-wal"), Path(f"{path}-journal")]) == []
    # What stays: the bystander, the invites that were someone else's, that it happened, and ids and dates.
    assert db.get(User, bystander) is not None
    assert db.scalar(select(Invite).where(Invite.patient_name.is_(None), Invite.email.is_(None))) is not None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "patient_deleted"))
    assert event is not None
    assert event.detail["former_patient_id"] == patient_id
    logged = db.scalar(select(DeletionLogEntry))
    assert logged is not None
    assert (logged.user_id, logged.deleted_at) == (patient_id, clock())


def test_the_name_is_cleared_only_from_the_therapists_unused_invites_in_any_case(
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    clock: Any,
) -> None:
    from course.enrollment import create_invite
    from course.erasure import erase_patient

    own, other = make_therapist(), make_therapist()
    patient = make_patient(own, name="Jürgen STRASSE")

    def invite(therapist: User, name: str, *, used: bool = False) -> int:
        made, _token = create_invite(db, therapist, patient_name=name, email=None, now=clock(), days=14)
        if used:
            made.used_at = clock()
        return made.id

    cleared = [invite(own, "jürgen straße"), invite(own, "  JÜRGEN strasse ")]
    kept = [
        invite(own, "Jürgen Strasse", used=True),  # someone else of that name joined through it
        invite(other, "Jürgen Strasse"),  # another therapist's
        invite(own, "Jürgen Strasser"),  # another name
    ]
    db.commit()
    erase_patient(db, patient, now=clock())
    db.commit()
    db.expire_all()
    names = {found.id: found.patient_name for found in db.scalars(select(Invite))}
    assert [names[i] for i in cleared] == [None, None]
    assert all(names[i] for i in kept), names


def test_an_erased_patients_id_is_never_given_to_someone_new(
    db: Session, make_therapist: Callable[..., User], make_patient: Callable[..., User], clock: Any
) -> None:
    from course.erasure import erase_patient

    therapist = make_therapist()
    patient = make_patient(therapist)  # the newest account: the one whose id a table would hand out again
    erased_id = patient.id
    erase_patient(db, patient, now=clock())
    db.commit()
    newcomer = make_patient(therapist)
    assert newcomer.id > erased_id
