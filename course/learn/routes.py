"""Views of the patient's course: load, check access (via the pacing policy), call a service, render."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import clock, extensions
from ..access import current_enrollment, role_required
from ..assess.services import screening_status
from ..assets import MAX_AGE_SECONDS
from ..content.model import Catalog, Module, Step
from ..db import get_db
from ..models import Role
from ..pacing import ModuleState, ProgramState
from ..steps.fields import field_name
from ..steps.kinds.journal import JournalStep
from ..templating import show_crisis_help, user_zone
from .blueprint import bp
from .forms import step_form_class
from .services import (
    home_facts,
    journal_text,
    path_of,
    program_for,
    recalled_answer,
    save_step,
    step_page_facts,
)


def _catalog() -> Catalog:
    catalog: Catalog = extensions.catalog()
    return catalog


def _module_or_404(slug: str) -> Module:
    module = _catalog().module(slug)
    if module is None:
        abort(404)
    return module


# The newest replies to the patient's feedback moments shown on the home page, for a while after they came.
REPLIES_ON_HOME = 3
REPLY_SHOWN = timedelta(days=14)


@bp.get("/")
@role_required(Role.PATIENT)
def home() -> str:
    """What to do today first, then the path of modules, and steps added to weeks already finished."""
    enrollment = current_enrollment()
    catalog = _catalog()
    now = clock.now()
    facts = home_facts(get_db(), enrollment, catalog, extensions.schedule(), now)
    state = facts.state
    current = state.current
    current_module = catalog.module(current[0]) if current else None
    current_step = current_module.step(current[1]) if current_module and current else None
    held = None
    if current_step is not None and current_module is not None:
        held = held_by(catalog, state, current_module.slug, current_step.id)
    elif state.next_locked is not None:
        held = held_by(catalog, state, state.next_locked.slug, None)
    return render_template(
        "learn/home.html",
        held=held,
        replies=[
            (catalog.module(r.module_slug), r)
            for r in facts.replies[:REPLIES_ON_HOME]
            if r.at > now - REPLY_SHOWN
        ],
        screening=screening_status(enrollment),
        due=facts.due,
        measures=extensions.measures(),
        checked_in_today=facts.checked_in_today,
        catalog=catalog,
        state=state,
        path_html=path_html(catalog, state),
        current_module=current_module,
        current_step=current_step,
        enrollment=enrollment,
        new_steps=_new_steps(catalog, state),
    )


def _new_steps(catalog: Catalog, state: ProgramState) -> list[tuple[Module, Step]]:
    """Steps added to open weeks after the patient had finished the rest (the policy's `new_steps`): offered
    on the home page, not required."""
    found = []
    for module_state in state.modules:
        if not module_state.new_steps:
            continue
        module = catalog.module(module_state.slug)
        for step_id in module_state.new_steps:
            step = module.step(step_id) if module is not None else None
            if module is not None and step is not None:
                found.append((module, step))
    return found


def path_html(catalog: Catalog, state: ProgramState) -> Markup:
    """The home page's path of modules (learn/_path.html), rendered once per process for each state of it.

    It is the largest part of the home page's template (eight modules, each with its status, link and
    progress), and the same on every visit until the patient finishes a step or a module opens. It depends on
    the modules' states, the pause, the catalog (its fingerprint covers slugs, weeks and titles), where the
    app is mounted, and the current year in the viewer's zone (a date of another year shows its year).
    """
    this_year = clock.now().astimezone(user_zone()).year
    return _rendered_path(request.script_root, catalog.fingerprint(), state.modules, state.paused, this_year)


@lru_cache(maxsize=2048)
def _rendered_path(
    script_root: str, fingerprint: str, modules: tuple[ModuleState, ...], paused: bool, this_year: int
) -> Markup:
    html = render_template("learn/_path.html", catalog=_catalog(), modules=modules, paused=paused)
    return Markup(html)  # noqa: S704  # nosec B704  # the template was autoescaped


@bp.get("/<slug>")
@role_required(Role.PATIENT)
def module(slug: str) -> Response | tuple[str, int] | str:
    """A module's overview: objectives, its steps and their status, references."""
    module = _module_or_404(slug)
    enrollment = current_enrollment()
    if screening_status(enrollment) != "ok":
        return redirect(url_for("assess.screening"))
    state = program_for(get_db(), enrollment, _catalog(), clock.now())
    module_state = state.module(slug)
    if module_state is None or not module_state.is_open:
        return _locked(module, None, state), 403
    steps = module.steps_for(path_of(enrollment))
    return render_template(
        "learn/module.html", module=module, steps=steps, module_state=module_state, state=state
    )


