"""Claims exactly as strong as their sources: the wording a pain specialist asked for, and the citations."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from course.content.loader import load_catalog
from course.content.model import Catalog
from course.steps.kinds.lesson import Lesson

from .test_program import PROGRAM, squash, step_texts


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(PROGRAM)


def lesson_text(catalog: Catalog, slug: str, step_id: str) -> str:
    module = catalog.module(slug)
    assert module is not None, slug
    step = module.step(step_id)
    assert isinstance(step, Lesson), step_id
    return squash(step.text)


def all_texts(catalog: Catalog) -> list[tuple[str, str]]:
    return [
        (f"{module.slug}/{step.id}", squash(text))
        for module in catalog.modules
        for step in module.steps
        for text in step_texts(step)
    ]


def test_hurt_and_harm_always_carries_always(catalog: Catalog) -> None:
    bare = re.compile(
        r"hurt (?:does not|doesn't|is not|isn't) (?:equal|mean) harm|hurt and harm are not the same", re.I
    )
    found = [(where, match.group(0)) for where, text in all_texts(catalog) for match in bare.finditer(text)]
    assert not found, found
    assert any("does not always" in text for _, text in all_texts(catalog))


def test_central_sensitization_is_one_process_not_the_name_for_chronic_pain(catalog: Catalog) -> None:
    text = lesson_text(catalog, "alarm-system", "volume-knob")
    assert "Scientists call this central sensitization" not in text
    assert "not the name for all long-lasting pain" in text
    assert "not a diagnosis" in text
    assert re.search(r"[Ii]n lab studies.{0,120}reversible", text)
    everything = " ".join(text for _, text in all_texts(catalog))
    assert "Scientists describe this turned-up state as reversible" not in everything
    assert "Scientists describe this kind of turned-up state as reversible" not in everything


def test_better_shape_is_said_only_for_this_pain_and_mixed_pain_hears_both(catalog: Catalog) -> None:
    text = lesson_text(catalog, "alarm-system", "volume-knob")
    assert "For the kind of pain this program is for" in text
    assert re.search(r"known condition, like arthritis or nerve damage.{0,60}both can be true", text)


def test_slow_breathing_effect_on_stress_is_moderate_and_uncertain(catalog: Catalog) -> None:
    text = lesson_text(catalog, "stress", "slow-breathing")
    assert "moderate in size, but uncertain" in text
    assert "was small" not in text


def test_boulder_study_limits_in_full(catalog: Catalog) -> None:
    text = lesson_text(catalog, "alarm-system", "boulder-study")
    assert "2022" in text
    assert re.search(r"As of 20\d\d, we know of no other research team that has repeated it", text)
    assert "Some of the researchers made the method" in text
    assert "fairly young, about 40 on average" in text
    assert "did not limit their daily lives very much" in text
    assert "not compared with another talking therapy" in text
    assert '"Pain-free or nearly" was not the main measure' in text
    assert "main measure was average pain" in text


def test_expressive_writing_names_its_sources_and_a_stop_rule_with_crisis_help(catalog: Catalog) -> None:
    text = lesson_text(catalog, "emotions", "expressive-writing")
    assert "a trained therapist led it" in text
    assert "did not test writing on your own" in text
    assert "Pennebaker" in text
    assert "Stop if it floods you" in text
    assert '"Need help now?" box' in text
    emotions = catalog.module("emotions")
    assert emotions is not None
    practice = emotions.step("writing-practice")
    assert practice is not None
    practice_text = squash(" ".join(step_texts(practice)))
    assert "If it floods you, stop" in practice_text
    assert "Need help now?" in practice_text
    assert any(reference.startswith("Pennebaker JW, Beall SK.") for reference in emotions.references)


def test_evidence_clues_are_patterns_to_discuss_and_spreading_is_not_a_warning_sign(catalog: Catalog) -> None:
    text = lesson_text(catalog, "evidence", "looking-for-clues")
    assert "None of them proves what is causing your pain" in text
    assert "talk over with your clinician" in text
    assert "Even a pattern is not proof" in text
    assert "a loss of feeling or strength that spreads is different. That is a warning sign" in text
    assert "(step:alarm-system/safety-first)" in text


@pytest.mark.parametrize(
    ("slug", "step_id", "named", "cited"),
    [
        ("stress", "self-compassion", "Kristin Neff", "Neff KD."),
        ("emotions", "good-feelings", "Fred Bryant", "Bryant FB, Veroff J."),
        ("emotions", "good-feelings", "Eric Garland", "Garland EL,"),
        ("sleep", "bed-and-wake", "Richard Bootzin", "Bootzin RR."),
    ],
)
def test_practices_credit_their_sources(
    catalog: Catalog, slug: str, step_id: str, named: str, cited: str
) -> None:
    assert named in lesson_text(catalog, slug, step_id)
    module = catalog.module(slug)
    assert module is not None
    assert any(reference.startswith(cited) for reference in module.references), cited


def test_each_paper_is_cited_one_way_and_journal_articles_are_complete(catalog: Catalog) -> None:
    ways: dict[str, set[str]] = defaultdict(set)
    for module in catalog.modules:
        for reference in module.references:
            # A paper is its first author and its title (the text up to the title's full stop).
            parts = reference.split(". ")
            ways[". ".join(parts[:2]).lower()].add(reference)
            # A journal article ("Journal. 2021;...") names its volume and pages: "2021;162(11):2629-2634".
            if re.search(r"\. (?:19|20)\d\d[.;]", reference) and "NICE guideline" not in reference:
                assert re.search(r"(?:19|20)\d\d;\d+(?:\([^)]*\))?:[e\dS][\w-]*", reference), reference
    several = {paper: refs for paper, refs in ways.items() if len(refs) > 1}
    assert not several, several
