"""Crisis language is recognised; figures of speech are not alarms; red flags rank by urgency."""

from __future__ import annotations

import pytest

from course.safety import RED_FLAGS, crisis_language, urgency_of


@pytest.mark.parametrize(
    "text",
    [
        "Some days I want to die.",
        "I have been thinking about killing myself",
        "Everyone would be better off without me",
        "I feel suicidal tonight",
        "I don’t want to wake up anymore",
        "I keep thinking I should hurt myself",
        "I can't go on like this",
        "There is no reason to live with this pain",
        "I thought about an overdose",
        "I WANT TO END IT ALL",
    ],
)
def test_crisis_language_recognised(text: str) -> None:
    assert crisis_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying to try this new recipe",
        "This commute is killing me",
        "My back pain is killing me today",
        "We were killing it at the quiz",
        "That cake was to die for",
        "The lecture bored me to death, ha",
        "My grandmother died last year and I miss her",
        "",
        "Sleep was short, pain 6, stress high at work.",
    ],
)
def test_crisis_language_figures_of_speech_do_not_alert(text: str) -> None:
    assert not crisis_language(text)


def test_crisis_language_errs_towards_help_on_the_word_suicide() -> None:
    # Mentioning suicide at all shows crisis information; we accept this false alarm on purpose.
    assert crisis_language("I watched a documentary about suicide prevention work")


def test_urgency_emergency_beats_soon() -> None:
    assert urgency_of([]) is None
    assert urgency_of(["fever"]) == "soon"
    assert urgency_of(["fever", "saddle-numbness"]) == "emergency"
    assert urgency_of(["unknown-id"]) is None


def test_red_flags_have_unique_ids() -> None:
    ids = [flag.id for flag in RED_FLAGS]
    assert len(ids) == len(set(ids))
