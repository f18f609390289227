"""The recovery codes of a first passkey never travel in the session cookie, which is signed but not
encrypted: whoever sees the cookie (a shared computer, a proxy's log, a browser extension) could read them.
Setting up the passkey makes none; the codes are made by the button on the next page and shown in that
answer's HTML only, once, as the authenticator app's codes are. Whether they are owed is decided on the
server (a passkey, and no codes), so no browser, tab or copied cookie makes a second set.

The passkey is registered as the page's script does it, with a made-up authenticator: the options, then an
answer to their challenge (attestation "none"), checked by the `webauthn` library for real."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from webauthn.helpers import bytes_to_base64url, encode_cbor

from course.clock import FrozenClock
from course.models import AuditEvent, Passkey, RecoveryCode, User
from tests.conftest import TEST_PASSWORD, sign_in_as

BASE_URL = "http://localhost:5000"  # the relying party is its host: a passkey needs a name, not an address
CODE = re.compile(r"\b[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}\b")  # second_factor.new_recovery_codes
SHOWN_CODE = re.compile(r"<li><code>([a-z0-9-]+)</code></li>")


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    config = {**app_config, "COURSE_BASE_URL": BASE_URL}
    if request.node.get_closest_marker("csrf"):
        config["WTF_CSRF_ENABLED"] = True
    return config


def _cose(key: ec.EllipticCurvePublicKey) -> bytes:
    """A P-256 public key as WebAuthn stores it (COSE_Key, ES256)."""
    numbers = key.public_numbers()
    return bytes(
        encode_cbor(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
    )


def register_passkey(client: FlaskClient) -> Any:
    """Set up a passkey as course/static/passkeys.js does; returns the answer to the browser's credential."""
    options = client.post("/auth/passkey/register/options", json={})
    assert options.status_code == 200, options.get_json()
    challenge = options.get_json()["challenge"]
    credential_id = secrets.token_bytes(32)
    client_data = json.dumps({"type": "webauthn.create", "challenge": challenge, "origin": BASE_URL})
    authenticator_data = (
        hashlib.sha256(b"localhost").digest()
        + bytes([0x41])  # the person was present; a credential is attached
        + (0).to_bytes(4, "big")  # its sign count
        + bytes(16)  # its authenticator's model (AAGUID): none given
        + len(credential_id).to_bytes(2, "big")
        + credential_id
        + _cose(ec.generate_private_key(ec.SECP256R1()).public_key())
    )
    attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": authenticator_data})
    credential = {
        "id": bytes_to_base64url(credential_id),
        "rawId": bytes_to_base64url(credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": bytes_to_base64url(client_data.encode()),
            "attestationObject": bytes_to_base64url(bytes(attestation)),
        },
    }
    return client.post("/auth/passkey/register", json={"credential": credential, "name": "Phone"})


def cookie_session(app: Flask, response: Any) -> dict[str, Any] | None:
    """What the response's session cookie holds, read with the app's own serializer (None: no cookie set)."""
    name = app.config["SESSION_COOKIE_NAME"]
    for header in response.headers.getlist("Set-Cookie"):
        cookie_name, _, rest = header.partition("=")
        if cookie_name == name:
            value = rest.partition(";")[0]
            if not value:
                return {}
            serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
            data: dict[str, Any] = serializer.loads(value)
            return data
    return None


def codes_of(db: Session, user: User) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id)) or 0)


def code_hashes(db: Session, user: User) -> set[str]:
    """The hashes of the person's recovery codes, as stored now."""
    db.expire_all()
    return set(db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))


@pytest.fixture
def new_therapist(db: Session, make_therapist: Callable[..., User]) -> User:
    """A therapist without a second step yet: their first sign-in sets one up."""
    therapist = make_therapist()
    therapist.totp_secret = None
    db.commit()
    return therapist


def test_first_passkey_cookie_never_holds_recovery_codes(
    app: Flask, client: FlaskClient, db: Session, new_therapist: User
) -> None:
    client.post("/auth/login", data={"email": new_therapist.email, "password": TEST_PASSWORD})
    registered = register_passkey(client)
    assert registered.get_json() == {"redirect": "/auth/enrol/codes"}
    kept = cookie_session(app, registered)
    assert kept is not None  # the challenge was used up
    assert "_new_recovery_codes" not in kept
    assert not CODE.search(json.dumps(kept))
    assert codes_of(db, new_therapist) == 0  # made when shown, never kept in the clear meanwhile

    shown = client.post("/auth/enrol/codes")
    codes = SHOWN_CODE.findall(shown.data.decode())
    assert len(codes) == 10
    after = cookie_session(app, shown) or {}  # None: the answer left the cookie as it was
    assert not any(code in json.dumps(after) for code in codes)
    assert not any(code in json.dumps(kept) for code in codes)


