"""SVG line charts: valid XML, accessible names, escaping, gaps, empty and year-long data, CSP-safe markup."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from typing import Any

import pytest

from course.charts import Series, line_chart_svg, table_rows

NS = "{http://www.w3.org/2000/svg}"
START = date(2026, 3, 1)  # a Sunday
END = date(2026, 3, 28)


def days(n: int, start: date = START) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def pain(values: list[float | None], style: str = "solid", label: str = "Pain (0–10)") -> Series:
    return Series(label, list(zip(days(len(values)), values, strict=True)), style)


def chart(series: list[Series], start: date = START, end: date = END, **kwargs: Any) -> str:
    options: dict[str, Any] = {"title": "Pain, last four weeks", "description": "Daily pain."}
    options.update(kwargs)
    return line_chart_svg(series, start, end, **options)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, built in the test)


def data_groups(root: ET.Element) -> list[ET.Element]:
    """Series groups drawn in the plot (the legend has its own copies inside g.legend)."""
    legend = root.find(f"{NS}g[@class='legend']")
    in_legend = set() if legend is None else {id(g) for g in legend.iter(f"{NS}g")}
    return [
        g for g in root.iter(f"{NS}g") if "series" in g.get("class", "").split() and id(g) not in in_legend
    ]


def test_chart_output_is_valid_svg_with_accessible_name() -> None:
    root = parse(chart([pain([3, 4, 5])]))
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root.find(f"{NS}title[@id='{title_id}']").text == "Pain, last four weeks"  # type: ignore[union-attr]
    assert root.find(f"{NS}desc[@id='{desc_id}']").text == "Daily pain."  # type: ignore[union-attr]
    assert next(iter(root)).tag == f"{NS}title"  # the first child names the image in older screen readers


def test_chart_scales_by_viewbox_without_fixed_height() -> None:
    root = parse(chart([pain([3])], width=500, height=200))
    assert root.get("viewBox") == "0 0 500 200"
    assert root.get("width") == "100%"
    assert root.get("height") is None


def test_chart_markup_has_no_inline_style_or_script() -> None:
    svg = chart([pain([3, None, 5, 6]), pain([1, 2], "dashed", "Sleep"), pain([7], "dotted", "Stress")])
    root = parse(svg)
    assert all(el.get("style") is None for el in root.iter())
    assert not [el for el in root.iter() if el.tag in {f"{NS}style", f"{NS}script", f"{NS}foreignObject"}]
    assert "<script" not in svg


def test_chart_text_uses_current_color_and_series_have_classes_and_strokes() -> None:
    root = parse(chart([pain([3, 4]), pain([5, 6], "dashed", "Sleep")]))
    assert root.get("fill") == "currentColor"
    groups = data_groups(root)
    assert [g.get("class") for g in groups] == ["series series-1", "series series-2"]
    assert all(g.get("stroke") == "currentColor" for g in groups)
    assert groups[0].get("stroke-dasharray") is None
    assert groups[1].get("stroke-dasharray") == "6 4"


def test_chart_hostile_text_is_escaped_and_survives_round_trip() -> None:
    hostile = "<script>alert(\"x\")</script> & 'quotes'"
    svg = chart([pain([3, 4], label=hostile)], title=hostile, description=hostile, y_label=hostile)
    assert "<script" not in svg
    root = parse(svg)
    assert root.find(f"{NS}title").text == hostile  # type: ignore[union-attr]
    assert root.find(f"{NS}desc").text == hostile  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert texts.count(hostile) == 2  # the y-axis label and the legend entry


def test_chart_characters_xml_cannot_carry_are_dropped() -> None:
    root = parse(chart([pain([3])], title="Pain\x00\x0b report"))
    assert root.find(f"{NS}title").text == "Pain report"  # type: ignore[union-attr]


def test_chart_none_breaks_line_and_lone_points_become_dots() -> None:
    # Runs: days 0-1, days 3-5, a lone day 7, then day 9 alone at the end.
    root = parse(chart([pain([3, 4, None, 5, 6, 7, None, 8, None, 2])]))
    (group,) = data_groups(root)
    paths = group.findall(f"{NS}path")
    assert len(paths) == 1
    d = paths[0].get("d", "")
    assert d.count("M") == 2
    assert d.count("L") == 1 + 2
    assert len(group.findall(f"{NS}circle")) == 2


def test_chart_day_missing_from_points_breaks_line() -> None:
    series = Series("Pain", [(START, 3.0), (START + timedelta(days=2), 4.0)], "solid")
    (group,) = data_groups(parse(chart([series])))
    assert group.find(f"{NS}path") is None
    assert len(group.findall(f"{NS}circle")) == 2


def test_chart_no_series_shows_axes_and_empty_message() -> None:
    root = parse(chart([]))
    assert data_groups(root) == []
    assert root.find(f"{NS}g[@class='legend']") is None
    assert "No check-ins for these dates yet." in [t.text for t in root.iter(f"{NS}text")]


def test_chart_series_with_only_gaps_shows_empty_message() -> None:
    root = parse(chart([pain([None, None, float("nan")])], empty_message="Nothing yet"))
    assert data_groups(root) == []
    assert "Nothing yet" in [t.text for t in root.iter(f"{NS}text")]
    # The legend still says what would be drawn.
    assert "Pain (0–10)" in [t.text for t in root.iter(f"{NS}text")]


def test_chart_one_day_range_draws_a_centred_dot() -> None:
    root = parse(chart([pain([6])], end=START, width=640))
    (group,) = data_groups(root)
    (dot,) = group.findall(f"{NS}circle")
    axis_left, axis_right = 40.0, 640.0 - 16
    assert float(dot.get("cx", "0")) == pytest.approx((axis_left + axis_right) / 2, abs=0.1)
    # No Monday in a one-day range: the day itself is labelled.
    assert "1 Mar" in [t.text for t in root.iter(f"{NS}text")]


def test_chart_gridlines_and_y_labels_at_zero_five_ten() -> None:
    root = parse(chart([pain([3])]))
    grid = root.find(f"{NS}g[@class='grid']")
    assert grid is not None
    ys = sorted(float(line.get("y1", "0")) for line in grid.findall(f"{NS}line"))
    assert len(ys) == 3
    assert ys[1] == pytest.approx((ys[0] + ys[2]) / 2, abs=0.1)
    labels = [t.text for t in root.iter(f"{NS}text")]
    assert {"0", "5", "10"} <= set(labels)


def test_chart_x_labels_on_mondays_in_short_style() -> None:
    texts = [t.text for t in parse(chart([pain([3])])).iter(f"{NS}text")]
    assert [t for t in texts if t and re.fullmatch(r"\d+ [A-Z][a-z]{2}", t)] == [
        "2 Mar",
        "9 Mar",
        "16 Mar",
        "23 Mar",
    ]


def test_chart_values_outside_scale_are_drawn_at_the_edge() -> None:
    root = parse(chart([pain([15, -3])]))
    (group,) = data_groups(root)
    grid_ys = sorted(float(line.get("y1", "0")) for line in root.find(f"{NS}g[@class='grid']"))  # type: ignore[union-attr]
    coords = re.findall(r"[\d.]+ ([\d.]+)", group.find(f"{NS}path").get("d", ""))  # type: ignore[union-attr]
    assert [float(y) for y in coords] == [grid_ys[0], grid_ys[-1]]


def test_chart_365_days_three_series_stays_small_with_spaced_labels() -> None:
    start = date(2025, 3, 31)
    all_days = days(365, start)
    series = [
        Series("Pain (0–10)", [(d, float(i % 11)) for i, d in enumerate(all_days)], "solid"),
        Series("Sleep quality (0–10)", [(d, (i * 7 % 10) + 0.5) for i, d in enumerate(all_days)], "dashed"),
        Series(
            "Stress (0–10)", [(d, None if i % 5 == 0 else i % 10) for i, d in enumerate(all_days)], "dotted"
        ),
    ]
    svg = chart(series, start=start, end=all_days[-1], y_label="Score")
    assert len(svg.encode()) < 40_000
    root = parse(svg)
    tick_texts = [t for t in root.iter(f"{NS}text") if t.text and re.fullmatch(r"\d+ [A-Z][a-z]{2}", t.text)]
    xs = [float(t.get("x", "0")) for t in tick_texts]
    assert 6 <= len(xs) <= 14
    assert min(b - a for a, b in itertools.pairwise(xs)) >= 45


def test_chart_ids_differ_between_charts_and_repeat_for_the_same_chart() -> None:
    first = parse(chart([pain([3])], title="Pain"))
    second = parse(chart([pain([3])], title="Sleep"))
    later = parse(chart([pain([3])], title="Pain", start=START + timedelta(days=7)))
    ids = [{el.get("id") for el in root.iter() if el.get("id")} for root in (first, second, later)]
    assert all(len(found) == 2 for found in ids)
    assert ids[0].isdisjoint(ids[1])
    assert ids[0].isdisjoint(ids[2])
    assert chart([pain([3])], title="Pain") == chart([pain([3])], title="Pain")


def test_chart_legend_wraps_when_labels_do_not_fit() -> None:
    long = [pain([3], label=f"A rather long series label number {n}") for n in range(3)]
    root = parse(chart(long, width=320))
    legend = root.find(f"{NS}g[@class='legend']")
    assert legend is not None
    assert len({t.get("y") for t in legend.findall(f"{NS}text")}) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"end": START - timedelta(days=1)}, "end is before start"),
        ({"y_min": 10, "y_max": 10}, "y_max"),
        ({"width": 60}, "too small"),
    ],
)
def test_chart_impossible_arguments_raise(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        chart([pain([3])], **kwargs)


def test_chart_unknown_style_raises() -> None:
    with pytest.raises(ValueError, match="unknown series style"):
        chart([pain([3], style="wavy")])


# table_rows


def test_table_rows_one_row_per_day_with_true_values_and_gaps() -> None:
    rows = table_rows([pain([3, None, 15]), pain([1.5], "dashed", "Sleep")], START, START + timedelta(days=3))
    assert rows == [
        (date(2026, 3, 1), [3, 1.5]),
        (date(2026, 3, 2), [None, None]),
        (date(2026, 3, 3), [15, None]),
        (date(2026, 3, 4), [None, None]),
    ]


def test_table_rows_skip_empty_leaves_out_days_without_data() -> None:
    rows = table_rows([pain([3, None, 5])], START, END, skip_empty=True)
    assert rows == [(date(2026, 3, 1), [3]), (date(2026, 3, 3), [5])]


def test_table_rows_points_outside_range_are_ignored() -> None:
    series = Series(
        "Pain", [(START - timedelta(days=1), 9.0), (START, 2.0), (END + timedelta(days=1), 9.0)], "solid"
    )
    assert table_rows([series], START, START) == [(START, [2.0])]


def test_table_rows_no_series_gives_empty_value_lists() -> None:
    assert table_rows([], START, START + timedelta(days=1)) == [(START, []), (START + timedelta(days=1), [])]
