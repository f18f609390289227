"""Views: email preferences, one-click unsubscribe, and the notification list."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from .. import clock
from ..audit import record_views
from ..db import get_db
from ..extensions import csrf
from ..forms import EmptyForm
from ..models import Notification
from .blueprint import bp
from .services import THERAPIST_KINDS, kinds_for, opted_out, read_unsubscribe_token, set_opt_out


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Response | tuple[str, int]:
    """Choose which emails to receive (safety alerts to therapists cannot be switched off)."""
    kinds = kinds_for(current_user)
    db = get_db()
    form = EmptyForm()
    if form.validate_on_submit():
        # Which boxes were ticked: a set of checkboxes has no fixed WTForms shape across roles.
        chosen = set(request.form.getlist("kinds"))
        for kind in kinds:
            set_opt_out(db, current_user, kind, kind not in chosen)
        flash("Your email choices are saved.", "success")
        return redirect(request.path)
    off = {kind for _, kind in opted_out(db, [current_user.id])}
    return render_template("notify/preferences.html", kinds=kinds, off=off, form=form), 200


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the authority; mail clients POST here for one-click unsubscribe
def unsubscribe(token: str) -> str | tuple[str, int]:
    """GET shows what will stop (GET never changes anything); POST switches it off."""
    db = get_db()
    found = read_unsubscribe_token(db, current_app.config["SECRET_KEY"], token)
    if found is None:
        return render_template("notify/unsubscribe.html", invalid=True), 404
    user, kind = found
    kinds = list(THERAPIST_KINDS) if kind == "digest" else [kind]
    labels = kinds_for(user)
    if request.method == "POST":
        for each in kinds:
            set_opt_out(db, user, each, True)
        if kind == "digest":
            set_opt_out(db, user, "digest", True)
        return render_template("notify/unsubscribe.html", done=True, labels=[labels.get(k, k) for k in kinds])
    return render_template("notify/unsubscribe.html", token=token, labels=[labels.get(k, k) for k in kinds])


@bp.get("/")
@login_required
def inbox() -> str:
    """Notifications, newest first: a therapist's mirror the emailed digest and safety alerts, an admin's are
    safety alerts nobody else can see, a patient's say their therapist changed."""
    items = (
        get_db()
        .scalars(
            select(Notification)
            .where(Notification.user_id == current_user.id)
            .order_by(Notification.created_at.desc())
            .limit(100)
        )
        .all()
    )
    page = render_template("notify/inbox.html", items=items, form=EmptyForm())
    record_views(get_db(), current_user, "view_notifications", [], now=clock.now())
    return page


@bp.post("/read")
@login_required
def mark_read() -> Response:
    """Mark every notification as read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    get_db().execute(
        update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    return redirect("/notifications/")
