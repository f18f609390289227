"""The security tests' world: a patient with shared, private and deleted entries, an alert and a feedback
moment waiting for a reply, their own therapist, another patient and therapist, and an admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from course.alerts import raise_alert
from course.clock import FrozenClock
from course.journal.services import create_entry, set_shared
from course.models import FeedbackRequest, TryIt, User


@pytest.fixture
def world(
    db: Session,
    make_patient: Callable[..., User],
    make_therapist: Callable[..., User],
    make_admin: Callable[..., User],
    clock: FrozenClock,
) -> dict[str, Any]:
    own, other = make_therapist(), make_therapist()
    patient = make_patient(own)
    shared = create_entry(db, patient, "Shared", now=clock()).entry
    set_shared(shared, True, clock())
    private = create_entry(db, patient, "Private", now=clock()).entry
    deleted = create_entry(db, patient, "Deleted", now=clock()).entry
    deleted.deleted_at = clock()
    alert = raise_alert(db, patient.enrollment, "crisis", now=clock(), details={})  # type: ignore[arg-type]
    try_it = TryIt(patient_id=patient.id, activity="A walk", prediction="It will hurt", predicted=8)
    db.add(try_it)
    # A feedback moment the patient finished, waiting for the therapist's reply.
    feedback = FeedbackRequest(
        enrollment_id=patient.enrollment.id,  # type: ignore[union-attr]
        module_slug="first",
        step_id="alarm",
        asked_at=clock(),
    )
    db.add(feedback)
    db.commit()
    people = {
        "patient": patient,
        "other_patient": make_patient(other),
        "own_therapist": own,
        "other_therapist": other,
        "admin": make_admin(),
    }
    ids = {
        "patient_id": patient.id,
        "therapist_id": other.id,
        "entry_id": shared.id,
        "private_entry_id": private.id,
        "deleted_entry_id": deleted.id,
        "alert_id": alert.id,
        "try_it_id": try_it.id,
        "feedback_id": feedback.id,
    }
    return {"people": people, "ids": ids}
