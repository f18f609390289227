"""Practice any day: somatic tracking logged with fear before and after, "try it" experiments, and pain
thoughts answered with the patient's own evidence.

Every free-text answer goes through `safety_watch.watch_words`; rows belong to the patient (erased with them
by the schema's cascades, and in their export).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .._zones import zone_of
from ..activity import touch
from ..content.model import Catalog
from ..learn.services import get_progress
from ..models import BoosterAnswer, Enrollment, PracticeLog, Reappraisal, TryIt, User
from ..safety_watch import WrittenIn, watch_words
from .tools import SOMATIC, Ladder, Script

NOTE_MAX = 2000
HISTORY = 60  # practices and experiments shown on one page (the export has them all)


@dataclass(frozen=True)
class Saved:
    """What was saved, and whether its words call for crisis help."""

    row: PracticeLog | TryIt | Reappraisal | BoosterAnswer
    crisis: bool


def _kept(db: Session, patient: User, row: Any, what: str, words: list[str | None], now: datetime) -> Saved:
    """The tail of every save: the patient was active, the row is written, and its words are watched (`what`
    says where they were written, for the therapist's alert)."""
    touch(patient, now)
    db.flush()
    return Saved(row, watch_words(db, patient.enrollment, words, WrittenIn("practice", what), now))


def _local_day(patient: User, now: datetime) -> str:
    return now.astimezone(zone_of(patient)).date().isoformat()


def _newest(
    db: Session, model: type[PracticeLog | TryIt | Reappraisal], patient: User, limit: int
) -> list[Any]:
    """The patient's rows of `model`, newest first."""
    return list(
        db.scalars(
            select(model)
            .where(model.patient_id == patient.id)
            .order_by(model.created_at.desc(), model.id.desc())
            .limit(limit)
        )
    )


def log_practice(
    db: Session, patient: User, script: Script, values: dict[str, Any], *, now: datetime
) -> Saved:
    """Log one somatic tracking practice: fear before and after (each optional) and a note."""
    day = now.astimezone(zone_of(patient)).date()
    log = PracticeLog(
        patient_id=patient.id,
        tool=SOMATIC,
        script_id=script.id,
        day=day,
        fear_before=values.get("fear_before"),
        fear_after=values.get("fear_after"),
        note=values.get("note") or None,
        created_at=now,
    )
    db.add(log)
    return _kept(db, patient, log, f"a somatic tracking practice note ({day.isoformat()})", [log.note], now)


def practice_logs(db: Session, patient: User, limit: int = HISTORY) -> list[PracticeLog]:
    """The patient's logged practices, newest first."""
    return _newest(db, PracticeLog, patient, limit)


def start_try_it(db: Session, patient: User, pacing: bool, values: dict[str, Any], *, now: datetime) -> Saved:
    """Write down the prediction (or, on the pacing path, the plan) before the activity."""
    row = TryIt(
        patient_id=patient.id,
        pacing=pacing,
        activity=values["activity"],
        prediction=values["prediction"],
        predicted=values["predicted"],
        sure=values.get("sure"),
        plan=values.get("plan") or None,
        created_at=now,
    )
    db.add(row)
    what = "a paced activity plan" if pacing else "a “try it” prediction"
    words = [row.activity, row.prediction, row.plan]
    return _kept(db, patient, row, f"{what} ({_local_day(patient, now)})", words, now)


def compare_try_it(db: Session, patient: User, row: TryIt, values: dict[str, Any], *, now: datetime) -> Saved:
    """Write down what happened after the activity (a second save corrects it)."""
    row.outcome = values["outcome"]
    row.actual = values["actual"]
    row.compared_at = now
    what = "how a paced activity went" if row.pacing else "what happened after a “try it”"
    return _kept(db, patient, row, f"{what} ({_local_day(patient, now)})", [row.outcome], now)


def try_its(db: Session, patient: User, limit: int = HISTORY) -> list[TryIt]:
    """The patient's experiments (and paced plans), newest first."""
    return _newest(db, TryIt, patient, limit)


def compared(db: Session, patient: User, limit: int = 10) -> list[TryIt]:
    """Experiments with a result, newest first: what the evidence page shows ("you predicted 8, it was 4")."""
    return list(
        db.scalars(
            select(TryIt)
            .where(TryIt.patient_id == patient.id, TryIt.compared_at.is_not(None), TryIt.pacing.is_(False))
            .order_by(TryIt.compared_at.desc(), TryIt.id.desc())
            .limit(limit)
        )
    )


def log_reappraisal(db: Session, patient: User, values: dict[str, Any], *, now: datetime) -> Saved:
    """Save a pain thought, the patient's answer from their own evidence, and how much they believed it."""
    row = Reappraisal(
        patient_id=patient.id,
        thought=values["thought"],
        belief_before=values.get("belief_before"),
        answer=values["answer"],
        belief_after=values.get("belief_after"),
        created_at=now,
    )
    db.add(row)
    what = f"a pain thought and its answer ({_local_day(patient, now)})"
    return _kept(db, patient, row, what, [row.thought, row.answer], now)


def reappraisals(db: Session, patient: User, limit: int = HISTORY) -> list[Reappraisal]:
    """The patient's answered thoughts, newest first."""
    return _newest(db, Reappraisal, patient, limit)


def evidence_entries(db: Session, enrollment: Enrollment, catalog: Catalog) -> list[str]:
    """The clues in the patient's own evidence log (course.yaml's `evidence_log`), as they wrote them."""
    target = catalog.evidence_log
    if target is None:
        return []
    progress = get_progress(db, enrollment, target.module, target.step)
    rows = (progress.answers or {}).get(target.list_field) if progress else None
    if not isinstance(rows, list):
        return []
    texts = (row.get(target.text) for row in rows if isinstance(row, dict))
    return [text for text in texts if isinstance(text, str) and text.strip()]


def save_booster(
    db: Session, patient: User, booster_id: str, values: dict[str, Any], *, now: datetime
) -> Saved:
    """Save a booster's answers (a later save adds a newer answer; the page shows the newest)."""
    row = BoosterAnswer(
        patient_id=patient.id,
        booster_id=booster_id,
        what_helped=values["what_helped"],
        practise=values.get("practise") or None,
        created_at=now,
    )
    db.add(row)
    words = [row.what_helped, row.practise]
    return _kept(db, patient, row, f"a booster after the program ({booster_id})", words, now)


def booster_answers(db: Session, patient: User) -> dict[str, BoosterAnswer]:
    """The newest answer to each booster."""
    rows = db.scalars(
        select(BoosterAnswer).where(BoosterAnswer.patient_id == patient.id).order_by(BoosterAnswer.id)
    )
    return {row.booster_id: row for row in rows}


def saved_answers(
    db: Session, enrollment: Enrollment, catalog: Catalog, target: tuple[str, str]
) -> list[tuple[str, str]]:
    """(label, answer) for each text the patient wrote in a step (their flare plan), in the step's order."""
    module = catalog.module(target[0])
    step = module.step(target[1]) if module else None
    progress = get_progress(db, enrollment, *target)
    if step is None or progress is None:
        return []
    answers = progress.answers or {}
    shown = []
    for field in getattr(step, "fields", ()):
        value = answers.get(field.id)
        if isinstance(value, str) and value.strip():
            shown.append((field.label, value))
    return shown


def ladder_steps(db: Session, enrollment: Enrollment, ladder: Ladder) -> list[tuple[str, int | None]]:
    """The steps of the patient's own fear ladder, with how scary each felt (0-10) when they rated it."""
    progress = get_progress(db, enrollment, ladder.module, ladder.step)
    rows = (progress.answers or {}).get(ladder.field) if progress else None
    if not isinstance(rows, list):
        return []
    steps = []
    for row in rows:
        if (
            not isinstance(row, dict)
            or not isinstance(row.get(ladder.text), str)
            or not row[ladder.text].strip()
        ):
            continue
        rating = row.get(ladder.rating)
        steps.append(
            (row[ladder.text], rating if isinstance(rating, int) and not isinstance(rating, bool) else None)
        )
    return steps


def practice_export(db: Session, patient: User) -> dict[str, list[dict[str, Any]]]:
    """Every practice and experiment of the patient, for their data export (all of them, oldest first)."""
    logs = db.scalars(
        select(PracticeLog).where(PracticeLog.patient_id == patient.id).order_by(PracticeLog.id)
    )
    tries = db.scalars(select(TryIt).where(TryIt.patient_id == patient.id).order_by(TryIt.id))
    answered = db.scalars(
        select(Reappraisal).where(Reappraisal.patient_id == patient.id).order_by(Reappraisal.id)
    )
    boosters = db.scalars(
        select(BoosterAnswer).where(BoosterAnswer.patient_id == patient.id).order_by(BoosterAnswer.id)
    )
    return {
        "somatic_tracking": [
            {
                "day": log.day.isoformat(),
                "script": log.script_id,
                "fear_before": log.fear_before,
                "fear_after": log.fear_after,
                "note": log.note,
                "saved_at": log.created_at.isoformat(),
            }
            for log in logs
        ],
        "try_it": [
            {
                "kind": "paced activity plan" if row.pacing else "try it",
                "activity": row.activity,
                "prediction": row.prediction,
                "predicted": row.predicted,
                "sure_percent": row.sure,
                "plan": row.plan,
                "what_happened": row.outcome,
                "actual": row.actual,
                "written_at": row.created_at.isoformat(),
                "compared_at": row.compared_at.isoformat() if row.compared_at else None,
            }
            for row in tries
        ],
        "reappraisal": [
            {
                "thought": row.thought,
                "belief_before_percent": row.belief_before,
                "answer": row.answer,
                "belief_after_percent": row.belief_after,
                "written_at": row.created_at.isoformat(),
            }
            for row in answered
        ],
        "boosters": [
            {
                "booster": row.booster_id,
                "what_helped": row.what_helped,
                "what_to_practise": row.practise,
                "written_at": row.created_at.isoformat(),
            }
            for row in boosters
        ],
    }
