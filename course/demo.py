"""Demo data: the accounts in README.md, with patients at different points of the program.

Safe to run twice: existing accounts are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from .accounts import create_user, find_user_by_email
from .content.model import Catalog, Check, Exercise, Field, HabitStep, JournalStep, Practice, Step
from .enrollment import enroll, record_override
from .learn.services import program_for, save_step
from .models import Enrollment, OverrideKind, Role, User

PASSWORD = "demo-password"  # noqa: S105
TIMEZONE = "America/Denver"


@dataclass(frozen=True)
class DemoPatient:
    """Where one demo patient stands."""

    number: int
    name: str
    therapist: int
    started_days_ago: int
    steps: int  # how many steps to complete (in order, as the pacing allows)
    quiet_days: int = 0  # no activity in the last N days
    paused: bool = False


PATIENTS = [
    DemoPatient(1, "Alex Rivera", 1, 70, 10_000),  # finished the program
    DemoPatient(2, "Sam Patel", 1, 24, 24),  # mid-program
    DemoPatient(3, "Jordan Lee", 1, 0, 0),  # just enrolled
    DemoPatient(4, "Casey Morgan", 1, 35, 14, quiet_days=15),  # silent for two weeks
    DemoPatient(5, "Riley Chen", 1, 9, 9),  # week 2
    DemoPatient(6, "Morgan Diaz", 1, 18, 12, paused=True),  # paused by the therapist
    DemoPatient(7, "Taylor Brooks", 2, 12, 11),
    DemoPatient(8, "Jamie Novak", 2, 2, 3),
]


def _account(db: Session, email: str, name: str, role: Role, now: datetime) -> tuple[User, bool]:
    user = find_user_by_email(db, email)
    if user is not None:
        return user, False
    user = create_user(
        db, email=email, display_name=name, password=PASSWORD, role=role, timezone=TIMEZONE, now=now
    )
    return user, True


def load_demo(db: Session, catalog: Catalog, now: datetime) -> int:
    """Create the demo accounts that are missing; returns how many were created."""
    created = 0
    _, new = _account(db, "admin@example.org", "Clinic Admin", Role.ADMIN, now - timedelta(days=90))
    created += new
    therapists = {}
    for number, name in ((1, "Dr. Dana Whitfield"), (2, "Chris Okafor, PT")):
        therapists[number], new = _account(
            db, f"therapist{number}@example.org", name, Role.THERAPIST, now - timedelta(days=90)
        )
        created += new
    for spec in PATIENTS:
        started = now - timedelta(days=spec.started_days_ago, hours=2)
        patient, new = _account(db, f"patient{spec.number}@example.org", spec.name, Role.PATIENT, started)
        if not new:
            continue
        created += 1
        enrollment = enroll(db, patient, therapists[spec.therapist], started)
        _work_through(db, enrollment, catalog, spec, now)
        if spec.paused:
            record_override(
                db,
                enrollment,
                OverrideKind.PAUSE,
                by=therapists[spec.therapist],
                now=now - timedelta(days=3),
                reason="Taking a break during a family move.",
            )
    db.flush()
    return created


def _work_through(
    db: Session, enrollment: Enrollment, catalog: Catalog, spec: DemoPatient, now: datetime
) -> None:
    """Complete steps in order, each at a time the pacing policy allows, until the demo's cut-off."""
    cutoff = now - timedelta(days=spec.quiet_days, hours=1)
    moment = enrollment.started_at + timedelta(hours=1)
    for _ in range(spec.steps):
        state = program_for(db, enrollment, catalog, cutoff)
        current = state.current
        if current is None:
            return
        slug, step_id = current
        module_state = state.module(slug)
        module = catalog.module(slug)
        if module_state is None or module_state.opened_at is None or module is None:
            return
        moment = max(moment, module_state.opened_at + timedelta(hours=9)) + timedelta(minutes=12)
        if moment > cutoff:
            return
        step = module.step(step_id)
        if step is None:
            return
        save_step(db, enrollment, slug, step, demo_answers(step), complete=True, now=moment)


def _field_answer(field: Field) -> Any:
    if field.kind in ("text", "longtext"):
        return "When I am tired or worried, my back speaks up more."
    if field.kind == "scale":
        return (field.min + field.max) // 2
    if field.kind == "choice":
        return field.options[0].value
    if field.kind == "multichoice":
        return [field.options[0].value]
    return [{item.id: _field_answer(item) for item in field.item_fields}]


def demo_answers(step: Step) -> dict[str, Any]:
    """Plausible answers for any step, so demo patients have something a therapist can read."""
    if isinstance(step, Exercise):
        return {field.id: _field_answer(field) for field in step.fields}
    if isinstance(step, Check):
        return {q.id: q.answer for q in step.questions}
    if isinstance(step, Practice):
        answers: dict[str, Any] = {}
        for rating in step.ratings:
            answers[f"{rating.id}-before"] = 6
            answers[f"{rating.id}-after"] = 4
        return answers
    if isinstance(step, HabitStep):
        return {"adopt": True}
    if isinstance(step, JournalStep):
        return {"text": "I noticed my pain was lower on the day I spent with my sister. That surprised me."}
    return {}
