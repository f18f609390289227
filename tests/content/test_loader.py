"""The loader turns modules/ into a catalog, or lists every problem as file:line: message."""

from __future__ import annotations

import time
from pathlib import Path

from course.content.loader import load_catalog
from course.steps.kinds.exercise import Exercise
from course.steps.kinds.habit import HabitStep
from course.steps.kinds.lesson import Lesson
from tests.content.conftest import FIXTURE, edit, problems

REAL_PROGRAM = Path(__file__).parent.parent.parent / "modules"


def test_load_fixture_program_builds_catalog(program: Path) -> None:
    catalog = load_catalog(program)
    assert catalog.title == "Test program"
    assert catalog.pace_days == 7
    assert [m.slug for m in catalog.modules] == ["first", "second", "third"]
    first = catalog.modules[0]
    assert first.step_ids == ("intro", "alarm", "quiz", "reflect")
    assert isinstance(first.steps[0], Lesson)
    exercise = first.steps[1]
    assert isinstance(exercise, Exercise)
    assert [f.kind for f in exercise.fields] == ["longtext", "scale", "choice", "multichoice", "list"]
    assert exercise.fields[0].required
    assert exercise.fields[0].max_length == 100
    assert exercise.fields[4].item_fields[0].id == "what"
    habit_step = catalog.modules[1].steps[1]
    assert isinstance(habit_step, HabitStep)
    assert catalog.habits["wind-down"].module_slug == "second"


def test_load_yes_no_options_stay_words(program: Path) -> None:
    question = load_catalog(program).modules[0].steps[2].questions[0]  # type: ignore[attr-defined]
    assert [o.value for o in question.options] == ["yes", "no"]
    assert question.answer == "no"


def test_load_invalid_yaml_reports_file_and_line(program: Path) -> None:
    edit(program / "second" / "module.yaml", "title: Second week", "title: [unclosed")
    found = problems(program)
    assert any(p.startswith("modules/second/module.yaml:") and "invalid YAML" in p for p in found), found


def test_load_unknown_step_type_reports_line(program: Path) -> None:
    edit(program / "third" / "module.yaml", "type: lesson", "type: lecture")
    assert problems(program) == [
        "modules/third/module.yaml:10: unknown step type 'lecture' "
        "(known: check, exercise, habit, journal, lesson, practice)"
    ]


def test_load_duplicate_step_id_reports_second(program: Path) -> None:
    edit(program / "first" / "module.yaml", "id: quiz", "id: alarm")
    found = problems(program)
    assert any("modules/first/module.yaml:" in p and "duplicate step id 'alarm'" in p for p in found), found


def test_load_missing_required_key_is_reported(program: Path) -> None:
    edit(program / "third" / "module.yaml", "summary: The third week.\n", "")
    assert problems(program) == ["modules/third/module.yaml:1: the module is missing 'summary'"]


def test_load_unknown_key_is_reported_at_its_line(program: Path) -> None:
    edit(
        program / "third" / "module.yaml",
        "    title: The last lesson\n",
        "    title: The last lesson\n    tittle: x\n",
    )
    found = problems(program)
    assert len(found) == 1, found
    assert found[0].startswith("modules/third/module.yaml:12: unknown key 'tittle'"), found


def test_load_listed_module_absent_is_reported(program: Path) -> None:
    edit(program / "course.yaml", "  - third\n", "  - third\n  - fourth\n")
    assert problems(program) == [
        "modules/course.yaml:7: module 'fourth' is listed but fourth/module.yaml does not exist"
    ]


def test_load_broken_step_link_reports_lesson_file_line(program: Path) -> None:
    edit(program / "first" / "intro.md", "step:alarm", "step:alarmm")
    assert problems(program) == [
        "modules/first/intro.md:7: link 'step:alarmm' points to an unknown step 'alarmm' of 'first'"
    ]


def test_load_answer_not_an_option_is_reported(program: Path) -> None:
    edit(program / "first" / "module.yaml", "answer: no", "answer: maybe")
    found = problems(program)
    assert any("answer 'maybe'" in p and ":59:" in p for p in found), found


def test_load_bad_numbers_and_kinds_are_reported(program: Path) -> None:
    edit(program / "second" / "module.yaml", "minutes: 3", "minutes: 600")
    edit(program / "first" / "module.yaml", "kind: multichoice", "kind: checkboxes")
    found = problems(program)
    assert any("'minutes' of step 'breathe' must be between 1 and 60, not 600" in p for p in found), found
    assert any("unknown kind 'checkboxes'" in p for p in found), found


def test_load_reports_all_problems_at_once(program: Path) -> None:
    edit(program / "third" / "module.yaml", "type: lesson", "type: lecture")
    edit(program / "second" / "module.yaml", "area: sleep", "area: diet")
    edit(program / "first" / "module.yaml", "week: 1", "week: 2")
    found = problems(program)
    assert len(found) == 3, found
    assert {p.split(":")[0] for p in found} == {
        "modules/first/module.yaml",
        "modules/second/module.yaml",
        "modules/third/module.yaml",
    }


def test_load_duplicate_habit_id_names_first_use(program: Path) -> None:
    edit(
        program / "third" / "module.yaml",
        "    body: You made it.\n",
        "    body: You made it.\n  - id: habit-again\n    type: habit\n    title: Again\n    habit:\n"
        "      id: wind-down\n      area: sleep\n      name: Again\n      prompt: Again?\n",
    )
    found = problems(program)
    assert len(found) == 1
    assert "habit id 'wind-down' is already used in modules/second/module.yaml" in found[0]


def test_load_lesson_file_outside_module_is_refused(program: Path) -> None:
    edit(program / "first" / "module.yaml", "file: intro.md", "file: ../../secret.md")
    found = problems(program)
    assert any("must name a .md file in the module folder" in p for p in found), found


def test_load_real_program_is_fast_and_valid() -> None:
    started = time.perf_counter()
    catalog = load_catalog(REAL_PROGRAM)
    elapsed = time.perf_counter() - started
    assert len(catalog.modules) == 8
    print(f"loaded {sum(len(m.steps) for m in catalog.modules)} steps in {elapsed * 1000:.0f} ms")


def test_outline_per_path_worked_out_once_and_keyed_by_path() -> None:
    catalog = load_catalog(FIXTURE)
    standard, pacing = catalog.outline("standard"), catalog.outline("pacing")
    assert catalog.outline("standard") is standard  # remembered
    assert standard != pacing  # the third module has one step per path
    assert standard == tuple((m.slug, tuple(s.id for s in m.steps_for("standard"))) for m in catalog.modules)
