"""Safety screening before week 1, and outcome measures: what is due, saving answers, scores over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .._zones import zone_of
from ..activity import touch
from ..alerts import raise_alert
from ..measures import (
    RCI,
    Due,
    Measure,
    PainResponse,
    Schedule,
    Score,
    TalkingTherapiesOutcome,
    due_measures,
    explain_pain_response,
    explain_point_change,
    explain_reliable_change,
    explain_score,
    explain_talking_therapies,
    occurrences,
    pain_response,
    point_change,
    reliable_change,
    safety_flags,
    score,
    talking_therapies_outcome,
    validate_answers,
)
from ..models import Enrollment, MeasureResponse, User
from ..safety import RED_FLAGS, urgency_of
from ..safety_watch import WrittenIn, report_pem

ScreeningStatus = Literal["needed", "blocked", "awaiting-assessment", "ok"]


def screening_status(enrollment: Enrollment) -> ScreeningStatus:
    """Whether the patient must answer the screening, must see a doctor first, waits for their therapist to
    record the clinical assessment, or may go on."""
    if enrollment.screened_at is None:
        return "needed"
    if enrollment.red_flags and enrollment.cleared_at is None:
        return "blocked"
    if enrollment.assessed_at is None:
        return "awaiting-assessment"
    return "ok"


def save_screening(db: Session, enrollment: Enrollment, flags: list[str], pem: str, now: datetime) -> None:
    """Record the answers; red flags stop the program and alert the therapist; PEM switches to pacing."""
    known = {flag.id for flag in RED_FLAGS}
    chosen = [f for f in flags if f in known]
    enrollment.red_flags = chosen
    enrollment.screened_at = now
    if chosen:
        raise_alert(
            db,
            enrollment,
            "red_flag",
            now=now,
            details={"source": "screening", "flags": chosen, "urgency": urgency_of(chosen)},
        )
    if not report_pem(db, enrollment, pem, WrittenIn("screening", "the safety questions before week 1"), now):
        enrollment.pem = bool(enrollment.pem)
    db.flush()


def clear_to_continue(db: Session, enrollment: Enrollment, therapist: User, now: datetime) -> None:
    """The therapist has checked the red flags with the patient and clears them to start."""
    enrollment.cleared_at = now
    enrollment.cleared_by_id = therapist.id
    db.flush()


def answered_keys(db: Session, enrollment: Enrollment) -> set[tuple[str, str]]:
    """(measure, due key) pairs the patient has completed."""
    return {
        (m, k)
        for m, k in db.execute(
            select(MeasureResponse.measure_id, MeasureResponse.due_key).where(
                MeasureResponse.enrollment_id == enrollment.id, MeasureResponse.complete.is_(True)
            )
        )
    }


def due_now(db: Session, enrollment: Enrollment, schedule: Schedule, now: datetime) -> list[Due]:
    """The measures the patient should answer now."""
    return due_measures(
        schedule, enrollment.started_at, zone_of(enrollment.patient), now, answered_keys(db, enrollment)
    )


def find_due(schedule: Schedule, enrollment: Enrollment, measure_id: str, due_key: str) -> Due | None:
    """A scheduled occurrence by its keys (open or not)."""
    for due in occurrences(schedule, enrollment.started_at, zone_of(enrollment.patient)):
        if due.measure_id == measure_id and due.due_key == due_key:
            return due
    return None


def get_response(
    db: Session, enrollment: Enrollment, measure_id: str, due_key: str
) -> MeasureResponse | None:
    """The saved answers (draft or complete) for one occurrence."""
    return db.scalar(
        select(MeasureResponse).where(
            MeasureResponse.enrollment_id == enrollment.id,
            MeasureResponse.measure_id == measure_id,
            MeasureResponse.due_key == due_key,
        )
    )


class MeasureRefused(ValueError):
    """The answers cannot be saved; the message says why."""


@dataclass(frozen=True)
class MeasureSaved:
    """The stored response, and whether a safety item calls for crisis help now."""

    response: MeasureResponse
    crisis: bool


def save_response(
    db: Session,
    enrollment: Enrollment,
    measure: Measure,
    due_key: str,
    answers: dict[str, int],
    *,
    complete: bool,
    now: datetime,
) -> MeasureSaved:
    """Save a draft (never scored) or a complete questionnaire (scored); answered once per due date."""
    problems = validate_answers(measure, answers)
    if problems:
        raise MeasureRefused("; ".join(problems.values()))
    response = get_response(db, enrollment, measure.id, due_key)
    if response is not None and response.complete:
        raise MeasureRefused("You have already answered this one. Thank you.")
    result = score(measure, answers) if complete else None
    if complete and result is None:
        raise MeasureRefused("Please answer every question, or save it for later.")
    if response is None:
        response = MeasureResponse(
            enrollment_id=enrollment.id, measure_id=measure.id, due_key=due_key, created_at=now
        )
        db.add(response)
    alerted = bool((response.answers or {}).get("_alerted"))
    flags = safety_flags(measure, answers)
    stored: dict[str, Any] = dict(answers)
    if flags and not alerted:
        raise_alert(
            db, enrollment, "crisis", now=now, details={"source": measure.short_title, "due": due_key}
        )
    if flags or alerted:
        stored["_alerted"] = True
    response.answers = stored
    touch(enrollment, now)
    if result is not None:
        response.complete = True
        response.completed_at = now
        response.score = float(result.total)
        response.band = result.band.label if result.band else None
    db.flush()
    return MeasureSaved(response, crisis=bool(flags))


@dataclass(frozen=True)
class ScorePoint:
    """One complete answer to a measure."""

    due_key: str
    label: str
    score: float
    band: str | None
    patient_band: str | None
    completed_at: datetime


@dataclass(frozen=True)
class MeasureHistory:
    """A measure's scores over time with change from the first, and what the change means."""

    measure: Measure
    points: list[ScorePoint]
    rci: RCI | None
    pain: PainResponse | None
    explanations: list[str]

    @property
    def change(self) -> float | None:
        """Latest minus first, or None with fewer than two scores."""
        return self.points[-1].score - self.points[0].score if len(self.points) > 1 else None


