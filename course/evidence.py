"""The patient's own evidence: careful statements drawn from their daily check-ins.

The course teaches that hurt does not always equal harm. A patient who sees that their pain runs higher after
short nights or on stressful days has evidence, from their own life, that an alarm (a nervous system on
guard) rather than damage is driving it. Claiming a pattern that is not there would undo that trust, so
every rule leans towards saying nothing:

- Only the last 12 weeks count: records dated `today - 83 days` to `today` inclusive (84 calendar days). Older
  check-ins describe a nervous system the course may already have changed; records dated after `today` (a
  clock or time-zone slip) are ignored.
- One record per calendar day: when a day appears more than once, the last one in the sequence wins, so
  callers pass check-ins in the order they were saved.
- A comparison uses only records that have every value it needs (pain plus sleep hours, or pain plus stress)
  and whose values are in range (pain and stress 0-10, sleep 0-16 hours); it needs at least
  `MIN_CHECKINS` such records, at least `MIN_GROUP_DAYS` in each group compared, and mean pain in the two
  groups `MIN_DIFFERENCE` points or more apart.
- Only the direction that fits the course's teaching is stated. If pain is *lower* after short nights or on
  high-stress days, nothing is said: the app is not a research tool, a reversed pattern on a few weeks of
  data is most likely noise, and a statement the course cannot explain would confuse more than it helps.
- Means are exact (fractions, not floats) and shown rounded half up to one decimal, so 4.25 reads 4.3 on every
  platform. The 1.0-point threshold is applied to the exact means; rounding is monotone, so the shown numbers
  are then always at least 1.0 apart too.

Pure: no Flask, no database. Mood and sleep quality are carried for display but not used in any statement.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

MIN_CHECKINS = 14
MIN_GROUP_DAYS = 4
MIN_DIFFERENCE = Fraction(1)
WINDOW_DAYS = 84  # 12 weeks, today included

SHORT_SLEEP_HOURS = Fraction(6)  # fewer than this is a short night
LONG_SLEEP_HOURS = Fraction(7)  # this many or more is a full night; 6 to under 7 hours is in neither group
HIGH_STRESS = 7  # this or more
LOW_STRESS = 3  # this or less

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class DayRecord:
    """One daily check-in, dated by the patient's local calendar day."""

    day: date
    pain: int | None
    sleep_hours: float | None  # sleep the night before this day
    sleep_quality: int | None
    stress: int | None
    mood: str | None


@dataclass(frozen=True)
class Statement:
    """A careful sentence about a pattern in the patient's check-ins."""

    id: str  # stable: "sleep-pain", "stress-pain"
    text: str
    detail: str  # what it is based on, e.g. "Based on 23 check-ins from 3 March to 30 March; ..."


@dataclass(frozen=True)
class WeekSummary:
    """Seven days of check-ins: counts and means rounded to one decimal (None when no data)."""

    start: date
    end: date  # start + 6 days, inclusive
    checkins: int
    mean_pain: float | None
    mean_sleep_hours: float | None
    mean_stress: float | None


def statements(records: Sequence[DayRecord], today: date) -> list[Statement]:
    """Every statement the check-ins up to `today` support, in a fixed order (sleep, then stress)."""
    found = (sleep_pain_statement(records, today), stress_pain_statement(records, today))
    return [statement for statement in found if statement is not None]


def sleep_pain_statement(records: Sequence[DayRecord], today: date) -> Statement | None:
    """Pain after short nights (< 6 h) against full nights (>= 7 h), or None when the data cannot say."""
    usable = [
        r
        for r in _recent(records, today)
        if _valid_score(r.pain) and r.sleep_hours is not None and _valid_sleep(r.sleep_hours)
    ]
    comparison = _compare(
        usable,
        in_high=lambda r: _exact(r.sleep_hours) < SHORT_SLEEP_HOURS,
        in_low=lambda r: _exact(r.sleep_hours) >= LONG_SLEEP_HOURS,
    )
    if comparison is None:
        return None
    short, full, n_short, n_full = comparison
    return Statement(
        id="sleep-pain",
        text=(
            f"On days after less than 6 hours of sleep your pain averaged {_one_decimal(short)}; "
            f"after 7 or more hours, {_one_decimal(full)}. This is a pattern in your check-ins, not proof — "
            "but it fits the idea that a tired nervous system turns the alarm up."
        ),
        detail=(
            f"{_based_on(usable)}; {n_short} followed a night of less than 6 hours "
            f"and {n_full} a night of 7 hours or more."
        ),
    )


