"""Scores, reliable change and pain response, plus one-line explanations for therapists.

Pure: no Flask, no database. Numbers in, frozen dataclasses out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from .model import Band, Measure, TalkingTherapies

RELIABLE_Z = 1.96  # two-tailed p < .05 (Jacobson & Truax 1991)
PAIN_MIN, PAIN_MAX = 0.0, 10.0
# A responder's pain also fell by at least 2 points on the 0–10 scale (Farrar et al. 2001; IMMPACT): from a
# low start a percentage alone overstates a change, so 2 → 1 is 50% but not a substantial improvement.
PAIN_RESPONSE_MIN_POINTS = 2.0
# Float arithmetic must not decide a responder: 10 → 7 is exactly 30% even if 0.3 * 10 is not 3.0 in binary.
_EPSILON = 1e-9

Direction = Literal["improved", "worse", "no reliable change"]


@dataclass(frozen=True)
class Score:
    """A complete questionnaire's score."""

    measure_id: str
    total: float  # an int for `sum` and `single`; a float for `mean`
    band: Band | None  # None when the measure has no bands
    safety_items: tuple[str, ...]  # ids of safety items answered above their lowest option


@dataclass(frozen=True)
class RCI:
    """A reliable change index (Jacobson & Truax 1991) between two scores of one measure."""

    baseline: float
    current: float
    change: float  # current − baseline
    s_diff: float  # standard error of the difference: √2 · SD · √(1 − r)
    index: float  # change / s_diff
    threshold: float  # the smallest change (in score points) that counts as reliable: 1.96 · s_diff
    reliable: bool  # |index| > 1.96
    direction: Direction


@dataclass(frozen=True)
class PainResponse:
    """Change on a 0–10 pain rating, read the IMMPACT way (≥30% moderate, ≥50% substantial)."""

    baseline: float
    current: float
    change: float  # current − baseline; negative is less pain
    percent_change: float | None  # 100 · change / baseline; None when the baseline is 0
    responder_30: bool  # pain fell by at least 30% and at least 2 points
    responder_50: bool  # pain fell by at least 50% and at least 2 points
    pain_free_or_nearly: bool  # current pain 0 or 1, as reported in the Boulder Back Pain Study


def validate_answers(measure: Measure, answers: Mapping[str, object]) -> dict[str, str]:
    """Problems with submitted answers, keyed by item id: unknown items and values that are not options.

    Missing items are not problems here: a half-done questionnaire is a draft (see `score`).
    """
    problems: dict[str, str] = {}
    for item_id, value in answers.items():
        item = measure.item(item_id)
        if item is None:
            problems[item_id] = f"'{item_id}' is not a question in {measure.short_title}"
        elif not isinstance(value, int) or isinstance(value, bool) or value not in item.values:
            problems[item_id] = (
                f"{value!r} is not one of the answers to this question ({item.min_value}–{item.max_value})"
            )
    return problems


def safety_flags(measure: Measure, answers: Mapping[str, object]) -> tuple[str, ...]:
    """Safety items (PHQ-9 item 9) answered above their lowest option, in item order.

    Works on partial answers too: a draft that mentions self-harm must reach a person as well.
    """
    flagged: list[str] = []
    for item in measure.safety_items:
        value = answers.get(item.id)
        if isinstance(value, int) and not isinstance(value, bool) and value > item.min_value:
            flagged.append(item.id)
    return tuple(flagged)


def score(measure: Measure, answers: Mapping[str, int]) -> Score | None:
    """Score a complete questionnaire, or None when any item is unanswered (drafts are never scored).

    Reverse items count as mirrored within their options. Raises ValueError for unknown items or values
    that are not options: call `validate_answers` first on anything a person typed.
    """
    problems = validate_answers(measure, answers)
    if problems:
        details = "; ".join(f"{item}: {message}" for item, message in problems.items())
        raise ValueError(f"cannot score {measure.id}: {details}")
    if any(item.id not in answers for item in measure.items):
        return None
    points = [item.scored(answers[item.id]) for item in measure.items]
    exact = Fraction(sum(points), len(points)) if measure.scoring == "mean" else Fraction(sum(points))
    total: float = int(exact) if exact.denominator == 1 and measure.scoring != "mean" else float(exact)
    return Score(
        measure_id=measure.id,
        total=total,
        band=measure.band_for(exact),
        safety_items=safety_flags(measure, answers),
    )


