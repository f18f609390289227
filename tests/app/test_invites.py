"""Enrollment by invite: a therapist creates a single-use link; a patient joins through it."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.models import Enrollment, Invite, Role, User


def create_link(client: Any, **data: str) -> str:
    response = client.post("/clinic/invites", data=data, follow_redirects=True)
    assert response.status_code == 200, response.data
    match = re.search(rb'value="http://127\.0\.0\.1:5000(/auth/join/[^"]+)"', response.data)
    assert match, response.data
    return match.group(1).decode()


def last_mail_to(app: Flask, address: str) -> str:
    """The body of the newest email to the address, from the memory backend or the development outbox."""
    for mail in reversed(app.extensions.get("course.sent_mail", [])):
        if mail.to == address:
            return str(mail.body)
    outbox = Path(app.instance_path) / "outbox"
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            return str(message.get_body().get_content())  # type: ignore[union-attr]
    raise AssertionError(f"no email to {address}")


def join_and_confirm(app: Flask, client: Any, link: str, data: dict[str, str]) -> Any:
    """Sign up through the invite, then open the confirmation email's link and press the button."""
    sent = client.post(link, data=data)
    assert sent.status_code == 200, sent.data
    assert b"Check your email" in sent.data
    found = re.search(
        r"http://127\.0\.0\.1:5000(/auth/join/confirm/\S+)", last_mail_to(app, data["email"].lower())
    )
    assert found
    confirm = found.group(1)
    assert client.get(confirm).status_code == 200
    return client.post(confirm)


JOIN = {
    "display_name": "Pat Doe",
    "email": "pat@example.org",
    "password": "a long password",
    "confirm": "a long password",
    "timezone": "Europe/London",
    "accept": "y",
}


