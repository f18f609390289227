"""A patient's data: export everything, and deletion after a grace period (what the deletion leaves
behind: test_erasure.py; backups: test_backup.py)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.models import AuditEvent, CheckIn, JournalEntry, User
from tests.conftest import sign_in_as


def test_patient_export_contains_everything(
    client: Any, db: Session, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    patient = make_patient()
    login(patient)
    client.post("/learn/first/intro", data={"submit": "y"})
    client.post("/checkin", data={"pain": "4", "note": "ünïcode ✓"})
    client.post("/journal/new", data={"text": "My entry", "key": "k"})
    client.post("/measures/pain-average/enrollment", data={"item_rating": "5", "submit": "y"})
    response = client.get("/account/export.zip")
    assert response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {
        "profile.json",
        "journal.json",
        "journal.md",
        "course-answers.json",
        "questionnaires.json",
        "check-ins.csv",
    } <= names
    assert json.loads(archive.read("journal.json"))["journal"][0]["text"] == "My entry"
    assert "ünïcode ✓" in archive.read("check-ins.csv").decode()
    assert json.loads(archive.read("questionnaires.json"))[0]["score"] == 5
    assert json.loads(archive.read("course-answers.json"))[0]["step"] == "intro"


def test_deletion_waits_for_grace_then_removes_everything_but_the_fact(
    app: Flask,
    client: Any,
    db: Session,
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    patient = make_patient()
    patient_id = patient.id
    login(patient)
    client.post("/checkin", data={"pain": "4"})
    client.post("/journal/new", data={"text": "Private", "key": "k"})
    assert client.post("/account/delete", data={}).status_code == 422  # the box must be ticked
    assert client.post("/account/delete", data={"confirm": "y"}).status_code == 302
    admin = app.test_client()
    sign_in_as(app, admin, make_admin())
    assert "Waiting" in admin.get("/admin/deletions").data.decode()
    admin.post(f"/admin/deletions/{patient_id}")
    assert db.get(User, patient_id) is not None  # too early: nothing deleted
    refused = db.scalar(select(AuditEvent).where(AuditEvent.action == "delete_patient_refused"))
    assert refused is not None  # the trail keeps the refused attempt, and why
    assert (refused.patient_id, refused.detail["reason"]) == (
        patient_id,
        "This deletion cannot be completed yet.",
    )
    clock.advance(days=14, minutes=1)
    with admin.session_transaction() as session:
        session.pop("_seen", None)
    admin.post(f"/admin/deletions/{patient_id}")
    db.expire_all()
    assert db.get(User, patient_id) is None
    assert db.scalar(select(func.count(CheckIn.id))) == 0
    assert db.scalar(select(func.count(JournalEntry.id))) == 0
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "patient_deleted"))
    assert event is not None
    assert event.detail["former_patient_id"] == patient_id


def test_deletion_request_can_be_cancelled(
    client: Any, db: Session, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    patient = make_patient()
    login(patient)
    client.post("/account/delete", data={"confirm": "y"})
    assert "You asked for your data to be deleted" in client.get("/account/").data.decode()
    client.post("/account/delete/cancel")
    db.expire_all()
    assert db.get(User, patient.id).deletion_requested_at is None  # type: ignore[union-attr]
