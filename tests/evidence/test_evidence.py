"""The patient's own evidence: known statements from constructed check-ins; silence when data cannot say."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from course.evidence import (
    MIN_CHECKINS,
    WINDOW_DAYS,
    DayRecord,
    sleep_pain_statement,
    statements,
    stress_pain_statement,
    weekly_summary,
)

TODAY = date(2026, 3, 30)


def day(back: int) -> date:
    return TODAY - timedelta(days=back)


def rec(
    back: int,
    pain: int | None = 5,
    sleep: float | None = 6.5,
    stress: int | None = 5,
    quality: int | None = 5,
    mood: str | None = "okay",
) -> DayRecord:
    return DayRecord(day(back), pain, sleep, quality, stress, mood)


def sleep_records(short: list[int], full: list[int], middle: int = 0) -> list[DayRecord]:
    """Short nights (5 h) with the given pains, full nights (8 h), then `middle` 6.5-hour nights at pain 9,
    one record per day counting back from TODAY."""
    pains = [(p, 5.0) for p in short] + [(p, 8.0) for p in full] + [(9, 6.5)] * middle
    return [rec(back, pain=p, sleep=h) for back, (p, h) in enumerate(pains)]


def stress_records(high: list[int], low: list[int], middle: int = 0) -> list[DayRecord]:
    pains = [(p, 8) for p in high] + [(p, 2) for p in low] + [(9, 5)] * middle
    return [rec(back, pain=p, stress=s, sleep=None) for back, (p, s) in enumerate(pains)]


# Sleep


def test_sleep_statement_short_nights_hurt_more_gives_exact_text_and_detail() -> None:
    records = sleep_records(short=[6, 6, 7, 6, 6, 5], full=[4, 4, 5, 4, 4, 5, 4, 4], middle=6)
    statement = sleep_pain_statement(records, TODAY)
    assert statement is not None
    assert statement.id == "sleep-pain"
    assert statement.text == (
        "On days after less than 6 hours of sleep your pain averaged 6.0; after 7 or more hours, 4.3. "
        "This is a pattern in your check-ins, not proof — but it fits the idea that a tired nervous system "
        "turns the alarm up."
    )
    assert statement.detail == (
        "Based on 20 check-ins from 11 March to 30 March; 6 followed a night of less than 6 hours "
        "and 8 a night of 7 hours or more."
    )


def test_sleep_statement_mean_ending_in_five_rounds_half_up() -> None:
    # 4.25 and 6.15: Python's round() would show 4.2 and 6.1 (banker's rounding / binary floats).
    short = [7, 7, 7] + [6] * 17  # 123/20 = 6.15
    statement = sleep_pain_statement(sleep_records(short=short, full=[4, 4, 5, 4]), TODAY)
    assert statement is not None
    assert "averaged 6.2; after 7 or more hours, 4.3." in statement.text


def test_sleep_statement_13_usable_records_claims_nothing() -> None:
    records = sleep_records(short=[7, 7, 7, 7], full=[3, 3, 3, 3], middle=MIN_CHECKINS - 8 - 1)
    assert sleep_pain_statement(records, TODAY) is None


def test_sleep_statement_14_usable_records_is_enough() -> None:
    records = sleep_records(short=[7, 7, 7, 7], full=[3, 3, 3, 3], middle=MIN_CHECKINS - 8)
    assert sleep_pain_statement(records, TODAY) is not None


def test_sleep_statement_records_missing_values_do_not_count_as_usable() -> None:
    records = sleep_records(short=[7, 7, 7, 7], full=[3, 3, 3, 3], middle=5)
    records.append(rec(20, pain=None, sleep=8.0))
    records.append(rec(21, pain=3, sleep=None))
    records.append(rec(22, pain=3, sleep=20.0))  # out of range: not believable, not used
    assert len(records) > MIN_CHECKINS
    assert sleep_pain_statement(records, TODAY) is None


def test_sleep_statement_three_days_in_a_group_claims_nothing() -> None:
    assert sleep_pain_statement(sleep_records(short=[8, 8, 8], full=[2] * 10, middle=4), TODAY) is None
    assert sleep_pain_statement(sleep_records(short=[8] * 10, full=[2, 2, 2], middle=4), TODAY) is None


def test_sleep_statement_four_days_in_each_group_is_enough() -> None:
    assert sleep_pain_statement(sleep_records(short=[8] * 4, full=[2] * 4, middle=6), TODAY) is not None


def test_sleep_statement_difference_under_one_point_claims_nothing() -> None:
    # 5.9 against 5.0 (exact means), 0.9 apart.
    short = [6, 6, 6, 6, 6, 6, 6, 6, 6, 5]
    records = sleep_records(short=short, full=[5, 5, 5, 5])
    assert sleep_pain_statement(records, TODAY) is None


def test_sleep_statement_difference_of_exactly_one_point_is_stated() -> None:
    records = sleep_records(short=[6, 6, 6, 6, 6, 6, 6, 6, 6, 6], full=[5, 5, 5, 5])
    statement = sleep_pain_statement(records, TODAY)
    assert statement is not None
    assert "averaged 6.0; after 7 or more hours, 5.0." in statement.text


def test_sleep_statement_pain_lower_after_short_nights_claims_nothing() -> None:
    records = sleep_records(short=[2, 2, 2, 2, 2], full=[8, 8, 8, 8, 8], middle=4)
    assert sleep_pain_statement(records, TODAY) is None
    assert statements(records, TODAY) == []


def test_sleep_statement_six_to_seven_hours_is_in_neither_group() -> None:
    records = [rec(i, pain=8, sleep=5.99) for i in range(4)]
    records += [rec(4 + i, pain=2, sleep=7.0) for i in range(4)]
    # 6.0 h and 6.99 h with extreme pains would change either mean if they were counted.
    records += [rec(8 + i, pain=0, sleep=6.0) for i in range(3)]
    records += [rec(11 + i, pain=10, sleep=6.99) for i in range(3)]
    statement = sleep_pain_statement(records, TODAY)
    assert statement is not None
    assert "averaged 8.0; after 7 or more hours, 2.0." in statement.text


def test_sleep_statement_record_84_days_old_is_outside_the_window() -> None:
    records = sleep_records(short=[7, 7, 7, 7], full=[3, 3, 3, 3], middle=5)  # 13 records
    records.append(rec(WINDOW_DAYS, pain=9, sleep=6.5))
    assert sleep_pain_statement(records, TODAY) is None


def test_sleep_statement_record_83_days_old_is_inside_the_window() -> None:
    records = sleep_records(short=[7, 7, 7, 7], full=[3, 3, 3, 3], middle=5)
    records.append(rec(WINDOW_DAYS - 1, pain=9, sleep=6.5))
    statement = sleep_pain_statement(records, TODAY)
    assert statement is not None
    assert statement.detail.startswith("Based on 14 check-ins from 6 January to 30 March;")


def test_sleep_statement_records_after_today_are_ignored() -> None:
    records = sleep_records(short=[7, 7, 7, 7], full=[3, 3, 3, 3], middle=5)
    records.append(rec(-1, pain=9, sleep=6.5))
    assert sleep_pain_statement(records, TODAY) is None


def test_sleep_statement_repeated_day_keeps_the_last_record() -> None:
    records = sleep_records(short=[7, 7, 7, 7], full=[3, 3, 3, 3], middle=6)
    # A second save for the first short night: pain 3 instead of 7 brings the short mean to 6.0.
    records.append(rec(0, pain=3, sleep=5.0))
    statement = sleep_pain_statement(records, TODAY)
    assert statement is not None
    assert "averaged 6.0;" in statement.text
    assert statement.detail.startswith("Based on 14 check-ins")


def test_sleep_statement_range_across_new_year_shows_years() -> None:
    today = date(2026, 1, 5)
    records = [
        DayRecord(today - timedelta(days=i), 8 if i % 2 else 2, 5.0 if i % 2 else 8.0, 5, 5, None)
        for i in range(14)
    ]
    statement = sleep_pain_statement(records, today)
    assert statement is not None
    assert statement.detail.startswith("Based on 14 check-ins from 23 December 2025 to 5 January 2026;")


def test_sleep_statement_input_order_does_not_matter() -> None:
    records = sleep_records(short=[6, 7, 6, 8, 6], full=[4, 3, 5, 4, 4, 4], middle=7)
    shuffled = records[:]
    random.Random(4).shuffle(shuffled)
    assert sleep_pain_statement(shuffled, TODAY) == sleep_pain_statement(records, TODAY)


# Stress


def test_stress_statement_stressful_days_hurt_more_gives_exact_text_and_detail() -> None:
    records = stress_records(high=[6, 6, 6, 6, 6], low=[4, 4, 4, 5, 4], middle=6)
    statement = stress_pain_statement(records, TODAY)
    assert statement is not None
    assert statement.id == "stress-pain"
    assert statement.text == (
        "Your pain tended to be higher on high-stress days (6.0) than on calmer days (4.2). "
        "This is a pattern in your check-ins, not proof — but it fits the idea that stress turns the alarm "
        "up, rather than something being damaged."
    )
    assert statement.detail == (
        "Based on 16 check-ins from 15 March to 30 March; 5 were high-stress days (stress 7 or more) "
        "and 5 calmer days (stress 3 or less)."
    )


def test_stress_statement_thresholds_are_seven_and_three_inclusive() -> None:
    records = [rec(i, pain=8, stress=7) for i in range(4)]
    records += [rec(4 + i, pain=2, stress=3) for i in range(4)]
    records += [rec(8 + i, pain=0, stress=6) for i in range(3)]  # not high
    records += [rec(11 + i, pain=10, stress=4) for i in range(3)]  # not low
    statement = stress_pain_statement(records, TODAY)
    assert statement is not None
    assert "high-stress days (8.0) than on calmer days (2.0)" in statement.text


def test_stress_statement_pain_lower_on_stressful_days_claims_nothing() -> None:
    assert stress_pain_statement(stress_records(high=[2] * 5, low=[7] * 5, middle=4), TODAY) is None


def test_stress_statement_no_variation_in_stress_claims_nothing() -> None:
    records = [rec(i, pain=i % 10, stress=5) for i in range(30)]
    assert stress_pain_statement(records, TODAY) is None


def test_stress_statement_too_few_checkins_claims_nothing() -> None:
    assert stress_pain_statement(stress_records(high=[8] * 5, low=[2] * 5, middle=3), TODAY) is None


def test_stress_statement_difference_under_one_point_claims_nothing() -> None:
    assert stress_pain_statement(stress_records(high=[5] * 5, low=[4, 4, 4, 4, 5], middle=4), TODAY) is None


# Together


def test_statements_both_patterns_come_sleep_first() -> None:
    records = [rec(i, pain=8, sleep=5.0, stress=8) for i in range(5)]
    records += [rec(5 + i, pain=2, sleep=8.0, stress=2) for i in range(5)]
    records += [rec(10 + i, pain=5, sleep=6.5, stress=5) for i in range(4)]
    assert [s.id for s in statements(records, TODAY)] == ["sleep-pain", "stress-pain"]


def test_statements_no_records_claims_nothing() -> None:
    assert statements([], TODAY) == []


def test_statements_same_input_gives_same_output() -> None:
    records = sleep_records(short=[6, 7, 6, 8, 6], full=[4, 3, 5, 4, 4, 4], middle=7)
    assert statements(records, TODAY) == statements(list(records), TODAY)


# Weekly summary


def test_weekly_summary_rolling_weeks_end_today_oldest_first() -> None:
    weeks = weekly_summary([], TODAY, 3)
    assert [(w.start, w.end) for w in weeks] == [
        (date(2026, 3, 10), date(2026, 3, 16)),
        (date(2026, 3, 17), date(2026, 3, 23)),
        (date(2026, 3, 24), date(2026, 3, 30)),
    ]
    assert all(w.checkins == 0 and w.mean_pain is None for w in weeks)


def test_weekly_summary_means_rounded_and_none_without_data() -> None:
    records = [
        rec(0, pain=4, sleep=6.15, stress=None),
        rec(1, pain=5, sleep=None, stress=None),
        rec(6, pain=None, sleep=7.0, stress=None),
        rec(7, pain=8, sleep=5.0, stress=3),  # the previous week's last day
    ]
    previous, current = weekly_summary(records, TODAY, 2)
    assert current.checkins == 3
    assert current.mean_pain == 4.5
    assert current.mean_sleep_hours == 6.6  # (6.15 + 7.0) / 2 = 6.575, half up
    assert current.mean_stress is None
    assert (previous.checkins, previous.mean_pain, previous.mean_sleep_hours, previous.mean_stress) == (
        1,
        8.0,
        5.0,
        3.0,
    )


def test_weekly_summary_zero_weeks_is_empty() -> None:
    assert weekly_summary([rec(0)], TODAY, 0) == []


def test_weekly_summary_negative_weeks_raises() -> None:
    with pytest.raises(ValueError, match="negative"):
        weekly_summary([], TODAY, -1)
