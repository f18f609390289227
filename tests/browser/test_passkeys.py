"""Passkeys in a real Chromium, with a virtual authenticator (Chrome DevTools Protocol, WebAuthn domain):
a therapist sets one up at their first sign-in and signs in with it; a passkey the device does not hold, or
one that signs with the wrong key, is refused and the code form still works; the pages pass axe-core.

WebAuthn needs a secure context and a domain as relying party, so these tests have a server of their own,
reached as http://localhost:<port> (its COURSE_BASE_URL too: course/auth/passkeys.py takes the relying party
from it)."""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import CDPSession, Page, expect
from sqlalchemy import select, update
from webauthn.helpers import encode_cbor

from course.models import AuditEvent, Passkey, Role, User
from tests.browser.support import DESKTOP, PASSWORD, STAFF_TOTP_SECRET, Audit, LiveServer

pytestmark = pytest.mark.browser

# A platform authenticator that verifies the person (as a fingerprint would) and answers at once.
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's own live server, at localhost (replaces the shared one at 127.0.0.1 here)."""
    live = LiveServer(tmp_path_factory.mktemp("passkeys"), host="localhost")
    yield live
    live.stop()


def _authenticator(page: Page) -> tuple[CDPSession, str]:
    """A virtual authenticator in this page's browser context: (the DevTools session, its id)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    return cdp, str(found["authenticatorId"])


def _password(page: Page, server: LiveServer, email: str) -> None:
    """The first step of signing in: email and password."""
    page.goto(f"{server.url}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _events(server: LiveServer, user: User, action: str) -> list[dict[str, Any]]:
    with server.session() as db:
        return [
            dict(detail)
            for detail in db.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.actor_id == user.id, AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        ]


def _cookie_session(page: Page, server: LiveServer) -> dict[str, Any]:
    """What the browser's session cookie holds, read with the app's own serializer."""
    name = server.app.config["SESSION_COOKIE_NAME"]
    value = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == name)
    serializer = server.app.session_interface.get_signing_serializer(server.app)  # type: ignore[attr-defined]
    data: dict[str, Any] = serializer.loads(value)
    return data


def _cose(key: ec.EllipticCurvePublicKey) -> bytes:
    """A P-256 public key as WebAuthn stores it (COSE_Key, ES256)."""
    numbers = key.public_numbers()
    return encode_cbor(
        {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    )


def _staff_with_passkey(server: LiveServer) -> tuple[User, bytes]:
    """A therapist with an authenticator app and a passkey registered on the server: (them, its id). The
    passkey's private key is thrown away: no device holds it."""
    therapist = server.add_user(Role.THERAPIST)
    credential_id = secrets.token_bytes(32)
    with server.session() as db:
        db.add(
            Passkey(
                user_id=therapist.id,
                credential_id=credential_id,
                public_key=_cose(ec.generate_private_key(ec.SECP256R1()).public_key()),
                sign_count=0,
                name="Old laptop",
                created_at=server.clock(),
            )
        )
        db.commit()
    return therapist, credential_id


