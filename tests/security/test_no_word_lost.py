"""No typed word is lost, on any form: a census of every form with free text, tried the ways words get lost.

The forms are found, not listed: every page each role can open (the access table's GET rows, every step of the
program, a join link) is read, and every form on it that posts free text is tried with
- a stale CSRF token: the same page comes back (400) with every word in its fields and a fresh token, and
  nothing is saved;
- a session that ended while the person wrote: the words are kept for them and come back in the same form
  after they sign in; the same post without that person's session keeps nothing;
- a double submit: one copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from course import extensions
from course.clock import FrozenClock
from course.content.model import Catalog
from course.enrollment import create_invite
from course.models import PendingSubmission, StepProgress, StepStatus, User
from tests.app.test_access import TABLE
from tests.conftest import TEST_PASSWORD, sign_in_as, totp_code
from tests.page_forms import PageForm, filled, post_forms_with_free_text
from tests.security.test_forms import row_counts

ROLES = ("anonymous", "patient", "own_therapist", "admin")
# What some forms need beyond words to be valid (fields the census fills cannot guess).
VALID = {
    "admin.new_therapist": {
        "email": "new.therapist@example.org",
        "password": "a long and unusual passphrase 42",
        "confirm": "a long and unusual passphrase 42",
    },
}
# Pages for people who are not signed in: a session cannot end on them.
PUBLIC = {"auth.login", "auth.join", "auth.reset_request", "auth.reset_password"}
# Forms that create nothing, or whose second copy the database refuses: they need no one-time key.
UNKEYED = {
    "auth.login": "signing in twice is harmless",
    "auth.reset_request": "rate-limited; a second email is harmless",
    "auth.join": "an invite works once: a second join is refused",
    "clinic.acknowledge_alert": "acknowledging twice changes nothing",
}


@dataclass(frozen=True)
class Found:
    """One form with free text, where it was found and by whom."""

    role: str
    page: str
    endpoint: str
    form: PageForm

    def words(self) -> dict[str, str]:
        """Different words for each free-text field, with characters that must survive."""
        return {name: f"Words for {name}: ça va — 痛み ✓" for name in self.form.free_text}


def sign_in(client: FlaskClient, user: User) -> None:
    sign_in_as(client.application, client, user)


def open_every_step(db: Session, catalog: Catalog, patient: User, clock: FrozenClock) -> None:
    """Complete every step for the patient, so every step page opens (with no answers saved)."""
    assert patient.enrollment is not None
    for module in catalog.modules:
        for step in module.steps:
            db.add(
                StepProgress(
                    enrollment_id=patient.enrollment.id,
                    module_slug=module.slug,
                    step_id=step.id,
                    status=StepStatus.COMPLETE,
                    answers={},
                    started_at=clock(),
                    updated_at=clock(),
                    completed_at=clock(),
                )
            )
    db.commit()


def census(app: Flask, db: Session, world: dict[str, Any], clock: FrozenClock) -> Iterator[Found]:
    """Every form with free text on every page each role can open."""
    people = world["people"]
    ids = world["ids"]
    catalog: Catalog = extensions.catalog(app)
    clock.advance(days=60)  # every week of the program open by time
    open_every_step(db, catalog, people["patient"], clock)
    _invite, token = create_invite(
        db, people["own_therapist"], patient_name=None, email=None, now=clock(), days=7
    )
    db.commit()
    pages = [row.url.format(**ids) for row in TABLE if row.method == "GET"]
    pages += [f"/learn/{m.slug}/{s.id}" for m in catalog.modules for s in m.steps]
    pages += [f"/auth/join/{token}", f"/checkin/{(clock().date()).isoformat()}"]
    adapter = app.url_map.bind("localhost")
    seen: set[tuple[str, str, str]] = set()
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            sign_in(client, people[role])
        for page in pages:
            if page.startswith("/auth/join/") and role != "anonymous":
                continue  # opening a join link signs out whoever is signed in
            response = client.get(page)
            response.close()
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for form in post_forms_with_free_text(response.data.decode()):
                endpoint, _args = adapter.match(form.path(page), method="POST")
                key = (role, endpoint, tuple(sorted(form.free_text)).__repr__())
                if key in seen:
                    continue
                seen.add(key)
                yield Found(role, page, endpoint, form)


@pytest.fixture
def found(app: Flask, db: Session, world: dict[str, Any], clock: FrozenClock) -> list[Found]:
    forms = list(census(app, db, world, clock))
    endpoints = {f.endpoint for f in forms}
    # The census reaches the forms this issue names, and every kind of place people write.
    assert {
        "learn.step",
        "tracking.checkin",
        "journal.new",
        "journal.edit",
        "clinic.note",
        "clinic.comment",
        "clinic.feedback",
        "clinic.acknowledge_alert",
        "clinic.pacing_action",
        "clinic.invites",
        "admin.new_therapist",
        "auth.join",
        "practice.somatic",
        "practice.try_it",
        "practice.compare",
        "practice.reappraise",
        "messages.conversation",
        "messages.patient_conversation",
        "messages.review",
    } <= endpoints, sorted(endpoints)
    return forms


def csrf_app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.node.get_closest_marker("csrf"):
        return csrf_app_config(app_config)
    return app_config


def client_for(app: Flask, world: dict[str, Any], role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, world["people"][role])
    return client


def token_on(html: str) -> str | None:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return found.group(1) if found else None


def assert_words_back(html: str, item: Found, words: dict[str, str]) -> None:
    """Every word is in a form posting where the original did."""
    again = [
        form for form in post_forms_with_free_text(html) if form.path(item.page) == item.form.path(item.page)
    ]
    assert again, f"{item.endpoint}: the form did not come back"
    values = {name: unescape(value).strip() for form in again for name, value in form.fields.items()}
    for name, text in words.items():
        assert values.get(name) == text, (
            f"{item.endpoint} ({item.role}): {name!r} came back as {values.get(name)!r}"
        )


@pytest.mark.csrf
def test_a_stale_token_brings_every_form_back_with_every_word(
    app: Flask,
    db: Session,
    world: dict[str, Any],
    found: list[Found],
    clock: FrozenClock,
) -> None:
    for item in found:
        client = client_for(app, world, item.role)
        client.get(item.page)  # the session's CSRF secret, as a browser would have it
        words = item.words()
        before = row_counts(db)
        data = {**filled(item.form, words), "csrf_token": "stale-token"}
        response = client.post(item.form.path(item.page), data=data)
        html = response.data.decode()
        assert response.status_code == 400, f"{item.endpoint} ({item.role}): {response.status_code}"
        assert "this page needed refreshing" in html, item.endpoint
        assert_words_back(html, item, words)
        fresh = token_on(html)
        assert fresh, item.endpoint
        assert fresh != "stale-token", item.endpoint
        assert row_counts(db) == before, f"{item.endpoint} saved something without a valid token"
        # One more press, with the fresh token, is accepted (it saves, or says what is missing).
        again = client.post(item.form.path(item.page), data={**data, "csrf_token": fresh})
        assert again.status_code != 400 or "this page needed refreshing" not in again.data.decode(), (
            item.endpoint
        )


@pytest.mark.csrf
def test_an_ended_session_keeps_the_words_for_that_person_only(
    app: Flask,
    db: Session,
    world: dict[str, Any],
    found: list[Found],
    clock: FrozenClock,
) -> None:
    # Every form keeps its words once, all from the test's one address: room for each (the limit itself is
    # tested in test_kept_words.py).
    app.config["COURSE_KEEP_LIMIT"] = f"{len(found)} per hour"
    for item in found:
        if item.role == "anonymous" or item.endpoint in PUBLIC:
            continue
        person: User = world["people"][item.role]
        client = client_for(app, world, item.role)
        token = token_on(client.get(item.page).data.decode())
        assert token, item.endpoint
        # Signed out elsewhere while writing: the session cookie still says who, but it is no longer valid.
        db.execute(update(User).where(User.id == person.id).values(session_version=User.session_version + 1))
        db.commit()
        words = item.words()
        target = item.form.path(item.page)
        response = client.post(
            target,
            data={**filled(item.form, words), "csrf_token": token},
            headers={"Referer": f"http://localhost{item.page}"},
        )
        assert response.status_code == 302, f"{item.endpoint}: {response.status_code}"
        assert urlsplit(response.headers["Location"]).path == "/auth/login", item.endpoint
        assert "what you wrote is kept" in client.get("/auth/login").data.decode(), item.endpoint
        login_token = token_on(client.get("/auth/login").data.decode())
        signed_in = client.post(
            "/auth/login", data={"email": person.email, "password": TEST_PASSWORD, "csrf_token": login_token}
        )
        if signed_in.headers["Location"] == "/auth/verify":  # staff: the authenticator app's code
            clock.advance(seconds=30)
            verify_token = token_on(client.get("/auth/verify").data.decode())
            signed_in = client.post(
                "/auth/verify", data={"code": totp_code(clock), "csrf_token": verify_token}
            )
        assert signed_in.headers["Location"] == urlsplit(item.page).path, item.endpoint
        assert_words_back(client.get(signed_in.headers["Location"]).data.decode(), item, words)

        # The same post from a browser with no session keeps nothing: no anonymous writes.
        kept = db.scalar(select(func.count(PendingSubmission.id)))
        stranger = app.test_client()
        stranger.post(target, data=filled(item.form, words))
        assert db.scalar(select(func.count(PendingSubmission.id))) == kept, item.endpoint


def test_every_form_with_free_text_saves_once_when_sent_twice(
    app: Flask,
    db: Session,
    world: dict[str, Any],
    found: list[Found],
) -> None:
    for item in found:
        if item.role == "anonymous" or item.endpoint in UNKEYED or item.endpoint in PUBLIC:
            continue
        keys = [name for name in item.form.fields if name.endswith("submission_key")]
        assert keys, f"{item.endpoint} has no one-time key"
        client = client_for(app, world, item.role)
        data = {**filled(item.form, item.words()), **VALID.get(item.endpoint, {})}
        target = item.form.path(item.page)
        before = row_counts(db)
        first = client.post(target, data=data)
        after_first = row_counts(db)
        assert first.status_code < 400, f"{item.endpoint} ({item.role}) did not save: {first.status_code}"
        assert after_first != before, f"{item.endpoint} ({item.role}) saved nothing"
        second = client.post(target, data=data)
        assert second.status_code in (302, 303), item.endpoint
        went = first.headers.get("Location", target)  # a view that answers its post with a page: back there
        assert second.headers["Location"] == went, item.endpoint
        assert row_counts(db) == after_first, f"{item.endpoint} saved a second copy"


@pytest.mark.csrf
def test_text_is_cleaned_once_before_anything_checks_or_stores_it(
    app: Flask,
    world: dict[str, Any],
    found: list[Found],
) -> None:
    """NUL and other control characters go, line endings become \\n, and Unicode is composed (NFC): the
    form's own data, as the form shows it again, is the cleaned text."""
    for item in found:
        client = client_for(app, world, item.role)
        client.get(item.page)
        raw = {name: "a\x00b\r\nc\x07 e\u0301\u200f" for name in item.form.free_text}
        response = client.post(item.form.path(item.page), data={**filled(item.form, raw), "csrf_token": "x"})
        assert response.status_code == 400, item.endpoint
        assert_words_back(response.data.decode(), item, dict.fromkeys(raw, "ab\nc \u00e9\u200f"))


NASTY = {
    "nul": "before\x00after",
    "controls": "".join(chr(c) for c in range(32)) + "\x7f\x85",
    "right-to-left": "\u202eevil.exe\u200f \u2066isolated\u2069",
    "astral": "😣𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010fffd",
    "combining": "e" + "\u0301" * 500,
    "paste-100kb": "A long paste. " * 7_500,
}


def test_every_form_survives_every_kind_of_character(
    app: Flask, world: dict[str, Any], found: list[Found]
) -> None:
    """Never a 5xx, on SQLite and PostgreSQL (which refuses NUL in text), whatever is typed or pasted."""
    for item in found:
        client = client_for(app, world, item.role)
        target = item.form.path(item.page)
        for kind, text in NASTY.items():
            data = filled(item.form, dict.fromkeys(item.form.free_text, text))
            response = client.post(target, data=data)
            assert response.status_code < 500, f"{item.endpoint} ({item.role}) with {kind}"
        # Bytes that are not UTF-8 (a lone surrogate's encoding, a stray continuation byte).
        body = "&".join(f"{name}=%ED%A0%80%80x" for name in item.form.free_text)
        response = client.post(target, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, f"{item.endpoint} ({item.role}) with bytes that are not UTF-8"
