"""When each questionnaire is due: a pure function of the schedule, the enrollment start, the patient's time
zone, `now` and what has already been answered.

Conventions (calendar days in the patient's zone; enrollment's local date is day 0):
- `enrollment` = day 0; `day N` = day N.
- `week N` = day 7·N, the END of program week N (week 4 → day 28, week 8 → day 56).
- `month N` = day 30·N, except whole years, which are 365 days each (month 3 → day 90, month 12 → day 365,
  month 24 → day 730).
- `every: week` = every 7 days from `from` (default enrollment) up to and including `until` (default
  week 8): days 0, 7, ..., 56. Day 0 is the baseline (the week before the course); day 7·N rates program
  week N. Weekly items stop after the program; follow-ups are separate `at:` entries.
- A measure is due from the local midnight of its due day for `window_days` local days (default 14 for
  `at:` time points, 7 for weekly ones, which may not exceed 7 so weekly windows never overlap); never before.
- Due keys name the time point, not a date ("enrollment", "week-4", "month-3", "day-10"), so moving the
  start date or the patient's zone never orphans an answer. A weekly occurrence on day 7·N has the key
  "week-N", the same as an `at: week N` entry for that measure: they are one occurrence (the longer window).
- One measure is never asked twice at once: if several of its occurrences are open, only the latest is due.
- The schedule follows the calendar, not the pacing of modules: pausing the program does not move it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

DEFAULT_FIXED_WINDOW_DAYS = 14
DEFAULT_WEEKLY_WINDOW_DAYS = 7
ENTRY_KEYS = ("measure", "at", "every", "from", "until", "window_days")
_TIMEPOINT = re.compile(r"^(?:(enrollment)|(day|week|month)[ -]?(\d+))$")


@dataclass(frozen=True)
class Timepoint:
    """A named moment of the program: its stable key, its day number (0 = enrollment) and a label."""

    key: str
    day: int
    label: str


@dataclass(frozen=True)
class ScheduleEntry:
    """One measure at a set of time points, each open for `window_days` local days."""

    measure_id: str
    timepoints: tuple[Timepoint, ...]
    window_days: int
    every: Literal["week"] | None = None  # written as a weekly series (kept for display and `flask check`)

    def __hash__(self) -> int:
        # Worked out once: the schedule is the key of the occurrences cache, looked up on every home page, and
        # would otherwise hash every entry's fields anew (each time point's too).
        found: int | None = self.__dict__.get("_hash")
        if found is None:
            found = hash((self.measure_id, self.timepoints, self.window_days, self.every))
            object.__setattr__(self, "_hash", found)
        return found


Schedule = tuple[ScheduleEntry, ...]


@dataclass(frozen=True)
class Due:
    """One occurrence of a measure: when it opens and closes, in local dates and as UTC instants."""

    measure_id: str
    due_key: str
    label: str
    due_on: date  # the local date it opens
    last_day: date  # the last local date it can be answered (inclusive)
    opens_at: datetime  # local midnight of due_on, in UTC
    closes_at: datetime  # local midnight after last_day, in UTC


def parse_timepoint(text: object) -> Timepoint:
    """Read "enrollment", "day N", "week N" or "month N" (a space or dash before N). Raises ValueError."""
    match = _TIMEPOINT.match(text.strip().lower()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a time point (use enrollment, day N, week N or month N)")
    if match.group(1):
        return Timepoint(key="enrollment", day=0, label="Enrollment")
    unit, number = match.group(2), int(match.group(3))
    if number < 1:
        raise ValueError(f"{text!r}: numbers start at 1 (use enrollment for the first day)")
    if unit == "day":
        day = number
    elif unit == "week":
        day = 7 * number
    elif number % 12 == 0:
        day = 365 * (number // 12)
    else:
        day = 30 * number
    return Timepoint(key=f"{unit}-{number}", day=day, label=f"{unit.capitalize()} {number}")


def _weekly_timepoint(day: int) -> Timepoint:
    if day == 0:
        return Timepoint(key="enrollment", day=0, label="Enrollment")
    if day % 7 == 0:
        return Timepoint(key=f"week-{day // 7}", day=day, label=f"Week {day // 7}")
    return Timepoint(key=f"day-{day}", day=day, label=f"Day {day}")


def parse_schedule(raw: object, known_measures: Collection[str] | None = None) -> Schedule:
    """Validate a raw schedule (the list under course.yaml's `measures:`) and return the typed schedule.

    Each entry is `{measure: id, at: [time points], window_days: n}` or
    `{measure: id, every: week, from: time point, until: time point, window_days: n}`. When
    `known_measures` is given, every measure id must be in it. Raises ValueError listing every problem,
    one a line, as `measures[i].key: message`.
    """
    problems: list[str] = []
    entries: list[ScheduleEntry] = []
    if not isinstance(raw, list):
        raise ValueError(f"measures: must be a list of schedule entries, not {type(raw).__name__}")
    for index, item in enumerate(raw):
        where = f"measures[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a mapping like {{measure: phq9, at: [enrollment, week 8]}}")
            continue
        entry = _parse_entry(item, where, known_measures, problems)
        if entry is not None:
            entries.append(entry)
    if problems:
        raise ValueError("\n".join(problems))
    return tuple(entries)


def _parse_entry(
    item: Mapping[Any, Any], where: str, known: Collection[str] | None, problems: list[str]
) -> ScheduleEntry | None:
    before = len(problems)
    for key in item:
        if key not in ENTRY_KEYS:
            problems.append(f"{where}: unknown key '{key}' (allowed: {', '.join(ENTRY_KEYS)})")
    measure = item.get("measure")
    if not isinstance(measure, str) or not measure:
        problems.append(f"{where}.measure: must be a measure id, not {measure!r}")
    elif known is not None and measure not in known:
        problems.append(f"{where}.measure: no measure '{measure}' is defined")
    has_at, has_every = "at" in item, "every" in item
    if has_at == has_every:
        problems.append(f"{where}: give either `at: [time points]` or `every: week`, not both or neither")
        return None
    if has_at:
        for key in ("from", "until"):
            if key in item:
                problems.append(f"{where}.{key}: only for `every: week` entries")
    window = item.get("window_days", DEFAULT_WEEKLY_WINDOW_DAYS if has_every else DEFAULT_FIXED_WINDOW_DAYS)
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        problems.append(f"{where}.window_days: must be a whole number of days, at least 1, not {window!r}")
        window = 1
    elif has_every and window > 7:
        problems.append(f"{where}.window_days: a weekly entry's window is at most 7 days, not {window}")

    timepoints: list[Timepoint] = []
    if has_at:
        raw_at = item["at"]
        if not isinstance(raw_at, list) or not raw_at:
            problems.append(f"{where}.at: must be a non-empty list of time points")
        else:
            for position, text in enumerate(raw_at):
                try:
                    point = parse_timepoint(text)
                except ValueError as exc:
                    problems.append(f"{where}.at[{position}]: {exc}")
                    continue
                if any(p.key == point.key for p in timepoints):
                    problems.append(f"{where}.at[{position}]: {point.label} is listed twice")
                    continue
                timepoints.append(point)
    else:
        if item["every"] != "week":
            problems.append(f"{where}.every: only `week` is supported, not {item['every']!r}")
        bounds: list[Timepoint] = []
        for key, default in (("from", "enrollment"), ("until", "week 8")):
            try:
                bounds.append(parse_timepoint(item.get(key, default)))
            except ValueError as exc:
                problems.append(f"{where}.{key}: {exc}")
        if len(bounds) == 2:
            first, last = bounds
            if last.day < first.day:
                problems.append(f"{where}.until: {last.label} is before {first.label}")
            timepoints = [_weekly_timepoint(day) for day in range(first.day, last.day + 1, 7)]

    if len(problems) > before or not isinstance(measure, str):
        return None
    return ScheduleEntry(
        measure_id=measure,
        timepoints=tuple(sorted(timepoints, key=lambda p: p.day)),
        window_days=window,
        every="week" if has_every else None,
    )


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    # A midnight that a DST change skips resolves (fold=0) to the first instant of that local day.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def occurrences(schedule: Iterable[ScheduleEntry], start: datetime, zone: ZoneInfo) -> list[Due]:
    """Every occurrence of every measure, ordered by due date then measure; one per (measure, due_key).

    When two entries give the same measure the same key, the longer window wins.
    """
    _require_aware("start", start)
    return list(_occurrences(tuple(schedule), start, zone))


# The answer depends only on the (immutable) schedule, the start and the zone, so each process works it out
# once per patient instead of on every home page (two zone conversions per occurrence).
@lru_cache(maxsize=4096)
def _occurrences(schedule: tuple[ScheduleEntry, ...], start: datetime, zone: ZoneInfo) -> tuple[Due, ...]:
    day_zero = start.astimezone(zone).date()
    best: dict[tuple[str, str], tuple[Timepoint, int]] = {}
    for entry in schedule:
        for point in entry.timepoints:
            key = (entry.measure_id, point.key)
            if key not in best or entry.window_days > best[key][1]:
                best[key] = (point, entry.window_days)
    result: list[Due] = []
    for (measure_id, due_key), (point, window) in best.items():
        due_on = day_zero + timedelta(days=point.day)
        last_day = due_on + timedelta(days=window - 1)
        result.append(
            Due(
                measure_id=measure_id,
                due_key=due_key,
                label=point.label,
                due_on=due_on,
                last_day=last_day,
                opens_at=_local_midnight_utc(due_on, zone),
                closes_at=_local_midnight_utc(last_day + timedelta(days=1), zone),
            )
        )
    result.sort(key=lambda d: (d.due_on, d.measure_id, d.due_key))
    return tuple(result)


def due_measures(
    schedule: Iterable[ScheduleEntry],
    start: datetime,
    zone: ZoneInfo,
    now: datetime,
    answered: Collection[tuple[str, str]],
) -> list[Due]:
    """What the patient should answer now: for each measure, its latest open occurrence, unless answered.

    `answered` holds (measure_id, due_key) pairs. An occurrence is open on the local dates
    due_on..last_day in `zone`; nothing is due before its day or after its window. An earlier occurrence
    still open is superseded by a later one, answered or not, so nobody is asked for an older one again.
    """
    _require_aware("now", now)
    today = now.astimezone(zone).date()
    latest: dict[str, Due] = {}
    for occurrence in occurrences(schedule, start, zone):
        if occurrence.due_on <= today <= occurrence.last_day:
            # Occurrences come in due-date order, so a later one replaces an earlier one.
            latest[occurrence.measure_id] = occurrence
    due = [d for d in latest.values() if (d.measure_id, d.due_key) not in answered]
    return sorted(due, key=lambda d: (d.due_on, d.measure_id))


DEFAULT_SCHEDULE_RAW: list[dict[str, object]] = [
    # Weekly pain items over the program: baseline (day 0) and the end of each of the 8 weeks.
    {"measure": "pain-average", "every": "week", "until": "week 8"},
    {"measure": "pain-interference", "every": "week", "until": "week 8"},
    {"measure": "damage-belief", "every": "week", "until": "week 8"},
    {"measure": "phq9", "at": ["enrollment", "week 4", "week 8", "month 3", "month 12"]},
    {"measure": "gad7", "at": ["enrollment", "week 4", "week 8", "month 3", "month 12"]},
    {"measure": "pgic", "at": ["week 8", "month 3", "month 12"]},
    # Follow-ups of the pain items, with the same two-week window as the questionnaires.
    {"measure": "pain-average", "at": ["month 3", "month 12"]},
    {"measure": "pain-interference", "at": ["month 3", "month 12"]},
    {"measure": "damage-belief", "at": ["month 3", "month 12"]},
]
DEFAULT_SCHEDULE: Schedule = parse_schedule(DEFAULT_SCHEDULE_RAW)
