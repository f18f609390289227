"""Triage for the therapist's caseload: which patients need attention today, and why, in plain words.

Rules (thresholds are module constants):
- safety: an open safety alert. Always shown, whatever else is true of the patient.
- feedback: the patient finished a feedback moment and waits for the therapist's reply ("Feedback waiting,
  2 days", counted from the oldest one). The highest rank after safety: the patient's next step waits on it.
- worsening: mean pain over the last 7 local days (today-6 .. today) is at least 2 points, or at least 30%,
  above the mean of today-20 .. today-14. Each window needs 3 or more check-ins; the percentage only counts
  when the earlier mean is above 0. Shown for paused and finished patients too: pain that climbs matters
  whether or not the course is running.
- silent: no activity for 7 days or more (from enrollment when the patient has never been active).
- stalled: the current module opened 10 or more days ago and no step in it was completed in the last 10 days.
  Not shown when the patient is also silent: "silent" already says more, and one row should not repeat itself.
- reply: the patient wrote messages the therapist has not read or answered ("waiting for your reply"). The
  clinic tells patients when to expect an answer, so this ranks with silent and stalled, before them.
- unread: the patient shared journal entries the therapist has not read.
- review: the therapist's review of the patient is due (`review_due_at`: the therapist's cadence, weekly
  unless they chose otherwise, from the last review). Not shown for finished patients.
- assessment: week 1 waits for the therapist to record the clinical assessment (the therapist's own task).
Silent and stalled are never shown for finished or paused patients: nothing is expected of them.

Durations are measured in elapsed time from `now` (7 days = 7 × 24 hours), so the boundary does not move with
the therapist's or the patient's time zone; pain windows use the patient's local calendar days via `today`.
Pain comparisons use exact fractions, so 4.1 - 2.1 counts as 2 points (floats would say 1.9999999999999996).

Pure: no Flask, no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

SILENT_AFTER = timedelta(days=7)
STALLED_AFTER = timedelta(days=10)
WORSENING_POINTS = Fraction(2)
WORSENING_PERCENT = Fraction(30)
MIN_TREND_CHECKINS = 3  # per window

# 0 is the most urgent. Silent and stalled share a rank: both mean "the patient is not moving".
SEVERITY = {
    "safety": 0,
    "feedback": 1,
    "worsening": 1,
    "assessment": 1,
    "reply": 2,
    "silent": 2,
    "stalled": 2,
    "unread": 3,
    "review": 3,
}
_KIND_ORDER = (
    "safety",
    "feedback",
    "worsening",
    "assessment",
    "reply",
    "silent",
    "stalled",
    "unread",
    "review",
)
# The feedback signal counts whole days from the first moment (its text changes each day).
FEEDBACK_COUNTED_AFTER = timedelta(0)
_NO_SIGNAL_RANK = max(SEVERITY.values()) + 1


@dataclass(frozen=True)
class PatientActivity:
    """What triage needs to know about one patient, as plain data."""

    enrolled_at: datetime  # aware UTC
    last_active_at: datetime | None  # last check-in, step, journal entry...
    current_module_opened_at: datetime | None  # the module the patient is working in (open, unfinished)
    last_step_completed_at: datetime | None  # latest completed step in that current module
    daily_pain: Mapping[date, float]  # local day -> pain (0-10)
    open_safety_alerts: int
    unread_shares: int
    finished: bool
    paused: bool
    awaiting_assessment: bool = False  # week 1 waits for the therapist to record the clinical assessment
    feedback_waiting: int = 0  # feedback moments the patient finished that wait for the therapist's reply
    feedback_since: datetime | None = None  # when the oldest of them was finished (aware UTC)
    waiting_messages: int = 0  # the patient's messages the therapist has not read
    review_due_at: datetime | None = None  # when the therapist's next review of the patient is due (aware)


@dataclass(frozen=True)
class Signal:
    """One reason to look at a patient today."""

    kind: str  # one of SEVERITY's keys: "safety", "feedback", "worsening", ..., "review"
    text: str  # a short plain phrase for the caseload row, e.g. "Silent for 9 days"
    severity: int  # 0 is the most urgent


@dataclass(frozen=True)
class PainTrend:
    """This week's mean pain against the same week two weeks earlier."""

    recent_mean: float  # today-6 .. today
    earlier_mean: float  # today-20 .. today-14
    change: float  # recent - earlier; positive is worse
    percent: float | None  # change as a percentage of earlier_mean; None when earlier_mean is 0
    recent_checkins: int
    earlier_checkins: int
    worsening: bool  # the rule above, decided on exact values


