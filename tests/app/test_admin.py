"""Admins list, add, deactivate and reactivate therapists; nothing is deleted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from course.models import Role, User
from tests.conftest import TEST_PASSWORD, sign_in_as

NEW = {
    "display_name": "New Therapist",
    "email": "new@example.org",
    "timezone": "UTC",
    "password": "first password!",
    "confirm": "first password!",
}


def test_admin_adds_therapist_who_can_sign_in(
    client: Any, db: Session, make_admin: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_admin())
    response = client.post("/admin/therapists/new", data=NEW)
    assert response.status_code == 302
    assert b"New Therapist" in client.get("/admin/").data
    client.post("/auth/logout")
    assert (
        client.post(
            "/auth/login", data={"email": "new@example.org", "password": "first password!"}
        ).status_code
        == 302
    )


def test_admin_add_duplicate_email_keeps_input(
    client: Any,
    make_admin: Callable[..., User],
    make_therapist: Callable[..., User],
    login: Callable[[User], None],
) -> None:
    existing = make_therapist()
    login(make_admin())
    response = client.post("/admin/therapists/new", data={**NEW, "email": existing.email})
    assert response.status_code == 422
    assert b"already exists" in response.data
    assert b'value="New Therapist"' in response.data


def test_admin_deactivate_blocks_sign_in_and_keeps_account(
    client: Any,
    db: Session,
    make_admin: Callable[..., User],
    make_therapist: Callable[..., User],
    login: Callable[[User], None],
) -> None:
    therapist = make_therapist()
    login(make_admin())
    assert client.post(f"/admin/therapists/{therapist.id}/deactivate").status_code == 302
    client.post("/auth/logout")
    assert (
        client.post("/auth/login", data={"email": therapist.email, "password": TEST_PASSWORD}).status_code
        == 422
    )
    db.expire_all()
    kept = db.scalar(select(User).where(User.id == therapist.id))
    assert kept is not None
    assert not kept.active
    assert kept.deactivated_at is not None
    login(make_admin())
    client.post(f"/admin/therapists/{therapist.id}/reactivate")
    client.post("/auth/logout")
    assert (
        client.post("/auth/login", data={"email": therapist.email, "password": TEST_PASSWORD}).status_code
        == 302
    )


def test_admin_deactivate_ends_existing_session(
    app: Any, make_admin: Callable[..., User], make_therapist: Callable[..., User]
) -> None:
    therapist = make_therapist()
    therapist_browser, admin_browser = app.test_client(), app.test_client()
    for browser, user in ((therapist_browser, therapist), (admin_browser, make_admin())):
        sign_in_as(app, browser, user)
    assert therapist_browser.get("/clinic/").status_code == 200
    admin_browser.post(f"/admin/therapists/{therapist.id}/deactivate")
    assert therapist_browser.get("/clinic/").status_code == 302


def test_admin_cannot_deactivate_a_patient_by_id(
    client: Any,
    make_admin: Callable[..., User],
    make_patient: Callable[..., User],
    login: Callable[[User], None],
) -> None:
    patient = make_patient()
    login(make_admin())
    assert client.post(f"/admin/therapists/{patient.id}/deactivate").status_code == 404


def test_cli_create_user_asks_for_password(runner: Any, db: Session) -> None:
    result = runner.invoke(
        args=["create-user", "--role", "therapist", "--email", "Cli@Example.org"],
        input="a cli password\na cli password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "cli@example.org"))
    assert user is not None
    assert user.role == Role.THERAPIST


def test_cli_create_user_short_password_refused(runner: Any) -> None:
    result = runner.invoke(
        args=["create-user", "--role", "admin", "--email", "a@example.org"], input="short\nshort\n"
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
