"""The caseload's stored rows (course/clinic/summary.py) always say what a full computation says: after each
kind of write, and as time passes (days, local midnights in several time zones, module openings)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from course import extensions
from course.alerts import acknowledge, raise_alert
from course.clinic import summary
from course.clinic.services import caseload
from course.clock import FrozenClock
from course.enrollment import record_override
from course.models import (
    CaseloadEntry,
    CheckIn,
    Enrollment,
    JournalEntry,
    OverrideKind,
    StepProgress,
    StepStatus,
    User,
)

Shown = tuple[Any, ...]


def listed(db: Session, app: Flask, therapist: User, now: datetime) -> list[Shown]:
    """Every row as the page would list it (stale rows refreshed first), in page order."""
    catalog = extensions.catalog(app)
    lines: list[Shown] = []
    number = 1
    while True:
        shown = summary.page(db, therapist, catalog, now, "all", "", number)
        lines += [_shown(line) for line in shown.lines]
        if number >= shown.pages:
            return lines
        number += 1


def computed(db: Session, app: Flask, therapist: User, now: datetime) -> list[Shown]:
    """Every row computed from scratch, in the caseload's order."""
    return [_shown(row) for row in caseload(db, therapist, extensions.catalog(app), now)]


def _shown(row: Any) -> Shown:
    return (
        row.name,
        row.patient_id,
        row.paused,
        row.finished,
        tuple((s.kind, s.text) for s in row.signals),
        row.week,
        row.module_title,
        row.steps_done,
        row.steps_total,
        row.last_active,
        row.checkins_7d,
        row.pain_week,
        row.pain_change,
        row.unread,
        row.open_alerts,
    )


def agree(db: Session, app: Flask, therapist: User, now: datetime) -> list[Shown]:
    db.expire_all()
    cached = listed(db, app, therapist, now)
    db.commit()
    db.expire_all()
    assert cached == computed(db, app, therapist, now)
    return cached


def enrollment_of(db: Session, patient: User) -> Enrollment:
    found = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert found is not None
    return found


def complete(db: Session, patient: User, slug: str, step: str, at: datetime) -> None:
    db.add(
        StepProgress(
            enrollment_id=enrollment_of(db, patient).id,
            module_slug=slug,
            step_id=step,
            status=StepStatus.COMPLETE,
            started_at=at,
            updated_at=at,
            completed_at=at,
        )
    )
    enrollment_of(db, patient).last_active_at = at
    db.commit()


def checkin(db: Session, patient: User, day: date, pain: int, at: datetime) -> None:
    db.add(CheckIn(patient_id=patient.id, day=day, pain=pain, created_at=at, updated_at=at))
    enrollment_of(db, patient).last_active_at = at
    db.commit()


@pytest.fixture
def therapist(make_therapist: Callable[..., User]) -> User:
    return make_therapist()


