"""A therapist leaving: no deactivation while they follow patients; the admin hands the patients to another
therapist, who gets their alerts and caseload rows; the patients and the new therapist are told."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import extensions
from course.alerts import raise_alert
from course.clock import FrozenClock
from course.models import AuditEvent, CaseloadEntry, Enrollment, Notification, User
from tests.conftest import sign_in_as


def signed_in(app: Flask, user: User) -> Any:
    client = app.test_client()
    sign_in_as(app, client, user)
    return client


def test_therapist_with_patients_is_deactivated_only_through_the_handover(
    app: Flask,
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
    clock: FrozenClock,
) -> None:
    leaving = make_therapist(name="Dr Leaving")
    successor = make_therapist(name="Dr Next")
    make_therapist(name="Dr Gone", active=False)
    patients = [make_patient(leaving, name=f"Patient {n}") for n in (1, 2)]
    others = make_patient(successor)
    alert = raise_alert(db, patients[0].enrollment, "crisis", now=clock(), details={})  # type: ignore[arg-type]
    db.commit()
    signed_in(app, leaving).get("/clinic/")  # the leaving therapist's caseload rows are stored
    ids = {"leaving": leaving.id, "successor": successor.id, "alert": alert.id}
    admin = signed_in(app, make_admin())

    refused = admin.post(f"/admin/therapists/{ids['leaving']}/deactivate")
    assert refused.headers["Location"] == f"/admin/therapists/{ids['leaving']}/handover"
    db.expire_all()
    assert leaving.active
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "deactivate_therapist_refused"))
    assert event is not None
    assert event.detail["therapist_id"] == ids["leaving"]
    assert "patients" in event.detail["reason"]
    page = admin.get(refused.headers["Location"]).data.decode()
    assert "follows 2 patients" in page
    assert "Dr Next" in page
    assert "Dr Gone" not in page  # only active therapists can take over
    assert "Dr Leaving (" not in page  # nor the one leaving

    unchosen = admin.post(f"/admin/therapists/{ids['leaving']}/handover", data={"successor": ""})
    assert unchosen.status_code == 422
    assert "Please choose a therapist." in unchosen.data.decode()
    wrong = admin.post(
        f"/admin/therapists/{ids['leaving']}/handover", data={"successor": str(ids["leaving"])}
    )
    assert wrong.status_code == 422
    assert "Please choose one of the active therapists." in wrong.data.decode()
    db.expire_all()
    assert leaving.active

    done = admin.post(
        f"/admin/therapists/{ids['leaving']}/handover", data={"successor": str(ids["successor"])}
    )
    assert done.status_code == 302
    db.expire_all()
    assert not leaving.active
    enrolled = db.scalars(
        select(Enrollment.therapist_id).where(Enrollment.patient_id.in_([p.id for p in patients]))
    )
    assert set(enrolled) == {ids["successor"]}
    rows = db.scalars(
        select(CaseloadEntry.therapist_id).where(CaseloadEntry.patient_id.in_([p.id for p in patients]))
    )
    assert set(rows) == {ids["successor"]}
    # Told: each patient and the new therapist, by email and in the app.
    mail = {m.to: m for m in app.extensions["course.sent_mail"]}
    for patient in patients:
        assert "From now on Dr Next follows your program" in mail[patient.email].body
        note = db.scalar(select(Notification).where(Notification.user_id == patient.id))
        assert note is not None
        assert note.text.startswith("Dr Next now follows your program")
        assert "Dr Next now follows your program" in signed_in(app, patient).get("/account/").data.decode()
    assert "2 patients of Dr Leaving" in mail[successor.email].body
    assert others.email not in mail
    assert db.scalar(select(Notification.text).where(Notification.user_id == ids["successor"])) == (
        "2 patients of Dr Leaving now in your caseload, with their alerts."
    )
    # The new therapist sees them, with their alert; the audit trail says who did it.
    new = signed_in(app, successor)
    caseload = new.get("/clinic/").data.decode()
    assert "Patient 1" in caseload
    assert "Patient 2" in caseload
    assert f"/clinic/alerts/{ids['alert']}/acknowledge" in new.get("/clinic/alerts").data.decode()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "hand_over_patients"))
    assert event is not None
    assert event.detail == {"therapist_id": ids["leaving"], "successor_id": ids["successor"], "patients": 2}


def test_therapist_without_patients_is_deactivated_at_once(
    app: Flask, db: Session, make_therapist: Callable[..., User], make_admin: Callable[..., User]
) -> None:
    therapist = make_therapist()
    admin = signed_in(app, make_admin())
    assert admin.post(f"/admin/therapists/{therapist.id}/deactivate").headers["Location"] == "/admin/"
    db.expire_all()
    assert not therapist.active
    assert admin.post(f"/admin/therapists/{therapist.id}/reactivate").status_code == 302
    db.expire_all()
    assert therapist.active


def test_handover_without_another_active_therapist_says_what_to_do(
    app: Flask,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
) -> None:
    leaving = make_therapist()
    make_patient(leaving)
    page = signed_in(app, make_admin()).get(f"/admin/therapists/{leaving.id}/handover").data.decode()
    assert "There is no other active therapist" in page
    assert "/admin/therapists/new" in page


def test_the_handover_is_saved_before_anyone_is_told(
    app: Flask,
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
    monkeypatch: Any,
) -> None:
    from course.admin import routes

    leaving, successor = make_therapist(), make_therapist()
    make_patient(leaving)
    ids = {"leaving": leaving.id, "successor": successor.id}
    seen_when_told: list[tuple[int, bool]] = []

    def send_mail(to: str, subject: str, body: str) -> None:
        # What another connection sees as each email goes out: it must be the handover, saved.
        with extensions.sessions(app)() as other:
            therapist_ids = other.scalars(select(Enrollment.therapist_id)).all()
            gone = other.get(User, ids["leaving"])
            assert gone is not None
            seen_when_told.append((therapist_ids[0], gone.active))
        raise OSError("the mail server is down")

    monkeypatch.setattr(routes, "send_mail", send_mail)
    admin = signed_in(app, make_admin())
    response = admin.post(
        f"/admin/therapists/{ids['leaving']}/handover", data={"successor": str(ids["successor"])}
    )
    assert response.status_code == 302
    assert seen_when_told == [(ids["successor"], False)] * 2  # the patient and the successor
    db.expire_all()
    assert db.scalars(select(Enrollment.therapist_id)).all() == [ids["successor"]]
    assert "could not be sent" in admin.get("/admin/therapists").data.decode()