@bp.route("/<slug>/<step_id>", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def step(slug: str, step_id: str) -> Response | str | tuple[str, int]:
    """One step per page: show it, save answers on submit, move on when complete."""
    module = _module_or_404(slug)
    enrollment = current_enrollment()
    if screening_status(enrollment) != "ok":
        return redirect(url_for("assess.screening"))
    steps = module.steps_for(path_of(enrollment))
    step = next((s for s in steps if s.id == step_id), None)
    if step is None:
        abort(404)
    db = get_db()
    now = clock.now()
    state, progress, reply = step_page_facts(db, enrollment, _catalog(), slug, step_id, now)
    if not state.step_is_open(slug, step_id):
        return _locked(module, step, state), 403

    saved: dict[str, Any] = dict(progress.answers) if progress else {}
    if isinstance(step, JournalStep):
        saved = {"text": journal_text(db, enrollment, progress)}
    # No token field of its own: CSRFProtect checks every POST before the view (tests/app/test_csrf.py), and
    # the field would sign a second token. The page writes the session's token itself.
    form = step_form_class(step)(data=step.form_data(saved), meta={"csrf": False})

    status = 200
    if form.validate_on_submit():
        added_row = _added_row(step, form)
        answers = step.answers_from_form(form)
        if added_row:
            pass  # re-show the form with one more row; nothing is saved or lost
        elif "save" in form and form["save"].data:
            saved_step = save_step(db, enrollment, slug, step, answers, complete=False, now=now)
            if saved_step.crisis:
                show_crisis_help("words")
            if saved_step.switched_to_pacing:
                return _switched_to_pacing(module)
            flash("Saved. You can come back to this step at any time.", "success")
            return redirect(url_for(".step", slug=slug, step_id=step_id))
        elif not step.missing_required(form, answers):
            saved_step = save_step(db, enrollment, slug, step, answers, complete=True, now=now)
            if saved_step.crisis:
                show_crisis_help("words")
            if saved_step.switched_to_pacing:
                return _switched_to_pacing(module)
            if saved_step.asked_for_feedback:
                flash("Your answers went to your therapist. They will write back to you here.", "success")
            if anchor := step.SHOW_AFTER_FINISHING:
                return redirect(url_for(".step", slug=slug, step_id=step_id, _anchor=anchor))
            return redirect(_after(module, steps, step))
        else:
            status = 422
    elif form.is_submitted():
        status = 422
    _pad_list_rows(step, form)
    index = steps.index(step)
    recalled = recalled_answer(db, enrollment, _catalog(), step.recall) if step.recall else None
    return render_template(
        "learn/step.html",
        module=module,
        step=step,
        form=form,
        index=index,
        state=state,
        progress=progress,
        reply=reply,
        saved=saved,
        field_name=field_name,
        steps=steps,
        previous=steps[index - 1] if index > 0 else None,
        next_step=steps[index + 1] if index + 1 < len(steps) else None,
        has_errors=status == 422,
        recalled=recalled,
    ), status


def _switched_to_pacing(module: Module) -> Response:
    """After an answer revealing post-exertional malaise: the module again, with its pacing steps."""
    flash(
        "Thank you for telling us. Because effort can wipe you out, this week is now about pacing instead "
        "of doing more. Your therapist has been told. The steps below are the ones for you now.",
        "info",
    )
    return redirect(url_for(".module", slug=module.slug))


def _added_row(step: Step, form: Any) -> bool:
    for spec in getattr(step, "fields", ()):
        if spec.kind == "list" and form[f"add_{field_name(spec.id)}"].data:
            field = form[field_name(spec.id)]
            if len(field.entries) < spec.max_items:
                field.append_entry()
            return True
    return False


def _pad_list_rows(step: Step, form: Any) -> None:
    """Show saved rows plus at least one empty row (and as many as the exercise asks for)."""
    for spec in getattr(step, "fields", ()):
        if spec.kind != "list":
            continue
        field = form[field_name(spec.id)]
        wanted = max(spec.min_items, 1)
        while len(field.entries) < spec.max_items and (
            len(field.entries) < wanted or not _has_blank_row(field)
        ):
            field.append_entry()


def _has_blank_row(field: Any) -> bool:
    return any(all(sub.data in (None, "", []) for sub in entry.form) for entry in field.entries)


def _after(module: Module, steps: tuple[Step, ...], step: Step) -> str:
    index = steps.index(step)
    if index + 1 < len(steps):
        return url_for(".step", slug=module.slug, step_id=steps[index + 1].id)
    flash(f"Well done: you have finished week {module.week}, “{module.title}”.", "success")
    return url_for(".home")


def _locked(module: Module, step: Step | None, state: Any) -> str:
    """Why something is locked, revealing none of its content."""
    module_state = state.module(module.slug)
    waiting = (
        _catalog().module(module_state.waiting_for) if module_state and module_state.waiting_for else None
    )
    return render_template(
        "learn/locked.html",
        module=module,
        step=step,
        module_state=module_state,
        waiting=waiting,
        held=held_by(_catalog(), state, module.slug, step.id if step else None),
        state=state,
        patient=current_user,
    )


class Held(NamedTuple):
    """A feedback moment holding a step or a week: its step, and when it opens without a reply."""

    module: Module
    step: Step
    until: datetime


def held_by(catalog: Catalog, state: ProgramState, slug: str, step_id: str | None) -> Held | None:
    """The feedback moment that holds this step (or, without a step, this locked week), if one does."""
    found: tuple[str, str, datetime] | None = None
    if step_id is not None:
        step_hold = state.held_by(slug, step_id)
        if step_hold is not None:
            found = (slug, step_hold[0], step_hold[1].until)
    locked = state.module(slug)
    if found is None and locked is not None and locked.opens_on is None and locked.waiting_for is None:
        # A week whose day has come and whose week before is finished: only a feedback moment holds it.
        module_hold = state.module_held_by(slug)
        if module_hold is not None:
            found = (module_hold[0], module_hold[1], module_hold[2].until)
    if found is None:
        return None
    module = catalog.module(found[0])
    step = module.step(found[1]) if module else None
    return Held(module, step, found[2]) if module and step else None


@bp.get("/<slug>/<step_id>/audio/<name>")
@role_required(Role.PATIENT)
def guide(slug: str, step_id: str, name: str) -> Response:
    """A step's recorded guide, for a patient who may open the step. Range requests are answered (206), so a
    phone can seek; the name carries a hash of the content, so the answer is cached for a year."""
    module = _module_or_404(slug)
    enrollment = current_enrollment()
    step = next((s for s in module.steps_for(path_of(enrollment)) if s.id == step_id), None)
    if step is None or step.audio is None or name != step.audio.name:
        abort(404)
    if screening_status(enrollment) != "ok":
        abort(403)
    if not program_for(get_db(), enrollment, _catalog(), clock.now()).step_is_open(slug, step_id):
        abort(403)
    response = send_file(step.audio.file, mimetype=step.audio.kind, conditional=True, max_age=MAX_AGE_SECONDS)
    response.cache_control.public = False  # behind a sign-in: for this browser only
    response.cache_control.private = True
    response.cache_control.immutable = True
    return response
