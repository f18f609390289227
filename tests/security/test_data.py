"""A patient's data: export everything, deletion after a grace period, backup and restore."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.db import Base
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


def snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    db.expire_all()
    tables = {}
    for table in Base.metadata.sorted_tables:
        rows = db.execute(text(f"SELECT * FROM {table.name} ORDER BY 1")).all()  # noqa: S608 - our table names
        tables[table.name] = [tuple(row) for row in rows]
    return tables


def test_backup_and_restore_round_trip_every_table(
    app: Flask,
    runner: Any,
    db: Session,
    tmp_path: Path,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    client: Any,
) -> None:
    app.config["COURSE_ENV"] = "development"
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = snapshot(db)
    assert sum(len(rows) for rows in before.values()) > 200
    target = tmp_path / "backup.db"
    db.close()  # the app is running: our own session holds no connection while the snapshot is taken
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    db.execute(text("DELETE FROM checkins"))
    db.execute(text("DELETE FROM journal_revisions"))
    db.commit()
    assert snapshot(db) != before
    db.close()
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert snapshot(db) == before
