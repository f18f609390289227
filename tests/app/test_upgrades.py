"""Upgrades keep everything: a database at each earlier migration, with rows in every table it has, is
upgraded to the head; every row is still there and reads correctly through the models, on SQLite and
PostgreSQL.

A new migration adds its rows to SAMPLES, here and nowhere else: rows for each table it creates, and rows
using the columns it adds. If its data step rewrites rows written before it, the rows it rewrites say what
they become (`Sample.becomes`). A table without rows fails the test, naming the table and the revision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, inspect, select
from sqlalchemy.orm import Session

from course.cli import migrations_path
from course.db import Base


@dataclass(frozen=True)
class Sample:
    """One row, written into a database at `revision` or any later one (before upgrading it)."""

    revision: str  # the first revision whose schema holds every column given
    table: str
    row: Mapping[str, Any]
    # What a later migration's data step turns this row's columns into: {revision: {column: value}}.
    becomes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def at(day: int, hour: int = 9) -> datetime:
    """A stored time: naive, UTC (as the database keeps it)."""
    return datetime(2026, 1, day, hour, 0)


THERAPIST, PATIENT, SCREENED, ADMIN, LEAVING, ASSESSED = 1, 2, 3, 4, 5, 6


def user(user_id: int, role: str, **more: Any) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": f"user{user_id}@example.org",
        "display_name": f"Person {user_id} – Zoë",
        "password_hash": "scrypt:32768:8:1$salt$hash",
        "role": role,
        "timezone": "America/Denver",
        "active": True,
        "session_version": 1,
        "created_at": at(1),
        **more,
    }


SAMPLES: list[Sample] = [
    # 0001: accounts, invites, enrollments, pacing overrides, step progress, journal entries.
    Sample("0001", "users", user(THERAPIST, "therapist")),
    Sample("0001", "users", user(PATIENT, "patient")),
    Sample("0001", "users", user(SCREENED, "patient", deactivated_at=at(20), active=False)),
    Sample("0001", "users", user(ADMIN, "admin")),
    Sample(
        "0001",
        "enrollments",
        {
            "id": 1,
            "patient_id": PATIENT,
            "therapist_id": THERAPIST,
            "started_at": at(2),
            "accepted_terms_at": at(2),
            "paused": False,
        },
    ),
    Sample(
        "0001",
        "invites",
        {
            "id": 1,
            "token_hash": "a" * 64,
            "therapist_id": THERAPIST,
            "patient_name": "Alex",
            "email": "alex@example.org",
            "created_at": at(1),
            "expires_at": at(15),
            "used_at": at(2),
            "patient_id": PATIENT,
        },
    ),
    Sample(
        "0001",
        "program_overrides",
        {"id": 1, "enrollment_id": 1, "kind": "unlock_next", "at": at(5), "by_id": THERAPIST, "reason": "Ok"},
    ),
    Sample(
        "0001",
        "step_progress",
        {
            "id": 1,
            "enrollment_id": 1,
            "module_slug": "first",
            "step_id": "exercise",
            "status": "complete",
            "answers": {"fear": "That moving will hurt", "scale": 4, "choices": ["a", "c"]},
            "started_at": at(3),
            "updated_at": at(3, 10),
            "completed_at": at(3, 10),
        },
    ),
    Sample(
        "0001",
        "journal_entries",
        {
            "id": 1,
            "patient_id": PATIENT,
            "module_slug": "first",
            "step_id": "journal",
            "prompt": "What did you notice?",
            "text": "Written before the upgrade: the pain eased on the walk. Ça va.",
            "shared": True,
            "created_at": at(3),
            "updated_at": at(3),
        },
    ),
    # 0002: check-ins, habits, journal revisions and comments, alerts, notes, measures, audit, screening,
    # kept submissions.
    Sample(
        "0002",
        "enrollments",
        {
            "id": 2,
            "patient_id": SCREENED,
            "therapist_id": THERAPIST,
            "started_at": at(4),
            "accepted_terms_at": at(4),
            "paused": True,
            "screened_at": at(4),
            "red_flags": ["night_pain"],
            "pem": True,
            "cleared_at": at(5),
            "cleared_by_id": THERAPIST,
        },
    ),
    Sample(
        "0002",
        "journal_entries",
        {
            "id": 2,
            "patient_id": PATIENT,
            "text": "A second version",
            "shared": False,
            "shared_at": at(6),
            "therapist_read_at": at(7),
            "revision": 2,
            "idempotency_key": "k" * 32,
            "deleted_at": at(8),
            "created_at": at(6),
            "updated_at": at(6, 11),
        },
    ),
    Sample(
        "0002",
        "journal_revisions",
        {"id": 1, "entry_id": 2, "number": 1, "text": "A first version", "created_at": at(6)},
    ),
    Sample(
        "0002",
        "comments",
        {"id": 1, "entry_id": 1, "author_id": THERAPIST, "text": "Well noticed.", "created_at": at(4)},
    ),
    Sample(
        "0002",
        "checkins",
        {
            "id": 1,
            "patient_id": PATIENT,
            "day": date(2026, 1, 5),
            "pain": 6,
            "sleep_hours": 6.5,
            "sleep_quality": 5,
            "stress": 7,
            "mood": "low",
            "note": "Bad night",
            "created_at": at(5),
            "updated_at": at(5),
        },
    ),
    Sample("0002", "habit_logs", {"id": 1, "checkin_id": 1, "habit_id": "wind-down"}),
    Sample(
        "0002",
        "habit_adoptions",
        {"id": 1, "patient_id": PATIENT, "habit_id": "wind-down", "active": True, "adopted_at": at(4)},
    ),
    Sample(
        "0002",
        "alerts",
        {
            "id": 1,
            "enrollment_id": 1,
            "kind": "crisis_words",
            "severity": 0,
            "created_at": at(6),
            "details": {"where": "journal"},
            "state": "acknowledged",
            "acknowledged_by_id": THERAPIST,
            "acknowledged_at": at(6, 12),
            "note": "Called; safe.",
        },
    ),
    Sample(
        "0002",
        "clinical_notes",
        {"id": 1, "enrollment_id": 1, "author_id": THERAPIST, "text": "Session 1 notes", "created_at": at(4)},
    ),
    Sample(
        "0002",
        "measure_responses",
        {
            "id": 1,
            "enrollment_id": 1,
            "measure_id": "pain_now",
            "due_key": "baseline",
            "answers": {"q1": 3, "q2": 4},
            "complete": True,
            "score": 3.5,
            "band": "moderate",
            "created_at": at(2),
            "completed_at": at(2, 10),
        },
    ),
    Sample(
        "0002",
        "audit_events",
        {
            "id": 1,
            "at": at(4),
            "actor_id": THERAPIST,
            "patient_id": PATIENT,
            "action": "view_patient",
            "detail": {"page": "overview"},
        },
    ),
    Sample(
        "0002",
        "pending_submissions",
        {
            "id": 1,
            "token_hash": "b" * 64,
            "kind": "journal-edit",
            "data": {"entry_id": 1, "text": "Kept across an expired session", "revision": 1},
            "user_hint": PATIENT,
            "created_at": at(7),
        },
        becomes={
            "0009": {
                "kind": "form",
                "data": {
                    "page": "/journal/1/edit",
                    "fields": [["text", "Kept across an expired session"], ["revision", "1"]],
                },
            }
        },
    ),
    # 0003: deletion requests.
    Sample("0003", "users", user(LEAVING, "patient", deletion_requested_at=at(9))),
    # 0004: each enrollment's last activity.
    Sample(
        "0004",
        "enrollments",
        {
            "id": 3,
            "patient_id": LEAVING,
            "therapist_id": THERAPIST,
            "started_at": at(8),
            "accepted_terms_at": at(8),
            "paused": False,
            "red_flags": [],
            "last_active_at": at(9),
        },
    ),
    # 0005: notifications.
    Sample(
        "0005",
        "notification_opt_outs",
        {"id": 1, "user_id": PATIENT, "kind": "nudge", "created_at": at(5)},
    ),
    Sample(
        "0005",
        "notifications",
        {
            "id": 1,
            "user_id": THERAPIST,
            "kind": "digest",
            "text": "Daily summary: 1 new alert.",
            "link": "/clinic/",
            "created_at": at(6),
            "read_at": at(6, 13),
        },
    ),
    Sample(
        "0005",
        "sent_messages",
        {"id": 1, "key": "digest:1:2026-01-06", "user_id": THERAPIST, "kind": "digest", "sent_at": at(6)},
    ),
    # Rows 0010 learns the patient of: a notification linking to a patient's page, an alert's email.
    Sample(
        "0005",
        "notifications",
        {
            "id": 2,
            "user_id": THERAPIST,
            "kind": "alert",
            "text": "A safety alert for Person 2.",
            "link": f"/clinic/patients/{PATIENT}/alerts",
            "created_at": at(6),
        },
        becomes={"0010": {"patient_id": PATIENT}},
    ),
    Sample(
        "0005",
        "sent_messages",
        {"id": 2, "key": "alert:1:therapist", "user_id": THERAPIST, "kind": "alert", "sent_at": at(6)},
        becomes={"0010": {"patient_id": PATIENT}},
    ),
    # 0006: stored caseload rows.
    Sample(
        "0006",
        "caseload_entries",
        {
            "enrollment_id": 1,
            "patient_id": PATIENT,
            "therapist_id": THERAPIST,
            "version": 3,
            "computed_at": at(6),
            "fresh_until": at(7),
            "content_key": "c" * 64,
            "rank": 2,
            "sort_name": "person 2",
            "order_key": "person 2\x01Person 2",
            "week": 2,
            "module_title": "Pain is a signal",
            "steps_done": 4,
            "steps_total": 9,
            "checkins_7d": 1,
            "pain_week": 6.0,
            "pain_change": -1.5,
            "unread": 1,
            "open_alerts": 0,
            "finished": False,
            "inactive": False,
            "signals": [["worse", "Pain up this week"]],
        },
    ),
    # 0007 adds an index only.
    # 0008: the clinician's assessment.
    Sample("0008", "users", user(ASSESSED, "patient")),
    Sample(
        "0008",
        "enrollments",
        {
            "id": 4,
            "patient_id": ASSESSED,
            "therapist_id": THERAPIST,
            "started_at": at(10),
            "accepted_terms_at": at(10),
            "paused": False,
            "red_flags": [],
            "assessed_at": at(10, 8),
            "assessed_by_id": THERAPIST,
        },
    ),
    Sample(
        "0008",
        "invites",
        {
            "id": 2,
            "token_hash": "d" * 64,
            "therapist_id": THERAPIST,
            "created_at": at(10),
            "expires_at": at(24),
            "assessed_at": at(10),
        },
    ),
    # 0009: kept forms and one-time keys.
    Sample(
        "0009",
        "pending_submissions",
        {
            "id": 2,
            "token_hash": "e" * 64,
            "kind": "form",
            "data": {"page": "/checkin", "fields": [["pain", "5"], ["note", "Kept"]]},
            "user_hint": PATIENT,
            "created_at": at(11),
        },
    ),
    Sample(
        "0009",
        "submission_keys",
        {"id": 1, "user_id": PATIENT, "key": "f" * 32, "location": "/journal/new", "created_at": at(11)},
    ),
    # 0010: the deletion log; notifications and sent messages name their patient.
    Sample(
        "0010",
        "deletion_log",
        {"id": 1, "user_id": 40, "account_created_at": at(1), "requested_at": at(12), "deleted_at": at(26)},
    ),
    Sample(
        "0010",
        "notifications",
        {
            "id": 3,
            "user_id": THERAPIST,
            "patient_id": ASSESSED,
            "kind": "handover",
            "text": "Person 6 now follows the course with you.",
            "link": f"/clinic/patients/{ASSESSED}",
            "created_at": at(12),
        },
    ),
    Sample(
        "0010",
        "sent_messages",
        {
            "id": 3,
            "key": "handover:4",
            "user_id": ASSESSED,
            "patient_id": ASSESSED,
            "kind": "handover",
            "sent_at": at(12),
        },
    ),
    # 0011: second factors, sign-ins on the server, joins confirmed by email, audit rows naming people gone.
    Sample("0011", "users", user(7, "therapist", totp_secret="JBSWY3DPEHPK3PXP", totp_last_step=59_000_000)),
    Sample(
        "0011",
        "sign_ins",
        {
            "id": 1,
            "user_id": 7,
            "token_hash": "g" * 64,
            "device": "Firefox on Linux",
            "created_at": at(13),
            "last_seen_at": at(13, 10),
            "expires_at": at(13, 21),
        },
    ),
    Sample(
        "0011",
        "passkeys",
        {
            "id": 1,
            "user_id": 7,
            "credential_id": b"\x01\x02credential",
            "public_key": b"\xa5\x01\x02public",
            "sign_count": 3,
            "name": "Office laptop",
            "created_at": at(13),
            "last_used_at": at(14),
        },
    ),
    Sample("0011", "recovery_codes", {"id": 1, "user_id": 7, "code_hash": "h" * 64, "used_at": None}),
    Sample(
        "0011",
        "pending_joins",
        {
            "id": 1,
            "token_hash": "i" * 64,
            "invite_id": 2,
            "email": "sam@example.org",
            "display_name": "Sam",
            "password_hash": "scrypt:32768:8:1$salt$hash",
            "timezone": "Europe/Paris",
            "created_at": at(14),
        },
    ),
    Sample(
        "0011",
        "audit_events",
        {"id": 2, "at": at(27), "actor_id": ADMIN, "patient_id": 40, "action": "erase_patient", "detail": {}},
    ),
    # 0013: practice any day (somatic tracking logs, "try it" experiments).
    Sample(
        "0013",
        "practice_logs",
        {
            "id": 1,
            "patient_id": PATIENT,
            "tool": "somatic-tracking",
            "script_id": "short",
            "day": date(2026, 1, 20),
            "fear_before": 6,
            "fear_after": 3,
            "note": "Calmer – ça va",
            "created_at": at(20),
        },
    ),
    Sample(
        "0013",
        "try_its",
        {
            "id": 1,
            "patient_id": PATIENT,
            "pacing": False,
            "activity": "Bend to tie my shoes",
            "prediction": "My back will lock",
            "predicted": 8,
            "sure": 70,
            "plan": None,
            "outcome": "It was stiff, then fine",
            "actual": 4,
            "created_at": at(21),
            "compared_at": at(22),
        },
    ),
    Sample(
        "0013",
        "reappraisals",
        {
            "id": 1,
            "patient_id": PATIENT,
            "thought": "This means my back is damaged",
            "belief_before": 80,
            "answer": "My pain moved sides last week; damage does not move",
            "belief_after": 40,
            "created_at": at(23),
        },
    ),
    Sample(
        "0013",
        "booster_answers",
        {
            "id": 1,
            "patient_id": PATIENT,
            "booster_id": "month-1",
            "what_helped": "Somatic tracking after breakfast",
            "practise": None,
            "created_at": at(24),
        },
    ),
    # 0014: messages between a patient and their therapist (the review cadence is on the enrollment).
    Sample(
        "0014",
        "messages",
        {
            "id": 1,
            "enrollment_id": 1,
            "from_patient": True,
            "sender_id": PATIENT,
            "text": "Is it normal that the pain moves around? – Zoë",
            "created_at": at(25),
            "read_at": None,
        },
    ),
    Sample(
        "0014",
        "messages",
        {
            "id": 2,
            "enrollment_id": 1,
            "from_patient": False,
            "sender_id": THERAPIST,
            "text": "Yes: a moving pain is a sign of a sensitive alarm, not of damage.",
            "created_at": at(26),
            "read_at": at(27),
        },
    ),
    # 0015: feedback moments, one waiting and one replied to.
    Sample(
        "0015",
        "feedback_requests",
        {
            "id": 1,
            "enrollment_id": 1,
            "module_slug": "evidence",
            "step_id": "evidence-log",
            "asked_at": at(25),
            "reply": "Good clues – Zoë, keep going",
            "replied_at": at(26),
            "replied_by_id": THERAPIST,
        },
    ),
    Sample(
        "0015",
        "feedback_requests",
        {
            "id": 2,
            "enrollment_id": 1,
            "module_slug": "alarm-system",
            "step_id": "alarm-notes",
            "asked_at": at(27),
            "reply": None,
            "replied_at": None,
            "replied_by_id": None,
        },
    ),
]


def _revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory(str(migrations_path()))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


REVISIONS = _revisions()


def _alembic(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    config.attributes["engine"] = engine
    return config


def _written_at(revision: str) -> list[Sample]:
    """The samples a database at `revision` holds."""
    return [s for s in SAMPLES if REVISIONS.index(s.revision) <= REVISIONS.index(revision)]


def _expected(sample: Sample, start: str) -> dict[str, Any]:
    """The row as it should read at the head, after upgrading from `start`."""
    row = dict(sample.row)
    for revision, values in sample.becomes.items():
        if REVISIONS.index(revision) > REVISIONS.index(start):
            row.update(values)
    return row


def _comparable(value: Any) -> Any:
    """A value read through a model, in the form the samples give it."""
    if isinstance(value, datetime):
        assert value.tzinfo == UTC, "times read through the models are aware UTC"
        return value.replace(tzinfo=None)
    return value


def test_samples_name_known_revisions_and_cover_every_table_of_the_models() -> None:
    assert {s.revision for s in SAMPLES} <= set(REVISIONS)
    for sample in SAMPLES:
        assert set(sample.becomes) <= set(REVISIONS)
    missing = {table.name for table in Base.metadata.sorted_tables} - {s.table for s in SAMPLES}
    assert not missing, f"add rows for {sorted(missing)} to SAMPLES in tests/app/test_upgrades.py"


@pytest.mark.parametrize("start", REVISIONS[:-1])
def test_upgrade_from_each_revision_keeps_every_row(start: str, fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    command.upgrade(_alembic(engine), start)
    samples = _written_at(start)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    empty = tables - {s.table for s in samples}
    assert not empty, f"tables with no rows at {start}: {sorted(empty)}; add them to SAMPLES"

    schema = MetaData()
    schema.reflect(engine)
    with engine.begin() as connection:
        for table in schema.sorted_tables:
            rows = [dict(s.row) for s in samples if s.table == table.name]
            if rows:
                for row in rows:  # one at a time: rows may give different columns
                    connection.execute(table.insert(), row)

    command.upgrade(_alembic(engine), "head")

    models = {mapper.local_table.name: mapper for mapper in Base.registry.mappers}
    with Session(engine) as db:
        for sample in samples:
            mapper = models[sample.table]
            key = tuple(sample.row[column.name] for column in mapper.primary_key)
            found = db.get(mapper.class_, key if len(key) > 1 else key[0])
            assert found is not None, f"{sample.table} {key} lost upgrading from {start}"
            expected = _expected(sample, start)
            read = {name: _comparable(getattr(found, name)) for name in expected}
            assert read == expected, f"{sample.table} {key} changed upgrading from {start}"
        # Every row of every table reads through its model (enums, JSON, times): ours, and those the
        # migrations made (caseload rows for earlier enrollments).
        for mapper in models.values():
            for instance in db.scalars(select(mapper.class_)):
                for attribute in mapper.column_attrs:
                    getattr(instance, attribute.key)
    engine.dispose()
