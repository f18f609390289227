"""The loader: shipped plus clinic definitions, or every problem at once as `file: message`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from course.measures import SHIPPED_DIR, MeasureError, load_definitions

WriteDefinition = Callable[..., Path]


def problems(*dirs: Path) -> list[str]:
    with pytest.raises(MeasureError) as caught:
        load_definitions(*dirs)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def only_problem(extra: Path) -> str:
    found = problems(extra)
    assert len(found) == 1, found
    assert found[0].startswith(f"{extra / 'tiny.yaml'}: ")
    return found[0].split(": ", 1)[1]


def test_loader_extra_dir_adds_clinic_definition(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    measures = load_definitions(write_definition(tiny))
    assert "tiny" in measures
    assert "phq9" in measures
    assert measures["tiny"].items[1].reverse is True
    assert measures["tiny"].path.endswith("tiny.yaml")


def test_loader_shipped_dir_given_again_loaded_once() -> None:
    assert set(load_definitions(SHIPPED_DIR)) == set(load_definitions())


def test_loader_unknown_key_reported(tiny: dict[str, Any], write_definition: WriteDefinition) -> None:
    tiny["colour"] = "blue"
    assert "unknown key 'colour'" in only_problem(write_definition(tiny))


def test_loader_unknown_item_key_reported(tiny: dict[str, Any], write_definition: WriteDefinition) -> None:
    tiny["items"][0]["reversed"] = True
    assert only_problem(write_definition(tiny)).startswith("items[0]: unknown key 'reversed'")


def test_loader_missing_required_key_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    del tiny["norms"]
    assert only_problem(write_definition(tiny)) == "missing required key 'norms'"


def test_loader_band_gap_reported(tiny: dict[str, Any], write_definition: WriteDefinition) -> None:
    tiny["bands"][1]["min"] = 4
    assert only_problem(write_definition(tiny)) == "bands: leave a gap: no band for score 3"


def test_loader_band_overlap_reported(tiny: dict[str, Any], write_definition: WriteDefinition) -> None:
    tiny["bands"][0]["max"] = 3
    assert only_problem(write_definition(tiny)) == "bands: overlap: score 3 is in Low and High"


def test_loader_band_outside_range_reported(tiny: dict[str, Any], write_definition: WriteDefinition) -> None:
    tiny["bands"][1]["max"] = 9
    assert only_problem(write_definition(tiny)) == "bands[1]: 3–9 reaches outside the score range 0–6"


def test_loader_band_min_above_max_reported(tiny: dict[str, Any], write_definition: WriteDefinition) -> None:
    tiny["bands"].append({"min": 5, "max": 4, "label": "Odd", "patient_label": "Odd"})
    assert only_problem(write_definition(tiny)) == "bands[2]: min 5 is above max 4"


def test_loader_empty_bands_allowed(tiny: dict[str, Any], write_definition: WriteDefinition) -> None:
    tiny["bands"] = []
    assert load_definitions(write_definition(tiny))["tiny"].bands == ()


def test_loader_score_range_mismatch_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["score_range"] = {"min": 0, "max": 9}
    assert only_problem(write_definition(tiny)).startswith(
        "score_range: 0–9 does not match what the items can score (0–6)"
    )


def test_loader_duplicate_item_id_reported(tiny: dict[str, Any], write_definition: WriteDefinition) -> None:
    tiny["items"][2]["id"] = "a"
    found = problems(write_definition(tiny))
    assert any("items[2].id: duplicate item id 'a'" in p for p in found)


def test_loader_duplicate_measure_id_across_dirs_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["id"] = "phq9"
    extra = write_definition(tiny)
    (found,) = problems(extra)
    assert found.startswith(f"{extra / 'phq9.yaml'}: id 'phq9' is already defined in ")
    assert found.endswith(str(SHIPPED_DIR / "phq9.yaml"))


def test_loader_duplicate_yaml_key_reported(write_definition: WriteDefinition) -> None:
    text = (SHIPPED_DIR / "pgic.yaml").read_text(encoding="utf-8") + "title: Again\n"
    extra = write_definition(text.replace("id: pgic", "id: tiny"))
    assert "key 'title' appears twice" in only_problem(extra)


def test_loader_invalid_yaml_reported(write_definition: WriteDefinition) -> None:
    # The parser's own words differ between libyaml and pure-Python PyYAML; the line and the prefix do not.
    assert re.match(r"line \d+: not valid YAML: \S", only_problem(write_definition("id: [tiny\n")))


def test_loader_top_level_not_mapping_reported(write_definition: WriteDefinition) -> None:
    assert only_problem(write_definition("- just\n- a list\n")) == "must be a mapping of keys to values"


def test_loader_id_not_matching_file_name_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    extra = write_definition(tiny, name="other.yaml")
    (found,) = problems(extra)
    assert found == f"{extra / 'other.yaml'}: id: 'tiny' does not match the file name (other.yaml)"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"scoring": "median"}, "scoring: must be one of sum, mean, single"),
        ({"higher_is_better": "yes"}, "higher_is_better: must be true or false"),
        ({"title": ""}, "title: must be non-empty text"),
        ({"items": []}, "items: must be a non-empty list"),
        ({"options": [{"value": 0, "label": "Only one"}]}, "options: must be a list of at least two options"),
        (
            {"reliability": {"r": 1, "kind": "test-retest", "source": "x"}},
            "reliability.r: must be between 0 and 1",
        ),
        (
            {"reliability": {"r": 0.8, "kind": "split-half", "source": "x"}},
            "reliability.kind: must be one of",
        ),
        ({"norms": {"sd": 0, "population": "x", "source": "x"}}, "norms.sd: must be above 0"),
        ({"norms": {"sd": 3}}, "norms: missing required key 'population'"),
    ],
)
def test_loader_bad_value_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition, change: dict[str, Any], expected: str
) -> None:
    tiny.update(change)
    found = problems(write_definition(tiny))
    assert any(expected in p for p in found), found


def test_loader_option_value_not_whole_number_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["options"][1]["value"] = 1.5
    assert only_problem(write_definition(tiny)) == "options[1].value: must be a whole number, not 1.5"


def test_loader_duplicate_option_value_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["options"][2]["value"] = 1
    assert "options: value 1 is used by more than one option" in problems(write_definition(tiny))[0]


def test_loader_item_without_options_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    del tiny["options"]
    found = problems(write_definition(tiny))
    assert len(found) == 3
    assert all("has no options" in p for p in found)


def test_loader_per_item_options_override_shared(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["items"][2]["options"] = [{"value": 0, "label": "No"}, {"value": 4, "label": "Yes"}]
    tiny["score_range"] = {"min": 0, "max": 8}
    tiny["bands"][1]["max"] = 8
    measure = load_definitions(write_definition(tiny))["tiny"]
    assert [o.label for o in measure.items[2].options] == ["No", "Yes"]


def test_loader_yes_no_labels_stay_text(write_definition: WriteDefinition) -> None:
    # YAML 1.1 would read these as booleans; the loader keeps them as words.
    text = (SHIPPED_DIR / "pgic.yaml").read_text(encoding="utf-8").replace("id: pgic", "id: tiny")
    text = text.replace("label: No change", "label: No").replace("label: Much improved", "label: yes")
    measure = load_definitions(write_definition(text))["tiny"]
    assert [o.label for o in measure.items[0].options][1:4] == ["yes", "Minimally improved", "No"]


def test_loader_single_scoring_with_two_items_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["scoring"] = "single"
    del tiny["items"][2]
    found = problems(write_definition(tiny))
    assert any("`scoring: single` needs exactly one item, not 2" in p for p in found)


def test_loader_missing_directory_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert problems(missing) == [f"{missing}: not a directory of measure definitions"]


def test_loader_many_problems_in_many_files_reported_at_once(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["colour"] = "blue"
    tiny["items"][0]["safety"] = "sometimes"
    tiny["norms"]["sd"] = -1
    extra = write_definition(tiny)
    write_definition("id: [broken\n", name="broken.yaml")
    found = problems(extra)
    assert re.match(rf"{re.escape(str(extra / 'broken.yaml'))}: line \d+: not valid YAML", found[0])
    tiny_problems = [p.split(": ", 1)[1] for p in found[1:]]
    assert tiny_problems == [
        "unknown key 'colour' (allowed: id, title, short_title, instructions, timeframe, higher_is_better, "
        "scoring, score_range, options, items, bands, reliability, norms, source, licence, "
        "talking_therapies)",
        "items[0].safety: must be true or false",
        "norms.sd: must be above 0, not -1",
    ]


def test_loader_band_gap_with_unrelated_problem_both_reported(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    tiny["bands"][1]["min"] = 4
    tiny["bands"][0]["max"] = 1
    tiny["source"] = ""
    found = [p.split(": ", 1)[1] for p in problems(write_definition(tiny))]
    assert found == ["source: must be non-empty text (quote it if it looks like a number)",
                     "bands: leave a gap: no band for score 2–3"]  # fmt: skip


def test_loader_band_coverage_skipped_when_items_broken(
    tiny: dict[str, Any], write_definition: WriteDefinition
) -> None:
    # Coverage computed from broken items would only add noise to the real problem.
    tiny["items"][0]["safety"] = "sometimes"
    tiny["bands"][1]["min"] = 4
    assert only_problem(write_definition(tiny)) == "items[0].safety: must be true or false"
