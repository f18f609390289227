"""Passkeys (WebAuthn) as a second factor, with the `webauthn` library: register one, sign in with one.

The browser side is course/static/passkeys.js (progressive enhancement: without JavaScript the
authenticator app and recovery codes do the same job). Each exchange is two POSTs of JSON with the CSRF
token in a header: the options (whose challenge stays in the session, for one answer), then the browser's
answer {"credential": ..., "name": ...}, checked against that challenge, this site's origin and its host as
the relying party. Every answer is JSON: {"redirect": url} or {"error": message}.

The relying party is the site's public address, COURSE_BASE_URL (as in the emails), not the address a
request arrived at: behind a proxy that ends TLS the request looks like http://, and a passkey belongs to
one host name for good. So COURSE_BASE_URL must be the address people use, a host name (a passkey cannot
belong to an IP address): https://pain.example.org, or http://localhost:5000 in development.

A first passkey brings recovery codes, as a first authenticator app does, but the codes never travel in the
session cookie (signed, not encrypted: anyone who sees the cookie could read them). Setting up the passkey
makes none; the next page's button makes them and shows them in its answer, once. Whether they are owed is
decided on the server (a passkey and no codes), not by the browser: a button left open in another tab or
browser cannot replace codes made since.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from werkzeug.wrappers import Response

from .. import clock
from ..audit import record, record_failure
from ..db import get_db
from ..extensions import limiter
from ..forms import EmptyForm
from ..models import Passkey, User
from ..second_factor import first_recovery_codes, has_second_factor, owes_recovery_codes
from ..text import clean_text
from .blueprint import bp
from .flow import (
    ask_for_password,
    complete,
    enrolling,
    note_enrolled,
    password_recently_confirmed,
    pending,
    person_here,
    tell_about_change,
)

CHALLENGE_KEY = "_webauthn_challenge"
NAME_LENGTH = 100  # Passkey.name


def _relying_party() -> tuple[str, str]:
    """(the relying party's id: the public address's host without its port, that address's origin)."""
    base = urlsplit(str(current_app.config["COURSE_BASE_URL"]))
    return base.hostname or "localhost", f"{base.scheme}://{base.netloc}"


def _user_handle(user: User) -> bytes:
    """The user handle a passkey of this person carries (no email or name in it)."""
    return str(user.id).encode()


def _limit() -> str:
    return str(current_app.config["COURSE_LOGIN_LIMIT_ADDRESS"])


def _failed(response: Response) -> bool:
    """Only refusals count towards the address's limit, as for passwords and codes."""
    return response.status_code >= 400


def _unconfirmed(signing_in: bool) -> tuple[Response, int] | None:
    """A refusal when a signed-in person adds a passkey without having typed their password lately (see
    flow.password_recently_confirmed); the page they come from asks for it when reloaded."""
    if signing_in or password_recently_confirmed():
        return None
    return _refused("To keep your account safe, please type your password again: reload this page.", 403)


def _answer() -> tuple[dict[str, Any], str] | None:
    """(the browser's credential as JSON, the name typed for it) from the request's body, or None."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        return None
    name = body.get("name")
    return body["credential"], clean_text(name).strip() if isinstance(name, str) else ""


def _refused(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _stale_token() -> tuple[Response, int] | None:
    """A refusal when the CSRF token was refused: course/keeping.py runs the view again to show a form with
    what was typed, which for these views must not act."""
    if g.get("csrf_refused"):
        return _refused("This page was open for a long time. Please reload it and try again.")
    return None


def _failure(user: User, message: str) -> tuple[Response, int]:
    """A refused passkey, kept in the audit trail (though a refusal's other writes are rolled back)."""
    patient_id = user.id if user.is_patient else None
    record_failure(get_db(), user, patient_id, "second_factor_failed", now=clock.now(), kind="passkey")
    return _refused(message)


@bp.post("/passkey/register/options")
def passkey_register_options() -> Response | tuple[Response, int]:
    """Options for creating a passkey for the person setting up a factor."""
    if (stale := _stale_token()) is not None:
        return stale
    found = enrolling()
    if found is None:
        return _refused("Please sign in again.", 401)
    user, signing_in = found
    if (unconfirmed := _unconfirmed(signing_in)) is not None:
        return unconfirmed
    rp_id, _origin = _relying_party()
    existing = get_db().scalars(select(Passkey.credential_id).where(Passkey.user_id == user.id)).all()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=str(current_app.config["COURSE_CLINIC_NAME"]),
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.display_name,
        exclude_credentials=[PublicKeyCredentialDescriptor(id=credential) for credential in existing],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    session[CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return Response(options_to_json(options), mimetype="application/json")


@bp.post("/passkey/register")
@limiter.limit(_limit, methods=["POST"], deduct_when=_failed)
def passkey_register() -> Response | tuple[Response, int]:
    """Check the browser's new passkey and keep it; a first factor owes recovery codes (see enrol_codes)."""
    if (stale := _stale_token()) is not None:
        return stale
    found = enrolling()
    if found is not None and (unconfirmed := _unconfirmed(found[1])) is not None:
        return unconfirmed
    challenge = session.pop(CHALLENGE_KEY, None)
    answer = _answer()
    if found is None or not isinstance(challenge, str) or answer is None:
        return _refused("Please start again.")
    user, _signing_in = found
    rp_id, origin = _relying_party()
    try:
        credential: RegistrationCredential = parse_registration_credential_json(answer[0])
        checked = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_origin=origin,
            expected_rp_id=rp_id,
        )
    except (WebAuthnException, ValueError):
        return _refused("That passkey could not be checked. Please try again, or use an authenticator app.")
    db = get_db()
    if db.scalar(select(Passkey.id).where(Passkey.credential_id == checked.credential_id)) is not None:
        return _refused("That passkey is set up already.")
    first = not has_second_factor(db, user)
    db.add(
        Passkey(
            user_id=user.id,
            credential_id=checked.credential_id,
            public_key=checked.credential_public_key,
            sign_count=checked.sign_count,
            name=answer[1][:NAME_LENGTH] or "Passkey",
            created_at=clock.now(),
        )
    )
    db.flush()
    record(
        db, user, user.id if user.is_patient else None, "second_factor_added", now=clock.now(), kind="passkey"
    )
    tell_about_change(user, "A passkey was added", "a passkey was added to your account")
    if first:  # always so while signing in (see _enrolling)
        if pending() is not None:
            note_enrolled(user)
        return jsonify({"redirect": url_for("auth.enrol_codes")})
    flash("Your passkey is set up.", "success")
    return jsonify({"redirect": url_for("account.settings")})


@bp.post("/passkey/sign-in/options")
def passkey_sign_in_options() -> Response | tuple[Response, int]:
    """Options for signing in with one of the passkeys of the person between password and second factor."""
    if (stale := _stale_token()) is not None:
        return stale
    waiting = pending()
    if waiting is None:
        return _refused("Please sign in again.", 401)
    rp_id, _origin = _relying_party()
    credentials = (
        get_db().scalars(select(Passkey.credential_id).where(Passkey.user_id == waiting.user.id)).all()
    )
    if not credentials:
        return _refused("This account has no passkey. Please type a code instead.")
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=credential) for credential in credentials],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    session[CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return Response(options_to_json(options), mimetype="application/json")


@bp.post("/passkey/sign-in")
@limiter.limit(_limit, methods=["POST"], deduct_when=_failed)
def passkey_sign_in() -> Response | tuple[Response, int]:
    """Check the browser's passkey answer; signed in when it is one of this person's passkeys."""
    if (stale := _stale_token()) is not None:
        return stale
    waiting = pending()
    challenge = session.pop(CHALLENGE_KEY, None)
    answer = _answer()
    if waiting is None or not isinstance(challenge, str) or answer is None:
        return _refused("Please sign in again.", 401)
    user = waiting.user
    try:
        credential: AuthenticationCredential = parse_authentication_credential_json(answer[0])
    except (WebAuthnException, ValueError):
        return _failure(user, "That passkey could not be checked. Please try again, or use a code.")
    db = get_db()
    stored = db.scalar(
        select(Passkey).where(Passkey.user_id == user.id, Passkey.credential_id == credential.raw_id)
    )
    handle = credential.response.user_handle
    if stored is None or (handle is not None and handle != _user_handle(user)):
        return _failure(user, "That passkey is not one of this account's. Please try another, or use a code.")
    rp_id, origin = _relying_party()
    try:
        checked = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=stored.public_key,
            credential_current_sign_count=stored.sign_count,
        )
    except (WebAuthnException, ValueError):
        return _failure(user, "That passkey could not be checked. Please try again, or use a code.")
    stored.sign_count = checked.new_sign_count
    stored.last_used_at = clock.now()
    response = complete(user, remember=waiting.remember, next_url=waiting.next_url, how="passkey")
    return jsonify({"redirect": response.location})


