"""The content format's safety parts: the red-flag include, paths for movement steps, PEM questions."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from course.content.includes import expand_includes, red_flags_markdown
from course.content.loader import load_catalog
from course.safety import RED_FLAGS, TIERS, flags_in
from course.steps.kinds.exercise import Exercise
from course.steps.kinds.lesson import Lesson
from tests.content.conftest import edit, problems


def test_red_flag_include_puts_every_sign_of_every_tier_in_the_lesson(program: Path) -> None:
    edit(
        program / "first" / "intro.md",
        "Pain is real. Your alarm",
        "[[red-flags]]\n\nPain is real. Your alarm",
    )
    lesson = load_catalog(program).modules[0].steps[0]
    assert isinstance(lesson, Lesson)
    for tier in TIERS:
        assert f"<strong>{tier.heading}:</strong>" in lesson.body_html
    for flag in RED_FLAGS:
        assert flag.sign in unescape(lesson.body_html)
        assert flag.sign in lesson.text  # what the reading-level checks measure
    assert "[[red-flags]]" not in lesson.body_html


def test_red_flag_include_of_some_tiers_leaves_the_others_out(program: Path) -> None:
    edit(program / "first" / "intro.md", "Pain is real. Your alarm", "[[red-flags emergency]]\n\nYour alarm")
    html = unescape(load_catalog(program).modules[0].steps[0].body_html)
    assert all(flag.sign in html for flag in flags_in("emergency"))
    assert not any(flag.sign in html for flag in flags_in("soon"))


def test_red_flag_include_in_a_step_body_and_check_explanation(program: Path) -> None:
    module = program / "first" / "module.yaml"
    edit(
        module,
        "explanation: Hurt does not always mean harm.",
        "explanation: |\n          [[red-flags same-day]]\n\n          Hurt does not always mean harm.",
    )
    check = load_catalog(program).modules[0].steps[2]
    html = unescape(check.questions[0].explanation_html)  # type: ignore[attr-defined]
    assert all(flag.sign in html for flag in flags_in("same-day"))


def test_red_flag_include_with_unknown_tier_is_a_problem_at_its_line(program: Path) -> None:
    edit(program / "first" / "intro.md", "Pain is real. Your alarm", "Line two.\n\n[[red-flags urgent]]\n\nx")
    found = problems(program)
    assert any(
        p.endswith("first/intro.md:5: unknown red-flag tier urgent (known: emergency, same-day, soon)")
        for p in found
    ), found


def test_expand_includes_leaves_other_text_alone() -> None:
    text = "Some [[red-flags]] in a sentence stays.\n\n`[[red-flags]]` too"
    assert expand_includes(text) == (text, [])
    assert expand_includes("[[red-flags]]")[0] == red_flags_markdown()


def test_movement_step_without_path_is_reported(program: Path) -> None:
    edit(program / "second" / "module.yaml", "covers: [evidence, safety-lens]", "covers: [movement]")
    found = problems(program)
    assert any("second/module.yaml" in p and "'breathe'" in p and "needs a path" in p for p in found), found
    assert any("'wind-down'" in p and "needs a path" in p for p in found), found


def test_movement_steps_with_a_path_each_load(program: Path) -> None:
    module = program / "second" / "module.yaml"
    edit(module, "covers: [evidence, safety-lens]", "covers: [movement]")
    edit(module, "    type: practice\n", "    type: practice\n    path: all\n")
    edit(module, "    type: habit\n", "    type: habit\n    path: pacing\n")
    steps = load_catalog(program).modules[1].steps
    assert [s.path for s in steps] == [None, "pacing"]


def test_unknown_path_is_reported(program: Path) -> None:
    edit(program / "second" / "module.yaml", "    type: practice\n", "    type: practice\n    path: both\n")
    assert any("unknown path 'both'" in p for p in problems(program))


def test_pem_question_loads_on_a_yes_no_choice(program: Path) -> None:
    module = program / "first" / "module.yaml"
    edit(module, "kind: choice\n", "kind: choice\n        pem_question: true\n")
    edit(module, "{value: moves, label: It moves}", "{value: 'yes', label: 'Yes'}")
    exercise = load_catalog(program).modules[0].steps[1]
    assert isinstance(exercise, Exercise)
    assert [f.id for f in exercise.fields if f.pem_question] == ["kind"]


def test_pem_question_must_be_a_choice_with_a_yes(program: Path) -> None:
    module = program / "first" / "module.yaml"
    edit(module, "kind: scale\n", "kind: scale\n        pem_question: true\n")
    edit(module, "kind: choice\n", "kind: choice\n        pem_question: true\n")
    found = [p for p in problems(program) if "post-exertional malaise" in p]
    assert len(found) == 2, found  # a scale, and a choice without a 'yes' option


def test_pacing_only_step_before_the_pem_question_is_reported(program: Path) -> None:
    """A patient moved to the pacing path in week 2 must not find week 1 open again."""
    first = program / "first" / "module.yaml"
    edit(first, "    type: lesson\n", "    type: lesson\n    path: pacing\n")
    second = program / "second" / "module.yaml"
    edit(
        second,
        "steps:\n",
        "steps:\n  - id: ask\n    type: exercise\n    title: Ask\n    fields:\n"
        "      - {id: pem, kind: choice, label: Wiped out?, pem_question: true, options: ['yes', 'no']}\n",
    )
    found = problems(program)
    assert any("first/module.yaml" in p and "'intro' is only on the pacing path" in p for p in found), found


def test_pacing_only_steps_from_the_pem_question_on_load(program: Path) -> None:
    second = program / "second" / "module.yaml"
    edit(
        second,
        "steps:\n",
        "steps:\n  - id: ask\n    type: exercise\n    title: Ask\n    fields:\n"
        "      - {id: pem, kind: choice, label: Wiped out?, pem_question: true, options: ['yes', 'no']}\n",
    )
    edit(second, "    type: practice\n", "    type: practice\n    path: pacing\n")
    assert load_catalog(program).modules[1].steps[1].path == "pacing"


def test_reading_time_counts_the_included_list(program: Path) -> None:
    before = load_catalog(program).modules[0].steps[0]
    edit(
        program / "first" / "intro.md",
        "Pain is real. Your alarm",
        "[[red-flags]]\n\nPain is real. Your alarm",
    )
    after = load_catalog(program).modules[0].steps[0]
    assert isinstance(before, Lesson)
    assert isinstance(after, Lesson)
    assert after.minutes > before.minutes
