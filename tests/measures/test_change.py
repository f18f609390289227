"""Reliable change (Jacobson & Truax), pain response (IMMPACT) and the therapist's one-line explanations."""

from __future__ import annotations

import dataclasses
import math

import pytest

from course.measures import (
    Measure,
    Norms,
    Reliability,
    explain_pain_response,
    explain_reliable_change,
    explain_score,
    pain_response,
    reliable_change,
    score,
)


@pytest.fixture
def phq9_with_norms(shipped: dict[str, Measure]) -> Measure:
    """PHQ-9 with a test SD of 5 and r = 0.84, so the worked example is easy to check by hand."""
    return dataclasses.replace(
        shipped["phq9"],
        reliability=Reliability(r=0.84, kind="test-retest", source="test"),
        norms=Norms(sd=5, population="test", source="test"),
    )


def test_reliable_change_worked_example_matches_hand_calculation(phq9_with_norms: Measure) -> None:
    # By hand: S_diff = √2 × 5 × √(1 − 0.84) = 1.41421 × 5 × 0.4 = 2.82843;
    # RC = (8 − 15) / 2.82843 = −2.47487.
    rci = reliable_change(phq9_with_norms, 15, 8)
    assert rci is not None
    assert rci.s_diff == pytest.approx(2.82843, abs=1e-5)
    assert rci.index == pytest.approx(-2.47487, abs=1e-5)
    assert rci.threshold == pytest.approx(5.54372, abs=1e-5)  # 1.96 × 2.82843
    assert rci.change == -7
    assert rci.reliable is True
    assert rci.direction == "improved"  # lower PHQ-9 is better


def test_reliable_change_small_drop_is_not_reliable(phq9_with_norms: Measure) -> None:
    rci = reliable_change(phq9_with_norms, 15, 11)  # RC = −4 / 2.82843 = −1.41421
    assert rci is not None
    assert rci.index == pytest.approx(-math.sqrt(2), abs=1e-9)
    assert (rci.reliable, rci.direction) == (False, "no reliable change")


def test_reliable_change_rise_on_lower_is_better_is_worse(phq9_with_norms: Measure) -> None:
    rci = reliable_change(phq9_with_norms, 8, 15)
    assert rci is not None
    assert (rci.reliable, rci.direction) == (True, "worse")


def test_reliable_change_higher_is_better_rise_is_improved(phq9_with_norms: Measure) -> None:
    flipped = dataclasses.replace(phq9_with_norms, higher_is_better=True)
    rci = reliable_change(flipped, 8, 15)
    assert rci is not None
    assert rci.direction == "improved"


def test_reliable_change_threshold_is_strictly_above_196(phq9_with_norms: Measure) -> None:
    # The threshold is 1.96 × 2.82843 = 5.54372 points: just under is noise, just over is reliable.
    under = reliable_change(phq9_with_norms, 10, 15.5437)
    over = reliable_change(phq9_with_norms, 10, 15.5438)
    assert under is not None
    assert over is not None
    assert (under.reliable, over.reliable) == (False, True)


def test_reliable_change_without_norms_returns_none(shipped: dict[str, Measure]) -> None:
    # Shipped PHQ-9 and GAD-7 have r but no confirmed clinical SD; PGIC and the pain items have neither.
    for measure in shipped.values():
        assert reliable_change(measure, measure.score_min, measure.score_max) is None


def test_reliable_change_score_outside_range_raises(phq9_with_norms: Measure) -> None:
    with pytest.raises(ValueError, match="outside"):
        reliable_change(phq9_with_norms, 15, 28)


@pytest.mark.parametrize(
    ("baseline", "current", "percent", "r30", "r50"),
    [
        (6, 3, -50.0, True, True),
        (10, 5, -50.0, True, True),
        (10, 7, -30.0, True, False),  # exactly 30% counts
        (8.44, 5.908, -30.0, True, False),  # exactly 30% in floats that do not divide evenly
        (4.22, 2.954, -30.0, False, False),  # 30%, but a drop of less than 2 points
        (2, 1, -50.0, False, False),  # 50%, but 1 point: not substantial
        (4, 2, -50.0, True, True),  # exactly 2 points counts
        (3, 1.5, -50.0, False, False),
        (10, 7.1, -29.0, False, False),
        (5, 4, -20.0, False, False),
        (4, 6, 50.0, False, False),
        (3, 3, 0.0, False, False),
    ],
)
def test_pain_response_thresholds_follow_immpact(
    baseline: float, current: float, percent: float, r30: bool, r50: bool
) -> None:
    response = pain_response(baseline, current)
    assert response.percent_change == pytest.approx(percent)
    assert (response.responder_30, response.responder_50) == (r30, r50)
    assert response.change == pytest.approx(current - baseline)


