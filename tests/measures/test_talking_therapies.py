"""Change as NHS Talking Therapies reports it (PHQ-9 6 points, GAD-7 4 points), and pain responders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.measures import (
    PAIN_RESPONSE_MIN_POINTS,
    Measure,
    MeasureError,
    explain_point_change,
    explain_talking_therapies,
    load_definitions,
    pain_response,
    point_change,
    talking_therapies_outcome,
)

from .conftest import WriteDefinition

PHQ = st.integers(min_value=0, max_value=27)
GAD = st.integers(min_value=0, max_value=21)
PAIN = st.integers(min_value=0, max_value=100).map(lambda tenths: tenths / 10)


def test_shipped_thresholds_are_the_published_ones(shipped: dict[str, Measure]) -> None:
    phq, gad = shipped["phq9"].talking_therapies, shipped["gad7"].talking_therapies
    assert phq is not None
    assert gad is not None
    assert (phq.role, phq.reliable_change, phq.caseness) == ("depression", 6, 10)
    assert (gad.role, gad.reliable_change, gad.caseness) == ("anxiety", 4, 8)
    assert "Talking Therapies" in phq.source
    assert "Gyani A" in gad.source
    # Measures without thresholds on file say nothing rather than guess.
    assert point_change(shipped["pgic"], 4, 2) is None


@pytest.mark.parametrize(
    ("measure_id", "baseline", "current", "direction"),
    [
        ("phq9", 15, 9, "improved"),  # exactly 6 points counts
        ("phq9", 15, 10, "no reliable change"),
        ("phq9", 9, 15, "worse"),
        ("gad7", 12, 8, "improved"),  # exactly 4 points counts
        ("gad7", 12, 9, "no reliable change"),
        ("gad7", 8, 12, "worse"),
    ],
)
def test_point_change_threshold_is_inclusive(
    shipped: dict[str, Measure], measure_id: str, baseline: int, current: int, direction: str
) -> None:
    change = point_change(shipped[measure_id], baseline, current)
    assert change is not None
    assert change.direction == direction
    assert change.change == current - baseline


def test_point_change_outside_range_raises(shipped: dict[str, Measure]) -> None:
    with pytest.raises(ValueError, match="outside the PHQ-9 range"):
        point_change(shipped["phq9"], 28, 3)


def test_outcome_reliable_recovery_worked_example(shipped: dict[str, Measure]) -> None:
    outcome = talking_therapies_outcome(shipped["phq9"], (16, 8), shipped["gad7"], (9, 6))
    assert outcome.case_at_start
    assert not outcome.case_at_end
    assert outcome.reliable_improvement
    assert outcome.recovery
    assert outcome.reliable_recovery
    assert not outcome.reliable_deterioration
    assert explain_talking_therapies(shipped["phq9"], shipped["gad7"], outcome) == [
        "Reliable improvement: yes.",
        "Reliable recovery: yes (a case at the start, PHQ-9 10 or more, or GAD-7 8 or more; now below both, "
        "and improved).",
        "Reliable deterioration: no.",
    ]


def test_outcome_improvement_with_other_rising_is_deterioration(shipped: dict[str, Measure]) -> None:
    outcome = talking_therapies_outcome(shipped["phq9"], (18, 11), shipped["gad7"], (5, 9))
    assert not outcome.reliable_improvement
    assert outcome.reliable_deterioration
    lines = explain_talking_therapies(shipped["phq9"], shipped["gad7"], outcome)
    assert lines[0].startswith("Reliable improvement: no (PHQ-9 needs to fall 6 points or GAD-7 4")
    assert lines[2] == "Reliable deterioration: yes. Check in with the patient."


def test_outcome_not_a_case_at_start_cannot_recover(shipped: dict[str, Measure]) -> None:
    outcome = talking_therapies_outcome(shipped["phq9"], (9, 2), shipped["gad7"], (7, 1))
    assert outcome.reliable_improvement
    assert not outcome.recovery
    lines = explain_talking_therapies(shipped["phq9"], shipped["gad7"], outcome)
    assert lines[1].startswith("Reliable recovery: does not apply (not a case at the start")


def test_outcome_recovery_without_reliable_improvement_is_not_reliable_recovery(
    shipped: dict[str, Measure],
) -> None:
    outcome = talking_therapies_outcome(shipped["phq9"], (10, 9), shipped["gad7"], (8, 7))
    assert outcome.recovery
    assert not outcome.reliable_recovery
    lines = explain_talking_therapies(shipped["phq9"], shipped["gad7"], outcome)
    assert lines[1] == (
        "Reliable recovery: no (below both caseness scores now, but without reliable improvement)."
    )


def test_outcome_needs_a_depression_and_an_anxiety_measure(shipped: dict[str, Measure]) -> None:
    with pytest.raises(ValueError, match="depression and an anxiety"):
        talking_therapies_outcome(shipped["gad7"], (9, 2), shipped["phq9"], (7, 1))
    with pytest.raises(ValueError, match="no NHS Talking Therapies thresholds"):
        talking_therapies_outcome(shipped["phq9"], (9, 2), shipped["pgic"], (4, 1))


@given(PHQ, PHQ, GAD, GAD)
def test_outcome_categories_follow_their_definitions(
    shipped: dict[str, Measure], phq0: int, phq1: int, gad0: int, gad1: int
) -> None:
    outcome = talking_therapies_outcome(shipped["phq9"], (phq0, phq1), shipped["gad7"], (gad0, gad1))
    fell = phq0 - phq1 >= 6 or gad0 - gad1 >= 4
    rose = phq1 - phq0 >= 6 or gad1 - gad0 >= 4
    assert outcome.reliable_improvement == (fell and not rose)
    assert outcome.reliable_deterioration == rose
    assert not (outcome.reliable_improvement and outcome.reliable_deterioration)
    assert outcome.case_at_start == (phq0 >= 10 or gad0 >= 8)
    assert outcome.recovery == (outcome.case_at_start and phq1 < 10 and gad1 < 8)
    assert outcome.reliable_recovery == (outcome.recovery and outcome.reliable_improvement)
    lines = explain_talking_therapies(shipped["phq9"], shipped["gad7"], outcome)
    assert [line.split(":")[0] for line in lines] == [
        "Reliable improvement",
        "Reliable recovery",
        "Reliable deterioration",
    ]
    assert lines[0].startswith("Reliable improvement: yes" if outcome.reliable_improvement else "Reliable")
    assert ("yes" in lines[2]) == outcome.reliable_deterioration


@given(PHQ, PHQ)
def test_point_change_sentence_says_the_direction(
    shipped: dict[str, Measure], before: int, after: int
) -> None:
    change = point_change(shipped["phq9"], before, after)
    assert change is not None
    sentence = explain_point_change(shipped["phq9"], change)
    assert sentence.startswith("PHQ-9 ")
    if change.direction == "improved":
        assert "reliable improvement" in sentence
    elif change.direction == "worse":
        assert "reliable deterioration" in sentence
    else:
        assert "within the 6 points" in sentence


@given(PAIN, PAIN)
def test_pain_responder_needs_the_percentage_and_two_points(before: float, after: float) -> None:
    response = pain_response(before, after)
    drop = before - after
    if response.responder_30 or response.responder_50:
        assert drop >= PAIN_RESPONSE_MIN_POINTS - 1e-9
        assert drop >= 0.3 * before - 1e-9
    if response.responder_50:
        assert response.responder_30
        assert drop >= 0.5 * before - 1e-9
    if before > 0 and drop >= PAIN_RESPONSE_MIN_POINTS and drop >= 0.5 * before:
        assert response.responder_50
    # A start of 2 or lower can never make a responder: there are not 2 points to lose and still count.
    if before < PAIN_RESPONSE_MIN_POINTS:
        assert not response.responder_30


def test_loader_talking_therapies_problems_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["talking_therapies"] = {"role": "mood", "reliable_change": 0, "caseness": 9, "source": "Test"}
    extra: Path = write_definition(tiny)
    with pytest.raises(MeasureError) as caught:
        load_definitions(extra)
    text = str(caught.value)
    assert "talking_therapies.role: must be one of depression, anxiety, not 'mood'" in text
    assert "talking_therapies.reliable_change: must be above 0, not 0" in text
    assert "talking_therapies.caseness: must be above 0 and at most 6" in text


def test_loader_talking_therapies_read(tiny: dict[str, Any], write_definition: WriteDefinition) -> None:
    tiny["talking_therapies"] = {"role": "anxiety", "reliable_change": 2, "caseness": 3, "source": "Test"}
    measure = load_definitions(write_definition(tiny))["tiny"]
    assert measure.talking_therapies is not None
    assert (measure.talking_therapies.reliable_change, measure.talking_therapies.caseness) == (2, 3)
