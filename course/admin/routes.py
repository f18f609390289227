"""Views for clinic admins: list, add, deactivate and reactivate therapists. Nothing is deleted."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from .. import clock
from ..access import role_required
from ..accounts import AccountError, create_user, set_active
from ..db import get_db
from ..forms import EmptyForm
from ..models import Enrollment, Role, User
from . import bp
from .forms import TherapistForm


@bp.get("/")
@role_required(Role.ADMIN)
def therapists() -> str:
    """Every therapist with their number of patients."""
    db = get_db()
    counts = dict(
        db.execute(
            select(Enrollment.therapist_id, func.count(Enrollment.id)).group_by(Enrollment.therapist_id)
        ).all()
    )
    people = db.scalars(select(User).where(User.role == Role.THERAPIST).order_by(User.display_name)).all()
    return render_template("admin/therapists.html", therapists=people, counts=counts, action_form=EmptyForm())


@bp.route("/therapists/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_therapist() -> Response | tuple[str, int]:
    """Add a therapist account."""
    form = TherapistForm(data={"timezone": current_app.config["COURSE_DEFAULT_TIMEZONE"]})
    status = 200
    if form.validate_on_submit():
        try:
            user = create_user(
                get_db(),
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                role=Role.THERAPIST,
                timezone=form.timezone.data,
                now=clock.now(),
            )
        except AccountError as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
            status = 422
        else:
            flash(f"{user.display_name} can now sign in as a therapist.", "success")
            return redirect(url_for(".therapists"))
    elif form.is_submitted():
        status = 422
    return render_template("admin/new_therapist.html", form=form), status


@bp.post("/therapists/<int:user_id>/<any(deactivate, reactivate):action>")
@role_required(Role.ADMIN)
def set_therapist_active(user_id: int, action: str) -> Response:
    """Deactivate (cannot sign in; nothing deleted) or reactivate a therapist."""
    db = get_db()
    user = db.get(User, user_id)
    if user is None or user.role != Role.THERAPIST:
        abort(404)
    if EmptyForm().validate_on_submit():
        set_active(user, action == "reactivate", clock.now())
        verb = "can sign in again" if action == "reactivate" else "can no longer sign in"
        flash(f"{user.display_name} {verb}.", "success")
    return redirect(url_for(".therapists"))
