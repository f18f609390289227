"""Signing in and out, remember me, safe redirects, password reset."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from course.accounts import create_user, set_password
from course.clock import FrozenClock
from course.models import Role, User
from tests.conftest import TEST_PASSWORD, sign_in_through_pages


def sign_in(client: Any, email: str, password: str = TEST_PASSWORD, **extra: Any) -> Any:
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


def test_login_correct_password_goes_to_role_home(
    client: Any, make_patient: Callable[..., User], make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    response = sign_in(client, make_patient().email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/learn/"
    client.post("/auth/logout")
    staff = sign_in_through_pages(client, make_therapist(), clock)
    assert staff.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/clinic/"


def test_login_email_ignores_case(client: Any, make_therapist: Callable[..., User]) -> None:
    therapist = make_therapist(email="Dana@Example.org")
    assert therapist.email == "dana@example.org"
    assert sign_in(client, "DANA@example.ORG").status_code == 302


def test_login_wrong_password_keeps_email_and_says_why(
    client: Any, make_therapist: Callable[..., User]
) -> None:
    therapist = make_therapist()
    response = sign_in(client, therapist.email, "wrong password")
    assert response.status_code == 422
    assert b"do not match an active account" in response.data
    assert f'value="{therapist.email}"'.encode() in response.data


def test_login_unknown_email_says_the_same(client: Any) -> None:
    response = sign_in(client, "nobody@example.org", "whatever12345")
    assert response.status_code == 422
    assert b"do not match an active account" in response.data


def test_login_deactivated_account_refused(client: Any, make_therapist: Callable[..., User]) -> None:
    therapist = make_therapist(active=False)
    assert sign_in(client, therapist.email).status_code == 422


def test_login_next_only_to_this_host(client: Any, make_patient: Callable[..., User]) -> None:
    therapist = make_patient()
    ok = client.post(
        "/auth/login?next=/journal/new", data={"email": therapist.email, "password": TEST_PASSWORD}
    )
    assert ok.headers["Location"] == "/journal/new"
    client.post("/auth/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            f"/auth/login?next={evil}", data={"email": therapist.email, "password": TEST_PASSWORD}
        )
        assert response.headers["Location"] == "/", evil
        client.post("/auth/logout")


def test_login_keep_me_signed_in_lasts_for_patients_never_for_staff(
    client: Any, make_patient: Callable[..., User], make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    response = sign_in(client, make_patient().email, remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") and "Expires=" in c for c in cookies)
    assert not any(
        c.startswith("remember_token=") for c in cookies
    )  # the sign-in on the server is what lasts
    client.post("/auth/logout")
    staff = sign_in_through_pages(client, make_therapist(), clock, remember="y")
    cookies = staff.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") and "Expires=" not in c for c in cookies)  # ends with the browser


def test_logout_needs_post(
    client: Any, make_therapist: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_therapist())
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/clinic/").status_code == 302


def test_password_change_signs_out_other_sessions(
    app: Flask, client: Any, db: Session, make_therapist: Callable[..., User], login: Callable[[User], None]
) -> None:
    therapist = make_therapist()
    login(therapist)
    assert client.get("/clinic/").status_code == 200
    set_password(therapist, "a brand new password")
    db.commit()
    assert client.get("/clinic/").status_code == 302


def test_create_user_uses_modern_hash_and_refuses_duplicate(db: Session, clock: FrozenClock) -> None:
    user = create_user(
        db,
        email="new@example.org",
        display_name="New",
        password="long enough pw",
        role=Role.THERAPIST,
        timezone="UTC",
        now=clock(),
    )
    assert user.password_hash.startswith("scrypt:")
    with pytest.raises(ValueError, match="already exists"):
        create_user(
            db,
            email="NEW@example.org",
            display_name="Again",
            password="long enough pw",
            role=Role.THERAPIST,
            timezone="UTC",
            now=clock(),
        )


def _reset_link(app: Flask) -> str:
    mail = app.extensions["course.sent_mail"][-1]
    match = re.search(r"http://[^\s]+/auth/reset/[^\s]+", mail.body)
    assert match, mail.body
    return match.group(0).split("127.0.0.1:5000")[1]


def test_password_reset_link_works_once(app: Flask, client: Any, make_patient: Callable[..., User]) -> None:
    patient = make_patient()
    response = client.post("/auth/reset", data={"email": patient.email.upper()})
    assert response.status_code == 302
    path = _reset_link(app)
    assert client.get(path).status_code == 200
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert b"at least 10 characters" in short.data
    done = client.post(path, data={"password": "a new long password", "confirm": "a new long password"})
    assert done.status_code == 302
    assert sign_in(client, patient.email, "a new long password").status_code == 302
    client.post("/auth/logout")
    reused = client.get(path)
    assert reused.status_code == 410
    assert b"expired or has already been used" in reused.data


def test_password_reset_unknown_email_reveals_nothing(app: Flask, client: Any) -> None:
    response = client.post("/auth/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert b"If that email belongs to an account" in response.data
    assert not app.extensions.get("course.sent_mail")


def test_password_reset_link_expires(
    app: Flask, client: Any, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient()
    client.post("/auth/reset", data={"email": patient.email})
    path = _reset_link(app)
    clock.advance(hours=1, minutes=59)
    assert client.get(path).status_code == 200
    clock.advance(minutes=2)
    assert client.get(path).status_code == 410


def test_outbox_backend_writes_eml_files(app: Flask, client: Any, make_patient: Callable[..., User]) -> None:
    app.config["MAIL_BACKEND"] = "outbox"
    patient = make_patient()
    client.post("/auth/reset", data={"email": patient.email})
    from pathlib import Path

    files = list((Path(app.instance_path) / "outbox").glob("*.eml"))
    assert len(files) == 1
    assert b"/auth/reset/" in files[0].read_bytes()