def reliable_change(measure: Measure, baseline: float, current: float) -> RCI | None:
    """The reliable change index from `baseline` to `current` (Jacobson & Truax 1991).

    S_diff = √2 · SD · √(1 − r), RC = (current − baseline) / S_diff; |RC| > 1.96 is reliable. Returns None
    when the definition has no published reliability or SD on file. Raises ValueError for scores outside
    the measure's range.
    """
    if measure.reliability is None or measure.norms is None:
        return None
    for name, value in (("baseline", baseline), ("current", current)):
        if not measure.score_min <= value <= measure.score_max:
            raise ValueError(
                f"{name} {value} is outside the {measure.short_title} range "
                f"{measure.score_min}–{measure.score_max}"
            )
    s_diff = math.sqrt(2) * measure.norms.sd * math.sqrt(1 - measure.reliability.r)
    change = current - baseline
    index = change / s_diff
    reliable = abs(index) > RELIABLE_Z
    direction: Direction = "no reliable change"
    if reliable:
        went_up = change > 0
        direction = "improved" if went_up == measure.higher_is_better else "worse"
    return RCI(
        baseline=baseline,
        current=current,
        change=change,
        s_diff=s_diff,
        index=index,
        threshold=RELIABLE_Z * s_diff,
        reliable=reliable,
        direction=direction,
    )


def pain_response(baseline_pain: float, current_pain: float) -> PainResponse:
    """Compare two 0–10 pain ratings: change, percent change and the IMMPACT responder thresholds.

    A responder's pain fell by 30% (or 50%) and by at least `PAIN_RESPONSE_MIN_POINTS` points.

    With a baseline of 0 there is no percent change and nobody can be a responder (there was no pain to
    reduce); `pain_free_or_nearly` still reads the current rating. Raises ValueError outside 0–10.
    """
    for name, value in (("baseline_pain", baseline_pain), ("current_pain", current_pain)):
        if not (math.isfinite(value) and PAIN_MIN <= value <= PAIN_MAX):
            raise ValueError(f"{name} must be between 0 and 10, not {value}")
    change = current_pain - baseline_pain
    reduction = baseline_pain - current_pain
    has_baseline = baseline_pain > 0
    enough_points = reduction >= PAIN_RESPONSE_MIN_POINTS - _EPSILON
    return PainResponse(
        baseline=baseline_pain,
        current=current_pain,
        change=change,
        percent_change=100 * change / baseline_pain if has_baseline else None,
        responder_30=has_baseline and enough_points and 100 * reduction >= 30 * baseline_pain - _EPSILON,
        responder_50=has_baseline and enough_points and 100 * reduction >= 50 * baseline_pain - _EPSILON,
        pain_free_or_nearly=current_pain <= 1,
    )


def _num(value: float) -> str:
    """A number as a therapist reads it: whole numbers bare, others to one decimal, a real minus sign."""
    rounded = round(value, 1)
    if rounded == 0:
        rounded = 0.0  # never print −0
    text = str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"
    return text.replace("-", "−")


def explain_score(measure: Measure, result: Score) -> str:
    """One plain sentence about a score, e.g. "PHQ-9 12 (range 0–27); band: Moderate (10–14)."."""
    score_range = f"{_num(measure.score_min)}–{_num(measure.score_max)}"
    text = f"{measure.short_title} {_num(result.total)} (range {score_range})"
    if measure.scoring == "single":
        option = measure.items[0].option(int(result.total))
        if option is not None and not option.label.isdigit():
            text += f", “{option.label}”"
    if result.band is not None:
        band = result.band
        span = _num(band.min) if band.min == band.max else f"{_num(band.min)}–{_num(band.max)}"
        text += f"; band: {band.label} ({span})"
    text += "."
    for item_id in result.safety_items:
        item = measure.item(item_id)
        number = measure.item_ids.index(item_id) + 1
        lowest = item.option(item.min_value) if item is not None else None
        above = f" above “{lowest.label}”" if lowest is not None else ""
        text += f" Safety item {number} was answered{above}: check in with the patient today."
    return text


