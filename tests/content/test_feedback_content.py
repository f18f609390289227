"""`feedback:` in the content: a feedback moment only on a step that collects answers the therapist reads,
`true` or `module`, and the catalog hands the pacing policy its feedback moments per path."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.content.loader import load_catalog
from course.steps.registry import KINDS
from tests.content.conftest import edit, problems

ROOT = Path(__file__).parent.parent.parent


def test_feedback_true_on_an_exercise_holds_the_next_step(program: Path) -> None:
    edit(
        program / "first" / "module.yaml",
        "    title: What my alarm says\n",
        "    title: What my alarm says\n    feedback: true\n",
    )
    catalog = load_catalog(program)
    step = catalog.module("first").step("alarm")  # type: ignore[union-attr]
    assert step is not None
    assert step.feedback == "step"
    assert catalog.feedback_holds("standard") == (("first", "alarm", "step"),)


def test_feedback_module_on_a_practice_with_ratings_holds_the_next_module(program: Path) -> None:
    edit(
        program / "second" / "module.yaml",
        "    title: Breathe\n",
        "    title: Breathe\n    feedback: module\n",
    )
    catalog = load_catalog(program)
    assert catalog.feedback_holds("pacing") == (("second", "breathe", "module"),)
    # A feedback moment changes what pacing is computed from.
    assert catalog.fingerprint() != load_catalog(Path(ROOT / "tests" / "fixtures" / "program")).fingerprint()


def test_feedback_false_is_no_feedback_moment(program: Path) -> None:
    edit(
        program / "first" / "module.yaml",
        "    title: What my alarm says\n",
        "    title: What my alarm says\n    feedback: false\n",
    )
    assert load_catalog(program).feedback_holds() == ()


@pytest.mark.parametrize(
    ("folder", "title", "kind"),
    [
        ("first", "    title: Introduction\n", "lesson"),
        ("first", "    title: Reflect\n", "journal"),
        ("second", "    title: Wind down\n", "habit"),
    ],
)
def test_the_loader_refuses_feedback_on_a_step_without_answers_to_read(
    program: Path, folder: str, title: str, kind: str
) -> None:
    edit(program / folder / "module.yaml", title, f"{title}    feedback: true\n")
    found = problems(program)
    assert len(found) == 1, found
    assert f"is a {kind}: only a step that collects answers the therapist can read" in found[0], found
    assert found[0].startswith(f"modules/{folder}/module.yaml:"), found


def test_the_loader_refuses_an_unknown_feedback_value_at_its_line(program: Path) -> None:
    edit(
        program / "first" / "module.yaml",
        "    title: What my alarm says\n",
        "    title: What my alarm says\n    feedback: later\n",
    )
    found = problems(program)
    assert len(found) == 1, found
    assert "'feedback' of step 'alarm' must be true (the next step waits) or module" in found[0], found


def test_every_kind_says_whether_it_collects_answers() -> None:
    # The kinds whose answers the therapist reads and replies to; a new kind decides for itself.
    collecting = {
        kind.type
        for module in load_catalog(ROOT / "tests" / "fixtures" / "program").modules
        for kind in (type(step) for step in module.steps)
        if any(s.collects_answers for s in module.steps if type(s) is kind)
    }
    assert collecting == {"exercise", "check", "practice"}
    assert set(KINDS) >= collecting


def test_the_program_has_a_feedback_moment_after_the_evidence_log() -> None:
    catalog = load_catalog(ROOT / "modules")
    assert ("evidence", "evidence-log", "module") in catalog.feedback_holds("standard")
    step = catalog.module("evidence").step("evidence-log")  # type: ignore[union-attr]
    assert step is not None
    assert "therapist" in step.body_html
    assert "Week 3 opens after they reply" in step.body_html
