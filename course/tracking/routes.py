"""Views for check-ins, habits and the evidence page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import clock, extensions
from ..access import current_enrollment, role_required
from ..charts import Series, line_chart_svg, table_rows
from ..content.model import Catalog
from ..db import get_db
from ..evidence import DayRecord, statements
from ..forms import EmptyForm, choices
from ..habits import adopted_habit_ids, habit_weeks, set_habit
from ..models import Role
from ..practice.routes import after_checkin
from ..practice.services import compared
from ..templating import show_crisis_help
from .blueprint import bp
from .forms import CheckInForm
from .services import (
    CheckInError,
    add_to_evidence_log,
    checkin_for,
    checkins_between,
    day_problem,
    day_records,
    local_today,
    save_checkin,
)


def _catalog() -> Catalog:
    catalog: Catalog = extensions.catalog()
    return catalog


@bp.route("/checkin", methods=["GET", "POST"], defaults={"day": None})
@bp.route("/checkin/<day>", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def checkin(day: str | None) -> Response | tuple[str, int]:
    """Today's (or yesterday's) check-in; a second save updates it. A high-pain day leads to answering a
    pain thought, when that practice is open."""
    enrollment = current_enrollment()
    db = get_db()
    now = clock.now()
    today = local_today(current_user, now)
    try:
        when = date.fromisoformat(day) if day else today
    except ValueError:
        abort(404)
    problem = day_problem(current_user, when, now)
    if problem:
        return render_template("tracking/checkin_closed.html", problem=problem, today=today), 422
    existing = checkin_for(db, current_user, when)
    catalog = _catalog()
    adopted = [catalog.habits[h] for h in adopted_habit_ids(db, current_user) if h in catalog.habits]
    data = None
    if existing is not None and request.method == "GET":
        data = {
            "pain": existing.pain,
            "sleep_hours": existing.sleep_hours,
            "sleep_quality": existing.sleep_quality,
            "stress": existing.stress,
            "mood": existing.mood,
            "note": existing.note,
            "habits": [log.habit_id for log in existing.habits],
        }
    form = CheckInForm(data=data)
    form.habits.choices = choices((h.id, h.name) for h in adopted)
    status = 200
    if form.validate_on_submit():
        values = {
            "pain": form.pain.data,
            "sleep_hours": form.sleep_hours.data,
            "sleep_quality": form.sleep_quality.data,
            "stress": form.stress.data,
            "mood": form.mood.data or None,
            "note": (form.note.data or "").strip() or None,
        }
        try:
            saved = save_checkin(db, current_user, when, values, list(form.habits.data or []), now=now)
        except CheckInError as exc:
            flash(str(exc), "error")
            status = 422
        else:
            if saved.crisis:
                show_crisis_help("words")
            flash("Check-in saved. Thank you." if saved.created else "Check-in updated.", "success")
            return redirect(after_checkin(enrollment, saved.checkin.pain) or url_for("learn.home"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "tracking/checkin.html",
        form=form,
        day=when,
        today=today,
        yesterday=(today - timedelta(days=1)).isoformat(),
        existing=existing,
        adopted=adopted,
    ), status


@bp.get("/habits")
@role_required(Role.PATIENT)
def habits() -> str:
    """Habits offered so far, which ones the patient practises, and days practised this week and last."""
    current_enrollment()
    db = get_db()
    now = clock.now()
    catalog = _catalog()
    weeks = habit_weeks(db, current_user, catalog, local_today(current_user, now))
    active = {w.habit.id for w in weeks if w.active}
    return render_template(
        "tracking/habits.html",
        weeks=weeks,
        habits=list(catalog.habits.values()),
        active=active,
        form=EmptyForm(),
    )


@bp.post("/habits/<habit_id>/<any(adopt, drop):action>")
@role_required(Role.PATIENT)
def habit_action(habit_id: str, action: str) -> Response:
    """Adopt or drop a habit from the program."""
    current_enrollment()
    habit = _catalog().habits.get(habit_id)
    if habit is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        set_habit(get_db(), current_user, habit_id, action == "adopt", clock.now())
        where = "in your daily check-in" if action == "adopt" else "no longer in your check-in"
        flash(
            f"“{habit.name}” is {where}.",
            "success",
        )
    return redirect(url_for(".habits"))


PERIODS = (4, 8, 12)


@bp.get("/evidence")
@role_required(Role.PATIENT)
def evidence() -> str:
    """The patient's last weeks: pain with sleep and with stress, careful statements, and the data table."""
    enrollment = current_enrollment()
    weeks = request.args.get("weeks", type=int) or 4
    if weeks not in PERIODS:
        weeks = 4
    page = evidence_page(current_user, weeks)
    return render_template(
        "tracking/evidence.html",
        **page,
        weeks=weeks,
        periods=PERIODS,
        form=EmptyForm(),
        enrollment=enrollment,
        experiments=compared(get_db(), current_user),
    )


