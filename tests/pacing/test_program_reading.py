"""The patient pages read completed steps one row per module (step ids and the latest time); the program state
they get must equal the pacing policy's answer from every step's own completion time."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import extensions
from course.clock import FrozenClock
from course.content.model import Catalog
from course.learn.services import home_facts, policy_for, program_for, step_page_facts
from course.models import Enrollment, OverrideKind, ProgramOverride, StepProgress, StepStatus, User
from course.pacing import OverrideEvent, ProgramState
from tests.app.test_patient_page_cost import count_statements


def reference_state(db: Session, enrollment: Enrollment, catalog: Catalog, now: datetime) -> ProgramState:
    """The policy fed each completed step's own time, read row by row."""
    completions = {
        (p.module_slug, p.step_id): p.completed_at
        for p in db.scalars(select(StepProgress).where(StepProgress.enrollment_id == enrollment.id))
        if p.status == StepStatus.COMPLETE and p.completed_at is not None
    }
    overrides = [
        OverrideEvent(o.kind.value, o.at)  # type: ignore[arg-type]
        for o in db.scalars(select(ProgramOverride).where(ProgramOverride.enrollment_id == enrollment.id))
    ]
    return policy_for(enrollment, catalog, completions, overrides, now)


def steps_of(catalog: Catalog, path: str) -> list[tuple[str, str]]:
    return [(slug, step_id) for slug, step_ids in catalog.outline(path) for step_id in step_ids]


def progress(
    enrollment: Enrollment, slug: str, step_id: str, at: datetime, *, complete: bool = True
) -> StepProgress:
    """A step's saved progress, completed at `at` (or only started then)."""
    return StepProgress(
        enrollment_id=enrollment.id,
        module_slug=slug,
        step_id=step_id,
        status=StepStatus.COMPLETE if complete else StepStatus.STARTED,
        answers={},
        started_at=at - timedelta(minutes=5),
        updated_at=at,
        completed_at=at if complete else None,
    )


def test_grouped_completions_give_the_same_state_as_each_steps_time(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    catalog: Catalog = extensions.catalog(app)
    schedule = extensions.schedule(app)
    rng = random.Random(20261126)
    now = clock()
    off_path_seen = 0
    for trial in range(80):
        pem = rng.random() < 0.5
        patient = make_patient(started_at=now - timedelta(days=rng.randint(0, 40)), pem=pem)
        enrollment = patient.enrollment
        assert enrollment is not None
        # Half the patients have done (nearly) everything on their path, so that modules finish.
        on_path = steps_of(catalog, "pacing" if pem else "standard")
        chosen = on_path if rng.random() < 0.5 else rng.sample(on_path, rng.randint(0, len(on_path)))
        if rng.random() < 0.3:  # a step of the other path, or one the content no longer has
            others = set(steps_of(catalog, "standard" if pem else "pacing")) - set(on_path)
            chosen = [*chosen, rng.choice([*sorted(others), (catalog.modules[0].slug, "retired-step")])]
        for slug, step_id in chosen:
            complete = rng.random() < 0.95
            # Mostly past, sometimes later than now (a clock set back): those must not count.
            at = now + timedelta(hours=rng.uniform(-24 * 40, 24 * 3))
            db.add(progress(enrollment, slug, step_id, at, complete=complete))
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice([OverrideKind.PAUSE, OverrideKind.RESUME, OverrideKind.UNLOCK_NEXT])
            at = now - timedelta(hours=rng.uniform(0, 24 * 30))
            db.add(ProgramOverride(enrollment_id=enrollment.id, kind=kind, at=at))
        db.commit()

        expected = reference_state(db, enrollment, catalog, now)
        assert program_for(db, enrollment, catalog, now) == expected, f"trial {trial}"
        assert home_facts(db, enrollment, catalog, schedule, now).state == expected, f"trial {trial}"
        slug, step_id = on_path[0]
        assert step_page_facts(db, enrollment, catalog, slug, step_id, now)[0] == expected, f"trial {trial}"

        path_steps = catalog.path_steps("pacing" if pem else "standard")
        off_path_seen += any(
            p.module_slug in path_steps and p.step_id not in path_steps[p.module_slug]
            for p in db.scalars(select(StepProgress).where(StepProgress.enrollment_id == enrollment.id))
            if p.status == StepStatus.COMPLETE and p.completed_at is not None and p.completed_at <= now
        )
    assert off_path_seen >= 5  # the second reading was exercised, not only the grouped one


def test_a_step_off_the_path_finished_last_does_not_move_the_modules_completion(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    """A patient moved to the pacing path after doing the standard path's last step of a module: the module
    was finished when its last pacing-path step was, so the next one opens on that day's schedule."""
    catalog: Catalog = extensions.catalog(app)
    now = clock()
    patient = make_patient(started_at=now - timedelta(days=30), pem=True)
    enrollment = patient.enrollment
    assert enrollment is not None
    pacing = dict(catalog.outline("pacing"))
    standard = dict(catalog.outline("standard"))
    slug = next(s for s in pacing if set(standard[s]) - set(pacing[s]))
    off_path_step = sorted(set(standard[slug]) - set(pacing[slug]))[0]
    # Every module before and including `slug` finished early on the pacing path...
    finished_at = now - timedelta(days=29)
    for module_slug, step_ids in catalog.outline("pacing"):
        for step_id in step_ids:
            db.add(progress(enrollment, module_slug, step_id, finished_at))
        if module_slug == slug:
            break
    # ...and the standard path's step of that module done an hour ago.
    db.add(progress(enrollment, slug, off_path_step, now - timedelta(hours=1)))
    db.commit()

    with count_statements(app) as seen:
        state = program_for(db, enrollment, catalog, now)
    assert len(seen) == 2  # the grouped reading, then each step's time for the module that needs it
    assert state == reference_state(db, enrollment, catalog, now)
    module_state = state.module(slug)
    assert module_state is not None
    assert module_state.completed_at is not None
    assert module_state.completed_at < now - timedelta(days=1)


def test_on_the_path_one_statement_reads_the_program(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    catalog: Catalog = extensions.catalog(app)
    now = clock()
    patient = make_patient(started_at=now - timedelta(days=30))
    enrollment = patient.enrollment
    assert enrollment is not None
    for slug, step_ids in catalog.outline("standard"):
        for n, step_id in enumerate(step_ids):
            db.add(progress(enrollment, slug, step_id, now - timedelta(days=20, hours=n)))
    db.commit()
    with count_statements(app) as seen:
        state = program_for(db, enrollment, catalog, now)
    assert len(seen) == 1
    assert state == reference_state(db, enrollment, catalog, now)
    assert state.modules[0].is_done
