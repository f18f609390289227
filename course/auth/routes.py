"""Views for accounts: sign in and out, reset a password, join through an invite. The second factor's
views are in factors.py; the steps of signing in in flow.py."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from urllib.parse import urljoin

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from .. import clock, signins
from ..accounts import AccountError, authenticate, find_user_by_email, make_reset_token, set_password
from ..accounts import user_for_reset_token as _user_for_reset_token
from ..audit import record, record_failure
from ..db import get_db
from ..enrollment import (
    JOIN_CONFIRM_HOURS,
    JoinStarted,
    finish_join,
    look_up_invite,
    pending_join,
    start_join,
)
from ..extensions import limiter
from ..forms import EmptyForm
from ..mail import send_mail_after_response
from ..models import SentMessage, User, normalise_email
from .blueprint import bp
from .flow import after_password, complete, safe_next, sign_out, tell_about_change
from .forms import JoinForm, LoginForm, ResetPasswordForm, ResetRequestForm


def _typed_email() -> str:
    """The per-account bucket of the sign-in limit: the typed email as accounts compare it (without case or
    surrounding spaces, so variants of one address share a bucket), keyed with the app's secret so the
    limiter's storage (Redis in production) never holds an address and a guessed one cannot be checked."""
    # The limiter's key runs before the form exists; the typed email is only a bucket name, never trusted.
    typed = normalise_email(str(request.form.get("email", "")))[:254]
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return "login:" + hmac.new(secret, typed.encode(), hashlib.sha256).hexdigest()


def _failed(response: Response) -> bool:
    return response.status_code == 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["COURSE_LOGIN_LIMIT_ACCOUNT"],
    key_func=_typed_email,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["COURSE_LOGIN_LIMIT_ADDRESS"], methods=["POST"], deduct_when=_failed
)
def login() -> Response | tuple[str, int]:
    """Sign in with email and password; a second factor follows when the person has one (staff must)."""
    if current_user.is_authenticated:
        return redirect(url_for("site.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        db = get_db()
        user = authenticate(db, form.email.data, form.password.data)
        if user is not None:
            return after_password(user, remember=bool(form.remember.data), next_url=request.args.get("next"))
        attempted = find_user_by_email(db, form.email.data or "")
        if attempted is not None:
            who = attempted.id if attempted.is_patient else None
            record_failure(db, attempted, who, "sign_in_failed", now=clock.now())
        form.password.errors = ["That email and password do not match an active account. Please try again."]
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with a CSRF token, so a link elsewhere cannot sign anyone out): the sign-in ends on
    the server too, so a copy of the cookie no longer works."""
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        sign_out(current_user._get_current_object(), why="sign_out")
        flash("You are signed out.", "info")
    return redirect(safe_next(request.args.get("next")) or url_for("auth.login"))


def _reset_email_allowed(db: Session, user: User, now: datetime) -> bool:
    """One reset email per account per few minutes, however many addresses ask: the first request in each
    window claims its key in `sent_messages` (the table that makes every email go out once)."""
    minutes = int(current_app.config["COURSE_RESET_EMAIL_MINUTES"])
    window = int(now.timestamp()) // (minutes * 60)
    try:
        with db.begin_nested():
            db.add(SentMessage(key=f"reset:{user.id}:{window}", user_id=user.id, kind="reset", sent_at=now))
    except IntegrityError:
        return False
    return True


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.config["COURSE_RESET_LIMIT_ADDRESS"]), methods=["POST"])
def reset_request() -> Response | tuple[str, int]:
    """Ask for a password-reset link. The answer is the same, in the same time, whether or not the email
    has an account: the email goes out after the response."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        db = get_db()
        now = clock.now()
        user = find_user_by_email(db, form.email.data)
        hours = int(current_app.config["COURSE_RESET_HOURS"])
        if user is not None and user.active and _reset_email_allowed(db, user, now):
            token = make_reset_token(user, current_app.config["SECRET_KEY"], now=now, hours=hours)
            link = urljoin(current_app.config["COURSE_BASE_URL"], url_for("auth.reset_password", token=token))
            record(db, user, user.id if user.is_patient else None, "reset_requested", now=now)
            send_mail_after_response(
                user.email,
                "Reset your password",
                f"Hello {user.display_name},\n\n"
                f"To choose a new password, open this link within {hours} hours:\n\n{link}\n\n"
                "The link works once. If you did not ask for it, you can ignore this email.\n",
            )
        flash("If that email belongs to an account, a link to reset the password is on its way.", "info")
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | tuple[str, int]:
    """Choose a new password from an emailed link (expiring, single use). Every sign-in ends; signing in
    again asks for the second factor as always, so a reset link alone never opens an account."""
    db = get_db()
    now = clock.now()
    user = _user_for_reset_token(db, token, current_app.config["SECRET_KEY"], now=now)
    if user is None:
        return render_template("auth/link_invalid.html", kind="reset"), 410
    form = ResetPasswordForm()
    form.password_context = (user.display_name, user.email)
    if form.validate_on_submit():
        set_password(user, form.password.data)
        signins.end_all(db, user.id)
        record(db, user, user.id if user.is_patient else None, "reset_password", now=now)
        tell_about_change(user, "Your password was changed", "your password was changed with a reset link")
        if current_user.is_authenticated:
            session.clear()
            logout_user()
        flash("Your password is changed. Please sign in with it.", "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_password.html", form=form), status


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str) -> Response | tuple[str, int]:
    """A patient signs up from their therapist's invite; their email is confirmed before the account exists.
    The page answers the same whether or not the email has an account (the email says which)."""
    db = get_db()
    now = clock.now()
    found = look_up_invite(db, token, now)
    if found.status != "ok" or found.invite is None:
        return render_template("auth/link_invalid.html", kind="invite", status=found.status), 410
    invite = found.invite
    if current_user.is_authenticated:
        # Opening a link changes nothing: the page asks before signing out (a POST, see join_sign_out).
        return render_template("auth/join_signed_in.html", token=token, form=EmptyForm()), 200
    form = JoinForm(
        data=None
        if request.method == "POST"
        else {
            "display_name": invite.patient_name or "",
            "email": invite.email or "",
            "timezone": current_app.config["COURSE_DEFAULT_TIMEZONE"],
        }
    )
    status = 200
    if form.validate_on_submit():
        started = start_join(
            db,
            invite,
            email=form.email.data,
            display_name=form.display_name.data,
            password=form.password.data,
            timezone=form.timezone.data,
            now=now,
        )
        _send_join_email(started, form.display_name.data or "")
        return render_template("auth/join_sent.html", email=started.email), 200
    if form.is_submitted():
        status = 422
    return (
        render_template(
            "auth/join.html",
            form=form,
            therapist=invite.therapist,
            invite=invite,
            # Only a first visit takes the browser's zone: a choice sent back with an error stays as chosen.
            suggest_zone=not form.is_submitted(),
        ),
        status,
    )


