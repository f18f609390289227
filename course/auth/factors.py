"""Views of the second factor: the code asked after the password, setting up an authenticator app, and the
recovery codes shown once. Who it is for: the person between password and second factor in this browser
(`flow.pending`), or the signed-in person adding or replacing a factor from their account page.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import clock
from ..audit import record, record_failure
from ..db import get_db
from ..extensions import limiter
from ..forms import EmptyForm
from ..models import User
from ..second_factor import (
    accept_totp,
    confirm_totp,
    has_second_factor,
    new_recovery_codes,
    new_secret,
    passkey_count,
    provisioning_uri,
    qr_svg,
    recovery_codes_left,
    use_recovery_code,
)
from .blueprint import bp
from .flow import (
    ask_for_password,
    complete,
    enrolled_now,
    enrolling,
    note_enrolled,
    password_recently_confirmed,
    pending,
    tell_about_change,
)
from .forms import CodeForm, TotpSetupForm

# The session's key for the secret being set up, until a code from it is right (a name, not a secret).
NEW_SECRET_KEY = "_new_totp_secret"  # noqa: S105  # nosec B105


def _code_key() -> str:
    # Per account: the person this browser is signing in as (never trusted beyond naming the bucket).
    found = session.get("_pending_sign_in")
    return f"code:{found.get('uid') if isinstance(found, dict) else 'none'}"


def _failed(response: Response) -> bool:
    return response.status_code == 422


def _account_limit() -> str:
    return str(current_app.config["COURSE_CODE_LIMIT_ACCOUNT"])


def _address_limit() -> str:
    return str(current_app.config["COURSE_LOGIN_LIMIT_ADDRESS"])


def _patient_id(user: User) -> int | None:
    return user.id if user.is_patient else None


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["COURSE_CODE_LIMIT_ACCOUNT"],
    key_func=_code_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["COURSE_LOGIN_LIMIT_ADDRESS"], methods=["POST"], deduct_when=_failed
)
def verify() -> Response | tuple[str, int]:
    """The second step of signing in: a code from the authenticator app, a recovery code, or a passkey."""
    waiting = pending()
    if waiting is None:
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    user = waiting.user
    db = get_db()
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        now = clock.now()
        code = form.code.data or ""
        how = "totp" if accept_totp(db, user, code, now) else None
        if how is None and use_recovery_code(db, user, code, now):
            how = "recovery_code"
        if how is not None:
            if how == "recovery_code":
                tell_about_change(user, "A recovery code was used", "a recovery code was used to sign in")
            return complete(user, remember=waiting.remember, next_url=waiting.next_url, how=how)
        record_failure(
            db,
            user,
            _patient_id(user),
            "second_factor_failed",
            now=now,
        )
        form.code.errors = ["That code did not work. Codes change every 30 seconds; please try the newest."]
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template(
        "auth/verify.html",
        form=form,
        has_app=bool(user.totp_secret),
        has_passkey=passkey_count(db, user) > 0,
        codes_left=recovery_codes_left(db, user),
    ), status


@bp.get("/enrol")
def enrol() -> Response | str:
    """Choose a second factor: staff at their first sign-in, anyone from their account page."""
    found = enrolling()
    if found is None:
        return redirect(url_for("auth.login"))
    user, signing_in = found
    if not signing_in and not password_recently_confirmed():
        return ask_for_password(url_for("auth.enrol"))
    return render_template("auth/enrol.html", user=user, signing_in=signing_in)


@bp.route("/enrol/app", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["COURSE_LOGIN_LIMIT_ADDRESS"], methods=["POST"], deduct_when=_failed
)
def enrol_app() -> Response | tuple[str, int]:
    """Set up an authenticator app: scan the QR code (or type the key), then type the code it shows."""
    found = enrolling()
    if found is None:
        return redirect(url_for("auth.login"))
    user, signing_in = found
    if not signing_in and not password_recently_confirmed():
        return ask_for_password(url_for("auth.enrol_app"))
    secret = session.get(NEW_SECRET_KEY)
    if not isinstance(secret, str) or request.method == "GET":
        secret = session[NEW_SECRET_KEY] = new_secret()
    form = TotpSetupForm()
    status = 200
    if form.validate_on_submit():
        db = get_db()
        now = clock.now()
        if confirm_totp(user, secret, form.code.data or "", now):
            session.pop(NEW_SECRET_KEY, None)
            if signing_in:
                note_enrolled(user)
            codes = new_recovery_codes(db, user)
            record(db, user, _patient_id(user), "second_factor_added", now=now, kind="authenticator app")
            tell_about_change(user, "An authenticator app was set up", "an authenticator app was set up")
            return render_template(
                "auth/recovery_codes.html", codes=codes, signing_in=signing_in, form=EmptyForm()
            ), 200
        form.code.errors = [
            "That code did not match. Check the app shows this account, then type its newest code."
        ]
        status = 422
    elif form.is_submitted():
        status = 422
    uri = provisioning_uri(secret, user.email, current_app.config["COURSE_CLINIC_NAME"])
    return render_template(
        "auth/enrol_app.html", form=form, qr=qr_svg(uri), secret=secret, signing_in=signing_in
    ), status


@bp.post("/enrol/done")
def enrol_done() -> Response:
    """After the recovery codes were shown: finish signing in, or back to the account page."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("auth.enrol"))
    waiting = pending()
    # Only a sign-in that just set up the person's first factor finishes here: the password alone never
    # signs in someone who already had one (they go through `verify`).
    if waiting is not None and enrolled_now(waiting.user):
        return complete(waiting.user, remember=waiting.remember, next_url=waiting.next_url, how="enrolment")
    if current_user.is_authenticated:
        flash("Your second factor is set up.", "success")
        return redirect(url_for("account.settings"))
    return redirect(url_for("auth.login"))


@bp.post("/recovery-codes")
def renew_recovery_codes() -> Response | tuple[str, int]:
    """Replace the recovery codes (the old ones stop working); the new ones are shown once."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    user: User = current_user._get_current_object()
    db = get_db()
    if not EmptyForm().validate_on_submit() or not has_second_factor(db, user):
        return redirect(url_for("account.settings"))
    if not password_recently_confirmed():
        return ask_for_password(url_for("account.settings"))
    codes = new_recovery_codes(db, user)
    record(db, user, _patient_id(user), "recovery_codes_renewed", now=clock.now())
    tell_about_change(
        user, "New recovery codes", "new recovery codes were made (the old ones stopped working)"
    )
    return render_template("auth/recovery_codes.html", codes=codes, signing_in=False, form=EmptyForm()), 200