def test_therapist_sets_up_a_passkey_then_signs_in_with_it(
    server: LiveServer, open_page: Callable[..., Page], audit: Audit
) -> None:
    """First sign-in: password, a passkey made on the set-up page, a button that shows the recovery codes
    once (they never travel in the cookie), the caseload. The next sign-in: password, then the passkey, no
    code typed."""
    therapist = server.add_user(Role.THERAPIST, name="Dr. Lee Ward")
    with server.session() as db:  # no authenticator app: the first sign-in sets up a second step
        db.execute(update(User).where(User.id == therapist.id).values(totp_secret=None))
        db.commit()
    page = open_page(viewport=DESKTOP)
    cdp, authenticator = _authenticator(page)

    _password(page, server, therapist.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a second step for signing in")
    page.get_by_label("Name for the passkey (optional)").fill("Work laptop")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your passkey is set up")
    cookie = _cookie_session(page, server)
    audit(page, "a passkey set up, its recovery codes not shown yet")
    page.get_by_role("button", name="Show my recovery codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".codes li")).to_have_count(10)
    codes = page.locator(".codes li").all_inner_texts()
    shown = _cookie_session(page, server)  # what the browser holds with the codes on its screen
    assert not any(code in json.dumps(cookie) or code in json.dumps(shown) for code in codes)
    page.get_by_role("button", name="I have saved them: continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your patients")

    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(held) == 1
    assert held[0]["rpId"] == "localhost"
    with server.session() as db:
        stored = db.scalars(select(Passkey).where(Passkey.user_id == therapist.id)).one()
    assert stored.name == "Work laptop"
    assert base64.urlsafe_b64encode(stored.credential_id).rstrip(b"=").decode() == held[0][
        "credentialId"
    ].replace("+", "-").replace("/", "_").rstrip("=")
    assert _events(server, therapist, "second_factor_added") == [{"kind": "passkey"}]

    # The codes were shown once. Signed in, the set-up page adds passkeys, but not a second on this device.
    page.goto(f"{server.url}/auth/enrol/codes")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a second step for signing in")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.locator("#passkey-enrol").get_by_role("alert")).to_have_text(
        re.compile("This device already holds a passkey for your account")
    )

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    _password(page, server, therapist.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("One more step")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your patients")

    methods = [event.get("method") for event in _events(server, therapist, "sign_in")]
    assert methods == ["enrolment", "passkey"]
    with server.session() as db:
        used = db.scalars(select(Passkey).where(Passkey.user_id == therapist.id)).one()
    assert used.last_used_at is not None
    assert used.sign_count >= 1


def test_a_passkey_that_does_not_work_leaves_the_code_form_working(
    server: LiveServer, open_page: Callable[..., Page]
) -> None:
    """A device holding a look-alike of the account's passkey (the wrong key) is refused by the server; a
    device holding none is refused by the browser; each says so, and the code still signs in."""
    therapist, credential_id = _staff_with_passkey(server)
    page = open_page(viewport=DESKTOP)
    cdp, authenticator = _authenticator(page)
    impostor = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cdp.send(
        "WebAuthn.addCredential",
        {
            "authenticatorId": authenticator,
            "credential": {
                "credentialId": base64.b64encode(credential_id).decode(),
                "isResidentCredential": False,
                "rpId": "localhost",
                "privateKey": base64.b64encode(impostor).decode(),
                "signCount": 0,
            },
        },
    )

    _password(page, server, therapist.email)
    # The password alone does not add a passkey to an account that has a second step.
    token = page.locator("input[name=csrf_token]").first.input_value()
    refused = page.request.post(
        f"{server.url}/auth/passkey/register/options", headers={"X-CSRFToken": token}, data={}
    )
    assert refused.status == 401

    use = page.get_by_role("button", name="Use a passkey")
    alert = page.locator("#passkey-sign-in").get_by_role("alert")
    use.click()
    expect(alert).to_have_text(re.compile("That passkey could not be checked"))
    expect(page).to_have_url(re.compile(r"/auth/verify$"))
    assert _events(server, therapist, "second_factor_failed") == [{"kind": "passkey"}]

    cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator})
    use.click()
    expect(alert).to_have_text(re.compile("The passkey did not work"))
    expect(alert).to_contain_text("type a code below")
    expect(use).to_be_enabled()

    server.clock.advance(seconds=30)
    page.get_by_label("Code").fill(pyotp.TOTP(STAFF_TOTP_SECRET).at(server.clock()))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your patients")
    assert [event.get("method") for event in _events(server, therapist, "sign_in")] == ["totp"]


def test_passkey_pages_are_accessible(
    server: LiveServer, open_page: Callable[..., Page], audit: Audit
) -> None:
    """The second step with its passkey button, and the message when the passkey did not work."""
    therapist, _credential_id = _staff_with_passkey(server)
    page = open_page()
    _authenticator(page)
    _password(page, server, therapist.email)
    use = page.get_by_role("button", name="Use a passkey")
    expect(use).to_be_visible()
    audit(page, "second step, with a passkey")
    use.click()
    expect(page.get_by_role("alert")).to_contain_text("The passkey did not work")
    audit(page, "second step, the passkey did not work")
