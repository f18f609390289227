"""Changing how one signs in needs the password typed within the last 10 minutes ("sudo mode"): whoever
finds a signed-in browser, or a copy of its cookie, cannot make the account theirs."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.models import AuditEvent, RecoveryCode, User
from course.second_factor import new_recovery_codes
from tests.conftest import TEST_PASSWORD, TEST_TOTP_SECRET, sign_in_through_pages

CONFIRM = "/account/confirm-password"

# Every change to how one signs in that asks for a recent confirmation, and how it answers without one:
# pages and forms go to the confirmation page (coming back to `next`), passkeys' JSON answers 403.
GUARDED = [
    ("GET", "/auth/enrol", "/auth/enrol"),
    ("GET", "/auth/enrol/app", "/auth/enrol/app"),
    ("POST", "/auth/enrol/app", "/auth/enrol/app"),
    ("POST", "/auth/recovery-codes", "/account/"),
    ("POST", "/auth/passkey/register/options", None),
    ("POST", "/auth/passkey/register", None),
]


@pytest.fixture
def patient_with_app(db: Session, make_patient: Callable[..., User]) -> User:
    """A patient who turned on an authenticator app (so has recovery codes too)."""
    patient = make_patient()
    patient.totp_secret = TEST_TOTP_SECRET
    new_recovery_codes(db, patient)
    db.commit()
    return patient


@pytest.mark.parametrize(("method", "path", "comes_back_to"), GUARDED)
def test_changes_to_signing_in_ask_for_the_password_after_10_minutes(
    client: FlaskClient,
    db: Session,
    patient_with_app: User,
    login: Callable[[User], None],
    clock: FrozenClock,
    method: str,
    path: str,
    comes_back_to: str | None,
) -> None:
    login(patient_with_app)  # as just after typing the password
    codes_before = set(db.scalars(select(RecoveryCode.code_hash)))
    clock.advance(minutes=10, seconds=1)
    response = client.open(path, method=method, json={} if "passkey" in path else None)
    if comes_back_to is None:
        assert response.status_code == 403
        assert "type your password again" in response.get_json()["error"]
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == f"{CONFIRM}?next={quote(comes_back_to)}"
    db.expire_all()
    assert set(db.scalars(select(RecoveryCode.code_hash))) == codes_before


@pytest.mark.parametrize(("method", "path", "comes_back_to"), GUARDED)
def test_within_10_minutes_of_the_password_nothing_more_is_asked(
    client: FlaskClient,
    patient_with_app: User,
    login: Callable[[User], None],
    clock: FrozenClock,
    method: str,
    path: str,
    comes_back_to: str | None,
) -> None:
    login(patient_with_app)
    clock.advance(minutes=9)
    response = client.open(path, method=method, json={} if "passkey" in path else None)
    assert not (response.headers.get("Location") or "").startswith(CONFIRM)
    assert response.status_code != 403


def test_the_confirmation_page_checks_the_password_and_goes_on_to_next(
    client: FlaskClient,
    db: Session,
    patient_with_app: User,
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    login(patient_with_app)
    clock.advance(minutes=30)
    asked = client.get("/auth/enrol")
    page = client.get(asked.headers["Location"])
    assert page.status_code == 200
    assert b'autocomplete="current-password"' in page.data
    wrong = client.post(asked.headers["Location"], data={"current": "not my password"})
    assert wrong.status_code == 422
    assert b"That is not your password" in wrong.data
    right = client.post(asked.headers["Location"], data={"current": TEST_PASSWORD})
    assert right.headers["Location"] == "/auth/enrol"
    assert client.get("/auth/enrol").status_code == 200
    clock.advance(minutes=10, seconds=1)
    assert client.get("/auth/enrol").headers["Location"].startswith(CONFIRM)
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == patient_with_app.id)).all()
    assert "password_check_failed" in actions
    assert "password_confirmed" in actions


def test_the_confirmation_page_never_sends_to_another_site(
    client: FlaskClient, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    response = client.post(f"{CONFIRM}?next=https://evil.example/", data={"current": TEST_PASSWORD})
    assert response.headers["Location"] == "/account/"


def test_signing_in_with_the_password_counts_as_confirming_it(
    app: Flask, client: FlaskClient, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    therapist = make_therapist()
    assert sign_in_through_pages(client, therapist, clock).status_code == 302  # password, then a code
    assert client.get("/auth/enrol").status_code == 200
    clock.advance(minutes=10)  # ten minutes after the password (the code came 30 seconds later)
    assert client.get("/auth/enrol").headers["Location"].startswith(CONFIRM)


def test_the_password_typed_in_a_form_that_asks_for_it_is_the_confirmation(
    client: FlaskClient, patient_with_app: User, login: Callable[[User], None], clock: FrozenClock
) -> None:
    login(patient_with_app)
    clock.advance(minutes=30)
    refused = client.post("/account/second-factor/off", data={"current": "wrong"})
    assert refused.status_code == 422
    changed = client.post(
        "/account/password",
        data={
            "current": TEST_PASSWORD,
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert changed.headers["Location"] == "/account/"
    assert client.get("/auth/enrol").status_code == 200


def test_wrong_passwords_share_one_limit_across_the_pages_that_check_it(
    app: Flask, client: FlaskClient, patient_with_app: User, login: Callable[[User], None]
) -> None:
    app.config["COURSE_CODE_LIMIT_ACCOUNT"] = "3 per minute"
    login(patient_with_app)
    wrong = {"current": "wrong", "password": "a brand new passphrase", "confirm": "a brand new passphrase"}
    answers = [
        client.post(CONFIRM, data=wrong).status_code,
        client.post("/account/password", data=wrong).status_code,
        client.post("/account/second-factor/off", data=wrong).status_code,
        client.post(CONFIRM, data={"current": TEST_PASSWORD}).status_code,
        client.post("/account/password", data={**wrong, "current": TEST_PASSWORD}).status_code,
    ]
    assert answers == [422, 422, 422, 429, 429]