def stress_pain_statement(records: Sequence[DayRecord], today: date) -> Statement | None:
    """Pain on high-stress days (>= 7) against calmer days (<= 3), or None when the data cannot say."""
    usable = [r for r in _recent(records, today) if _valid_score(r.pain) and _valid_score(r.stress)]
    comparison = _compare(
        usable,
        in_high=lambda r: r.stress is not None and r.stress >= HIGH_STRESS,
        in_low=lambda r: r.stress is not None and r.stress <= LOW_STRESS,
    )
    if comparison is None:
        return None
    stressed, calm, n_stressed, n_calm = comparison
    return Statement(
        id="stress-pain",
        text=(
            f"Your pain tended to be higher on high-stress days ({_one_decimal(stressed)}) than on calmer "
            f"days ({_one_decimal(calm)}). This is a pattern in your check-ins, not proof — but it fits the "
            "idea that stress turns the alarm up, rather than something being damaged."
        ),
        detail=(
            f"{_based_on(usable)}; {n_stressed} were high-stress days (stress 7 or more) "
            f"and {n_calm} calmer days (stress 3 or less)."
        ),
    )


def weekly_summary(records: Sequence[DayRecord], today: date, weeks: int) -> list[WeekSummary]:
    """The last `weeks` seven-day periods, oldest first; the newest ends on `today`.

    Periods are rolling (ending today) rather than calendar weeks, so the newest one is always a full seven
    days and can be compared fairly with the others. Out-of-range values are left out of the means.
    """
    if weeks < 0:
        raise ValueError("weeks cannot be negative")
    by_day = _one_per_day(records)
    summaries = []
    for back in range(weeks - 1, -1, -1):
        end = today - timedelta(days=7 * back)
        start = end - timedelta(days=6)
        week = [by_day[d] for d in _days(start, end) if d in by_day]
        summaries.append(
            WeekSummary(
                start=start,
                end=end,
                checkins=len(week),
                mean_pain=_rounded_mean(r.pain for r in week if _valid_score(r.pain)),
                mean_sleep_hours=_rounded_mean(
                    r.sleep_hours for r in week if r.sleep_hours is not None and _valid_sleep(r.sleep_hours)
                ),
                mean_stress=_rounded_mean(r.stress for r in week if _valid_score(r.stress)),
            )
        )
    return summaries


def _compare(
    usable: Sequence[DayRecord],
    in_high: Callable[[DayRecord], bool],
    in_low: Callable[[DayRecord], bool],
) -> tuple[Fraction, Fraction, int, int] | None:
    """Mean pain in the group expected to hurt more and in the other group, when the rules allow a claim.

    None when there are too few records, too few in either group, or the expected group is not at least
    MIN_DIFFERENCE higher (including when it is lower: see the module docstring).
    """
    if len(usable) < MIN_CHECKINS:
        return None
    high = [_exact(r.pain) for r in usable if in_high(r)]
    low = [_exact(r.pain) for r in usable if in_low(r)]
    if len(high) < MIN_GROUP_DAYS or len(low) < MIN_GROUP_DAYS:
        return None
    high_mean, low_mean = _mean(high), _mean(low)
    if high_mean - low_mean < MIN_DIFFERENCE:
        return None
    return high_mean, low_mean, len(high), len(low)


def _recent(records: Iterable[DayRecord], today: date) -> list[DayRecord]:
    """One record per day within the 84-day window ending today, in date order."""
    first = today - timedelta(days=WINDOW_DAYS - 1)
    by_day = _one_per_day(records)
    return [by_day[d] for d in sorted(by_day) if first <= d <= today]


def _one_per_day(records: Iterable[DayRecord]) -> dict[date, DayRecord]:
    # A double submission must not count twice; the later save is the patient's final answer.
    by_day: dict[date, DayRecord] = {}
    for record in records:
        by_day[record.day] = record
    return by_day


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _valid_score(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and 0 <= value <= 10


def _valid_sleep(hours: float) -> bool:
    return math.isfinite(hours) and 0 <= hours <= 16


def _exact(value: float | None) -> Fraction:
    """The value as the patient typed it: 6.15 hours is 615/100, not the float just below it."""
    if value is None:
        raise ValueError("a missing value cannot be compared")
    return Fraction(str(value))


def _mean(values: Sequence[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def _round_half_up(value: Fraction) -> Fraction:
    return Fraction(math.floor(value * 10 + Fraction(1, 2)), 10)


def _one_decimal(value: Fraction) -> str:
    return f"{float(_round_half_up(value)):.1f}"


def _rounded_mean(values: Iterable[float | None]) -> float | None:
    exact = [_exact(v) for v in values]
    return float(_round_half_up(_mean(exact))) if exact else None


def _long_date(day: date, with_year: bool) -> str:
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def _based_on(usable: Sequence[DayRecord]) -> str:
    """The opening of a statement's detail; years are shown only when the range crosses a new year."""
    first, last = usable[0].day, usable[-1].day
    with_year = first.year != last.year
    span = f"from {_long_date(first, with_year)} to {_long_date(last, with_year)}"
    return f"Based on {len(usable)} check-ins {span}"