def test_owed_codes_page_shows_a_button_and_makes_no_codes(
    client: FlaskClient, db: Session, new_therapist: User
) -> None:
    client.post("/auth/login", data={"email": new_therapist.email, "password": TEST_PASSWORD})
    register_passkey(client)
    for _ in range(2):  # a reload changes nothing
        page = client.get("/auth/enrol/codes")
        assert page.status_code == 200
        html = page.data.decode()
        assert "Your passkey is set up" in html
        assert 'method="post" action="/auth/enrol/codes"' in html
        assert "Show my recovery codes" in html
        assert not SHOWN_CODE.search(html)
        assert 'class="codes"' not in html
        assert codes_of(db, new_therapist) == 0


def test_owed_codes_are_shown_once_and_sign_in(
    app: Flask, client: FlaskClient, db: Session, new_therapist: User
) -> None:
    client.post("/auth/login", data={"email": new_therapist.email, "password": TEST_PASSWORD})
    register_passkey(client)
    shown = client.post("/auth/enrol/codes")
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    codes = SHOWN_CODE.findall(shown.data.decode())
    assert len(codes) == 10
    assert "I have saved them: continue" in shown.data.decode()
    assert codes_of(db, new_therapist) == 10
    # Recorded and told, as every change to how one signs in.
    made = db.scalars(
        select(AuditEvent).where(
            AuditEvent.actor_id == new_therapist.id, AuditEvent.action == "recovery_codes_made"
        )
    ).all()
    assert len(made) == 1
    told = [mail for mail in app.extensions["course.sent_mail"] if mail.subject == "Recovery codes were made"]
    assert [mail.to for mail in told] == [new_therapist.email]

    again = client.post("/auth/enrol/codes")  # the back button, or a second click
    assert again.status_code == 302
    assert again.headers["Location"] == "/auth/enrol"
    assert client.get("/auth/enrol/codes").status_code == 302
    stored = code_hashes(db, new_therapist)
    assert len(stored) == 10  # the codes shown are still the ones that work

    assert client.post("/auth/enrol/done").headers["Location"] == "/"
    assert client.get("/clinic/").status_code == 200
    client.post("/auth/logout")
    assert (
        client.post("/auth/login", data={"email": new_therapist.email, "password": TEST_PASSWORD}).headers[
            "Location"
        ]
        == "/auth/verify"
    )
    assert client.post("/auth/verify", data={"code": codes[0]}).headers["Location"] == "/"
    methods = [
        event.detail.get("method")
        for event in db.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == new_therapist.id, AuditEvent.action == "sign_in")
        )
    ]
    assert methods == ["enrolment", "recovery_code"]


