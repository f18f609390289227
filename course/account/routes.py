"""Account views: change password (signs out other devices), time zone, export, deletion request."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response as BaseResponse

from .. import clock, extensions, signins
from ..access import role_required
from ..accounts import AccountError, set_password
from ..audit import record, record_failure
from ..auth.flow import tell_about_change
from ..db import get_db
from ..extensions import limiter
from ..forms import EmptyForm
from ..models import Role
from ..second_factor import has_second_factor, passkey_count, recovery_codes_left, remove_all
from . import bp
from .forms import ChangePasswordForm, DeleteRequestForm, TimezoneForm, TurnOffFactorsForm
from .services import cancel_deletion, deletion_due, export_archive, request_deletion, unread_notifications


def _page(status: int = 200, **forms: object) -> tuple[str, int]:
    db = get_db()
    user = current_user._get_current_object()
    context = {
        "places": signins.places(db, user, session.get(signins.TOKEN_KEY), clock.now()),
        "has_factor": has_second_factor(db, user),
        "has_app": bool(user.totp_secret),
        "passkeys": passkey_count(db, user),
        "codes_left": recovery_codes_left(db, user),
        "factor_form": TurnOffFactorsForm(formdata=None),
        "password_form": forms.get("password_form") or ChangePasswordForm(formdata=None),
        "delete_form": forms.get("delete_form") or DeleteRequestForm(formdata=None),
        "cancel_form": EmptyForm(),
        "deletion_due": deletion_due(current_user, int(current_app.config["COURSE_DELETION_GRACE_DAYS"])),
        "messages": unread_notifications(get_db(), current_user) if current_user.is_patient else [],
    }
    return render_template("account/settings.html", **context), status


@bp.get("/")
@login_required
def settings() -> tuple[str, int]:
    """Password, time zone, and for patients their data."""
    return _page()


def _failed(response: BaseResponse) -> bool:
    return response.status_code == 422


def _account_limit() -> str:
    return str(current_app.config["COURSE_CODE_LIMIT_ACCOUNT"])


def _address_limit() -> str:
    return str(current_app.config["COURSE_LOGIN_LIMIT_ADDRESS"])


def _account_key() -> str:
    return f"password-check:{current_user.get_id() if current_user.is_authenticated else 'none'}"


def _patient_id() -> int | None:
    return current_user.id if current_user.is_patient else None


@bp.post("/password")
@limiter.limit(
    lambda: str(current_app.config["COURSE_CODE_LIMIT_ACCOUNT"]),
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: str(current_app.config["COURSE_LOGIN_LIMIT_ADDRESS"]), methods=["POST"], deduct_when=_failed
)
@login_required
def change_password() -> BaseResponse | tuple[str, int]:
    """Change the password; every other sign-in ends, this one stays; the person is told by email."""
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    form.password_context = (user.display_name, user.email)
    if form.validate_on_submit():
        db = get_db()
        if not check_password_hash(user.password_hash, form.current.data or ""):
            sessions = extensions.sessions()
            record_failure(sessions, user, _patient_id(), "password_check_failed", now=clock.now())
            form.current.errors = ["That is not your current password."]
            return _page(422, password_form=form)
        try:
            set_password(user, form.password.data or "")
        except AccountError as exc:
            form.password.errors = [str(exc)]
            return _page(422, password_form=form)
        token = session.get(signins.TOKEN_KEY)
        signins.end_all(db, user.id, except_token=token)
        login_user(user)  # the new session version, for this browser only
        record(db, user, _patient_id(), "change_password", now=clock.now())
        tell_about_change(user, "Your password was changed", "your password was changed")
        flash("Your password is changed. Other devices have been signed out.", "success")
        return redirect(url_for(".settings"))
    return _page(422, password_form=form)


@bp.post("/sign-ins/end-others")
@login_required
def end_other_sign_ins() -> BaseResponse:
    """Sign out everywhere else: every other browser's sign-in ends at once."""
    if EmptyForm().validate_on_submit():
        db = get_db()
        ended = signins.end_all(db, current_user.id, except_token=session.get(signins.TOKEN_KEY))
        record(db, current_user, _patient_id(), "sign_out_elsewhere", now=clock.now(), ended=ended)
        flash(
            "You are signed out everywhere else." if ended else "You were not signed in anywhere else.",
            "info",
        )
    return redirect(url_for(".settings", _anchor="sign-ins"))


@bp.post("/second-factor/off")
@role_required(Role.PATIENT)
def turn_off_factors() -> BaseResponse | tuple[str, int]:
    """A patient turns their second factor off (staff cannot: theirs is required); asks for the password."""
    form = TurnOffFactorsForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        db = get_db()
        if not check_password_hash(user.password_hash, form.current.data or ""):
            form.current.errors = ["That is not your current password."]
            return _page(422, factor_form=form)
        remove_all(db, user)
        record(db, user, user.id, "second_factor_removed", now=clock.now())
        tell_about_change(
            user, "Your second step was turned off", "the second step of signing in was turned off"
        )
        flash("Signing in now needs only your password.", "success")
        return redirect(url_for(".settings"))
    return _page(422, factor_form=form)


@bp.route("/timezone", methods=["GET", "POST"])
@login_required
def change_timezone() -> BaseResponse | tuple[str, int]:
    """Change the time zone that days and new weeks follow (its own page: the list of zones is long)."""
    form = TimezoneForm(data={"timezone": current_user.timezone} if request.method == "GET" else None)
    if form.validate_on_submit() and form.timezone.data in {c.value for c in form.timezone.choices}:
        current_user.timezone = form.timezone.data
        flash("Your time zone is saved.", "success")
        return redirect(url_for(".settings"))
    status = 200
    if form.is_submitted():
        form.timezone.errors = form.timezone.errors or ["Please choose a time zone from the list."]
        status = 422
    return render_template("account/timezone.html", form=form), status


@bp.get("/export.zip")
@role_required(Role.PATIENT)
def export() -> Response:
    """Everything stored about the patient in one archive."""
    now = clock.now()
    body = export_archive(get_db(), current_user, now)
    record(get_db(), current_user, current_user.id, "export_own_data", now=now)
    return Response(
        body,
        mimetype="application/zip",
        headers={"Content-Disposition": 'attachment; filename="my-pain-program-data.zip"'},
    )


@bp.post("/delete")
@role_required(Role.PATIENT)
def delete_request() -> BaseResponse | tuple[str, int]:
    """Ask for all data to be deleted (completed by an admin after the grace period)."""
    form = DeleteRequestForm()
    if form.validate_on_submit():
        request_deletion(current_user, clock.now())
        record(get_db(), current_user, current_user.id, "request_deletion", now=clock.now())
        flash("Your request is received. You can change your mind until it is carried out.", "success")
        return redirect(url_for(".settings"))
    return _page(422, delete_form=form)


@bp.post("/delete/cancel")
@role_required(Role.PATIENT)
def delete_cancel() -> BaseResponse:
    """Take back a deletion request during the grace period."""
    if EmptyForm().validate_on_submit():
        cancel_deletion(current_user)
        record(get_db(), current_user, current_user.id, "cancel_deletion", now=clock.now())
        flash("Your data will not be deleted.", "success")
    return redirect(url_for(".settings"))
