"""Scoring: sum, mean and single rules, reverse items, bands at their boundaries, drafts and bad values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from course.measures import Measure, load_definitions, safety_flags, score, validate_answers

WriteDefinition = Callable[..., Path]


def answers_summing(measure: Measure, total: int) -> dict[str, int]:
    """Answers whose (unreversed) values add up to `total`, filling items from the first."""
    answers: dict[str, int] = {}
    for item in measure.items:
        value = min(item.max_value, total)
        answers[item.id] = value
        total -= value
    assert total == 0
    return answers


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_band_boundaries_match_published_cut_points(
    shipped: dict[str, Measure], total: int, label: str
) -> None:
    result = score(shipped["phq9"], answers_summing(shipped["phq9"], total))
    assert result is not None
    assert result.total == total
    assert result.band is not None
    assert result.band.label == label


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_band_boundaries_match_published_cut_points(
    shipped: dict[str, Measure], total: int, label: str
) -> None:
    result = score(shipped["gad7"], answers_summing(shipped["gad7"], total))
    assert result is not None
    assert result.band is not None
    assert (result.total, result.band.label) == (total, label)


def test_phq9_mixed_answers_sum_to_published_total(shipped: dict[str, Measure]) -> None:
    # A typical form: 0,1,2,3,0,1,2,3,1 → 13, the moderate band (10–14).
    values = [0, 1, 2, 3, 0, 1, 2, 3, 1]
    result = score(shipped["phq9"], {f"q{i}": v for i, v in enumerate(values, start=1)})
    assert result is not None
    assert result.band is not None
    assert result.total == 13
    assert isinstance(result.total, int)
    assert result.band.patient_label == "Low mood is showing up quite a bit"


def test_phq9_item_9_above_zero_flags_safety(shipped: dict[str, Measure]) -> None:
    phq9 = shipped["phq9"]
    answers = {**answers_summing(phq9, 0), "q9": 1}
    result = score(phq9, answers)
    assert result is not None
    assert result.safety_items == ("q9",)
    assert result.band is not None
    assert result.band.label == "Minimal"


def test_phq9_item_9_at_zero_flags_nothing(shipped: dict[str, Measure]) -> None:
    result = score(shipped["phq9"], answers_summing(shipped["phq9"], 27 - 3))
    assert result is not None
    assert result.safety_items == ()


def test_safety_flags_partial_draft_still_flags(shipped: dict[str, Measure]) -> None:
    assert safety_flags(shipped["phq9"], {"q9": 2}) == ("q9",)
    assert safety_flags(shipped["phq9"], {"q1": 3}) == ()
    assert safety_flags(shipped["gad7"], {"q7": 3}) == ()


def test_score_partial_answers_returns_none(shipped: dict[str, Measure]) -> None:
    answers = answers_summing(shipped["phq9"], 12)
    del answers["q5"]
    assert score(shipped["phq9"], answers) is None
    assert score(shipped["phq9"], {}) is None


def test_score_invalid_value_raises(shipped: dict[str, Measure]) -> None:
    answers = {**answers_summing(shipped["gad7"], 0), "q3": 4}
    with pytest.raises(ValueError, match="q3"):
        score(shipped["gad7"], answers)


def test_score_unknown_item_raises(shipped: dict[str, Measure]) -> None:
    with pytest.raises(ValueError, match="q10"):
        score(shipped["phq9"], {**answers_summing(shipped["phq9"], 0), "q10": 0})


@pytest.mark.parametrize("value", [-1, 4, 1.0, "2", True, None])
def test_validate_answers_out_of_range_or_wrong_type_reported(
    shipped: dict[str, Measure], value: Any
) -> None:
    problems = validate_answers(shipped["phq9"], {"q1": 0, "q2": value})
    assert list(problems) == ["q2"]
    assert "0–3" in problems["q2"]


def test_validate_answers_unknown_item_reported(shipped: dict[str, Measure]) -> None:
    assert validate_answers(shipped["gad7"], {"q8": 1}) == {"q8": "'q8' is not a question in GAD-7"}


def test_validate_answers_partial_valid_draft_has_no_problems(shipped: dict[str, Measure]) -> None:
    assert validate_answers(shipped["phq9"], {"q1": 3, "q9": 0}) == {}


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (1, "Substantial improvement"),
        (2, "Moderate improvement"),
        (3, "Minimal improvement"),
        (4, "No change"),
        (7, "Worse"),
    ],
)
def test_pgic_single_answer_maps_to_immpact_category(
    shipped: dict[str, Measure], value: int, label: str
) -> None:
    result = score(shipped["pgic"], {"change": value})
    assert result is not None
    assert result.band is not None
    assert (result.total, result.band.label) == (value, label)


def test_single_item_without_bands_scores_with_no_band(shipped: dict[str, Measure]) -> None:
    result = score(shipped["pain-average"], {"rating": 7})
    assert result is not None
    assert (result.total, result.band) == (7, None)


def test_reverse_item_all_minimum_scores_reversed_maximum(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    measure = load_definitions(write_definition(tiny))["tiny"]
    all_low = score(measure, {"a": 0, "b": 0, "c": 0})
    all_high = score(measure, {"a": 2, "b": 2, "c": 2})
    mixed = score(measure, {"a": 2, "b": 0, "c": 1})
    assert all_low is not None
    assert all_high is not None
    assert mixed is not None
    assert all_low.total == 2  # b answered 0 counts as 2
    assert all_high.total == 4  # b answered 2 counts as 0
    assert mixed.total == 5
    assert mixed.band is not None
    assert mixed.band.label == "High"


def test_reverse_item_highest_possible_score_reaches_range_top(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    measure = load_definitions(write_definition(tiny))["tiny"]
    top = score(measure, {"a": 2, "b": 0, "c": 2})
    bottom = score(measure, {"a": 0, "b": 2, "c": 0})
    assert top is not None
    assert bottom is not None
    assert (bottom.total, top.total) == (measure.score_min, measure.score_max) == (0, 6)


def test_mean_scoring_fractional_total_and_band(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["scoring"] = "mean"
    tiny["score_range"] = {"min": 0, "max": 2}
    tiny["bands"] = [
        {"min": 0, "max": 0.9, "label": "Low", "patient_label": "A little"},
        {"min": 1, "max": 2, "label": "High", "patient_label": "More"},
    ]
    measure = load_definitions(write_definition(tiny))["tiny"]
    two_thirds = score(measure, {"a": 0, "b": 2, "c": 2})  # 0 + 0 + 2 = 2, over 3 items
    one = score(measure, {"a": 1, "b": 1, "c": 1})  # 1 + 1 + 1 = 3, over 3 items
    assert two_thirds is not None
    assert one is not None
    assert two_thirds.total == pytest.approx(2 / 3)
    assert two_thirds.band is not None
    assert two_thirds.band.label == "Low"
    assert one.total == 1.0
    assert isinstance(one.total, float)
    assert one.band is not None
    assert one.band.label == "High"