def test_first_passkey_from_the_account_page_owes_codes_until_shown(
    client: FlaskClient, db: Session, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    patient = make_patient()
    login(patient)
    assert register_passkey(client).get_json() == {"redirect": "/auth/enrol/codes"}
    assert codes_of(db, patient) == 0
    shown = client.post("/auth/enrol/codes")
    assert len(SHOWN_CODE.findall(shown.data.decode())) == 10
    assert "I have saved them: back to my account" in shown.data.decode()
    assert client.post("/auth/enrol/codes").headers["Location"] == "/auth/enrol"
    assert codes_of(db, patient) == 10


def test_a_second_passkey_owes_no_codes(
    client: FlaskClient, db: Session, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    patient = make_patient()
    login(patient)
    register_passkey(client)
    client.post("/auth/enrol/codes")
    before = code_hashes(db, patient)
    assert register_passkey(client).get_json() == {"redirect": "/account/"}
    assert client.get("/auth/enrol/codes").headers["Location"] == "/auth/enrol"
    assert code_hashes(db, patient) == before


def test_codes_never_shown_can_be_made_from_the_account_page(
    client: FlaskClient, db: Session, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    """Someone who closed the tab before pressing the button has a passkey and no codes yet; once they make
    codes, here or in another browser, the button of the passkey's page makes no others."""
    patient = make_patient()
    login(patient)
    register_passkey(client)
    client.get("/")  # elsewhere
    settings = client.get("/account/").data.decode()
    assert "1 passkey." in settings
    assert "0 unused recovery codes." in settings
    assert "Make new recovery codes" in settings
    made = client.post("/auth/recovery-codes")
    assert made.status_code == 200
    codes = SHOWN_CODE.findall(made.data.decode())
    assert len(codes) == 10
    assert codes_of(db, patient) == 10
    # Those are the codes: the passkey's page, still open in another tab, makes no others.
    before = code_hashes(db, patient)
    assert client.post("/auth/enrol/codes").headers["Location"] == "/auth/enrol"
    assert code_hashes(db, patient) == before


def test_owed_codes_need_the_password_typed_lately(
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    """As every change to how one signs in: a browser left signed in does not hand out codes."""
    patient = make_patient()
    login(patient)
    register_passkey(client)
    clock.advance(minutes=10, seconds=1)
    asked = client.post("/auth/enrol/codes")
    assert asked.headers["Location"].startswith("/account/confirm-password")
    assert codes_of(db, patient) == 0
    confirmed = client.post(asked.headers["Location"], data={"current": TEST_PASSWORD})
    assert confirmed.headers["Location"] == "/auth/enrol/codes"
    assert len(SHOWN_CODE.findall(client.post("/auth/enrol/codes").data.decode())) == 10


def test_owed_codes_are_not_made_for_someone_without_a_second_step(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
) -> None:
    """Nobody without a passkey is owed codes here (they would start to work once a step is added; an
    authenticator app makes its own as it is set up)."""
    patient = make_patient()
    login(patient)
    assert client.get("/auth/enrol/codes").headers["Location"] == "/auth/enrol"
    assert client.post("/auth/enrol/codes").headers["Location"] == "/auth/enrol"
    assert codes_of(db, patient) == 0


@pytest.mark.csrf
def test_owed_codes_without_a_token_show_the_button_again(
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    patient = make_patient()
    db.add(
        Passkey(
            user_id=patient.id,
            credential_id=secrets.token_bytes(32),
            public_key=b"key",
            sign_count=0,
            name="Phone",
            created_at=clock(),
        )
    )
    db.commit()
    login(patient)
    refused = client.post("/auth/enrol/codes")
    assert refused.status_code == 400
    assert "Show my recovery codes" in refused.data.decode()
    assert codes_of(db, patient) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', refused.data.decode())
    assert token
    shown = client.post("/auth/enrol/codes", data={"csrf_token": token.group(1)})
    assert len(SHOWN_CODE.findall(shown.data.decode())) == 10


def test_codes_made_in_another_browser_are_not_replaced_by_the_passkeys_button(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
) -> None:
    """The passkey's page left open on a laptop, codes made and printed on the phone since: pressing the
    laptop's button later makes none (the laptop's cookie has no say in it)."""
    patient = make_patient()
    login(patient)
    register_passkey(client)
    assert "Show my recovery codes" in client.get("/auth/enrol/codes").data.decode()
    phone = app.test_client()
    sign_in_as(app, phone, patient)
    printed = SHOWN_CODE.findall(phone.post("/auth/recovery-codes").data.decode())
    assert len(printed) == 10
    assert client.post("/auth/enrol/codes").headers["Location"] == "/auth/enrol"
    assert codes_of(db, patient) == 10
    phone.post("/auth/logout")
    assert (
        phone.post("/auth/login", data={"email": patient.email, "password": TEST_PASSWORD}).status_code == 302
    )
    assert phone.post("/auth/verify", data={"code": printed[0]}).headers["Location"] == "/"


def test_a_sign_in_that_ran_out_on_the_button_says_where_the_codes_are(
    client: FlaskClient, db: Session, new_therapist: User, clock: FrozenClock
) -> None:
    """Fetching pen and paper took longer than the sign-in's ten minutes: the person is told to sign in again
    and where to make the codes, and no codes are made for a browser nobody is signed in on."""
    client.post("/auth/login", data={"email": new_therapist.email, "password": TEST_PASSWORD})
    register_passkey(client)
    clock.advance(minutes=10, seconds=1)
    ran_out = client.post("/auth/enrol/codes")
    assert ran_out.headers["Location"] == "/auth/login"
    assert codes_of(db, new_therapist) == 0
    page = client.get("/auth/login").data.decode()
    assert "Please sign in again, then make your recovery codes on your account page." in page
