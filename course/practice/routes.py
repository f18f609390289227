"""Views of the any-day tools: load (404), check access (open by the pacing policy), call a service."""

from __future__ import annotations

from typing import NamedTuple

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import clock, extensions
from .._zones import zone_of
from ..access import current_enrollment, enrollment_for_therapist, role_required
from ..assess.services import due_now
from ..audit import record
from ..db import get_db
from ..learn.services import path_of, program_for
from ..models import Enrollment, Role, TryIt, User
from ..pacing import ProgramState
from ..templating import show_crisis_help
from .blueprint import bp
from .forms import (
    PACED_PLAN_REQUIRED,
    BoosterForm,
    CompareForm,
    PracticeLogForm,
    ReappraisalForm,
    TryItForm,
    use_paced_labels,
)
from .services import (
    booster_answers,
    compare_try_it,
    compared,
    evidence_entries,
    ladder_steps,
    log_practice,
    log_reappraisal,
    practice_logs,
    reappraisals,
    save_booster,
    saved_answers,
    start_try_it,
    try_its,
)
from .tools import HIGH_PAIN, REAPPRAISAL, SOMATIC, TRY_IT, Tool, installed


class Offer(NamedTuple):
    """A tool offered on the home page."""

    title: str
    text: str
    url: str


@bp.app_template_global()
def practice_offers(state: ProgramState, enrollment: Enrollment) -> list[Offer]:
    """The tools open for the patient, as the home page offers them ("Practise now")."""
    tools = installed()
    open_ids = tools.open_ids(state)
    offers = []
    if tools.boosters is not None:
        for booster in tools.boosters.offered(state, zone_of(current_user), clock.now()):
            offers.append(
                Offer(
                    booster.title,
                    "A short booster: what helped, what to practise, your flare plan.",
                    url_for("practice.booster", booster_id=booster.id),
                )
            )
    if SOMATIC in open_ids:
        offers.append(
            Offer(
                "Somatic tracking", "A few minutes with a sensation, with safety.", url_for("practice.index")
            )
        )
    if REAPPRAISAL in open_ids:
        offers.append(
            Offer("Answer a pain thought", "Use your own evidence.", url_for("practice.reappraise"))
        )
    if TRY_IT in open_ids:
        if bool(enrollment.pem):
            offers.append(
                Offer("Plan a paced activity", "Plan it within your energy.", url_for("practice.try_it"))
            )
        else:
            offers.append(Offer("Try it", "Predict, do, then compare.", url_for("practice.try_it")))
    return offers


@bp.app_template_global()
def ladder_try_it(state: ProgramState, module_slug: str, step_id: str) -> str | None:
    """Where to try the rungs of a fear ladder: the "Try it" tool's address on the step its `ladder` names
    (practice.yaml), once the tool is open for the patient; else None."""
    tool = installed().try_it
    ladder = tool.ladder if tool is not None else None
    if tool is None or ladder is None or (ladder.module, ladder.step) != (module_slug, step_id):
        return None
    return url_for("practice.try_it") if tool.opening.is_open(state) else None


def after_checkin(enrollment: Enrollment, pain: int) -> str | None:
    """Where a check-in leads on a high-pain day: the reappraisal practice, when it is open; else None."""
    tool = installed().reappraisal
    if tool is None or pain < HIGH_PAIN:
        return None
    state = program_for(get_db(), enrollment, extensions.catalog(), clock.now())
    return url_for("practice.reappraise", after="checkin") if tool.opening.is_open(state) else None


def _opening_text(tool: Tool) -> str:
    module = extensions.catalog().module(tool.opening.module)
    name = f"week {module.week}, “{module.title}”" if module else "a later week"
    return f"once you finish {name}" if tool.opening.when == "after" else f"when {name} opens"


def _state() -> tuple[Enrollment, ProgramState]:
    enrollment = current_enrollment()
    return enrollment, program_for(get_db(), enrollment, extensions.catalog(), clock.now())


