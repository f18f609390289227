"""Caseload triage: each signal on constructed cases, its boundaries, suppressions and the caseload order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from course.triage import PainTrend, PatientActivity, Signal, pain_trend, signals, sort_key

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 30)
SECOND = timedelta(seconds=1)


def active(**changes: object) -> PatientActivity:
    """A patient who is fine: enrolled a month ago, active an hour ago, in a module opened two days ago."""
    base = PatientActivity(
        enrolled_at=NOW - timedelta(days=30),
        last_active_at=NOW - timedelta(hours=1),
        current_module_opened_at=NOW - timedelta(days=2),
        last_step_completed_at=None,
        daily_pain={},
        open_safety_alerts=0,
        unread_shares=0,
        finished=False,
        paused=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def pain(recent: list[float], earlier: list[float]) -> dict[date, float]:
    """Recent values on today, today-1, ...; earlier values on today-14, today-15, ..."""
    days = {TODAY - timedelta(days=i): v for i, v in enumerate(recent)}
    days.update({TODAY - timedelta(days=14 + i): v for i, v in enumerate(earlier)})
    return days


def kinds(found: list[Signal]) -> list[str]:
    return [s.kind for s in found]


def test_signals_patient_doing_fine_gives_none() -> None:
    assert signals(active(), NOW, TODAY) == []


def test_signals_naive_now_raises() -> None:
    with pytest.raises(ValueError, match="aware"):
        signals(active(), NOW.replace(tzinfo=None), TODAY)


# Silent


def test_silent_seven_days_exactly_is_silent() -> None:
    found = signals(active(last_active_at=NOW - timedelta(days=7)), NOW, TODAY)
    assert found == [Signal("silent", "Silent for 7 days", 2)]


def test_silent_a_second_under_seven_days_is_not_silent() -> None:
    assert signals(active(last_active_at=NOW - timedelta(days=7) + SECOND), NOW, TODAY) == []


def test_silent_six_days_is_not_silent() -> None:
    assert signals(active(last_active_at=NOW - timedelta(days=6)), NOW, TODAY) == []


def test_silent_whole_days_are_counted_down() -> None:
    found = signals(active(last_active_at=NOW - timedelta(days=9, hours=23)), NOW, TODAY)
    assert [s.text for s in found] == ["Silent for 9 days"]


def test_silent_never_active_counts_from_enrollment() -> None:
    patient = active(
        enrolled_at=NOW - timedelta(days=8),
        last_active_at=None,
        current_module_opened_at=NOW - timedelta(days=8),
    )
    assert [s.text for s in signals(patient, NOW, TODAY)] == ["No activity since joining 8 days ago"]


def test_silent_never_active_but_enrolled_six_days_ago_is_not_silent() -> None:
    patient = active(enrolled_at=NOW - timedelta(days=6), last_active_at=None)
    assert signals(patient, NOW, TODAY) == []


@pytest.mark.parametrize("state", ["finished", "paused"])
def test_silent_finished_or_paused_patient_is_not_flagged(state: str) -> None:
    patient = active(last_active_at=NOW - timedelta(days=40), **{state: True})
    assert signals(patient, NOW, TODAY) == []


# Stalled


def test_stalled_module_open_ten_days_without_a_step_is_stalled() -> None:
    found = signals(active(current_module_opened_at=NOW - timedelta(days=10)), NOW, TODAY)
    assert found == [Signal("stalled", "Module open 10 days, no step done yet", 2)]


def test_stalled_module_open_nine_days_is_not_stalled() -> None:
    opened = NOW - timedelta(days=10) + SECOND
    assert signals(active(current_module_opened_at=opened), NOW, TODAY) == []


def test_stalled_last_step_ten_days_ago_is_stalled() -> None:
    patient = active(
        current_module_opened_at=NOW - timedelta(days=20), last_step_completed_at=NOW - timedelta(days=10)
    )
    assert [s.text for s in signals(patient, NOW, TODAY)] == ["No step done in 10 days"]


def test_stalled_last_step_nine_days_ago_is_not_stalled() -> None:
    patient = active(
        current_module_opened_at=NOW - timedelta(days=20), last_step_completed_at=NOW - timedelta(days=9)
    )
    assert signals(patient, NOW, TODAY) == []


def test_stalled_no_current_module_is_not_stalled() -> None:
    assert signals(active(current_module_opened_at=None), NOW, TODAY) == []


@pytest.mark.parametrize("state", ["finished", "paused"])
def test_stalled_finished_or_paused_patient_is_not_flagged(state: str) -> None:
    patient = active(current_module_opened_at=NOW - timedelta(days=30), **{state: True})
    assert signals(patient, NOW, TODAY) == []


def test_stalled_silent_patient_shows_only_silent() -> None:
    patient = active(
        last_active_at=NOW - timedelta(days=12), current_module_opened_at=NOW - timedelta(days=15)
    )
    assert kinds(signals(patient, NOW, TODAY)) == ["silent"]


# Worsening


def test_pain_trend_means_change_and_percent() -> None:
    trend = pain_trend(pain([6, 7, 8, 7], [4, 5, 6]), TODAY)
    assert trend == PainTrend(
        recent_mean=7.0,
        earlier_mean=5.0,
        change=2.0,
        percent=40.0,
        recent_checkins=4,
        earlier_checkins=3,
        worsening=True,
    )


def test_pain_trend_two_checkins_in_a_window_gives_none() -> None:
    assert pain_trend(pain([8, 8, 8], [2, 2]), TODAY) is None
    assert pain_trend(pain([8, 8], [2, 2, 2]), TODAY) is None


def test_pain_trend_window_edges_are_inclusive() -> None:
    days = {
        TODAY: 8.0,
        TODAY - timedelta(days=6): 8.0,
        TODAY - timedelta(days=7): 0.0,  # between the windows
        TODAY - timedelta(days=13): 0.0,
        TODAY - timedelta(days=3): 8.0,
        TODAY - timedelta(days=14): 4.0,
        TODAY - timedelta(days=20): 4.0,
        TODAY - timedelta(days=21): 10.0,  # too early
        TODAY - timedelta(days=17): 4.0,
        TODAY + timedelta(days=1): 10.0,  # tomorrow: a clock slip, ignored
    }
    trend = pain_trend(days, TODAY)
    assert trend is not None
    assert (trend.recent_mean, trend.earlier_mean, trend.recent_checkins, trend.earlier_checkins) == (
        8,
        4,
        3,
        3,
    )


def test_pain_trend_values_outside_zero_to_ten_are_ignored() -> None:
    trend = pain_trend(pain([5, 5, 5, 99, float("nan")], [5, 5, 5, -1]), TODAY)
    assert trend is not None
    assert (trend.recent_checkins, trend.earlier_checkins, trend.change) == (3, 3, 0)


def test_worsening_two_points_is_flagged_even_where_floats_say_less() -> None:
    # 9.2 - 7.2 is 1.9999999999999991 in floats; 27.8% so only the points rule can fire.
    patient = active(daily_pain=pain([9.2, 9.2, 9.2], [7.2, 7.2, 7.2]))
    assert signals(patient, NOW, TODAY) == [Signal("worsening", "Pain up 2.0 points over two weeks", 1)]


def test_worsening_one_point_nine_under_thirty_percent_is_not_flagged() -> None:
    patient = active(daily_pain=pain([9.1, 9.1, 9.1], [7.2, 7.2, 7.2]))  # 26.4%
    assert signals(patient, NOW, TODAY) == []


def test_worsening_thirty_percent_is_flagged_with_the_percentage() -> None:
    patient = active(daily_pain=pain([6.5, 6.5, 6.5], [5, 5, 5]))
    assert [s.text for s in signals(patient, NOW, TODAY)] == ["Pain up 1.5 points (30%) over two weeks"]


def test_worsening_twenty_nine_percent_is_not_flagged() -> None:
    patient = active(daily_pain=pain([6.45, 6.45, 6.45], [5, 5, 5]))
    trend = pain_trend(patient.daily_pain, TODAY)
    assert trend is not None
    assert trend.percent == pytest.approx(29.0)
    assert signals(patient, NOW, TODAY) == []


def test_worsening_from_zero_uses_points_only() -> None:
    trend = pain_trend(pain([1.5, 1.5, 1.5], [0, 0, 0]), TODAY)
    assert trend is not None
    assert trend.percent is None
    assert not trend.worsening
    patient = active(daily_pain=pain([2, 2, 2], [0, 0, 0]))
    assert [s.text for s in signals(patient, NOW, TODAY)] == ["Pain up 2.0 points over two weeks"]


def test_worsening_pain_going_down_is_not_flagged() -> None:
    assert signals(active(daily_pain=pain([2, 2, 2], [8, 8, 8])), NOW, TODAY) == []


def test_worsening_change_is_shown_rounded_half_up() -> None:
    # 2.25 points: round(2.25, 1) in Python gives 2.2; the caseload shows 2.3.
    patient = active(daily_pain=pain([6.25, 6.25, 6.25], [4, 4, 4]))
    assert [s.text for s in signals(patient, NOW, TODAY)] == ["Pain up 2.3 points over two weeks"]


@pytest.mark.parametrize("state", ["finished", "paused"])
def test_worsening_finished_or_paused_patient_is_still_flagged(state: str) -> None:
    patient = active(daily_pain=pain([8, 8, 8], [4, 4, 4]), **{state: True})
    assert kinds(signals(patient, NOW, TODAY)) == ["worsening"]


# Safety and unread


def test_safety_one_alert_is_flagged_first() -> None:
    assert signals(active(open_safety_alerts=1), NOW, TODAY) == [Signal("safety", "Open safety alert", 0)]


def test_safety_several_alerts_are_counted() -> None:
    assert [s.text for s in signals(active(open_safety_alerts=2), NOW, TODAY)] == ["2 open safety alerts"]


@pytest.mark.parametrize("state", ["finished", "paused"])
def test_safety_finished_or_paused_patient_is_still_flagged(state: str) -> None:
    patient = active(open_safety_alerts=1, last_active_at=NOW - timedelta(days=30), **{state: True})
    assert kinds(signals(patient, NOW, TODAY)) == ["safety"]


def test_unread_shares_are_counted_in_plain_words() -> None:
    assert signals(active(unread_shares=1), NOW, TODAY) == [Signal("unread", "1 unread shared entry", 3)]
    assert [s.text for s in signals(active(unread_shares=3), NOW, TODAY)] == ["3 unread shared entries"]


def test_signals_several_at_once_come_most_urgent_first() -> None:
    patient = active(
        unread_shares=2,
        open_safety_alerts=1,
        current_module_opened_at=NOW - timedelta(days=11),
        daily_pain=pain([8, 8, 8], [4, 4, 4]),
    )
    assert kinds(signals(patient, NOW, TODAY)) == ["safety", "worsening", "stalled", "unread"]


# Caseload order


def test_sort_key_orders_safety_worsening_stalled_or_silent_unread_then_the_rest() -> None:
    caseload = {
        "Zoe": signals(active(open_safety_alerts=1), NOW, TODAY),
        "Yusuf": signals(active(daily_pain=pain([8, 8, 8], [4, 4, 4])), NOW, TODAY),
        "Xavier": signals(active(last_active_at=NOW - timedelta(days=8)), NOW, TODAY),
        "Wren": signals(active(current_module_opened_at=NOW - timedelta(days=12)), NOW, TODAY),
        "Val": signals(active(unread_shares=1), NOW, TODAY),
        "Ann": signals(active(), NOW, TODAY),
    }
    ordered = sorted(caseload, key=lambda name: sort_key(caseload[name], name))
    assert ordered == ["Zoe", "Yusuf", "Wren", "Xavier", "Val", "Ann"]


def test_sort_key_ties_by_name_ignoring_case() -> None:
    unread = signals(active(unread_shares=1), NOW, TODAY)
    names = ["bea", "Ann", "Cal", "ann"]
    ordered = sorted(names, key=lambda name: sort_key(unread, name))
    assert ordered == ["Ann", "ann", "bea", "Cal"]


def test_sort_key_most_urgent_signal_decides() -> None:
    both = [Signal("unread", "1 unread shared entry", 3), Signal("safety", "Open safety alert", 0)]
    assert sort_key(both, "Zed") < sort_key([Signal("worsening", "Pain up", 1)], "Abe")
    assert sort_key([], "Abe") > sort_key([Signal("unread", "x", 3)], "Zed")


# ---- feedback ---------------------------------------------------------------------------------------------


def test_feedback_waiting_is_counted_in_whole_days_from_the_oldest() -> None:
    for waited, text in (
        (timedelta(hours=23, minutes=59), "Feedback waiting, under a day"),
        (timedelta(days=1), "Feedback waiting, 1 day"),
        (timedelta(days=2, hours=5), "Feedback waiting, 2 days"),
    ):
        found = signals(active(feedback_waiting=1, feedback_since=NOW - waited), NOW, TODAY)
        assert [(s.kind, s.text) for s in found] == [("feedback", text)]
    two = signals(active(feedback_waiting=2, feedback_since=NOW - timedelta(days=3)), NOW, TODAY)
    assert two[0].text == "2 feedback moments waiting, 3 days"


@pytest.mark.parametrize("state", ["finished", "paused"])
def test_feedback_waiting_is_shown_whatever_the_patients_state(state: str) -> None:
    patient = active(feedback_waiting=1, feedback_since=NOW, **{state: True})
    assert kinds(signals(patient, NOW, TODAY)) == ["feedback"]


def test_feedback_ranks_first_after_safety() -> None:
    patient = active(
        open_safety_alerts=1,
        feedback_waiting=1,
        feedback_since=NOW - timedelta(days=1),
        daily_pain=pain([6, 6, 6], [3, 3, 3]),
        unread_shares=1,
    )
    assert kinds(signals(patient, NOW, TODAY)) == ["safety", "feedback", "worsening", "unread"]
    waiting = signals(active(feedback_waiting=1, feedback_since=NOW), NOW, TODAY)
    silent = signals(active(last_active_at=NOW - timedelta(days=8)), NOW, TODAY)
    assert sort_key(waiting, "Zed") < sort_key(silent, "Abe")


# Messages waiting for a reply, and the therapist's review


def test_reply_one_waiting_message_is_a_signal_before_silent() -> None:
    found = signals(active(waiting_messages=1, last_active_at=NOW - timedelta(days=8)), NOW, TODAY)
    assert found == [
        Signal("reply", "1 message waiting for your reply", 2),
        Signal("silent", "Silent for 8 days", 2),
    ]


def test_reply_counts_messages_and_shows_for_paused_and_finished_patients() -> None:
    for changes in ({}, {"paused": True}, {"finished": True}):
        found = signals(active(waiting_messages=3, **changes), NOW, TODAY)
        assert Signal("reply", "3 messages waiting for your reply", 2) in found


def test_review_due_at_its_moment_and_not_a_second_before() -> None:
    assert signals(active(review_due_at=NOW + SECOND), NOW, TODAY) == []
    assert signals(active(review_due_at=NOW), NOW, TODAY) == [Signal("review", "Review due", 3)]


def test_review_not_shown_for_finished_patients_but_for_paused_ones() -> None:
    assert signals(active(review_due_at=NOW - timedelta(days=3), finished=True), NOW, TODAY) == []
    paused = signals(active(review_due_at=NOW - timedelta(days=3), paused=True), NOW, TODAY)
    assert kinds(paused) == ["review"]


def test_review_due_ranks_after_everything_else() -> None:
    found = signals(active(review_due_at=NOW, unread_shares=1, waiting_messages=1), NOW, TODAY)
    assert kinds(found) == ["reply", "unread", "review"]