def explain_reliable_change(measure: Measure, rci: RCI | None) -> str:
    """One plain sentence about a reliable change index, or about why there is none."""
    if rci is None:
        if measure.reliability is not None:
            return (
                f"No Jacobson–Truax reliable change index for {measure.short_title}: "
                "a published SD for a comparable clinical sample is not on file."
            )
        return (
            f"No reliable change index for {measure.short_title}: "
            "no published reliability and SD figures are on file for it."
        )
    if rci.reliable:
        index = _num(rci.index)
        return f"A change bigger than measurement noise (reliable change index {index}): {rci.direction}."
    return (
        f"Within measurement noise (reliable change index {_num(rci.index)}); "
        f"a change of more than {_num(rci.threshold)} points would be needed."
    )


def explain_pain_response(response: PainResponse) -> str:
    """One plain sentence about a change in 0–10 pain, with the IMMPACT thresholds it meets."""
    start = f"Pain went from {_num(response.baseline)} to {_num(response.current)}"
    nearly = " Now pain-free or nearly (0–1)." if response.pain_free_or_nearly else ""
    if response.percent_change is None:
        return f"{start}; no percentage change, because the starting rating was 0.{nearly}"
    # Rounded down, so 29.99% never reads "30% reduction" next to "less than 30%".
    percent = _num(math.floor(abs(response.percent_change) * 10 + _EPSILON) / 10)
    if response.change == 0:
        return f"Pain stayed at {_num(response.current)}: no change.{nearly}"
    if response.change > 0:
        return f"{start}, a {percent}% increase.{nearly}"
    points = _num(PAIN_RESPONSE_MIN_POINTS)
    if response.responder_50:
        reading = (
            f"which IMMPACT counts as a substantial improvement (50% or more, and {points} points or more)"
        )
    elif response.responder_30:
        reading = f"which IMMPACT counts as a moderate improvement (30% or more, and {points} points or more)"
    elif (
        -response.change < PAIN_RESPONSE_MIN_POINTS - _EPSILON
        and 100 * -response.change >= 30 * response.baseline - _EPSILON
    ):
        reading = (
            f"but a drop of less than {points} points, so not what IMMPACT counts as a moderate or "
            "substantial improvement"
        )
    else:
        reading = "below the 30% that IMMPACT counts as a moderate improvement"
    return f"{start}, a {percent}% reduction, {reading}.{nearly}"


@dataclass(frozen=True)
class PointChange:
    """A change on one measure read against a fixed threshold in points, as NHS Talking Therapies does."""

    measure_id: str
    baseline: float
    current: float
    change: float  # current − baseline
    threshold: float  # a change of at least this many points is reliable
    direction: Direction


@dataclass(frozen=True)
class TalkingTherapiesOutcome:
    """A patient's change on the paired depression and anxiety measures, in NHS Talking Therapies terms.

    Reliable improvement: one measure fell by its threshold or more and the other did not rise by its own.
    Reliable deterioration: either rose by its threshold or more. A case: either at or above its caseness
    score. Recovery: a case at the start, below both caseness scores at the end. Reliable recovery: recovery
    with reliable improvement.
    """

    depression: PointChange
    anxiety: PointChange
    case_at_start: bool
    case_at_end: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    recovery: bool
    reliable_recovery: bool


def _thresholds(measure: Measure) -> TalkingTherapies:
    if measure.talking_therapies is None:
        raise ValueError(f"{measure.short_title} has no NHS Talking Therapies thresholds on file")
    return measure.talking_therapies


def _check_range(measure: Measure, baseline: float, current: float) -> None:
    for name, value in (("baseline", baseline), ("current", current)):
        if not measure.score_min <= value <= measure.score_max:
            raise ValueError(
                f"{name} {value} is outside the {measure.short_title} range "
                f"{measure.score_min}–{measure.score_max}"
            )


def point_change(measure: Measure, baseline: float, current: float) -> PointChange | None:
    """The change from `baseline` to `current` read against the measure's fixed reliable-change points
    (PHQ-9 6, GAD-7 4), or None when the measure has no such threshold on file. Raises ValueError for
    scores outside the measure's range."""
    if measure.talking_therapies is None:
        return None
    _check_range(measure, baseline, current)
    threshold = measure.talking_therapies.reliable_change
    change = current - baseline
    direction: Direction = "no reliable change"
    if abs(change) >= threshold:
        direction = "improved" if (change > 0) == measure.higher_is_better else "worse"
    return PointChange(measure.id, baseline, current, change, threshold, direction)