def _locked(tool: Tool, what: str) -> tuple[str, int]:
    return render_template("practice/locked.html", what=what, opens=_opening_text(tool)), 403


@bp.get("")
@role_required(Role.PATIENT)
def index() -> str:
    """The practice page: the scripts, the patient's practice log, and their experiments."""
    enrollment, state = _state()
    tools = installed()
    db = get_db()
    return render_template(
        "practice/index.html",
        tools=tools,
        open_ids=tools.open_ids(state),
        opening_text=_opening_text,
        logs=practice_logs(db, current_user),
        experiments=try_its(db, current_user),
        answered=reappraisals(db, current_user),
        boosters=tools.boosters.open_now(state, zone_of(current_user), clock.now()) if tools.boosters else [],
        pacing=bool(enrollment.pem),
    )


@bp.route("/somatic/<script_id>", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def somatic(script_id: str) -> Response | str | tuple[str, int]:
    """One somatic tracking script, with fear before and after, logged when saved."""
    tool = installed().somatic
    script = tool.script(script_id) if tool else None
    if tool is None or script is None:
        abort(404)
    _enrollment, state = _state()
    if not tool.opening.is_open(state):
        return _locked(tool, "Somatic tracking practice")
    form = PracticeLogForm()
    if form.validate_on_submit():
        values = {
            "fear_before": form.fear_before.data,
            "fear_after": form.fear_after.data,
            "note": form.note.data,
        }
        saved = log_practice(get_db(), current_user, script, values, now=clock.now())
        if saved.crisis:
            show_crisis_help("words")
        flash("Practice saved. Well done for taking the time.", "success")
        return redirect(url_for(".index"))
    status = 422 if form.is_submitted() else 200
    return render_template("practice/somatic.html", tool=tool, script=script, form=form), status


@bp.route("/try-it", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def try_it() -> Response | str | tuple[str, int]:
    """Before an activity: the prediction (or, on the pacing path, the plan within the patient's energy)."""
    tool = installed().try_it
    if tool is None:
        abort(404)
    enrollment, state = _state()
    if not tool.opening.is_open(state):
        return _locked(tool, "Planning an activity" if bool(enrollment.pem) else "“Try it”")
    chosen = request.args.get("activity", "")[:200] if request.method == "GET" else ""
    form = TryItForm(data={"activity": chosen} if chosen else None)
    if bool(enrollment.pem):
        use_paced_labels(form)
    if form.validate_on_submit():
        if bool(enrollment.pem) and not form.plan.data:
            form.plan.errors = [PACED_PLAN_REQUIRED]
        else:
            values = {
                name: form[name].data for name in ("activity", "prediction", "predicted", "sure", "plan")
            }
            saved = start_try_it(get_db(), current_user, bool(enrollment.pem), values, now=clock.now())
            if saved.crisis:
                show_crisis_help("words")
            flash("Saved. Come back afterwards to write down what happened.", "success")
            return redirect(url_for(".index"))
    status = 422 if form.is_submitted() else 200
    ladder = ladder_steps(get_db(), enrollment, tool.ladder) if tool.ladder and not enrollment.pem else []
    return render_template(
        "practice/try_it.html", form=form, pacing=bool(enrollment.pem), ladder=ladder
    ), status


@bp.route("/reappraise", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def reappraise() -> Response | str | tuple[str, int]:
    """Catch a pain thought and answer it with the patient's own evidence."""
    tool = installed().reappraisal
    if tool is None:
        abort(404)
    enrollment, state = _state()
    if not tool.opening.is_open(state):
        return _locked(tool, "Answering a pain thought")
    form = ReappraisalForm()
    db = get_db()
    if form.validate_on_submit():
        values = {name: form[name].data for name in ("thought", "belief_before", "answer", "belief_after")}
        saved = log_reappraisal(db, current_user, values, now=clock.now())
        if saved.crisis:
            show_crisis_help("words")
        flash("Saved. You answered the thought with your own evidence.", "success")
        return redirect(url_for(".index"))
    status = 422 if form.is_submitted() else 200
    catalog = extensions.catalog()
    return render_template(
        "practice/reappraise.html",
        form=form,
        clues=evidence_entries(db, enrollment, catalog),
        experiments=compared(db, current_user),
        earlier=reappraisals(db, current_user, limit=3),
        after_checkin=request.args.get("after") == "checkin",
    ), status


@bp.route("/booster/<booster_id>", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def booster(booster_id: str) -> Response | str | tuple[str, int]:
    """A booster after the program: what helped, what to practise, the flare plan again, the follow-ups."""
    boosters = installed().boosters
    found = boosters.booster(booster_id) if boosters else None
    if boosters is None or found is None:
        abort(404)
    enrollment, state = _state()
    now = clock.now()
    opens_at = boosters.opens_at(found, state, zone_of(current_user))
    if opens_at is None or opens_at > now:
        when = f"on {opens_at:%-d %B %Y}" if opens_at else "after you finish the last week of the program"
        return render_template("practice/locked.html", what=f"“{found.title}”", opens=when), 403
    db = get_db()
    form = BoosterForm()
    if form.validate_on_submit():
        values = {"what_helped": form.what_helped.data, "practise": form.practise.data}
        saved = save_booster(db, current_user, found.id, values, now=now)
        if saved.crisis:
            show_crisis_help("words")
        flash("Saved. Thank you for checking in.", "success")
        return redirect(url_for(".index"))
    status = 422 if form.is_submitted() else 200
    catalog = extensions.catalog()
    plan = saved_answers(db, enrollment, catalog, boosters.flare_plan) if boosters.flare_plan else []
    plan_link = (
        url_for("learn.step", slug=boosters.flare_plan[0], step_id=boosters.flare_plan[1])
        if boosters.flare_plan
        else None
    )
    return render_template(
        "practice/booster.html",
        form=form,
        booster=found,
        boosters=boosters,
        earlier=booster_answers(db, current_user).get(found.id),
        flare_plan=plan,
        flare_plan_link=plan_link,
        due=due_now(db, enrollment, extensions.schedule(), now),
        measures=extensions.measures(),
    ), status


def _own_try_it(patient: User, try_id: int) -> TryIt:
    """One of the patient's own experiments; 404 for anyone else's (never a hint)."""
    row = get_db().get(TryIt, try_id)
    if row is None or row.patient_id != patient.id:
        abort(404)
    return row


@bp.route("/try-it/<int:try_id>", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def compare(try_id: int) -> Response | str | tuple[str, int]:
    """After the activity: what happened, beside what the patient predicted."""
    enrollment = current_enrollment()
    row = _own_try_it(current_user, try_id)
    data = {"outcome": row.outcome, "actual": row.actual} if row.compared_at else None
    form = CompareForm(data=data)
    if row.pacing:
        use_paced_labels(form)
    if form.validate_on_submit():
        values = {"outcome": form.outcome.data, "actual": form.actual.data}
        saved = compare_try_it(get_db(), current_user, row, values, now=clock.now())
        if saved.crisis:
            show_crisis_help("words")
        flash("Saved. Thank you for checking.", "success")
        return redirect(url_for(".index"))
    status = 422 if form.is_submitted() else 200
    return render_template("practice/compare.html", form=form, row=row, pacing=bool(enrollment.pem)), status


@bp.get("/patients/<int:patient_id>")
@role_required(Role.THERAPIST)
def patient_logs(patient_id: int) -> str:
    """A therapist reads one of their own patients' practice log and experiments (read-only, audited)."""
    db = get_db()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    patient = enrollment.patient
    record(db, current_user, patient.id, "practice_viewed", now=clock.now())
    return render_template(
        "practice/patient.html",
        patient=patient,
        tools=installed(),
        logs=practice_logs(db, patient),
        experiments=try_its(db, patient),
        answered=reappraisals(db, patient),
        boosters=booster_answers(db, patient),
        path=path_of(enrollment),
    )