def signals(activity: PatientActivity, now: datetime, today: date) -> list[Signal]:
    """Every signal at `now` (aware) for a patient whose local day is `today`, most urgent first."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    found: list[Signal] = []

    if activity.open_safety_alerts > 0:
        n = activity.open_safety_alerts
        found.append(_signal("safety", "Open safety alert" if n == 1 else f"{n} open safety alerts"))

    if activity.feedback_waiting > 0 and activity.feedback_since is not None:
        found.append(
            _signal("feedback", _feedback_text(activity.feedback_waiting, now - activity.feedback_since))
        )

    trend = _exact_trend(activity.daily_pain, today)
    if trend is not None and trend.worsening:
        found.append(_signal("worsening", _worsening_text(trend)))

    if activity.awaiting_assessment:
        found.append(_signal("assessment", "Week 1 waits for you to record their assessment"))

    if activity.waiting_messages > 0:
        n = activity.waiting_messages
        text = "1 message waiting for your reply" if n == 1 else f"{n} messages waiting for your reply"
        found.append(_signal("reply", text))

    expected_to_move = not (activity.finished or activity.paused)
    silent = False
    if expected_to_move:
        since = activity.last_active_at or activity.enrolled_at
        quiet = now - since
        if quiet >= SILENT_AFTER:
            silent = True
            days = quiet.days
            text = (
                f"Silent for {days} days"
                if activity.last_active_at is not None
                else f"No activity since joining {days} days ago"
            )
            found.append(_signal("silent", text))

    opened = activity.current_module_opened_at
    if expected_to_move and not silent and opened is not None and now - opened >= STALLED_AFTER:
        last_step = activity.last_step_completed_at
        # A step dated before the module opened belongs to an earlier module, so this one has none yet.
        if last_step is None or last_step < opened:
            found.append(_signal("stalled", f"Module open {(now - opened).days} days, no step done yet"))
        elif now - last_step >= STALLED_AFTER:
            found.append(_signal("stalled", f"No step done in {(now - last_step).days} days"))

    if activity.unread_shares > 0:
        n = activity.unread_shares
        found.append(_signal("unread", "1 unread shared entry" if n == 1 else f"{n} unread shared entries"))

    if activity.review_due_at is not None and now >= activity.review_due_at and not activity.finished:
        found.append(_signal("review", "Review due"))

    return sorted(found, key=lambda s: (s.severity, _KIND_ORDER.index(s.kind)))


def sort_key(activity_signals: Sequence[Signal], name: str) -> tuple[int, str, str]:
    """A caseload sort key: the most urgent signal's rank (safety, worsening, silent or stalled, the rest,
    then patients with no signal), ties by name ignoring case, then by name exactly so the order is stable."""
    rank = min((s.severity for s in activity_signals), default=_NO_SIGNAL_RANK)
    return (rank, name.casefold(), name)


def pain_trend(daily_pain: Mapping[date, float], today: date) -> PainTrend | None:
    """Mean pain over today-6..today against today-20..today-14; None with under 3 check-ins in either.

    Values that are not numbers from 0 to 10 are ignored rather than trusted.
    """
    exact = _exact_trend(daily_pain, today)
    if exact is None:
        return None
    return PainTrend(
        recent_mean=float(exact.recent_mean),
        earlier_mean=float(exact.earlier_mean),
        change=float(exact.change),
        percent=None if exact.percent is None else float(exact.percent),
        recent_checkins=exact.recent_checkins,
        earlier_checkins=exact.earlier_checkins,
        worsening=exact.worsening,
    )


@dataclass(frozen=True)
class _ExactTrend:
    recent_mean: Fraction
    earlier_mean: Fraction
    change: Fraction
    percent: Fraction | None
    recent_checkins: int
    earlier_checkins: int

    @property
    def worsening(self) -> bool:
        return self.change >= WORSENING_POINTS or (
            self.percent is not None and self.percent >= WORSENING_PERCENT
        )


def _exact_trend(daily_pain: Mapping[date, float], today: date) -> _ExactTrend | None:
    recent = _window(daily_pain, today - timedelta(days=6), today)
    earlier = _window(daily_pain, today - timedelta(days=20), today - timedelta(days=14))
    if len(recent) < MIN_TREND_CHECKINS or len(earlier) < MIN_TREND_CHECKINS:
        return None
    recent_mean = sum(recent, Fraction(0)) / len(recent)
    earlier_mean = sum(earlier, Fraction(0)) / len(earlier)
    change = recent_mean - earlier_mean
    return _ExactTrend(
        recent_mean=recent_mean,
        earlier_mean=earlier_mean,
        change=change,
        percent=change / earlier_mean * 100 if earlier_mean > 0 else None,
        recent_checkins=len(recent),
        earlier_checkins=len(earlier),
    )


def _window(daily_pain: Mapping[date, float], first: date, last: date) -> list[Fraction]:
    return [
        _exact(value)
        for day, value in daily_pain.items()
        if first <= day <= last and math.isfinite(value) and 0 <= value <= 10
    ]


# Check-in pain is a whole number; building those Fractions once keeps a 1,000-patient caseload fast.
_WHOLE = {n: Fraction(n) for n in range(11)}


def _exact(value: float) -> Fraction:
    """The value as recorded: 4.1 is 41/10, not the float just below it."""
    if value in _WHOLE:
        return _WHOLE[int(value)]
    return Fraction(str(value))


def _signal(kind: str, text: str) -> Signal:
    return Signal(kind=kind, text=text, severity=SEVERITY[kind])


def _feedback_text(count: int, waited: timedelta) -> str:
    days = max(waited.days, 0)
    how_long = "under a day" if days == 0 else "1 day" if days == 1 else f"{days} days"
    what = "Feedback waiting" if count == 1 else f"{count} feedback moments waiting"
    return f"{what}, {how_long}"


def _worsening_text(trend: _ExactTrend) -> str:
    # Rounded half up from the exact change; rounding is monotone, so a 2.0-point rise never reads "1.9".
    points = f"{_half_up(trend.change, 1):.1f}"
    if trend.percent is not None and trend.change < WORSENING_POINTS:
        # Only the percentage rule fired; say so, or "up 1.2 points" would look like noise.
        return f"Pain up {points} points ({_half_up(trend.percent, 0):.0f}%) over two weeks"
    return f"Pain up {points} points over two weeks"


def _half_up(value: Fraction, decimals: int) -> float:
    scale = 10**decimals
    return math.floor(value * scale + Fraction(1, 2)) / scale
