"""`added:` (a step added to a week patients have used) and `recall:` (an earlier answer shown again): what
the loader reads, and every mistake it reports as file:line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from course.content.loader import load_catalog
from course.content.model import Recall
from tests.content.conftest import edit, problems

REFLECT = "    title: Reflect\n"
LAST = "    title: The last lesson\n"


def test_added_date_is_read_and_given_to_the_policy_per_path(program: Path) -> None:
    edit(program / "first" / "module.yaml", REFLECT, REFLECT + "    added: 2026-12-07\n")
    edit(program / "third" / "module.yaml", "    path: pacing\n", "    path: pacing\n    added: 2026-12-08\n")
    catalog = load_catalog(program)
    assert catalog.module("first").step("reflect").added == date(2026, 12, 7)  # type: ignore[union-attr]
    assert dict(catalog.added("standard")) == {("first", "reflect"): date(2026, 12, 7)}
    assert dict(catalog.added("pacing")) == {
        ("first", "reflect"): date(2026, 12, 7),
        ("third", "pacing"): date(2026, 12, 8),
    }


def test_added_dates_change_the_fingerprint(program: Path) -> None:
    before = load_catalog(program).fingerprint()
    edit(program / "first" / "module.yaml", REFLECT, REFLECT + "    added: 2026-12-07\n")
    assert load_catalog(program).fingerprint() != before


def test_added_not_a_date_is_reported_at_its_line(program: Path) -> None:
    edit(program / "first" / "module.yaml", REFLECT, REFLECT + "    added: next week\n")
    found = problems(program)
    assert len(found) == 1, found
    assert found[0].startswith("modules/first/module.yaml:"), found
    assert "'added' of step 'reflect' must be a date written YYYY-MM-DD" in found[0], found


def test_a_module_of_added_steps_only_is_refused_per_path(program: Path) -> None:
    path = program / "third" / "module.yaml"
    edit(path, LAST, LAST + "    added: 2026-12-07\n")
    edit(path, "    path: standard\n", "    path: standard\n    added: 2026-12-07\n")
    found = problems(program)
    assert found == [
        "modules/third/module.yaml:9: every step of 'third' on the standard path says 'added'; "
        "a module needs at least one step without it"
    ], found


def test_recall_is_read(program: Path) -> None:
    edit(
        program / "third" / "module.yaml",
        LAST,
        LAST + "    recall: {answer: first/alarm/alarm-says, label: What you wrote, missing: Nothing yet.}\n",
    )
    step = load_catalog(program).module("third").step("last")  # type: ignore[union-attr]
    assert step is not None
    assert step.recall == Recall("first", "alarm", "alarm-says", "What you wrote", "Nothing yet.", 12)


def recall_problem(program: Path, module: str, anchor: str, answer: str) -> list[str]:
    edit(
        program / module / "module.yaml",
        anchor,
        anchor + f"    recall: {{answer: {answer}, label: Earlier}}\n",
    )
    return problems(program)


def test_recall_of_a_later_step_is_refused(program: Path) -> None:
    found = recall_problem(program, "first", "    title: Introduction\n", "first/alarm/alarm-says")
    assert found == [
        "modules/first/module.yaml:14: 'recall' of step 'intro' must name an earlier step: "
        "'first/alarm/alarm-says'"
    ], found


def test_recall_of_a_later_week_is_refused(program: Path) -> None:
    found = recall_problem(program, "first", REFLECT, "third/last/x")
    assert any("'recall' of step 'reflect' must name an earlier step: 'third/last/x'" in p for p in found), (
        found
    )


def test_recall_of_an_unknown_step_or_module_is_refused(program: Path) -> None:
    found = recall_problem(program, "third", LAST, "first/nothing/alarm-says")
    assert found == [
        "modules/third/module.yaml:12: 'recall' of step 'last' names no step: 'first/nothing/alarm-says'"
    ], found


def test_recall_of_a_field_it_cannot_show_is_refused(program: Path) -> None:
    for answer in ("first/alarm/worry", "first/alarm/evidence", "first/alarm/nothing"):
        found = recall_problem(program, "third", LAST, answer)
        assert len(found) == 1, found
        assert f"'{answer}' is not a field of kind text, longtext, choice, multichoice" in found[0], found
        edit(program / "third" / "module.yaml", f"    recall: {{answer: {answer}, label: Earlier}}\n", "")


def test_recall_written_wrong_is_refused(program: Path) -> None:
    found = recall_problem(program, "third", LAST, "first/alarm")
    assert len(found) == 1, found
    assert "must be module/step/field" in found[0], found
    edit(program / "third" / "module.yaml", "    recall: {answer: first/alarm, label: Earlier}\n", "")
    edit(program / "third" / "module.yaml", LAST, LAST + "    recall: {answer: first/alarm/kind}\n")
    found = problems(program)
    assert len(found) == 1, found
    assert "missing 'label'" in found[0], found


def test_recall_of_a_step_another_path_lacks_is_refused(program: Path) -> None:
    edit(
        program / "first" / "module.yaml",
        "    title: What my alarm says\n",
        "    path: standard\n    title: What my alarm says\n",
    )
    found = recall_problem(program, "third", LAST, "first/alarm/alarm-says")
    assert found == [
        "modules/third/module.yaml:12: 'recall' of step 'last': 'first/alarm/alarm-says' is only on the "
        "standard path, and this step is not"
    ], found