def talking_therapies_outcome(
    depression: Measure,
    depression_scores: tuple[float, float],
    anxiety: Measure,
    anxiety_scores: tuple[float, float],
) -> TalkingTherapiesOutcome:
    """Reliable improvement, recovery, reliable recovery and reliable deterioration from the first to the
    last paired scores (baseline, current) of a depression and an anxiety measure (NHS Talking Therapies).

    Raises ValueError when a measure lacks thresholds, plays the wrong role, or a score is out of range.
    """
    dep, anx = _thresholds(depression), _thresholds(anxiety)
    if (dep.role, anx.role) != ("depression", "anxiety"):
        raise ValueError(f"expected a depression and an anxiety measure, not {dep.role} and {anx.role}")
    dep_change = point_change(depression, *depression_scores)
    anx_change = point_change(anxiety, *anxiety_scores)
    if dep_change is None or anx_change is None:  # unreachable: both have thresholds (checked above)
        raise ValueError("NHS Talking Therapies thresholds missing")
    directions = {dep_change.direction, anx_change.direction}
    improved = "improved" in directions and "worse" not in directions
    deteriorated = "worse" in directions
    case_at_start = depression_scores[0] >= dep.caseness or anxiety_scores[0] >= anx.caseness
    case_at_end = depression_scores[1] >= dep.caseness or anxiety_scores[1] >= anx.caseness
    recovery = case_at_start and not case_at_end
    return TalkingTherapiesOutcome(
        depression=dep_change,
        anxiety=anx_change,
        case_at_start=case_at_start,
        case_at_end=case_at_end,
        reliable_improvement=improved,
        reliable_deterioration=deteriorated,
        recovery=recovery,
        reliable_recovery=recovery and improved,
    )


def explain_point_change(measure: Measure, change: PointChange) -> str:
    """One plain sentence about a change against the NHS Talking Therapies threshold."""
    points = _num(change.threshold)
    if change.change == 0:
        moved = f"{measure.short_title} unchanged"
    else:
        moved = (
            f"{measure.short_title} {'up' if change.change > 0 else 'down'} {_num(abs(change.change))} points"
        )
    threshold = f"by the NHS Talking Therapies threshold ({points} points or more)"
    if change.direction == "improved":
        return f"{moved}: a reliable improvement {threshold}."
    if change.direction == "worse":
        return f"{moved}: a reliable deterioration {threshold}."
    return f"{moved}: within the {points} points NHS Talking Therapies needs for a reliable change."


def explain_talking_therapies(
    depression: Measure, anxiety: Measure, outcome: TalkingTherapiesOutcome
) -> list[str]:
    """Plain sentences, one per NHS Talking Therapies category, each saying yes or no and why."""
    dep, anx = _thresholds(depression), _thresholds(anxiety)
    d, a = depression.short_title, anxiety.short_title
    cases = f"{d} {_num(dep.caseness)} or more, or {a} {_num(anx.caseness)} or more"
    improvement = (
        "Reliable improvement: yes."
        if outcome.reliable_improvement
        else f"Reliable improvement: no ({d} needs to fall {_num(dep.reliable_change)} points or {a} "
        f"{_num(anx.reliable_change)}, without the other rising as much)."
    )
    if not outcome.case_at_start:
        recovery = f"Reliable recovery: does not apply (not a case at the start: {cases})."
    elif outcome.reliable_recovery:
        recovery = f"Reliable recovery: yes (a case at the start, {cases}; now below both, and improved)."
    elif outcome.recovery:
        recovery = "Reliable recovery: no (below both caseness scores now, but without reliable improvement)."
    else:
        recovery = f"Reliable recovery: no (still a case: {cases})."
    deterioration = (
        "Reliable deterioration: yes. Check in with the patient."
        if outcome.reliable_deterioration
        else "Reliable deterioration: no."
    )
    return [improvement, recovery, deterioration]
