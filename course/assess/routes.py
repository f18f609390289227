"""Views for the safety screening and the questionnaires."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .. import clock, extensions
from ..access import current_enrollment, role_required
from ..db import get_db
from ..measures import Measure, Schedule
from ..models import Role
from ..safety import RED_FLAGS, urgency_of
from ..templating import show_crisis_help
from .blueprint import bp
from .forms import ScreeningForm, flag_field, item_field_name, measure_form_class
from .services import (
    MeasureRefused,
    due_now,
    find_due,
    get_response,
    histories,
    save_response,
    save_screening,
    screening_status,
)


def _measures() -> dict[str, Measure]:
    measures: dict[str, Measure] = extensions.measures()
    return measures


def _schedule() -> Schedule:
    schedule: Schedule = extensions.schedule()
    return schedule


@bp.route("/screening", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def screening() -> Response | tuple[str, int]:
    """A few safety questions before week 1; the answers decide whether to see a doctor first."""
    enrollment = current_enrollment()
    status = screening_status(enrollment)
    if status != "needed":
        return render_template(
            "assess/screening_done.html",
            enrollment=enrollment,
            status=status,
            urgency=urgency_of(enrollment.red_flags),
            answered=[flag for flag in RED_FLAGS if flag.id in enrollment.red_flags],
        ), 200
    form = ScreeningForm()
    if form.validate_on_submit():
        flags = [flag.id for flag in RED_FLAGS if flag_field(form, flag.id).data == "yes"]
        save_screening(get_db(), enrollment, flags, form.pem.data, clock.now())
        if screening_status(enrollment) == "ok":
            flash("Thank you. You can start week 1 now.", "success")
            return redirect(url_for("learn.home"))
        return redirect(url_for(".screening"))
    code = 422 if form.is_submitted() else 200
    return render_template("assess/screening.html", form=form, flags=RED_FLAGS, flag_field=flag_field), code


@bp.get("/measures")
@role_required(Role.PATIENT)
def measures() -> str:
    """Questionnaires due now, and the patient's own results in plain words."""
    enrollment = current_enrollment()
    db = get_db()
    due = due_now(db, enrollment, _schedule(), clock.now())
    return render_template(
        "assess/measures.html",
        due=due,
        measures=_measures(),
        histories=histories(db, enrollment, _measures(), _schedule()),
    )


@bp.route("/measures/<measure_id>/<due_key>", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def answer(measure_id: str, due_key: str) -> Response | tuple[str, int]:
    """Answer one questionnaire; a partial one can be saved and finished later, and is not scored."""
    enrollment = current_enrollment()
    measure = _measures().get(measure_id)
    due = find_due(_schedule(), enrollment, measure_id, due_key)
    if measure is None or due is None:
        abort(404)
    db = get_db()
    now = clock.now()
    response = get_response(db, enrollment, measure_id, due_key)
    if response is not None and response.complete:
        flash("You have already answered this one. Thank you.", "info")
        return redirect(url_for(".measures"))
    if not due.opens_at <= now < due.closes_at:
        return render_template("assess/not_open.html", measure=measure, due=due), 403
    saved: dict[str, Any] = {
        item_field_name(k): v
        for k, v in (response.answers if response else {}).items()
        if not k.startswith("_")
    }
    form = measure_form_class(measure)(data=saved)
    status = 200
    if form.validate_on_submit():
        answers = {
            item.id: form[item_field_name(item.id)].data
            for item in measure.items
            if form[item_field_name(item.id)].data is not None
        }
        complete = not form["save"].data  # Enter in a browser submits; only the button saves a draft
        if complete:
            for item in measure.items:
                if item.id not in answers:
                    form[item_field_name(item.id)].errors = [
                        "Please answer this question, or save for later."
                    ]
        if not complete or len(answers) == len(measure.items):
            try:
                result = save_response(db, enrollment, measure, due_key, answers, complete=complete, now=now)
            except MeasureRefused as exc:
                flash(str(exc), "error")
                status = 422
            else:
                if result.crisis:
                    show_crisis_help("answers")
                flash(
                    "Thank you, your answers are saved." if complete else "Saved. You can finish it later.",
                    "success",
                )
                return redirect(url_for(".measures"))
        else:
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template(
        "assess/answer.html", form=form, measure=measure, due=due, item_field_name=item_field_name
    ), status
