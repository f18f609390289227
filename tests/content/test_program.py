"""The real program in modules/: readable, complete, and covering every part of pain reprocessing."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import textstat
from markdown_it import MarkdownIt

from course.content import load_catalog
from course.content.model import COMPONENTS, REPROCESSING_COMPONENTS, Catalog, Lesson

PROGRAM = Path(__file__).parent.parent.parent / "modules"
MAX_GRADE = 8.0
_md = MarkdownIt("commonmark")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(PROGRAM)


def plain_text(markdown: str) -> str:
    """The words a patient reads, one sentence per block (headings and list items count as sentences)."""
    blocks = []
    for token in _md.parse(markdown):
        if token.type == "inline":
            text = "".join(
                child.content for child in token.children or [] if child.type in ("text", "code_inline")
            )
            text = re.sub(r"\s+", " ", text).strip()
            if text:
                blocks.append(text if text[-1] in ".!?:" else text + ".")
    return " ".join(blocks)


def lessons(catalog: Catalog) -> list[tuple[str, Lesson]]:
    return [(f"{m.slug}/{s.id}", s) for m in catalog.modules for s in m.steps if isinstance(s, Lesson)]


def test_program_lessons_read_at_grade_8_or_below(catalog: Catalog) -> None:
    too_hard = {}
    for name, lesson in lessons(catalog):
        grade = textstat.flesch_kincaid_grade(plain_text(lesson.text))
        if grade > MAX_GRADE:
            too_hard[name] = grade
    assert not too_hard, f"lessons above grade {MAX_GRADE}: {too_hard}"


def test_program_lessons_take_under_five_minutes(catalog: Catalog) -> None:
    slow = {name: lesson.minutes for name, lesson in lessons(catalog) if lesson.minutes >= 5}
    assert not slow, slow


def test_program_has_eight_weekly_modules(catalog: Catalog) -> None:
    assert [m.week for m in catalog.modules] == list(range(1, 9))
    assert catalog.pace_days == 7


def test_program_every_module_has_each_required_kind_of_step(catalog: Catalog) -> None:
    for module in catalog.modules:
        kinds = Counter(step.type for step in module.steps)
        assert 2 <= kinds["lesson"] <= 4, (module.slug, kinds)
        assert kinds["exercise"] >= 1, module.slug
        assert kinds["check"] >= 1, module.slug
        assert kinds["journal"] >= 1, module.slug
        assert kinds["practice"] + kinds["habit"] >= 1, module.slug
        assert module.references, module.slug
        assert module.objectives, module.slug
        assert module.summary, module.slug


def test_program_covers_all_five_components_and_sleep_stress_movement(catalog: Catalog) -> None:
    covered = {word for module in catalog.modules for word in module.covers}
    assert set(REPROCESSING_COMPONENTS) <= covered
    assert {"sleep", "stress", "movement"} <= covered
    assert covered <= set(COMPONENTS)


def test_program_references_name_a_year(catalog: Catalog) -> None:
    for module in catalog.modules:
        for reference in module.references:
            assert re.search(r"\b(19|20)\d\d\b", reference), (module.slug, reference)


def test_program_weekly_habits_cover_sleep_and_stress(catalog: Catalog) -> None:
    areas = {habit.area for habit in catalog.habits.values()}
    assert {"sleep", "stress"} <= areas


def test_program_states_trial_honestly_and_never_promises_cure(catalog: Catalog) -> None:
    text = " ".join(lesson.text.lower() for _, lesson in lessons(catalog))
    assert "66" in text or "two thirds" in text or "2 out of 3" in text
    assert re.search(r"one (trial|study)", text), "the 66% figure must be framed as one trial"
    for promise in ("will cure", "guaranteed", "cure your pain", "you have central sensitization"):
        assert promise not in text, promise


def test_program_safety_content_is_present(catalog: Catalog) -> None:
    text = " ".join(lesson.text.lower() for _, lesson in lessons(catalog))
    assert "saddle" in text
    assert "bladder" in text or "bowel" in text
    assert "snor" in text
    assert "restless" in text
    assert "post-exertional" in text or "wiped out" in text