def evidence_page(patient: object, weeks: int) -> dict[str, object]:
    """Charts, table rows and statements for a patient (the therapist's patient page shows the same)."""
    db = get_db()
    today = local_today(patient, clock.now())  # type: ignore[arg-type]
    records = day_records(checkins_between(db, patient, today - timedelta(days=83), today))  # type: ignore[arg-type]
    return evidence_view(records, today, weeks)


def evidence_view(records: Sequence[DayRecord], today: date, weeks: int) -> dict[str, object]:
    """Charts, table rows and statements from check-ins already read (the last twelve weeks up to `today`),
    remembered per process by those values (pure work: the same check-ins always give the same page)."""
    return dict(_evidence_view(tuple(records), today, weeks))


@lru_cache(maxsize=256)
def _evidence_view(records: tuple[DayRecord, ...], today: date, weeks: int) -> tuple[tuple[str, object], ...]:
    start = today - timedelta(days=weeks * 7 - 1)
    shown = [r for r in records if r.day >= start]
    pain = Series("Pain (0–10)", [(r.day, r.pain) for r in shown], "solid")
    sleep = Series("Hours of sleep", [(r.day, r.sleep_hours) for r in shown], "dashed")
    stress = Series("Stress (0–10)", [(r.day, r.stress) for r in shown], "dotted")
    sleep_chart = line_chart_svg(
        [pain, sleep],
        start,
        today,
        title="Pain and sleep",
        y_max=12,
        description=f"Daily pain (0 to 10) and hours of sleep the night before, {weeks} weeks.",
    )
    stress_chart = line_chart_svg(
        [pain, stress],
        start,
        today,
        title="Pain and stress",
        description=f"Daily pain and stress, both 0 to 10, {weeks} weeks.",
    )
    return (
        ("sleep_chart", sleep_chart),
        ("stress_chart", stress_chart),
        ("rows", table_rows([pain, sleep, stress], start, today, skip_empty=True)),
        ("statements", statements(records, today)),
        ("checkin_count", len(shown)),
    )


@bp.post("/evidence/add/<statement_id>")
@role_required(Role.PATIENT)
def add_statement(statement_id: str) -> Response:
    """Add one of the statements to the patient's evidence log."""
    enrollment = current_enrollment()
    if not EmptyForm().validate_on_submit():
        return redirect(url_for(".evidence"))
    db = get_db()
    now = clock.now()
    today = local_today(current_user, now)
    records = day_records(checkins_between(db, current_user, today - timedelta(days=83), today))
    statement = next((s for s in statements(records, today) if s.id == statement_id), None)
    if statement is None:
        flash("That pattern is no longer in your recent check-ins.", "info")
        return redirect(url_for(".evidence"))
    problem = add_to_evidence_log(db, enrollment, _catalog(), statement, now=now)
    flash(problem or "Added to your evidence log.", "info" if problem else "success")
    return redirect(url_for(".evidence"))
