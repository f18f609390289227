"""Reading grade 8 or below for every text a patient reads, not only lessons.

The texts are found by walking the catalog's dataclasses, so a new step type or a new field is covered (or
the walk fails and asks for it to be classified) without anyone remembering to add it here.
"""

from __future__ import annotations

import dataclasses
import re
from html import unescape
from typing import Any, NamedTuple

import pytest
import textstat

from course.content.loader import load_catalog
from course.content.model import Catalog, Module
from course.steps.kinds.check import Check
from course.steps.kinds.lesson import Lesson

from .test_program import MAX_GRADE, PROGRAM, plain_text

# Fields whose words a patient reads: plain text, HTML rendered from content, or (Lesson.text) Markdown.
READ = {
    "title",
    "label",
    "help",
    "min_label",
    "max_label",
    "prompt",
    "name",
    "summary",
    "objectives",
    "missing",  # a recall's words when the earlier answer was left empty
}
# Fields a patient never reads as prose: ids, enum values, where a step came from, the path it is for, and
# the references (citations cannot be written in plain words; they are for checking the claims).
NOT_READ = {
    "id",
    "audio",  # a recorded guide: a file whose words are the step's own text, graded there
    "type",
    "source",
    "path",
    "feedback",  # a feedback moment: what it holds ("step" or "module")
    "value",
    "answer",
    "area",
    "module_slug",
    "step_id",
    "field_id",  # which earlier answer a recall shows
    "slug",
    "kind",
    "covers",
    "references",
}
# Graded on its own once a text is this long; shorter ones are graded together with the rest of their step
# (a grade formula says nothing about the three words of a label).
LONG_ENOUGH = 30


class Text(NamedTuple):
    """One text a patient reads: where it is, and its words as sentences."""

    where: str
    words: str


def as_sentences(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if not text or text[-1] in ".!?:" else text + "."


def html_words(html: str) -> str:
    # Block ends become sentence ends, so a list of short items is not graded as one long sentence.
    blocks = re.split(r"</(?:p|li|h\d|dt|dd)>", html)
    return " ".join(
        as_sentences(unescape(re.sub(r"<[^>]+>", " ", block))) for block in blocks if block.strip()
    )


def patient_texts(obj: Any, where: str) -> list[Text]:
    """Every patient-facing text in a catalog object, recursing into nested dataclasses and tuples.

    Raises AssertionError on a string field it does not know, so new fields get classified here.
    """
    found: list[Text] = []
    for spec in dataclasses.fields(obj):
        name, value = spec.name, getattr(obj, spec.name)
        if name.startswith("_") or name in NOT_READ:
            continue
        here = f"{where}.{name}"
        if isinstance(obj, Lesson) and name == "text":
            found.append(Text(here, plain_text(value)))
        elif isinstance(obj, Lesson) and name == "body_html":
            continue  # the same words as `text`, read above as Markdown
        elif isinstance(value, str):
            assert name in READ or name.endswith("_html"), (
                f"classify {type(obj).__name__}.{name} in {__name__}"
            )
            found.append(Text(here, html_words(value) if name.endswith("_html") else as_sentences(value)))
        elif dataclasses.is_dataclass(value):
            found += patient_texts(value, here)
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                if dataclasses.is_dataclass(item):
                    label = getattr(item, "id", None) or getattr(item, "slug", None) or index
                    found += patient_texts(item, f"{here}[{label}]")
                elif isinstance(item, str):
                    assert name in READ, f"classify {type(obj).__name__}.{name} in {__name__}"
                    found.append(Text(f"{here}[{index}]", as_sentences(item)))
    return [text for text in found if text.words]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(PROGRAM)


def units(module: Module) -> list[Text]:
    """What is graded: each step's texts together, the module's own words together, each long text alone."""
    graded = []
    own = patient_texts(dataclasses.replace(module, steps=()), module.slug)
    graded.append(Text(f"{module.slug} (title, summary, objectives)", " ".join(t.words for t in own)))
    for step in module.steps:
        texts = patient_texts(step, f"{module.slug}/{step.id}")
        graded.append(
            Text(f"{module.slug}/{step.id} ({step.type}, all its texts)", " ".join(t.words for t in texts))
        )
        graded += [text for text in texts if len(text.words.split()) >= LONG_ENOUGH]
    return graded


def test_every_patient_text_reads_at_grade_8_or_below(catalog: Catalog) -> None:
    too_hard = {}
    for module in catalog.modules:
        for unit in units(module):
            grade = textstat.flesch_kincaid_grade(unit.words)
            if grade > MAX_GRADE:
                too_hard[unit.where] = round(grade, 1)
    assert not too_hard, f"above grade {MAX_GRADE}: {too_hard}"


def test_walk_reaches_every_step_type_and_its_texts(catalog: Catalog) -> None:
    by_type: dict[str, set[str]] = {}
    for module in catalog.modules:
        for step in module.steps:
            for text in patient_texts(step, step.id):
                by_type.setdefault(step.type, set()).add(
                    re.sub(r"\[[^]]*\]", "", text.where.split(".", 1)[1])
                )
    assert set(by_type) == {step.type for module in catalog.modules for step in module.steps}
    # The texts the issue names: quiz explanations, practice scripts, prompts, exercise fields.
    assert "questions.explanation_html" in by_type["check"]
    assert "questions.options.label" in by_type["check"]
    assert "script_html" in by_type["practice"]
    assert "ratings.label" in by_type["practice"]
    assert "prompt" in by_type["journal"]
    assert "habit.prompt" in by_type["habit"]
    assert {"fields.label", "fields.help", "fields.item_fields.label"} <= by_type["exercise"]
    assert "text" in by_type["lesson"]


def test_walk_grades_a_hard_text_wherever_it_hides(catalog: Catalog) -> None:
    hard = (
        "Notwithstanding considerable heterogeneity, contemporary neurophysiological investigations "
        "substantiate multidimensional conceptualizations of nociceptive amplification mechanisms."
    )
    module = catalog.modules[0]
    check = next(step for step in module.steps if isinstance(step, Check))
    question = dataclasses.replace(check.questions[0], explanation_html=f"<p>{hard} {hard} {hard}</p>")
    changed = dataclasses.replace(check, questions=(question, *check.questions[1:]))
    steps = tuple(changed if step is check else step for step in module.steps)
    graded = units(dataclasses.replace(module, steps=steps))
    assert any(textstat.flesch_kincaid_grade(unit.words) > MAX_GRADE for unit in graded)