def test_every_kind_of_write_shows_at_once(
    app: Flask,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    start = clock() - timedelta(days=20)
    ann = make_patient(therapist, name="Ann", started_at=start)
    bob = make_patient(therapist, name="Bob", started_at=start, timezone="America/Los_Angeles")
    first = agree(db, app, therapist, clock())
    assert [row[0] for row in first] == ["Ann", "Bob"]

    missed = []
    for label, who, write in [
        ("a step", ann, lambda: complete(db, ann, "first", "intro", clock())),
        ("a check-in", bob, lambda: checkin(db, bob, date(2026, 3, 1), 7, clock())),
        ("a second check-in", bob, lambda: checkin(db, bob, date(2026, 2, 28), 2, clock())),
        ("a shared entry", ann, lambda: _share(db, ann, clock())),
        ("the therapist reads it", ann, lambda: _read_all(db, ann, clock())),
        ("a safety alert", bob, lambda: _alert(db, bob, clock())),
        ("the alert acknowledged", bob, lambda: _acknowledge_all(db, bob, therapist, clock())),
        ("a pause", ann, lambda: _override(db, ann, therapist, OverrideKind.PAUSE, clock())),
        ("a resume", ann, lambda: _override(db, ann, therapist, OverrideKind.RESUME, clock())),
        ("an early unlock", bob, lambda: _override(db, bob, therapist, OverrideKind.UNLOCK_NEXT, clock())),
        ("a new name", bob, lambda: _rename(db, bob, "Aaron")),
        ("a new time zone", ann, lambda: _rezone(db, ann, "Pacific/Auckland")),
        ("a path change", ann, lambda: _pem(db, ann)),
    ]:
        agree(db, app, therapist, clock())
        before = _version(db, who)
        write()
        clock.advance(minutes=1)
        if _version(db, who) == before:
            missed.append(label)
        agree(db, app, therapist, clock())
    assert missed == []
    make_patient(therapist, name="Cy", started_at=start)
    assert sorted(row[0] for row in agree(db, app, therapist, clock())) == ["Aaron", "Ann", "Cy"]


def _version(db: Session, patient: User) -> int:
    db.expire_all()
    entry = db.get(CaseloadEntry, enrollment_of(db, patient).id)
    assert entry is not None
    return entry.version


def test_a_check_in_through_the_app_updates_the_row(
    app: Flask,
    db: Session,
    client: Any,
    login: Callable[[User], None],
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    patient = make_patient(therapist, name="Dee")
    agree(db, app, therapist, clock())
    login(patient)
    response = client.post("/checkin", data={"pain": "6", "sleep_hours": "7", "stress": "3"})
    assert response.status_code == 302
    rows = agree(db, app, therapist, clock())
    assert rows[0][10] == 1
    assert rows[0][11] == 6.0


def test_rows_stay_true_as_time_passes(
    app: Flask, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    """Walk 28 days in uneven steps with patients in five time zones; no write happens during the walk,
    so only `fresh_until` keeps the stored rows true (silent after 7 days, stalled after 10, pain windows
    moving at each local midnight, modules opening at local midnight)."""
    now = clock()
    zones = ["UTC", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata", "Europe/London"]
    for i, zone in enumerate(zones):
        # Patient i last checked in i days ago, so each falls silent on a different day of the walk; those
        # with no step done for a while stall first.
        start = now - timedelta(days=12 + i, hours=5 * i)
        patient = make_patient(therapist, name=f"P{i}", started_at=start, timezone=zone)
        for step in ("intro", "alarm", "evidence")[: i % 4]:
            complete(db, patient, "first", step, start + timedelta(hours=30 + 20 * i))
        for day in range(11, i - 1, -1):
            local = (now - timedelta(days=day)).date()
            at = datetime.combine(local, time(12), tzinfo=UTC) - timedelta(hours=3 * i)
            checkin(db, patient, local, (day * (i + 1)) % 11 if day < 4 else 1, min(at, now))
    make_patient(therapist, name="New", started_at=now - timedelta(days=2, hours=7), timezone="Asia/Tokyo")
    raise_alert(db, enrollment_of(db, patient), "crisis", now=now, details={"source": "test"})
    db.commit()
    changes = 0
    previous = agree(db, app, therapist, clock())
    # Steps shorter than the hours between a threshold (7 days silent, 10 days stalled, each further day)
    # and the next local midnight, so a row kept past its change is seen.
    for hours in [1, 2, 3, 2, 1, 3] * 55:
        clock.advance(hours=hours, minutes=7)
        shown = agree(db, app, therapist, clock())
        changes += shown != previous
        previous = shown
    assert changes > 10  # time really changed what the caseload says


def test_a_refresh_never_overwrites_a_newer_write(
    app: Flask, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    """A refresh that read the data before a write landed must not mark its row fresh."""
    patient = make_patient(therapist, name="Eve")
    agree(db, app, therapist, clock())
    enrollment = enrollment_of(db, patient)
    entry = db.get(CaseloadEntry, enrollment.id)
    assert entry is not None
    assert entry.fresh_until is not None
    version = entry.version
    checkin(db, patient, date(2026, 3, 2), 9, clock())
    db.refresh(entry)
    assert entry.fresh_until is None
    assert entry.version > version
    # A slow refresh that read the data at the old version now writes: nothing changes.
    db.execute(
        update(CaseloadEntry)
        .where(CaseloadEntry.enrollment_id == enrollment.id, CaseloadEntry.version == version)
        .values(fresh_until=clock() + timedelta(days=1), checkins_7d=0)
    )
    db.commit()
    db.refresh(entry)
    assert entry.fresh_until is None
    agree(db, app, therapist, clock())


def test_rows_written_without_the_orm_and_new_content_are_computed(
    app: Flask, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient(therapist, name="Flo")
    db.execute(CaseloadEntry.__table__.delete())
    db.commit()
    rows = agree(db, app, therapist, clock())
    assert [row[0] for row in rows] == ["Flo"]
    assert db.get(CaseloadEntry, enrollment_of(db, patient).id) is not None
    db.execute(update(CaseloadEntry).values(content_key="old program", week=99))
    db.commit()
    assert agree(db, app, therapist, clock())[0][5] != 99


def test_fresh_rows_are_not_recomputed(
    app: Flask, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    for name in ("Gus", "Hal", "Ida"):
        make_patient(therapist, name=name)
    catalog = extensions.catalog(app)
    assert summary.refresh(db, therapist, catalog, clock()) == 3
    db.commit()
    assert summary.refresh(db, therapist, catalog, clock()) == 0
    checkin(db, db.scalar(select(User).where(User.display_name == "Hal")), date(2026, 3, 2), 4, clock())
    assert summary.refresh(db, therapist, catalog, clock()) == 1


def _share(db: Session, patient: User, now: datetime) -> None:
    db.add(
        JournalEntry(
            patient_id=patient.id, text="Shared", shared=True, shared_at=now, created_at=now, updated_at=now
        )
    )
    db.commit()


def _read_all(db: Session, patient: User, now: datetime) -> None:
    for entry in db.scalars(select(JournalEntry).where(JournalEntry.patient_id == patient.id)):
        entry.therapist_read_at = now
    db.commit()


def _alert(db: Session, patient: User, now: datetime) -> None:
    raise_alert(db, enrollment_of(db, patient), "crisis", now=now, details={"source": "test"})
    db.commit()


def _acknowledge_all(db: Session, patient: User, therapist: User, now: datetime) -> None:
    from course.models import Alert

    for alert in db.scalars(select(Alert).where(Alert.enrollment_id == enrollment_of(db, patient).id)):
        acknowledge(db, alert, by=therapist, now=now, note=None)
    db.commit()


def _override(db: Session, patient: User, therapist: User, kind: OverrideKind, now: datetime) -> None:
    record_override(db, enrollment_of(db, patient), kind, by=therapist, now=now, reason=None)
    db.commit()


def _rename(db: Session, patient: User, name: str) -> None:
    patient.display_name = name
    db.commit()


def _rezone(db: Session, patient: User, zone: str) -> None:
    patient.timezone = zone
    db.commit()


def _pem(db: Session, patient: User) -> None:
    enrollment_of(db, patient).pem = True
    db.commit()


def test_name_search_is_literal_and_ignores_case(
    app: Flask, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    for name in ("Ann 50% Lee", "Ann 5000 Lee", "Bo_b", "Bosb", "Jörg Straße", "Sam O'Neil"):
        make_patient(therapist, name=name)
    catalog = extensions.catalog(app)

    def found(query: str) -> list[str]:
        return sorted(
            line.name for line in summary.page(db, therapist, catalog, clock(), "all", query, 1).lines
        )

    assert found("50%") == ["Ann 50% Lee"]
    assert found("o_b") == ["Bo_b"]
    assert found("STRASSE") == ["Jörg Straße"]
    assert found("  jÖRG ") == ["Jörg Straße"]
    assert found("o'n") == ["Sam O'Neil"]
    assert found("\\") == []
    assert len(found("")) == 6
