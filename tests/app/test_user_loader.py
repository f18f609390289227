"""The user loader loads the signed-in user and their enrollment with the ORM into the request's session:
every column as stored, relationships that load on use, changes saved; the same on SQLite and PostgreSQL,
for a reading request (GET, on PostgreSQL a session in autocommit) as for a writing one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from course.auth.session import load_user
from course.db import get_db
from course.models import Enrollment, User
from tests.conftest import signed_in_request


def columns_of(obj: object) -> dict[str, object]:
    mapper = inspect(type(obj))
    return {prop.key: getattr(obj, prop.key) for prop in mapper.column_attrs}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_loaded_patient_and_enrollment_equal_what_the_orm_loads(
    app: Flask, db: Session, make_patient: Callable[..., User], method: str
) -> None:
    patient = make_patient(timezone="Europe/Paris", pem=True)
    expected_user = columns_of(patient)
    expected_enrollment = columns_of(patient.enrollment)
    with signed_in_request(app, patient, "/learn/", method=method):
        user = load_user(patient.get_id())
        assert user is not None
        assert columns_of(user) == expected_user
        assert user.enrollment is not None
        assert columns_of(user.enrollment) == expected_enrollment
        assert user.enrollment.patient is user
        session = get_db()
        assert inspect(user).persistent
        assert inspect(user.enrollment).persistent
        assert user in session
        assert not session.dirty  # loaded, not changed
        # A relationship it did not load comes on first use, as from any loaded object.
        assert user.enrollment.therapist.id == patient.enrollment.therapist_id  # type: ignore[union-attr]
        assert [o.kind for o in user.enrollment.overrides] == []


def test_changes_to_the_loaded_user_are_saved(
    app: Flask, db: Session, make_patient: Callable[..., User]
) -> None:
    patient = make_patient()
    with signed_in_request(app, patient):
        user = load_user(patient.get_id())
        assert user is not None
        assert user.enrollment is not None
        user.timezone = "Asia/Tokyo"
        user.enrollment.pem = True
        get_db().commit()
    db.expire_all()
    assert db.scalar(select(User.timezone).where(User.id == patient.id)) == "Asia/Tokyo"
    assert db.scalar(select(Enrollment.pem).where(Enrollment.patient_id == patient.id)) is True


def test_staff_have_no_enrollment(app: Flask, make_therapist: Callable[..., User]) -> None:
    therapist = make_therapist()
    with signed_in_request(app, therapist):
        user = load_user(therapist.get_id())
        assert user is not None
        assert user.id == therapist.id
        assert user.enrollment is None


def test_stale_version_inactive_and_unknown_identities_load_nobody(
    app: Flask, db: Session, make_patient: Callable[..., User]
) -> None:
    patient = make_patient()
    gone = make_patient()
    gone.active = False
    db.commit()
    with signed_in_request(app, patient):
        assert load_user(f"{patient.id}:{patient.session_version + 1}") is None
        assert load_user(gone.get_id()) is None
        assert load_user("999999:1") is None
        assert load_user("x:1") is None
        assert load_user(f"{patient.id}:") is None


def test_user_already_in_the_session_is_the_one_returned(
    app: Flask, make_patient: Callable[..., User]
) -> None:
    patient = make_patient()
    with signed_in_request(app, patient):
        session = get_db()
        already = session.get(User, patient.id)
        assert load_user(patient.get_id()) is already