def histories(
    db: Session, enrollment: Enrollment, measures: dict[str, Measure], schedule: Schedule
) -> list[MeasureHistory]:
    """Every measure the patient has answered, oldest score first, with change, RCI and pain responders."""
    labels = {
        (d.measure_id, d.due_key): d.label
        for d in occurrences(schedule, enrollment.started_at, zone_of(enrollment.patient))
    }
    # The four values as plain rows: no objects to track (the therapist's pages read them on every view).
    rows = db.execute(
        select(
            MeasureResponse.measure_id,
            MeasureResponse.due_key,
            MeasureResponse.score,
            MeasureResponse.completed_at,
        )
        .where(MeasureResponse.enrollment_id == enrollment.id, MeasureResponse.complete.is_(True))
        .order_by(MeasureResponse.completed_at)
    )
    by_measure: dict[str, list[ScorePoint]] = {}
    for row in rows:
        measure = measures.get(row.measure_id)
        if measure is None or row.score is None or row.completed_at is None:
            continue
        band = measure.band_for(row.score)
        by_measure.setdefault(row.measure_id, []).append(
            ScorePoint(
                row.due_key,
                labels.get((row.measure_id, row.due_key), row.due_key),
                row.score,
                band.label if band else None,
                band.patient_label if band else None,
                row.completed_at,
            )
        )
    result = []
    for measure_id, points in by_measure.items():
        measure = measures[measure_id]
        first, last = points[0], points[-1]
        rci = reliable_change(measure, first.score, last.score) if len(points) > 1 else None
        pain = (
            pain_response(first.score, last.score)
            if measure_id == "pain-average" and len(points) > 1
            else None
        )
        explanations = [
            explain_score(measure, Score(measure.id, last.score, measure.band_for(last.score), ()))
        ]
        if len(points) > 1:
            explanations.append(explain_reliable_change(measure, rci))
            fixed = point_change(measure, first.score, last.score)
            if fixed is not None:
                explanations.append(explain_point_change(measure, fixed))
        if pain is not None:
            explanations.append(explain_pain_response(pain))
        result.append(MeasureHistory(measure, points, rci, pain, explanations))
    order = list(measures)
    result.sort(key=lambda h: order.index(h.measure.id) if h.measure.id in order else len(order))
    return result


@dataclass(frozen=True)
class TalkingTherapiesReading:
    """The depression and anxiety measures read together, NHS Talking Therapies style, from the first to
    the last time both were answered for the same due date."""

    outcome: TalkingTherapiesOutcome
    first_label: str
    last_label: str
    changes: list[str]  # each measure's change against its threshold
    lines: list[str]  # reliable improvement, reliable recovery, reliable deterioration: yes or no, and why


def talking_therapies_reading(measure_histories: list[MeasureHistory]) -> TalkingTherapiesReading | None:
    """Reliable improvement, reliable recovery and reliable deterioration across the paired depression and
    anxiety measures, or None until both were answered for two of the same due dates."""
    by_role = {
        h.measure.talking_therapies.role: h
        for h in measure_histories
        if h.measure.talking_therapies is not None
    }
    depression, anxiety = by_role.get("depression"), by_role.get("anxiety")
    if depression is None or anxiety is None:
        return None
    anxiety_by_due = {p.due_key: p for p in anxiety.points}
    paired = [(p, anxiety_by_due[p.due_key]) for p in depression.points if p.due_key in anxiety_by_due]
    if len(paired) < 2:
        return None
    (dep_first, anx_first), (dep_last, anx_last) = paired[0], paired[-1]
    outcome = talking_therapies_outcome(
        depression.measure,
        (dep_first.score, dep_last.score),
        anxiety.measure,
        (anx_first.score, anx_last.score),
    )
    return TalkingTherapiesReading(
        outcome,
        dep_first.label,
        dep_last.label,
        [
            explain_point_change(depression.measure, outcome.depression),
            explain_point_change(anxiety.measure, outcome.anxiety),
        ],
        explain_talking_therapies(depression.measure, anxiety.measure, outcome),
    )