def _owed_codes() -> tuple[User, bool] | None:
    """(the person signing in, or signed in, in this browser who is owed their first recovery codes, whether
    they are signing in) or None."""
    found = person_here()
    if found is None or not owes_recovery_codes(get_db(), found[0]):
        return None
    return found


@bp.route("/enrol/codes", methods=["GET", "POST"])
def enrol_codes() -> Response | tuple[str, int]:
    """After a first passkey: a page with one button, whose POST makes the recovery codes and shows them once.

    The GET changes nothing, so a reload or a link shows the same page. The codes are made in the POST and
    live only in its answer's HTML (not cached: course/security.py), never in the session cookie. Once they
    exist the person is owed none, so a second press, or the same page in another tab, makes no others."""
    found = _owed_codes()
    if found is None:
        if request.method == "POST" and pending() is None and not current_user.is_authenticated:
            # The sign-in's ten minutes ran out on this page: say where the codes are to be had.
            flash(
                "Your sign-in took too long, so it was stopped to keep your account safe. Please sign in "
                "again, then make your recovery codes on your account page.",
                "info",
            )
            return redirect(url_for("auth.login"))
        return redirect(url_for("auth.enrol"))
    user, signing_in = found
    if not signing_in and not password_recently_confirmed():
        return ask_for_password(url_for("auth.enrol_codes"))
    form = EmptyForm()
    if not form.validate_on_submit():  # the GET, or a refused token: the button (again)
        return render_template("auth/enrol_codes.html", form=form), 200
    db = get_db()
    codes = first_recovery_codes(db, user)
    if codes is None:  # made by another press in the meantime
        return redirect(url_for("auth.enrol"))
    record(db, user, user.id if user.is_patient else None, "recovery_codes_made", now=clock.now())
    tell_about_change(user, "Recovery codes were made", "recovery codes were made for your passkey")
    return render_template(
        "auth/recovery_codes.html", codes=codes, signing_in=signing_in, form=EmptyForm()
    ), 200
