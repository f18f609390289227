"""The therapist's desk: what the patient page and its print view show at a glance, from data the page has
already read (no statements of its own).

- status: the week and module, last activity, paused or finished;
- signals: the caseload's triage signals for this one patient, decided by `triage.signals` as on the caseload;
  `waiting` is the part of them that is the therapist's to do (`WAITING_KINDS`);
- trends: pain, sleep and stress over the last four weeks, a small chart each with the weekly means beside it;
- measures: each questionnaire's latest score, its change and the reliable-change verdict in words, and the
  compact table (rows: questionnaires; columns: time points).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from ..alerts import LABELS
from ..assess.services import MeasureHistory
from ..charts import Series, line_chart_svg
from ..content.model import Catalog
from ..conversations import review_due_at
from ..evidence import DayRecord, WeekSummary, weekly_summary
from ..measures.scoring import point_change
from ..models import Alert, Enrollment
from ..pacing import ProgramState
from ..triage import PatientActivity, Signal, signals
from .history import HistoryRow
from .services import SAFETY_KINDS

# Triage signals that mean something waits for the therapist (rather than something about the patient).
# A new kind of waiting item (a message waiting for a reply, feedback waiting) is a triage signal of its own
# kind, added here: the glance lists it under "Waiting for you" with no other change.
WAITING_KINDS = ("feedback", "reply", "assessment", "unread", "review")
TREND_WEEKS = 4


@dataclass(frozen=True)
class Status:
    """Where the patient is in the program."""

    week: int  # 0 before any module opens
    module_title: str
    last_active: datetime | None
    paused: bool
    finished: bool
    steps_done: int
    steps_total: int


@dataclass(frozen=True)
class Trend:
    """One check-in value over the last four weeks: a small chart and the weekly means beside it."""

    label: str  # "Pain"
    unit: str  # "0–10" or "hours"
    weeks: list[WeekSummary]
    means: list[float | None]  # one per week, oldest first
    chart: str  # an <svg> with a text alternative naming the weekly means

    @property
    def change(self) -> float | None:
        """The last week's mean minus the first week's, when both have check-ins."""
        first, last = self.means[0], self.means[-1]
        return round(last - first, 1) if first is not None and last is not None else None


@dataclass(frozen=True)
class MeasureLine:
    """A questionnaire's latest score, its change since the first answer and what the change means."""

    title: str
    latest: float
    band: str | None
    change: float | None
    verdict: str  # e.g. "Reliable improvement since enrollment"


@dataclass(frozen=True)
class MeasureTable:
    """Every questionnaire answered, one row each, one column per time point (oldest first)."""

    columns: list[str]
    rows: list[tuple[str, list[float | None]]]


@dataclass(frozen=True)
class Glance:
    """Everything the top of the patient page shows."""

    status: Status
    signals: list[Signal]
    waiting: list[Signal]
    alert_labels: dict[int, str]  # open alert id → what it is about
    trends: list[Trend]
    measures: list[MeasureLine]
    table: MeasureTable


def glance(
    enrollment: Enrollment,
    state: ProgramState,
    pacing_rows: Sequence[HistoryRow],
    catalog: Catalog,
    records: Sequence[DayRecord],
    alerts_open: Sequence[Alert],
    unread: int,
    histories: Sequence[MeasureHistory],
    feedback_waiting_since: Sequence[datetime],
    now: datetime,
    today: date,
) -> Glance:
    """The glance for one patient from what the page read: the pacing state and its rows, check-ins of the
    last weeks, open alerts, the number of unread shared entries, the questionnaire histories and when each
    feedback moment still waiting for a reply was finished (the pacing rows also hold the patient's messages
    waiting to be read, kind "waiting")."""
    working = next((m for m in state.modules if m.is_open and not m.is_done), None)
    opened = [m for m in state.modules if m.is_open]
    current = working or (opened[-1] if opened else None)
    module = catalog.module(current.slug) if current else None
    last_step = None
    if working is not None:
        in_module = [row.at for row in pacing_rows if row.kind == "step" and row.key == working.slug]
        last_step = max(in_module) if in_module else None
    status = Status(
        week=module.week if module else 0,
        module_title=module.title if module else "",
        last_active=enrollment.last_active_at,
        paused=enrollment.paused,
        finished=state.finished,
        steps_done=sum(m.steps_done for m in state.modules),
        steps_total=sum(m.steps_total for m in state.modules),
    )
    pains = {
        r.day: float(r.pain) for r in records if r.pain is not None and r.day > today - timedelta(days=21)
    }
    found = signals(
        PatientActivity(
            enrolled_at=enrollment.started_at,
            last_active_at=enrollment.last_active_at,
            current_module_opened_at=working.opened_at if working else None,
            last_step_completed_at=last_step,
            daily_pain=pains,
            open_safety_alerts=sum(1 for a in alerts_open if a.kind in SAFETY_KINDS),
            unread_shares=unread,
            finished=state.finished,
            paused=enrollment.paused,
            awaiting_assessment=enrollment.assessed_at is None,
            feedback_waiting=len(feedback_waiting_since),
            feedback_since=min(feedback_waiting_since, default=None),
            waiting_messages=sum(1 for row in pacing_rows if row.kind == "waiting"),
            review_due_at=review_due_at(enrollment),
        ),
        now,
        today,
    )
    return Glance(
        status=status,
        signals=[s for s in found if s.kind not in WAITING_KINDS],
        waiting=[s for s in found if s.kind in WAITING_KINDS],
        alert_labels={a.id: LABELS.get(a.kind, a.kind) for a in alerts_open},
        trends=trends(records, today),
        measures=measure_lines(histories),
        table=measure_table(histories),
    )


