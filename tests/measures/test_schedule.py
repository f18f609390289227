"""The schedule of due measures: conventions, windows, answered ones, time zones and DST, parsing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from course.measures import (
    DEFAULT_SCHEDULE,
    Due,
    Measure,
    due_measures,
    occurrences,
    parse_schedule,
    parse_timepoint,
)
from course.measures.schedule import DEFAULT_SCHEDULE_RAW

DENVER = ZoneInfo("America/Denver")
AUCKLAND = ZoneInfo("Pacific/Auckland")
# Sunday 1 March 2026, 23:30 in Denver (MST, UTC−7): already Monday 2 March in UTC. DST starts 8 March.
DENVER_START = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
# Monday 2 March 2026, 15:00 UTC: already Tuesday 3 March, 04:00 in Auckland (NZDT, UTC+13). DST ends 5 April.
AUCKLAND_START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def keys(due: list[Due]) -> list[tuple[str, str]]:
    return [(d.measure_id, d.due_key) for d in due]


def at_local(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


def find(items: list[Due], measure_id: str, due_key: str) -> Due:
    (match,) = [d for d in items if (d.measure_id, d.due_key) == (measure_id, due_key)]
    return match


@pytest.mark.parametrize(
    ("text", "key", "day"),
    [
        ("enrollment", "enrollment", 0),
        ("day 10", "day-10", 10),
        ("week 1", "week-1", 7),
        ("week 4", "week-4", 28),
        ("Week-8", "week-8", 56),
        ("month 1", "month-1", 30),
        ("month 3", "month-3", 90),
        ("month 6", "month-6", 180),
        ("month 12", "month-12", 365),
        ("month 24", "month-24", 730),
    ],
)
def test_parse_timepoint_conventions_give_documented_days(text: str, key: str, day: int) -> None:
    point = parse_timepoint(text)
    assert (point.key, point.day) == (key, day)


@pytest.mark.parametrize("text", ["week four", "week 0", "year 1", "", 28, None, "week 4 days"])
def test_parse_timepoint_unknown_text_raises(text: object) -> None:
    with pytest.raises(ValueError, match=r"time point|start at 1"):
        parse_timepoint(text)


def test_default_schedule_names_only_shipped_measures(shipped: dict[str, Measure]) -> None:
    assert parse_schedule(DEFAULT_SCHEDULE_RAW, known_measures=shipped) == DEFAULT_SCHEDULE


def test_default_schedule_occurrences_follow_the_plan() -> None:
    found = occurrences(DEFAULT_SCHEDULE, DENVER_START, DENVER)
    by_measure: dict[str, list[str]] = {}
    for due in found:
        by_measure.setdefault(due.measure_id, []).append(due.due_key)
    weekly = ["enrollment", *(f"week-{n}" for n in range(1, 9)), "month-3", "month-12"]
    questionnaires = ["enrollment", "week-4", "week-8", "month-3", "month-12"]
    assert by_measure == {
        "pain-average": weekly,
        "pain-interference": weekly,
        "damage-belief": weekly,
        "phq9": questionnaires,
        "gad7": questionnaires,
        "pgic": ["week-8", "month-3", "month-12"],
    }


def test_default_schedule_windows_are_7_days_weekly_and_14_otherwise() -> None:
    found = occurrences(DEFAULT_SCHEDULE, DENVER_START, DENVER)
    assert find(found, "pain-average", "week-3").last_day - find(found, "pain-average", "week-3").due_on == (
        timedelta(days=6)
    )
    for measure_id, key in [("phq9", "week-4"), ("pgic", "week-8"), ("pain-average", "month-3")]:
        due = find(found, measure_id, key)
        assert due.last_day - due.due_on == timedelta(days=13)


def test_due_at_enrollment_lists_baseline_measures_not_pgic() -> None:
    due = due_measures(DEFAULT_SCHEDULE, DENVER_START, DENVER, DENVER_START, set())
    assert keys(due) == [
        ("damage-belief", "enrollment"),
        ("gad7", "enrollment"),
        ("pain-average", "enrollment"),
        ("pain-interference", "enrollment"),
        ("phq9", "enrollment"),
    ]


def test_due_before_enrollment_is_empty() -> None:
    assert due_measures(DEFAULT_SCHEDULE, DENVER_START, DENVER, DENVER_START - timedelta(days=1), set()) == []


def test_due_answered_occurrences_excluded() -> None:
    answered = {("phq9", "enrollment"), ("pain-average", "enrollment")}
    due = due_measures(DEFAULT_SCHEDULE, DENVER_START, DENVER, DENVER_START, answered)
    assert ("phq9", "enrollment") not in keys(due)
    assert ("pain-average", "enrollment") not in keys(due)
    assert ("gad7", "enrollment") in keys(due)


def test_due_answered_key_of_other_measure_does_not_hide() -> None:
    due = due_measures(DEFAULT_SCHEDULE, DENVER_START, DENVER, DENVER_START, {("gad7", "week-4")})
    assert ("gad7", "enrollment") in keys(due)


def test_due_phq9_week_4_open_for_14_local_days_then_gone() -> None:
    # Day 0 is Sunday 1 March (Denver); week 4 = day 28 = Sunday 29 March; window through Saturday 11 April.
    def phq9_due(now: datetime) -> list[str]:
        return [
            d.due_key
            for d in due_measures(DEFAULT_SCHEDULE, DENVER_START, DENVER, now, set())
            if d.measure_id == "phq9"
        ]

    assert phq9_due(at_local(DENVER, 2026, 3, 28, 23, 59)) == []
    assert phq9_due(at_local(DENVER, 2026, 3, 29, 0, 0)) == ["week-4"]
    assert phq9_due(at_local(DENVER, 2026, 4, 11, 23, 59)) == ["week-4"]
    assert phq9_due(at_local(DENVER, 2026, 4, 12, 0, 0)) == []


def test_due_weekly_pain_rolls_to_next_week_at_local_midnight_across_dst() -> None:
    # Week 1 opens on Sunday 8 March, the day Denver springs forward: midnight is still MST (07:00 UTC).
    found = occurrences(DEFAULT_SCHEDULE, DENVER_START, DENVER)
    week_1 = find(found, "pain-average", "week-1")
    assert week_1.due_on == date(2026, 3, 8)
    assert week_1.opens_at == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert week_1.closes_at == datetime(
        2026, 3, 15, 6, 0, tzinfo=UTC
    )  # midnight MDT: one hour earlier in UTC

    def pain_due(now: datetime) -> list[str]:
        return [
            d.due_key
            for d in due_measures(DEFAULT_SCHEDULE, DENVER_START, DENVER, now, set())
            if d.measure_id == "pain-average"
        ]

    assert pain_due(datetime(2026, 3, 8, 6, 59, tzinfo=UTC)) == ["enrollment"]
    assert pain_due(datetime(2026, 3, 8, 7, 0, tzinfo=UTC)) == ["week-1"]
    assert pain_due(datetime(2026, 3, 15, 5, 59, tzinfo=UTC)) == ["week-1"]
    assert pain_due(datetime(2026, 3, 15, 6, 0, tzinfo=UTC)) == ["week-2"]


def test_due_day_zero_is_local_date_not_utc_date() -> None:
    # The same instant starts on Sunday 1 March in Denver and on Tuesday 3 March in Auckland.
    denver = find(occurrences(DEFAULT_SCHEDULE, DENVER_START, DENVER), "phq9", "enrollment")
    auckland = find(occurrences(DEFAULT_SCHEDULE, AUCKLAND_START, AUCKLAND), "phq9", "enrollment")
    assert denver.due_on == date(2026, 3, 1)
    assert auckland.due_on == date(2026, 3, 3)
    assert auckland.opens_at == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # local midnight NZDT


def test_due_auckland_weeks_stay_on_local_tuesdays_across_dst_end() -> None:
    found = occurrences(DEFAULT_SCHEDULE, AUCKLAND_START, AUCKLAND)
    week_4 = find(found, "pain-average", "week-4")
    week_5 = find(found, "pain-average", "week-5")
    assert (week_4.due_on, week_5.due_on) == (date(2026, 3, 31), date(2026, 4, 7))
    assert week_4.opens_at == datetime(2026, 3, 30, 11, 0, tzinfo=UTC)  # NZDT, UTC+13
    assert week_5.opens_at == datetime(2026, 4, 6, 12, 0, tzinfo=UTC)  # NZST, UTC+12 after 5 April
    assert week_4.closes_at == week_5.opens_at
    now = datetime(2026, 4, 6, 11, 30, tzinfo=UTC)  # 23:30 on Monday 6 April in Auckland
    assert ("pain-average", "week-4") in keys(
        due_measures(DEFAULT_SCHEDULE, AUCKLAND_START, AUCKLAND, now, set())
    )


def test_due_month_12_lands_365_local_days_after_enrollment() -> None:
    found = occurrences(DEFAULT_SCHEDULE, AUCKLAND_START, AUCKLAND)
    assert find(found, "pgic", "month-12").due_on == date(2027, 3, 3)
    assert find(found, "phq9", "month-3").due_on == date(2026, 6, 1)


def test_due_overlapping_occurrences_only_latest_asked() -> None:
    schedule = parse_schedule([{"measure": "phq9", "at": ["week 1", "week 2"], "window_days": 14}])
    day_10, day_15 = DENVER_START + timedelta(days=10), DENVER_START + timedelta(days=15)
    assert keys(due_measures(schedule, DENVER_START, DENVER, day_10, set())) == [("phq9", "week-1")]
    # On day 15 both windows are open (7–20 and 14–27): only week 2 is asked.
    assert keys(due_measures(schedule, DENVER_START, DENVER, day_15, set())) == [("phq9", "week-2")]
    # Answering the newer one does not bring back the older one.
    assert due_measures(schedule, DENVER_START, DENVER, day_15, {("phq9", "week-2")}) == []


def test_occurrences_weekly_and_at_same_key_merge_with_longer_window() -> None:
    schedule = parse_schedule(
        [{"measure": "pain-average", "every": "week"}, {"measure": "pain-average", "at": ["week 4"]}]
    )
    found = [d for d in occurrences(schedule, DENVER_START, DENVER) if d.due_key == "week-4"]
    assert len(found) == 1
    assert found[0].last_day - found[0].due_on == timedelta(days=13)


def test_occurrences_weekly_from_until_custom_range() -> None:
    schedule = parse_schedule(
        [{"measure": "pain-average", "every": "week", "from": "week 2", "until": "day 30"}]
    )
    assert [d.due_key for d in occurrences(schedule, DENVER_START, DENVER)] == ["week-2", "week-3", "week-4"]


def test_due_naive_datetimes_raise() -> None:
    with pytest.raises(ValueError, match="aware"):
        occurrences(DEFAULT_SCHEDULE, datetime(2026, 3, 2), DENVER)
    with pytest.raises(ValueError, match="aware"):
        due_measures(DEFAULT_SCHEDULE, DENVER_START, DENVER, datetime(2026, 3, 2), set())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"measure": "phq9"}, "measures: must be a list of schedule entries, not dict"),
        (["phq9"], "measures[0]: must be a mapping"),
        ([{"measure": "phq9", "at": ["week 4"], "colour": 1}], "measures[0]: unknown key 'colour'"),
        ([{"measure": "phq9"}], "measures[0]: give either `at: [time points]` or `every: week`"),
        ([{"measure": "phq9", "at": ["week 4"], "every": "week"}], "not both or neither"),
        ([{"measure": "", "at": ["week 4"]}], "measures[0].measure: must be a measure id"),
        ([{"measure": "phq9", "at": []}], "measures[0].at: must be a non-empty list"),
        ([{"measure": "phq9", "at": ["week 4", "week-4"]}], "measures[0].at[1]: Week 4 is listed twice"),
        ([{"measure": "phq9", "at": ["fortnight"]}], "measures[0].at[0]: 'fortnight' is not a time point"),
        ([{"measure": "phq9", "at": ["week 4"], "window_days": 0}], "window_days: must be a whole number"),
        ([{"measure": "phq9", "at": ["week 4"], "window_days": True}], "window_days: must be a whole number"),
        ([{"measure": "phq9", "at": ["week 4"], "until": "week 8"}], "measures[0].until: only for `every"),
        ([{"measure": "phq9", "every": "month"}], "measures[0].every: only `week` is supported"),
        ([{"measure": "phq9", "every": "week", "window_days": 10}], "window is at most 7 days, not 10"),
        (
            [{"measure": "phq9", "every": "week", "from": "week 4", "until": "week 2"}],
            "Week 2 is before Week 4",
        ),
    ],
)
def test_parse_schedule_invalid_entry_raises_clear_message(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_schedule(raw)


def test_parse_schedule_unknown_measure_reported_when_known_given(shipped: dict[str, Measure]) -> None:
    with pytest.raises(ValueError, match=r"measures\[0\].measure: no measure 'bpi' is defined"):
        parse_schedule([{"measure": "bpi", "at": ["week 4"]}], known_measures=shipped)


def test_parse_schedule_every_problem_listed_one_per_line() -> None:
    raw = [
        {"measure": "phq9", "at": ["week 4", "fortnight"]},
        {"measure": "gad7", "every": "week", "window_days": 9},
        {"measure": "pgic", "at": ["week 8"]},
    ]
    with pytest.raises(ValueError, match="fortnight") as caught:
        parse_schedule(raw)
    assert str(caught.value).splitlines() == [
        "measures[0].at[1]: 'fortnight' is not a time point (use enrollment, day N, week N or month N)",
        "measures[1].window_days: a weekly entry's window is at most 7 days, not 9",
    ]


def test_parse_schedule_empty_list_is_empty_schedule() -> None:
    assert parse_schedule([]) == ()
