"""Account views: change password (signs out other devices), time zone, export, deletion request."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response as BaseResponse

from .. import clock
from ..access import role_required
from ..accounts import AccountError, set_password
from ..audit import record
from ..db import get_db
from ..forms import EmptyForm
from ..models import Role
from . import bp
from .forms import ChangePasswordForm, DeleteRequestForm, TimezoneForm
from .services import cancel_deletion, deletion_due, export_archive, request_deletion, unread_notifications


def _page(status: int = 200, **forms: object) -> tuple[str, int]:
    context = {
        "password_form": forms.get("password_form") or ChangePasswordForm(formdata=None),
        "timezone_form": forms.get("timezone_form")
        or TimezoneForm(formdata=None, data={"timezone": current_user.timezone}),
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


@bp.post("/password")
@login_required
def change_password() -> BaseResponse | tuple[str, int]:
    """Change the password; every other device is signed out, this one stays signed in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current.data or ""):
            form.current.errors = ["That is not your current password."]
            return _page(422, password_form=form)
        try:
            set_password(current_user, form.password.data or "")
        except AccountError as exc:
            form.password.errors = [str(exc)]
            return _page(422, password_form=form)
        login_user(current_user._get_current_object())  # the new session version, for this device only
        record(
            get_db(),
            current_user,
            current_user.id if current_user.is_patient else None,
            "change_password",
            now=clock.now(),
        )
        flash("Your password is changed. Other devices have been signed out.", "success")
        return redirect(url_for(".settings"))
    return _page(422, password_form=form)


@bp.post("/timezone")
@login_required
def change_timezone() -> BaseResponse | tuple[str, int]:
    """Change the time zone that days and new weeks follow."""
    form = TimezoneForm()
    if form.validate_on_submit() and form.timezone.data in {c.value for c in form.timezone.choices}:
        current_user.timezone = form.timezone.data
        flash("Your time zone is saved.", "success")
        return redirect(url_for(".settings"))
    form.timezone.errors = form.timezone.errors or ["Please choose a time zone from the list."]
    return _page(422, timezone_form=form)


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
