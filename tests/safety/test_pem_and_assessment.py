"""Post-exertional malaise switches the path from inside the course too; week 1 waits for the assessment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import extensions
from course.clock import FrozenClock
from course.content.model import Catalog
from course.models import Alert, AuditEvent, Enrollment, User
from course.safety import PEM_ANSWERS, RED_FLAGS
from course.steps.kinds.exercise import Exercise
from tests.app.test_invites import join_and_confirm
from tests.safety.test_crisis_everywhere import patient_with_everything_open, sign_in

PROGRAM = Path(__file__).parent.parent.parent / "modules"
NO_FLAGS = {f"flag_{flag.id.replace('-', '_')}": "no" for flag in RED_FLAGS}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "COURSE_CONTENT_DIR": str(PROGRAM)}


def enrollment_of(db: Session, patient: User) -> Enrollment:
    db.expire_all()
    found = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert found is not None
    return found


def pem_questions(catalog: Catalog) -> list[tuple[str, str, str]]:
    """(module, step, field) of every question in the program that asks about post-exertional malaise."""
    return [
        (module.slug, step.id, spec.id)
        for module in catalog.modules
        for step in module.steps
        if isinstance(step, Exercise)
        for spec in step.fields
        if spec.pem_question
    ]


def test_the_program_asks_about_pem_inside_the_movement_week(app: Flask) -> None:
    found = pem_questions(extensions.catalog(app))
    assert ("movement", "fear-ladder", "pem-screen") in found


@pytest.mark.parametrize("answer", sorted(PEM_ANSWERS))
def test_a_pem_answer_in_a_step_switches_to_pacing_and_alerts(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    make_therapist: Callable[..., User],
    clock: FrozenClock,
    answer: str,
) -> None:
    catalog: Catalog = extensions.catalog(app)
    patient = patient_with_everything_open(db, make_patient, make_therapist(), catalog, clock(), pem=False)
    sign_in(client, patient)
    for module_slug, step_id, field_id in pem_questions(catalog):
        url = f"/learn/{module_slug}/{step_id}"
        response = client.post(url, data={field_id.replace("-", "_"): answer, "save": "y"})
        assert response.headers["Location"] == f"/learn/{module_slug}"
        assert enrollment_of(db, patient).pem is True
        (alert,) = db.scalars(select(Alert)).all()
        assert alert.kind == "pem"
        assert alert.details["source"] == "step"
        assert alert.details["answer"] == answer
        page = client.get(f"/learn/{module_slug}").data.decode()
        assert "this week is now about pacing" in page
        pacing = {s.id for s in catalog.module(module_slug).steps_for("pacing")}  # type: ignore[union-attr]
        standard_only = {s.id for s in catalog.module(module_slug).steps if s.path == "standard"}  # type: ignore[union-attr]
        for step_only_on_standard in standard_only:
            assert f'/learn/{module_slug}/{step_only_on_standard}"' not in page
        assert any(f'/learn/{module_slug}/{sid}"' in page for sid in pacing)
        # Answering again does not alert again.
        client.post(url, data={field_id.replace("-", "_"): answer, "save": "y"})
        assert len(db.scalars(select(Alert)).all()) == 1
        break


def test_a_no_answer_keeps_the_path(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    make_therapist: Callable[..., User],
    clock: FrozenClock,
) -> None:
    catalog: Catalog = extensions.catalog(app)
    patient = patient_with_everything_open(db, make_patient, make_therapist(), catalog, clock(), pem=False)
    sign_in(client, patient)
    module_slug, step_id, field_id = pem_questions(catalog)[0]
    response = client.post(
        f"/learn/{module_slug}/{step_id}", data={field_id.replace("-", "_"): "no", "save": "y"}
    )
    assert response.headers["Location"] == f"/learn/{module_slug}/{step_id}"
    assert enrollment_of(db, patient).pem is False
    assert db.scalars(select(Alert)).all() == []


def test_week_one_waits_for_the_recorded_assessment(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    make_therapist: Callable[..., User],
    clock: FrozenClock,
) -> None:
    therapist = make_therapist()
    patient = make_patient(therapist, screened=False, assessed=False)
    sign_in(client, patient)
    client.post("/screening", data={**NO_FLAGS, "pem": "no"})
    home = client.get("/learn/").data.decode()
    assert "Week 1 opens soon" in home
    assert client.get("/learn/alarm-system").headers["Location"] == "/screening"
    assert (
        "Your therapist will record that this check has been done" in client.get("/screening").data.decode()
    )

    staff = app.test_client()
    sign_in(staff, therapist)
    caseload = staff.get("/clinic/").data.decode()
    assert "Week 1 waits for you to record their assessment" in caseload
    page = staff.get(f"/clinic/patients/{patient.id}").data.decode()
    assert "Before week 1 opens" in page
    unticked = staff.post(f"/clinic/patients/{patient.id}/assessment", data={"submit": "y"})
    assert unticked.status_code == 302
    assert enrollment_of(db, patient).assessed_at is None
    staff.post(f"/clinic/patients/{patient.id}/assessment", data={"confirm": "y", "submit": "y"})
    enrollment = enrollment_of(db, patient)
    assert enrollment.assessed_at == clock()
    assert enrollment.assessed_by_id == therapist.id
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)).all()
    assert "record_assessment" in actions
    assert client.get("/learn/alarm-system").status_code == 200
    assert "Week 1 waits" not in staff.get("/clinic/").data.decode()


def test_an_invite_can_record_the_assessment(
    app: Flask, client: FlaskClient, db: Session, make_therapist: Callable[..., User]
) -> None:
    therapist = make_therapist()
    staff = app.test_client()
    sign_in(staff, therapist)
    page = staff.post(
        "/clinic/invites", data={"assessed": "y", "submit": "y"}, follow_redirects=True
    ).data.decode()
    token = page.split("/auth/join/")[1].split('"')[0].split("<")[0]
    data = {
        "display_name": "Pat",
        "email": "pat@example.org",
        "password": "a long and unusual passphrase 42",
        "confirm": "a long and unusual passphrase 42",
        "timezone": "UTC",
        "accept": "y",
    }
    assert join_and_confirm(app, client, f"/auth/join/{token}", data).status_code == 302
    patient = db.scalar(select(User).where(User.email == "pat@example.org"))
    assert patient is not None
    enrollment = enrollment_of(db, patient)
    assert enrollment.assessed_at is not None
    assert enrollment.assessed_by_id == therapist.id
