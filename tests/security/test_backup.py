"""Backups a clinic can keep: a round trip on every table, files only their owner can read, encryption to the
clinic's key, the PostgreSQL password kept off command lines, a restore that checks the file before touching
anything, and deletions carried out again after a restore."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

import course.backup
from course import create_app
from course.backup import AGE_MAGIC, Snapshot, backup, restore
from course.cli import alembic_config, migrations_path
from course.clock import FrozenClock
from course.db import Base, dispose, get_engine
from course.erasure import Deletion, reapply
from course.models import CheckIn, DeletionLogEntry, JournalEntry, User
from tests.conftest import sign_in_as


def snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    db.expire_all()
    tables = {}
    for table in Base.metadata.sorted_tables:
        rows = db.execute(select(table).order_by(*table.primary_key.columns)).all()
        tables[table.name] = [tuple(row) for row in rows]
    db.rollback()
    return tables


@pytest.fixture
def migrated(app: Flask) -> Iterator[None]:
    """The test database as `flask db upgrade` leaves it: its schema revision recorded (the tests' tables
    come from the models, so the revision is stamped)."""
    with app.app_context():
        command.stamp(alembic_config(), "head")
    yield
    with app.app_context(), get_engine().begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(runner: Any, *args: str) -> Any:
    return runner.invoke(args=list(args))


def test_backup_and_restore_round_trip_every_table(
    app: Flask, runner: Any, db: Session, tmp_path: Path, migrated: None
) -> None:
    app.config["COURSE_ENV"] = "development"
    assert run(runner, "demo").exit_code == 0
    before = snapshot(db)
    assert sum(len(rows) for rows in before.values()) > 200
    target = tmp_path / "backup.db"
    db.close()  # the app is running: our own session holds no connection while the snapshot is taken
    result = run(runner, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert "not encrypted" in result.output
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["backup.db"]  # nothing else left beside it
    db.execute(text("DELETE FROM checkins"))
    db.execute(text("DELETE FROM journal_revisions"))
    db.commit()
    assert snapshot(db) != before
    db.close()
    result = run(runner, "restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    assert snapshot(db) == before


def test_encrypted_backup_needs_the_clinic_identity(
    app: Flask,
    runner: Any,
    db: Session,
    tmp_path: Path,
    make_patient: Callable[..., User],
    migrated: None,
) -> None:
    patient = make_patient(name="Ottoline Ferncastle")
    identity = tmp_path / "clinic.key"
    made = run(runner, "backup-key", str(identity))
    assert made.exit_code == 0, made.output
    assert mode(identity) == 0o600
    public = made.output.strip().splitlines()[-1].removeprefix("COURSE_BACKUP_RECIPIENT=")
    assert public.startswith("age1")
    assert run(runner, "backup-key", str(identity)).exit_code == 1  # never overwrites a key
    app.config["COURSE_BACKUP_RECIPIENT"] = public
    target = tmp_path / "backups" / "clinic.age"
    db.close()
    result = run(runner, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert "encrypted for the clinic's key" in result.output
    assert mode(target) == 0o600
    data = target.read_bytes()
    assert data.startswith(AGE_MAGIC)
    assert b"Ferncastle" not in data
    assert b"SQLite format" not in data
    assert b"PGDMP" not in data
    patient_id = patient.id
    db.execute(text("DELETE FROM checkins"))
    db.execute(User.__table__.update().where(User.id == patient_id).values(display_name="Changed"))
    db.commit()
    db.close()

    refused = run(runner, "restore", str(target), "--yes")
    assert refused.exit_code == 1
    assert "is encrypted: give the clinic's identity" in refused.output
    stranger = tmp_path / "stranger.key"
    assert run(runner, "backup-key", str(stranger)).exit_code == 0
    wrong = run(runner, "restore", str(target), "--yes", "--identity", str(stranger))
    assert wrong.exit_code == 1
    assert "cannot decrypt" in wrong.output
    assert db.get(User, patient_id).display_name == "Changed"  # type: ignore[union-attr]
    db.close()

    restored = run(runner, "restore", str(target), "--yes", "--identity", str(identity))
    assert restored.exit_code == 0, restored.output
    assert db.get(User, patient_id).display_name == "Ottoline Ferncastle"  # type: ignore[union-attr]
    db.close()
    app.config["COURSE_BACKUP_IDENTITY"] = identity.read_text().splitlines()[-1]  # the key itself works too
    assert run(runner, "restore", str(target), "--yes").exit_code == 0


def test_restore_checks_the_file_before_touching_anything(
    app: Flask,
    runner: Any,
    db: Session,
    tmp_path: Path,
    make_patient: Callable[..., User],
    migrated: None,
) -> None:
    make_patient()
    newer = tmp_path / "newer.backup"
    db.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.commit()
    db.close()
    assert run(runner, "backup", str(newer)).exit_code == 0
    db.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": "0010"})
    db.commit()
    before = snapshot(db)
    db.close()
    sqlite = app.config["DATABASE_URL"].startswith("sqlite")
    other_kind = tmp_path / "other-kind.backup"
    other_kind.write_bytes(b"PGDMP garbage" if sqlite else b"SQLite format 3\x00garbage")
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a backup")
    unreadable = tmp_path / "unreadable.backup"
    unreadable.write_bytes(b"x")
    unreadable.chmod(0)
    cases = {
        tmp_path / "missing.backup": "cannot read",
        garbage: "is not a backup this app writes",
        other_kind: "backup, but this app's database is",
        newer: "comes from a newer version of the app (schema 9999",
    }
    if os.geteuid() != 0:
        cases[unreadable] = "cannot read"  # root reads any file
    for source, reason in cases.items():
        result = run(runner, "restore", str(source), "--yes")
        assert result.exit_code == 1, source
        assert reason in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output  # one clear line
        assert "Traceback" not in result.output
    assert snapshot(db) == before


def test_restore_carries_out_deletions_made_after_the_backup(
    app: Flask,
    runner: Any,
    db: Session,
    tmp_path: Path,
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
    login: Callable[[User], None],
    client: Any,
    clock: FrozenClock,
    migrated: None,
) -> None:
    leaving, staying = make_patient(name="Leaving Person"), make_patient(name="Staying Person")
    ids = {"leaving": leaving.id, "staying": staying.id}
    login(leaving)
    client.post("/checkin", data={"pain": "4", "note": "my own words"})
    client.post("/journal/new", data={"text": "my own words", "submission_key": "k"})
    leaving.deletion_requested_at = clock() - timedelta(days=30)
    db.commit()
    target = tmp_path / "before-the-deletion.backup"
    db.close()
    assert run(runner, "backup", str(target)).exit_code == 0
    admin = app.test_client()
    sign_in_as(app, admin, make_admin())
    assert admin.post(f"/admin/deletions/{ids['leaving']}").status_code == 302
    db.expire_all()
    assert db.get(User, ids["leaving"]) is None
    db.close()

    result = run(runner, "restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    assert "Deletions carried out again: 1." in result.output
    assert db.get(User, ids["leaving"]) is None
    assert db.get(User, ids["staying"]) is not None
    assert db.scalar(select(CheckIn.id).where(CheckIn.patient_id == ids["leaving"])) is None
    assert db.scalar(select(JournalEntry.id).where(JournalEntry.patient_id == ids["leaving"])) is None
    assert db.scalars(select(DeletionLogEntry.user_id)).all() == [ids["leaving"]]  # the log survived
    db.close()
    again = run(runner, "restore", str(target), "--yes")  # the log, restored over, still holds
    assert "Deletions carried out again: 1." in again.output
    assert db.get(User, ids["leaving"]) is None


def test_a_later_account_with_a_deleted_accounts_id_is_left_alone(
    db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient()
    earlier = Deletion(patient.id, patient.created_at - timedelta(days=1), None, clock())
    assert reapply(db, [earlier]) == []
    db.commit()
    assert db.get(User, patient.id) is not None
    assert db.scalar(select(DeletionLogEntry.user_id)) == patient.id  # logged all the same


def test_postgresql_password_reaches_the_tools_only_through_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def fake_run(arguments: list[str], env: dict[str, str], **options: Any) -> Any:
        calls.append((arguments, env))
        return subprocess.CompletedProcess(arguments, 0, b"", b"")

    monkeypatch.setattr(course.backup.subprocess, "run", fake_run)
    url = "postgresql+psycopg://clinic:s3cret-pw@db.internal:5433/course?sslmode=require"
    backup(url, tmp_path / "pg.backup")
    folder = tmp_path / "restore"
    folder.mkdir()
    restore(url, Snapshot(folder / "snapshot", "postgresql", "0010", False, folder), ["users"])
    assert [Path(arguments[0]).name for arguments, _env in calls] == ["pg_dump", "pg_restore", "psql"]
    for arguments, env in calls:
        assert not any("s3cret" in argument for argument in arguments), arguments
        assert env["PGPASSWORD"] == "s3cret-pw"
    assert "--dbname=postgresql://clinic@db.internal:5433/course?sslmode=require" in calls[0][0]
    assert mode(tmp_path / "pg.backup") == 0o600


def test_backup_of_an_older_schema_is_upgraded_after_the_restore(
    app_config: dict[str, Any], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    empty = request.getfixturevalue("fresh_url")  # an empty database of the same kind
    older = create_app({**app_config, "DATABASE_URL": empty})
    runner = older.test_cli_runner()
    assert run(runner, "db", "upgrade", "0009").exit_code == 0
    engine = create_engine(empty, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, display_name, password_hash, role, timezone, active, "
                "session_version, created_at) VALUES "
                "(7, 'p@example.org', 'P', 'x', 'patient', 'UTC', true, 1, '2026-01-01 00:00:00')"
            )
        )
    target = tmp_path / "older.backup"
    assert run(runner, "backup", str(target)).exit_code == 0
    assert run(runner, "db", "upgrade").exit_code == 0
    result = run(runner, "restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    assert "(schema 0009)" in result.output
    head = ScriptDirectory(str(migrations_path())).get_current_head()
    assert f"Upgraded the restored database to schema {head}." in result.output
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        assert connection.execute(text("SELECT email FROM users")).scalars().all() == ["p@example.org"]
        assert connection.execute(text("SELECT count(*) FROM deletion_log")).scalar() == 0
    engine.dispose()
    dispose(older)
