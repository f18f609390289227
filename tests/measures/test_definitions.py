"""The shipped definitions: what the course promises about PHQ-9, GAD-7, PGIC and its own pain items."""

from __future__ import annotations

from course.measures import Measure


def test_shipped_definitions_load_all_six() -> None:
    from course.measures import load_definitions

    assert set(load_definitions()) == {
        "phq9",
        "gad7",
        "pgic",
        "pain-average",
        "pain-interference",
        "damage-belief",
    }


def test_phq9_item_9_is_the_only_safety_item(shipped: dict[str, Measure]) -> None:
    phq9 = shipped["phq9"]
    assert [item.id for item in phq9.safety_items] == ["q9"]
    assert "better off dead" in phq9.items[8].text
    assert not any(m.safety_items for key, m in shipped.items() if key != "phq9")


def test_phq9_and_gad7_shape_matches_published_scales(shipped: dict[str, Measure]) -> None:
    for measure_id, count, top in (("phq9", 9, 27), ("gad7", 7, 21)):
        measure = shipped[measure_id]
        assert len(measure.items) == count
        assert (measure.score_min, measure.score_max) == (0, top)
        assert all(
            [o.label for o in item.options]
            == [
                "Not at all",
                "Several days",
                "More than half the days",
                "Nearly every day",
            ]
            for item in measure.items
        )
        assert measure.timeframe == "the last 2 weeks"
        assert "No permission required" in measure.licence
        assert measure.higher_is_better is False


def test_pgic_options_run_from_very_much_improved_to_very_much_worse(shipped: dict[str, Measure]) -> None:
    (item,) = shipped["pgic"].items
    assert [o.value for o in item.options] == [1, 2, 3, 4, 5, 6, 7]
    assert item.options[0].label == "Very much improved"
    assert item.options[-1].label == "Very much worse"
    assert shipped["pgic"].reliability is None


def test_own_pain_items_are_single_0_to_10_without_bands_or_rci(shipped: dict[str, Measure]) -> None:
    for measure_id in ("pain-average", "pain-interference", "damage-belief"):
        measure = shipped[measure_id]
        assert measure.scoring == "single"
        assert [o.value for o in measure.items[0].options] == list(range(11))
        assert measure.bands == ()
        assert measure.reliability is None
        assert measure.norms is None


def test_patient_labels_avoid_alarming_words(shipped: dict[str, Measure]) -> None:
    alarming = ("severe", "disorder", "depress", "anxiety", "patholog", "abnormal", "crisis")
    for measure in shipped.values():
        for band in measure.bands:
            assert not any(word in band.patient_label.lower() for word in alarming), band


def test_every_definition_names_its_source_and_licence(shipped: dict[str, Measure]) -> None:
    for measure in shipped.values():
        assert measure.source
        assert measure.licence
        if measure.reliability is not None:
            assert measure.reliability.source
