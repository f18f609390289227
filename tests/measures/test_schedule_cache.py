"""Occurrences are worked out once per (schedule, start, zone) in a process: same answers, fresh lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from course.measures import DEFAULT_SCHEDULE, occurrences, parse_schedule
from course.measures.schedule import _occurrences

START = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # still Sunday 1 March in Denver


def test_occurrences_remembered_answer_equals_a_fresh_one() -> None:
    denver = ZoneInfo("America/Denver")
    first = occurrences(DEFAULT_SCHEDULE, START, denver)
    again = occurrences(DEFAULT_SCHEDULE, START, denver)
    assert again == first == list(_occurrences.__wrapped__(DEFAULT_SCHEDULE, START, denver))


def test_occurrences_each_caller_gets_its_own_list() -> None:
    mine = occurrences(DEFAULT_SCHEDULE, START, ZoneInfo("UTC"))
    mine.clear()
    assert occurrences(DEFAULT_SCHEDULE, START, ZoneInfo("UTC"))


def test_occurrences_keyed_by_zone_start_and_schedule() -> None:
    in_denver = occurrences(DEFAULT_SCHEDULE, START, ZoneInfo("America/Denver"))
    in_utc = occurrences(DEFAULT_SCHEDULE, START, ZoneInfo("UTC"))
    assert in_denver[0].due_on == in_utc[0].due_on - timedelta(days=1)
    later = occurrences(DEFAULT_SCHEDULE, START + timedelta(days=3), ZoneInfo("UTC"))
    assert later[0].due_on == in_utc[0].due_on + timedelta(days=3)
    only_phq9 = parse_schedule([{"measure": "phq9", "at": ["enrollment"]}])
    assert [d.measure_id for d in occurrences(only_phq9, START, ZoneInfo("UTC"))] == ["phq9"]


def test_an_entrys_remembered_hash_is_that_of_its_own_fields() -> None:
    # The schedule is the cache's key: an entry keeps its hash, and equal entries must hash alike.
    entry = DEFAULT_SCHEDULE[3]
    twin = parse_schedule(
        [{"measure": "phq9", "at": ["enrollment", "week 4", "week 8", "month 3", "month 12"]}]
    )[0]
    assert twin == entry
    assert hash(twin) == hash(entry) == hash(entry)
    assert hash(entry) == hash((entry.measure_id, entry.timepoints, entry.window_days, entry.every))
    other = replace(entry, window_days=entry.window_days + 1)
    assert other != entry
    assert hash(other) == hash((other.measure_id, other.timepoints, other.window_days, other.every))
    longer = parse_schedule([{"measure": "phq9", "at": ["enrollment"], "window_days": 20}])
    assert occurrences(longer, START, ZoneInfo("UTC"))[0].last_day - occurrences(
        parse_schedule([{"measure": "phq9", "at": ["enrollment"]}]), START, ZoneInfo("UTC")
    )[0].last_day == timedelta(days=6)