def test_invite_to_enrollment_end_to_end(
    app: Flask,
    client: Any,
    db: Session,
    make_therapist: Callable[..., User],
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    therapist = make_therapist()
    login(therapist)
    link = create_link(client, patient_name="Pat Doe", email="pat@example.org")
    mail = app.extensions["course.sent_mail"][-1]
    assert mail.to == "pat@example.org"
    assert link in mail.body
    client.post("/auth/logout")

    page = client.get(link)
    assert page.status_code == 200
    assert b"It does not diagnose" in page.data
    assert b"not an emergency service" in page.data
    assert b'value="Pat Doe"' in page.data

    response = join_and_confirm(app, client, link, JOIN)
    assert response.status_code == 302
    assert response.headers["Location"] == "/learn/"
    patient = db.scalar(select(User).where(User.email == "pat@example.org"))
    assert patient is not None
    assert patient.role == Role.PATIENT
    assert patient.timezone == "Europe/London"
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert enrollment is not None
    assert enrollment.therapist_id == therapist.id
    assert enrollment.started_at == clock()
    assert enrollment.accepted_terms_at == clock()
    assert client.get("/learn/").status_code == 200


def test_invite_used_link_gets_clear_page(
    app: Flask, client: Any, make_therapist: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_therapist())
    link = create_link(client)
    client.post("/auth/logout")
    assert join_and_confirm(app, client, link, JOIN).status_code == 302
    client.post("/auth/logout")
    again = client.get(link)
    assert again.status_code == 410
    assert b"already been used" in again.data
    second = client.post(link, data={**JOIN, "email": "other@example.org"})
    assert second.status_code == 410


def test_invite_expires_after_14_days(
    client: Any, make_therapist: Callable[..., User], login: Callable[[User], None], clock: FrozenClock
) -> None:
    login(make_therapist())
    link = create_link(client)
    client.post("/auth/logout")
    clock.advance(days=13, hours=23)
    assert client.get(link).status_code == 200
    clock.advance(hours=2)
    expired = client.get(link)
    assert expired.status_code == 410
    assert b"expired" in expired.data


def test_invite_unknown_token_gets_clear_page(client: Any) -> None:
    response = client.get("/auth/join/not-a-real-token")
    assert response.status_code == 410
    assert b"do not recognise this invitation" in response.data


def test_invite_bad_input_keeps_what_was_typed(
    client: Any, make_therapist: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_therapist())
    link = create_link(client)
    client.post("/auth/logout")
    response = client.post(link, data={**JOIN, "password": "short", "confirm": "short", "accept": ""})
    assert response.status_code == 422
    assert b"at least 10 characters" in response.data
    assert b"Please tick this box" in response.data
    assert b'value="Pat Doe"' in response.data
    assert b'value="pat@example.org"' in response.data
    assert b'<option selected value="Europe/London">' in response.data


def test_invite_taken_email_answers_the_same_and_the_email_says_why(
    app: Flask,
    client: Any,
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    login: Callable[[User], None],
) -> None:
    existing = make_patient()
    login(make_therapist())
    link = create_link(client)
    client.post("/auth/logout", follow_redirects=True)
    taken = client.post(link, data={**JOIN, "email": existing.email.upper()})
    fresh = client.post(link, data=JOIN)
    assert taken.status_code == fresh.status_code == 200
    assert taken.data.replace(existing.email.encode(), b"EMAIL") == fresh.data.replace(
        b"pat@example.org", b"EMAIL"
    )
    mail = app.extensions["course.sent_mail"][-2]
    assert mail.to == existing.email
    assert "already has an account" in mail.body
    assert "/auth/join/confirm/" not in mail.body
    assert db.scalar(select(User).where(User.email == existing.email)).display_name == existing.display_name  # type: ignore[union-attr]
    assert client.get(link).status_code == 200  # the invite is still usable


def test_a_join_is_confirmed_once(
    app: Flask, client: Any, make_therapist: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_therapist())
    link = create_link(client)
    client.post("/auth/logout")
    assert join_and_confirm(app, client, link, JOIN).status_code == 302
    client.post("/auth/logout")
    confirm = re.search(r"(/auth/join/confirm/\S+)", app.extensions["course.sent_mail"][-1].body)
    assert confirm
    assert client.post(confirm.group(1)).status_code == 410


def test_invite_stores_only_token_hash(
    db: Session, client: Any, make_therapist: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_therapist())
    link = create_link(client)
    token = link.rsplit("/", 1)[1]
    invite = db.scalar(select(Invite))
    assert invite is not None
    assert token not in invite.token_hash
    assert len(invite.token_hash) == 64


def test_invite_list_shows_only_own(
    client: Any, make_therapist: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_therapist())
    create_link(client, patient_name="Mine Only")
    client.post("/auth/logout")
    login(make_therapist())
    assert b"Mine Only" not in client.get("/clinic/invites").data


def test_invite_of_a_deactivated_therapist_is_refused_with_a_clear_page(
    app: Flask,
    client: Any,
    db: Session,
    make_therapist: Callable[..., User],
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    therapist = make_therapist()
    login(therapist)
    link = create_link(client, patient_name="Pat Doe")
    client.post("/auth/logout")
    therapist.active = False
    db.commit()
    for response in (client.get(link), client.post(link, data=JOIN)):
        assert response.status_code == 410
        assert b"no longer works with the program here" in response.data
    assert db.scalar(select(User).where(User.email == JOIN["email"])) is None


def test_join_link_while_signed_in_asks_before_signing_out(
    client: Any,
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    login: Callable[[User], None],
) -> None:
    login(make_therapist())
    link = create_link(client)
    someone = make_patient()
    login(someone)
    asked = client.get(link)
    assert asked.status_code == 200
    assert b"Sign out and continue" in asked.data
    assert client.get("/learn/").status_code == 200  # opening the link signed nobody out
    assert client.get(f"{link}/sign-out").status_code == 405
    answered = client.post(f"{link}/sign-out")
    assert answered.status_code == 302
    assert answered.headers["Location"] == link
    assert client.get("/learn/").status_code == 302  # signed out now
    page = client.get(link)
    assert b"Sign out and continue" not in page.data
    assert b"It does not diagnose" in page.data
    assert join_and_confirm(client.application, client, link, JOIN).status_code == 302


def test_a_sign_up_confirmed_after_the_therapist_left_is_refused_with_a_clear_page(
    app: Flask,
    client: Any,
    db: Session,
    make_therapist: Callable[..., User],
    login: Callable[[User], None],
) -> None:
    therapist = make_therapist()
    login(therapist)
    link = create_link(client, patient_name="Pat Doe")
    client.post("/auth/logout")
    sent = client.post(link, data=JOIN)
    assert b"Check your email" in sent.data
    found = re.search(r"http://127\.0\.0\.1:5000(/auth/join/confirm/\S+)", last_mail_to(app, JOIN["email"]))
    assert found
    therapist.active = False  # the therapist leaves before the email is confirmed
    db.commit()
    for response in (client.get(found.group(1)), client.post(found.group(1))):
        assert response.status_code == 410
        assert b"no longer works with the program here" in response.data
    assert db.scalar(select(User).where(User.email == JOIN["email"])) is None
    assert db.scalar(select(Enrollment)) is None


def test_finishing_a_join_refuses_an_invite_of_a_therapist_who_left(
    db: Session, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    from course.accounts import AccountError
    from course.enrollment import create_invite, finish_join, pending_join, start_join

    therapist = make_therapist()
    invite, _token = create_invite(db, therapist, patient_name=None, email=None, now=clock(), days=14)
    started = start_join(
        db,
        invite,
        email="pat@example.org",
        display_name="Pat",
        password="a long password",
        timezone="UTC",
        now=clock(),
    )
    join = pending_join(db, started.token, clock()).join
    assert join is not None
    therapist.active = False
    db.flush()
    with pytest.raises(AccountError, match="no longer works with the program here"):
        finish_join(db, join, clock())
    assert db.scalar(select(Enrollment)) is None
