"""The therapist's workspace: caseload triage, patient page, actions, alerts, exports and audit."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.alerts import raise_alert
from course.clock import FrozenClock
from course.models import AuditEvent, CheckIn, ClinicalNote, Enrollment, ProgramOverride, User
from tests.app.test_patient_page_cost import count_statements
from tests.conftest import sign_in_as


@pytest.fixture
def therapist(make_therapist: Callable[..., User], login: Callable[[User], None]) -> User:
    user = make_therapist()
    login(user)
    return user


def enrollment_of(db: Session, patient: User) -> Enrollment:
    found = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert found is not None
    return found


def add_pain(db: Session, patient: User, today: date, values: dict[int, int]) -> None:
    """Check-ins as the check-in service would store them, including the patient's last activity."""
    latest = None
    for days_ago, pain in values.items():
        at = datetime.combine(today - timedelta(days=days_ago), time(20), tzinfo=UTC) - timedelta(days=1)
        db.add(
            CheckIn(
                patient_id=patient.id,
                day=today - timedelta(days=days_ago),
                pain=pain,
                created_at=at,
                updated_at=at,
            )
        )
        latest = max(latest or at, at)
    enrollment = enrollment_of(db, patient)
    enrollment.last_active_at = latest
    db.commit()


def test_caseload_query_count_does_not_grow_with_patients(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    def render() -> int:
        with count_statements(app) as statements:
            assert client.get("/clinic/").status_code == 200
        return len(statements)

    # The first view after writes recomputes the stale rows; the next one only reads the stored rows.
    for _ in range(10):
        add_pain(db, make_patient(therapist), date(2026, 3, 2), {1: 4, 2: 5})
    ten = (render(), render())
    for _ in range(190):
        add_pain(db, make_patient(therapist), date(2026, 3, 2), {1: 4})
    two_hundred = (render(), render())
    assert ten == two_hundred
    assert max(ten) <= 9  # the eight of the refreshing view, and the audit trail's insert of who was seen
    assert ten[1] < ten[0]
    print(f"caseload statements (refreshing, then fresh): {ten}")


def test_caseload_sorted_by_need(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    start = clock() - timedelta(days=30)
    calm = make_patient(therapist, name="Calm Carla", started_at=start)
    worse = make_patient(therapist, name="Worse Will", started_at=start)
    make_patient(therapist, name="Silent Sam", started_at=start)
    safety = make_patient(therapist, name="Safety Sue", started_at=start)
    today = date(2026, 3, 2)
    add_pain(db, calm, today, {0: 3, 1: 3, 2: 3, 14: 3, 15: 3, 16: 3})
    add_pain(db, worse, today, {0: 7, 1: 7, 2: 7, 14: 4, 15: 4, 16: 4})
    add_pain(db, safety, today, {0: 3, 1: 3, 2: 3})
    raise_alert(db, enrollment_of(db, safety), "crisis", now=clock(), details={"source": "journal"})
    db.commit()
    page = client.get("/clinic/").data.decode()
    assert f'<a href="/clinic/patients/{safety.id}">Safety Sue</a>' in page
    # Safety first, then worsening; Carla (stalled: no step in 30 days) and Sam (silent) share the next rank.
    order = [page.index(name) for name in ("Safety Sue", "Worse Will", "Calm Carla", "Silent Sam")]
    assert order == sorted(order)
    assert "Pain up 3.0 points over two weeks" in page
    assert "No activity since joining 30 days ago" in page
    assert "Module open 30 days, no step done yet" in page


def test_caseload_filters_search_and_pages(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    for i in range(55):
        make_patient(therapist, name=f"Patient {i:02d}")
    alerted = make_patient(therapist, name="Zed Alerted")
    raise_alert(db, enrollment_of(db, alerted), "worsening", now=clock(), details={})
    db.commit()
    first = client.get("/clinic/").data.decode()
    assert "Page 1 of 2" in first
    assert "56 of 56 patients" in first
    assert "Zed Alerted" in client.get("/clinic/?show=alerts").data.decode()
    assert "Patient 01" not in client.get("/clinic/?show=alerts").data.decode()
    searched = client.get("/clinic/?q=patient%2003").data.decode()
    assert "Patient 03" in searched
    assert "1 of 56 patients" in searched


def test_caseload_shows_only_own_patients(
    client: Any, therapist: User, make_patient: Callable[..., User], make_therapist: Callable[..., User]
) -> None:
    make_patient(therapist, name="Mine")
    other = make_patient(make_therapist(), name="Not Mine")
    page = client.get("/clinic/").data.decode()
    assert "Mine" in page
    assert "Not Mine" not in page
    assert client.get(f"/clinic/patients/{other.id}").status_code == 404
    assert client.post(f"/clinic/patients/{other.id}/pause").status_code == 404


def test_patient_actions_are_recorded_and_shown(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient(therapist)
    url = f"/clinic/patients/{patient.id}"
    assert "Open week 2 now" in client.get(url).data.decode()
    assert client.post(f"{url}/unlock", data={"unlock-reason": "Ready early"}).status_code == 302
    assert "Open week 3 now" in client.get(url).data.decode()
    clock.advance(minutes=10)
    client.post(f"{url}/pause", data={"pause-reason": "Surgery next week"})
    clock.advance(minutes=10)
    client.post(f"{url}/resume")
    clock.advance(minutes=10)
    client.post(f"{url}/note", data={"text": "Discussed pacing on the phone."})
    assert client.post(f"{url}/note", data={"text": ""}).status_code == 422
    kinds = [o.kind.value for o in db.scalars(select(ProgramOverride).order_by(ProgramOverride.at))]
    assert kinds == ["unlock_next", "pause", "resume"]
    page = client.get(url).data.decode()
    assert "opened the next module early: Ready early" in page
    assert "paused the program: Surgery next week" in page
    assert "Discussed pacing on the phone." in page
    assert db.scalar(select(func.count(ClinicalNote.id))) == 1
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"pacing_unlock", "pacing_pause", "pacing_resume", "add_note", "view_patient"} <= actions


def test_pause_twice_is_refused_plainly(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User]
) -> None:
    patient = make_patient(therapist)
    client.post(f"/clinic/patients/{patient.id}/pause")
    response = client.post(f"/clinic/patients/{patient.id}/pause", follow_redirects=True)
    assert "already paused" in response.data.decode()


def test_alert_inbox_acknowledge_with_note(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient(therapist, name="Needs Call")
    alert = raise_alert(db, enrollment_of(db, patient), "crisis", now=clock(), details={"source": "journal"})
    db.commit()
    inbox = client.get("/clinic/alerts").data.decode()
    assert "Crisis help was shown" in inbox
    assert "Needs Call" in inbox
    client.post(
        f"/clinic/alerts/{alert.id}/acknowledge", data={f"alert-{alert.id}-note": "Called; safe, seeing GP."}
    )
    after = client.get("/clinic/alerts").data.decode()
    assert "No open alerts." in after
    assert "Called; safe, seeing GP." in after
    assert (
        "acknowledged the alert: Called; safe, seeing GP."
        in client.get(f"/clinic/patients/{patient.id}").data.decode()
    )


def test_work_page_shows_completed_answers(
    app: Flask, client: Any, therapist: User, make_patient: Callable[..., User]
) -> None:
    patient = make_patient(therapist)
    browser = app.test_client()
    sign_in_as(app, browser, patient)
    browser.post("/learn/first/intro", data={"submit": "y"})
    browser.post(
        "/learn/first/alarm",
        data={"alarm_says": "It shouts <loud>", "evidence-0-what": "Meeting", "submit": "y"},
    )
    page = client.get(f"/clinic/patients/{patient.id}/work").data.decode()
    assert "It shouts &lt;loud&gt;" in page
    assert "Meeting" in page


def test_caseload_csv_with_and_without_names(
    app: Flask, client: Any, db: Session, therapist: User, make_patient: Callable[..., User]
) -> None:
    make_patient(therapist, name="=HYPERLINK(1)")
    named = list(csv.reader(io.StringIO(client.get("/clinic/export.csv").data.decode())))
    assert named[0][:3] == ["patient", "email", "started"]
    assert named[1][0] == "'=HYPERLINK(1)"
    first = client.get("/clinic/export.csv?deidentified=1").data.decode()
    second = client.get("/clinic/export.csv?deidentified=1").data.decode()
    rows = list(csv.reader(io.StringIO(first)))
    assert "email" not in rows[0]
    assert rows[1][0].startswith("P-")
    assert "HYPERLINK" not in first
    assert first == second  # stable pseudonyms
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "export_caseload")) == 3


def test_admin_audit_trail_filters_and_csv(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
) -> None:
    patient = make_patient(therapist)
    client.get(f"/clinic/patients/{patient.id}")
    admin_browser = app.test_client()
    sign_in_as(app, admin_browser, make_admin())
    page = admin_browser.get(f"/admin/audit?patient={patient.id}").data.decode()
    assert "view_patient" in page
    assert therapist.email in page
    assert admin_browser.get("/admin/audit?patient=abc").status_code == 422
    exported = admin_browser.get(
        f"/admin/audit.csv?action=view_patient&actor={therapist.email}"
    ).data.decode()
    assert exported.splitlines()[0] == "at_utc,actor,patient_id,action,detail"
    assert len(exported.splitlines()) == 2
    assert (
        admin_browser.get(f"/clinic/patients/{patient.id}").status_code == 403
    )  # admins do not read patients
