"""The learning rules: what a patient may open (asking the pacing policy) and saving their work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .._zones import zone_of
from ..activity import touch
from ..content.model import Catalog, HabitStep, JournalStep, Step
from ..journal.services import create_entry, own_entry, update_entry
from ..models import Enrollment, JournalEntry, ProgramOverride, StepProgress, StepStatus
from ..pacing import OverrideEvent, ProgramState, program_state


@dataclass(frozen=True)
class StepSaved:
    """The saved progress, and whether what was written calls for crisis help."""

    progress: StepProgress
    crisis: bool


def path_of(enrollment: Enrollment) -> str:
    """The patient's path: 'pacing' after post-exertional malaise was reported, else 'standard'."""
    return "pacing" if enrollment.pem else "standard"


def program_for(db: Session, enrollment: Enrollment, catalog: Catalog, now: datetime) -> ProgramState:
    """Ask the pacing policy about this patient, from their completions and overrides."""
    completions = {
        (slug, step): at
        for slug, step, at in db.execute(
            select(StepProgress.module_slug, StepProgress.step_id, StepProgress.completed_at).where(
                StepProgress.enrollment_id == enrollment.id, StepProgress.status == StepStatus.COMPLETE
            )
        )
        if at is not None
    }
    overrides = [
        OverrideEvent(kind.value, at)
        for kind, at in db.execute(
            select(ProgramOverride.kind, ProgramOverride.at).where(
                ProgramOverride.enrollment_id == enrollment.id
            )
        )
    ]
    return program_state(
        catalog.outline(path_of(enrollment)),
        enrollment.started_at,
        zone_of(enrollment.patient),
        catalog.pace_days,
        completions,
        overrides,
        now,
    )


def get_progress(db: Session, enrollment: Enrollment, module_slug: str, step_id: str) -> StepProgress | None:
    """The saved progress on one step, if any."""
    return db.scalar(
        select(StepProgress).where(
            StepProgress.enrollment_id == enrollment.id,
            StepProgress.module_slug == module_slug,
            StepProgress.step_id == step_id,
        )
    )


def save_step(
    db: Session,
    enrollment: Enrollment,
    module_slug: str,
    step: Step,
    answers: dict[str, Any],
    *,
    complete: bool,
    now: datetime,
) -> StepSaved:
    """Save answers to a step; completing is permanent (a later 'save for later' keeps it complete).

    A journal step's text becomes (or updates) a journal entry, linked from the answers; `crisis` says
    whether crisis help must be shown.
    """
    progress = get_progress(db, enrollment, module_slug, step.id)
    if progress is None:
        progress = StepProgress(
            enrollment_id=enrollment.id,
            module_slug=module_slug,
            step_id=step.id,
            status=StepStatus.STARTED,
            answers={},
            started_at=now,
            updated_at=now,
        )
        try:
            with db.begin_nested():
                db.add(progress)
        except IntegrityError:
            # A double submit raced us to the insert; update the row it created.
            found = get_progress(db, enrollment, module_slug, step.id)
            if found is None:
                raise
            progress = found
    crisis = False
    if isinstance(step, JournalStep):
        answers, crisis = _save_journal_answer(db, enrollment, module_slug, step, progress, answers, now)
    if isinstance(step, HabitStep) and step.habit is not None and complete and answers.get("adopt"):
        from ..tracking.services import set_habit

        set_habit(db, enrollment.patient, step.habit.id, True, now)
    progress.answers = answers
    progress.updated_at = now
    touch(enrollment, now)
    if complete and progress.status != StepStatus.COMPLETE:
        progress.status = StepStatus.COMPLETE
        progress.completed_at = now
    db.flush()
    return StepSaved(progress, crisis)


def _save_journal_answer(
    db: Session,
    enrollment: Enrollment,
    module_slug: str,
    step: JournalStep,
    progress: StepProgress,
    answers: dict[str, Any],
    now: datetime,
) -> tuple[dict[str, Any], bool]:
    """Create or update the journal entry behind a journal step; returns the answers and the crisis flag."""
    text = str(answers.get("text", ""))
    entry_id = (progress.answers or {}).get("entry_id")
    entry = own_entry(db, enrollment.patient, int(entry_id)) if entry_id else None
    if not text.strip() and entry is None:
        return {}, False
    if entry is None:
        saved = create_entry(
            db,
            enrollment.patient,
            text,
            now=now,
            prompt=step.prompt,
            module_slug=module_slug,
            step_id=step.id,
        )
    else:
        saved = update_entry(db, enrollment.patient, entry, text, base_revision=entry.revision, now=now)
    return {"entry_id": saved.entry.id}, saved.crisis


def journal_text(db: Session, enrollment: Enrollment, progress: StepProgress | None) -> str:
    """The text of the journal entry a journal step created, for showing it again."""
    entry_id = (progress.answers or {}).get("entry_id") if progress else None
    entry = db.get(JournalEntry, entry_id) if entry_id else None
    return entry.text if entry is not None and entry.patient_id == enrollment.patient_id else ""


def orphaned_progress(db: Session, catalog: Catalog) -> list[tuple[str, str, int]]:
    """(module, step, patients) for saved progress on steps the program no longer has."""
    known = {(m.slug, s) for m in catalog.modules for s in m.step_ids}
    rows = db.execute(
        select(StepProgress.module_slug, StepProgress.step_id, func.count(StepProgress.id)).group_by(
            StepProgress.module_slug, StepProgress.step_id
        )
    )
    return sorted((m, s, n) for m, s, n in rows if (m, s) not in known)