_TRENDS = (
    ("Pain", "0–10", "mean_pain", "pain", 10.0),
    ("Sleep", "hours", "mean_sleep_hours", "sleep_hours", 12.0),
    ("Stress", "0–10", "mean_stress", "stress", 10.0),
)


def trends(records: Sequence[DayRecord], today: date) -> list[Trend]:
    """Pain, sleep and stress over the last four weeks: a small chart of the days and the weekly means.
    Remembered per process by the four weeks' check-ins (pure work: the same values give the same charts)."""
    start = today - timedelta(days=TREND_WEEKS * 7 - 1)
    return list(_trends(tuple(r for r in records if start <= r.day <= today), today))


@lru_cache(maxsize=256)
def _trends(shown: tuple[DayRecord, ...], today: date) -> tuple[Trend, ...]:
    weeks = weekly_summary(shown, today, TREND_WEEKS)
    start = today - timedelta(days=TREND_WEEKS * 7 - 1)
    out = []
    for label, unit, mean_field, day_field, top in _TRENDS:
        means: list[float | None] = [getattr(week, mean_field) for week in weeks]
        said = ", ".join("no check-ins" if m is None else f"{m:g}" for m in means)
        points = [(r.day, getattr(r, day_field)) for r in shown]
        chart = line_chart_svg(
            [Series(f"{label} ({unit})", points, "solid")],
            start,
            today,
            title=f"{label}, last four weeks",
            description=f"Daily {label.lower()} ({unit}). Weekly means, oldest first: {said}.",
            y_max=top,
            width=320,
            height=120,
        )
        out.append(Trend(label, unit, weeks, means, chart))
    return tuple(out)


def verdict(history: MeasureHistory) -> str:
    """Whether the change from the first answer to the latest is reliable, in words: by the Jacobson–Truax
    index when the measure has its figures on file, else by the NHS Talking Therapies points, else, for
    average pain, by the IMMPACT responder thresholds (course/measures/scoring.py decides each)."""
    if len(history.points) < 2:
        return "One answer so far"
    first, last = history.points[0], history.points[-1]
    since = first.label[:1].lower() + first.label[1:]
    direction = None
    if history.rci is not None:
        direction = history.rci.direction
    else:
        fixed = point_change(history.measure, first.score, last.score)
        direction = fixed.direction if fixed is not None else None
    if direction == "improved":
        return f"Reliable improvement since {since}"
    if direction == "worse":
        return f"Reliable deterioration since {since}"
    if direction is not None:
        return f"No reliable change since {since}"
    if history.pain is not None:
        if history.pain.responder_50:
            return f"Pain down by half or more since {since}"
        if history.pain.responder_30:
            return f"Pain down by 30% or more since {since}"
        return f"Pain not down by 30% since {since}"
    return f"No reliable-change figures on file for {history.measure.short_title}"


def measure_lines(histories: Sequence[MeasureHistory]) -> list[MeasureLine]:
    """Each questionnaire's latest score, change and verdict, in the measures' own order."""
    return [
        MeasureLine(h.measure.short_title, h.points[-1].score, h.points[-1].band, h.change, verdict(h))
        for h in histories
    ]


def measure_table(histories: Sequence[MeasureHistory]) -> MeasureTable:
    """Scores by questionnaire and time point; time points in the order they were first answered."""
    first_seen: dict[str, datetime] = {}
    for h in histories:
        for p in h.points:
            if p.label not in first_seen or p.completed_at < first_seen[p.label]:
                first_seen[p.label] = p.completed_at
    columns = sorted(first_seen, key=lambda label: first_seen[label])
    rows = []
    for h in histories:
        scores = {p.label: p.score for p in h.points}  # the latest answer for a time point wins
        rows.append((h.measure.short_title, [scores.get(label) for label in columns]))
    return MeasureTable(columns, rows)