@pytest.mark.parametrize(("current", "nearly"), [(0, True), (1, True), (1.18, False), (2, False)])
def test_pain_response_current_0_or_1_is_pain_free_or_nearly(current: float, nearly: bool) -> None:
    assert pain_response(4.22, current).pain_free_or_nearly is nearly


def test_pain_response_baseline_zero_has_no_percent_and_no_responder() -> None:
    rise = pain_response(0, 3)
    same = pain_response(0, 0)
    assert (rise.percent_change, rise.responder_30, rise.responder_50) == (None, False, False)
    assert rise.change == 3
    assert same.percent_change is None
    assert same.pain_free_or_nearly is True


@pytest.mark.parametrize(("baseline", "current"), [(-1, 3), (5, 11), (math.nan, 2), (2, math.inf)])
def test_pain_response_outside_0_to_10_raises(baseline: float, current: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 10"):
        pain_response(baseline, current)


def test_explain_reliable_change_reliable_uses_plain_words(phq9_with_norms: Measure) -> None:
    assert explain_reliable_change(phq9_with_norms, reliable_change(phq9_with_norms, 15, 8)) == (
        "A change bigger than measurement noise (reliable change index −2.5): improved."
    )


def test_explain_reliable_change_noise_states_needed_change(phq9_with_norms: Measure) -> None:
    assert explain_reliable_change(phq9_with_norms, reliable_change(phq9_with_norms, 15, 11)) == (
        "Within measurement noise (reliable change index −1.4); "
        "a change of more than 5.5 points would be needed."
    )


def test_explain_reliable_change_none_says_why(shipped: dict[str, Measure]) -> None:
    assert explain_reliable_change(shipped["gad7"], None) == (
        "No Jacobson–Truax reliable change index for GAD-7: a published SD for a comparable clinical sample "
        "is not on file."
    )
    assert explain_reliable_change(shipped["pgic"], None) == (
        "No reliable change index for PGIC: no published reliability and SD figures are on file for it."
    )


@pytest.mark.parametrize(
    ("baseline", "current", "sentence"),
    [
        (
            6,
            3,
            "Pain went from 6 to 3, a 50% reduction, which IMMPACT counts as a substantial improvement "
            "(50% or more, and 2 points or more).",
        ),
        (
            10,
            7,
            "Pain went from 10 to 7, a 30% reduction, which IMMPACT counts as a moderate improvement "
            "(30% or more, and 2 points or more).",
        ),
        (
            10,
            7.001,
            "Pain went from 10 to 7, a 29.9% reduction, below the 30% that IMMPACT counts as a "
            "moderate improvement.",
        ),
        (
            4.22,
            1,
            "Pain went from 4.2 to 1, a 76.3% reduction, which IMMPACT counts as a substantial "
            "improvement (50% or more, and 2 points or more). Now pain-free or nearly (0–1).",
        ),
        (
            2,
            1,
            "Pain went from 2 to 1, a 50% reduction, but a drop of less than 2 points, so not what IMMPACT "
            "counts as a moderate or substantial improvement. Now pain-free or nearly (0–1).",
        ),
        (4, 6, "Pain went from 4 to 6, a 50% increase."),
        (5, 5, "Pain stayed at 5: no change."),
        (0, 2, "Pain went from 0 to 2; no percentage change, because the starting rating was 0."),
    ],
)
def test_explain_pain_response_sentence(baseline: float, current: float, sentence: str) -> None:
    assert explain_pain_response(pain_response(baseline, current)) == sentence


def test_explain_score_band_and_safety(shipped: dict[str, Measure]) -> None:
    answers = {f"q{i}": 1 for i in range(1, 10)}
    result = score(shipped["phq9"], answers)
    assert result is not None
    assert explain_score(shipped["phq9"], result) == (
        "PHQ-9 9 (range 0–27); band: Mild (5–9). Safety item 9 was answered above “Not at all”: "
        "check in with the patient today."
    )


def test_explain_score_single_item_names_the_answer(shipped: dict[str, Measure]) -> None:
    pgic = score(shipped["pgic"], {"change": 2})
    pain = score(shipped["pain-average"], {"rating": 6})
    assert pgic is not None
    assert pain is not None
    assert explain_score(shipped["pgic"], pgic) == (
        "PGIC 2 (range 1–7), “Much improved”; band: Moderate improvement (2)."
    )
    assert explain_score(shipped["pain-average"], pain) == "Average pain 6 (range 0–10)."