def _send_join_email(started: JoinStarted, name: str) -> None:
    base = current_app.config["COURSE_BASE_URL"]
    if started.account_exists:
        login = urljoin(base, url_for("auth.login"))
        reset = urljoin(base, url_for("auth.reset_request"))
        body = (
            f"Hello,\n\nSomeone used this email address to join the pain program, but it already has an "
            f"account. If that was you, sign in here:\n\n{login}\n\nIf you have forgotten your password, "
            f"ask for a new one here:\n\n{reset}\n\nIf it was not you, you can ignore this email.\n"
        )
    else:
        link = urljoin(base, url_for("auth.join_confirm", token=started.token))
        body = (
            f"Hello {name},\n\nTo start the pain program, confirm your email by opening this link (it works "
            f"once, within {JOIN_CONFIRM_HOURS} hours):\n\n{link}\n\n"
            "If you did not ask to join, you can ignore this email.\n"
        )
    send_mail_after_response(started.email, "Confirm your email to start the program", body)


@bp.route("/join/confirm/<token>", methods=["GET", "POST"])
def join_confirm(token: str) -> Response | tuple[str, int]:
    """The link from the confirmation email: a button creates the account and signs the patient in."""
    db = get_db()
    now = clock.now()
    found = pending_join(db, token, now)
    pending = found.join
    if found.status == "inactive":
        # The therapist left after the sign-up: the invite's own page says so, and what to do.
        return render_template("auth/link_invalid.html", kind="invite", status="inactive"), 410
    if pending is None:
        return render_template("auth/link_invalid.html", kind="join"), 410
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            patient = finish_join(db, pending, now)
        except AccountError as exc:
            flash(str(exc), "error")
            return render_template("auth/link_invalid.html", kind="join"), 410
        response = complete(patient, remember=False, next_url=url_for("learn.home"), how="join")
        flash("Welcome. Your program has started.", "success")
        return response
    return render_template("auth/join_confirm.html", pending=pending, form=form), 200


@bp.post("/join/<token>/sign-out")
def join_sign_out(token: str) -> Response | tuple[str, int]:
    """Sign out whoever is signed in, then continue to the invitation (the question the join page asks)."""
    found = look_up_invite(get_db(), token, clock.now())
    if found.status != "ok":
        return render_template("auth/link_invalid.html", kind="invite", status=found.status), 410
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        sign_out(current_user._get_current_object(), why="sign_out")
    return redirect(url_for("auth.join", token=token))
