"""Line charts as server-rendered SVG strings, readable without JavaScript and allowed by a strict CSP.

Choices, and why:
- No `style` attribute and no <style> element anywhere: the CSP forbids inline styles. Everything visual is a
  presentation attribute (stroke, fill, stroke-dasharray, font-size), which page CSS can still override.
- Text and axes use `currentColor`, so the chart follows the page's text colour (and dark mode). Each series
  sits in `<g class="series series-N">` (N from 1) whose strokes and fills are `currentColor`; setting `color`
  on `.series-N` in CSS recolours its line, dots and legend sample together. Without any CSS every series is
  drawn in the text colour and told apart by its dash pattern, so colour is never the only cue.
- The root has a viewBox and width="100%" but no height, so it scales with its container and keeps its shape.
- `role="img"` with `aria-labelledby` naming a <title> and a <desc>; their ids come from a hash of the title,
  the dates and the series labels, so two different charts on one page never share ids and the same chart
  always renders byte-for-byte the same.
- A day with no value (None, NaN, or simply not listed) breaks the line; a value with no neighbour on either
  side is drawn as a small dot so it does not vanish. Values outside y_min..y_max are drawn at the edge (the
  data table beside the chart shows the true number).
- X labels sit on Mondays ("3 Mar"), thinned to every 2nd, 3rd... Monday when they would otherwise crowd;
  when the range holds no Monday, the first day is labelled instead. Gridlines at y_min, the middle and y_max
  (0, 5 and 10 for a 0-10 scale).

Pure: no Flask. The module never raises on data, only on arguments that cannot make a chart.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

STYLES = {"solid": None, "dashed": "6 4", "dotted": "1 4"}  # stroke-dasharray per style

_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FONT_SIZE = 15  # about 9px on a 390px phone screen, 15px on a desktop
_CHAR_WIDTH = 9.0  # a generous average at 15px: wide enough that edge labels are never clipped
_LEGEND_ROW = 18
_LEGEND_SAMPLE = 24
_MIN_LABEL_GAP = 64  # px between x label centres: "30 Sep" plus some air
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Series:
    """One line on a chart: a label for the legend, dated values, and a dash style."""

    label: str  # e.g. "Pain (0–10)"
    points: Sequence[tuple[date, float | None]]  # None = no check-in that day (a gap in the line)
    style: str  # "solid" | "dashed" | "dotted", so colour is not the only cue


def line_chart_svg(
    series: Sequence[Series],
    start: date,
    end: date,
    *,
    title: str,
    description: str,
    y_min: float = 0,
    y_max: float = 10,
    y_label: str = "",
    width: int = 640,
    height: int = 240,
    empty_message: str = "No check-ins for these dates yet.",
) -> str:
    """A self-contained <svg> line chart of `series` over the days `start` to `end` inclusive.

    `empty_message` is shown in the plot when no series has a value in the range. Raises ValueError when
    `end` is before `start`, y_max is not above y_min, a style is unknown, or the size leaves no room to plot.
    """
    if end < start:
        raise ValueError("end is before start")
    if not (math.isfinite(y_min) and math.isfinite(y_max)) or y_max <= y_min:
        raise ValueError("y_max must be above y_min")
    for one in series:
        if one.style not in STYLES:
            raise ValueError(f"unknown series style {one.style!r}; use one of {', '.join(STYLES)}")

    legend_rows = _legend_layout(series, width)
    left = 40 + (18 if y_label else 0)
    right = 16
    top = 10 + ((legend_rows[-1][0] + 1) * _LEGEND_ROW if legend_rows else 0)
    bottom = 24
    x0, x1, y0, y1 = left, width - right, top, height - bottom
    if x1 - x0 < 40 or y1 - y0 < 40:
        raise ValueError("the chart is too small for its legend and axes")

    n_days = (end - start).days + 1

    def x_of(day_index: int) -> float:
        if n_days == 1:
            return (x0 + x1) / 2
        return x0 + day_index * (x1 - x0) / (n_days - 1)

    def y_of(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return y1 - (clamped - y_min) / (y_max - y_min) * (y1 - y0)

    uid = _chart_id(title, start, end, series)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{uid}-title {uid}-desc" '
        f'font-size="{_FONT_SIZE}" fill="currentColor">',
        f'<title id="{uid}-title">{_esc(title)}</title>',
        f'<desc id="{uid}-desc">{_esc(description)}</desc>',
    ]

    # Gridlines and y labels first, so the data is drawn over them.
    out.append('<g class="grid" stroke="currentColor" stroke-opacity="0.25" stroke-width="1">')
    grid_values = (y_min, (y_min + y_max) / 2, y_max)
    for value in grid_values:
        grid_y = _n(y_of(value))
        out.append(f'<line x1="{_n(x0)}" y1="{grid_y}" x2="{_n(x1)}" y2="{grid_y}"/>')
    out.append("</g>")
    out.append('<g class="axis" text-anchor="end">')
    for value in grid_values:
        out.append(f'<text x="{_n(x0 - 6)}" y="{_n(y_of(value) + 4)}">{_esc(f"{value:g}")}</text>')
    out.append("</g>")
    if y_label:
        mid = _n((y0 + y1) / 2)
        out.append(
            f'<text class="axis-label" x="14" y="{mid}" text-anchor="middle" '
            f'transform="rotate(-90 14 {mid})">{_esc(y_label)}</text>'
        )

    # Axes.
    out.append(
        f'<g class="axis" stroke="currentColor" stroke-width="1">'
        f'<line x1="{_n(x0)}" y1="{_n(y0)}" x2="{_n(x0)}" y2="{_n(y1)}"/>'
        f'<line x1="{_n(x0)}" y1="{_n(y1)}" x2="{_n(x1)}" y2="{_n(y1)}"/></g>'
    )

    # X ticks and labels.
    out.append('<g class="axis" text-anchor="middle">')
    for index in _x_label_days(start, n_days, (x1 - x0) / max(n_days - 1, 1)):
        day = start + timedelta(days=index)
        text = f"{day.day} {_MONTHS_SHORT[day.month - 1]}"
        x = x_of(index)
        half = len(text) * _CHAR_WIDTH / 2
        label_x = min(max(x, half), width - half)  # keep edge labels inside the viewBox
        out.append(
            f'<line x1="{_n(x)}" y1="{_n(y1)}" x2="{_n(x)}" y2="{_n(y1 + 4)}" stroke="currentColor"/>'
            f'<text x="{_n(label_x)}" y="{_n(y1 + 17)}">{_esc(text)}</text>'
        )
    out.append("</g>")

    # Data.
    anything_drawn = False
    for number, one in enumerate(series, start=1):
        values = _by_day(one, start, end)
        path: list[str] = []
        dots: list[str] = []
        for run in _runs(values, n_days):
            if len(run) == 1:
                index = run[0]
                dots.append(
                    f'<circle cx="{_n(x_of(index))}" cy="{_n(y_of(values[index]))}" r="3" '
                    'fill="currentColor" stroke="none"/>'
                )
            else:
                path.append("M" + " L".join(f"{_n(x_of(i))} {_n(y_of(values[i]))}" for i in run))
        if not (path or dots):
            continue
        anything_drawn = True
        out.append(_series_group_open(number, one.style))
        if path:
            out.append(f'<path d="{" ".join(path)}"/>')
        out.extend(dots)
        out.append("</g>")
    if not anything_drawn:
        out.append(
            # Just above the middle gridline, so the line does not strike through the words.
            f'<text class="empty" x="{_n((x0 + x1) / 2)}" y="{_n((y0 + y1) / 2 - 8)}" '
            f'text-anchor="middle">{_esc(empty_message)}</text>'
        )

    # Legend: a short line in the series' own dash pattern, then its label.
    if legend_rows:
        out.append('<g class="legend">')
        for (number, one), (row, x) in zip(enumerate(series, start=1), legend_rows, strict=True):
            baseline = 14 + row * _LEGEND_ROW
            sample_y = _n(baseline - 4)
            out.append(
                _series_group_open(number, one.style)
                + f'<line x1="{_n(x)}" y1="{sample_y}" x2="{_n(x + _LEGEND_SAMPLE)}" y2="{sample_y}"/></g>'
                f'<text x="{_n(x + _LEGEND_SAMPLE + 6)}" y="{_n(baseline)}">{_esc(one.label)}</text>'
            )
        out.append("</g>")

    out.append("</svg>")
    return "".join(out)


def table_rows(
    series: Sequence[Series], start: date, end: date, *, skip_empty: bool = False
) -> list[tuple[date, list[float | None]]]:
    """The chart's data as rows for an accessible table: one row per day, one value per series (or None).

    Values are the true ones (not clamped to the chart's scale). With `skip_empty`, days on which no series
    has a value are left out, which keeps a year-long table readable.
    """
    if end < start:
        raise ValueError("end is before start")
    columns = [_by_day(one, start, end) for one in series]
    rows = []
    for index in range((end - start).days + 1):
        values = [column.get(index) for column in columns]
        if skip_empty and all(value is None for value in values):
            continue
        rows.append((start + timedelta(days=index), values))
    return rows


def _by_day(one: Series, start: date, end: date) -> dict[int, float]:
    """Day index -> value for days in range with a real number; a repeated day keeps its last value."""
    values: dict[int, float] = {}
    for day, value in one.points:
        if not start <= day <= end:
            continue
        index = (day - start).days
        if value is None or not math.isfinite(value):
            values.pop(index, None)
        else:
            values[index] = value
    return values


def _runs(values: dict[int, float], n_days: int) -> list[list[int]]:
    """Consecutive day indexes that have values: each run is one stretch of line."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index in range(n_days):
        if index in values:
            current.append(index)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _x_label_days(start: date, n_days: int, px_per_day: float) -> list[int]:
    """Indexes of the days to label: Mondays, thinned so labels never overlap."""
    first_monday = (7 - start.weekday()) % 7
    mondays = list(range(first_monday, n_days, 7))
    if not mondays:
        return [0]
    step = max(1, math.ceil(_MIN_LABEL_GAP / (7 * px_per_day)))
    return mondays[::step]


def _legend_layout(series: Sequence[Series], width: int) -> list[tuple[int, float]]:
    """(row, x) for each legend entry, wrapping to a new row when the next entry would not fit."""
    layout: list[tuple[int, float]] = []
    row, x = 0, 10.0
    for one in series:
        entry = _LEGEND_SAMPLE + 6 + len(one.label) * _CHAR_WIDTH
        if layout and x + entry > width - 10:
            row, x = row + 1, 10.0
        layout.append((row, x))
        x += entry + 18
    return layout


def _series_group_open(number: int, style: str) -> str:
    dash = STYLES[style]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<g class="series series-{number}" fill="none" stroke="currentColor" stroke-width="2" '
        f'stroke-linejoin="round" stroke-linecap="round"{dash_attr}>'
    )


def _chart_id(title: str, start: date, end: date, series: Sequence[Series]) -> str:
    key = "\x1f".join([title, start.isoformat(), end.isoformat(), *(one.label for one in series)])
    return "chart-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _esc(text: str) -> str:
    """Text safe inside XML elements and attributes; characters XML cannot carry at all are dropped."""
    return html.escape(_XML_INVALID.sub("", text), quote=True)


def _n(value: float) -> str:
    """A coordinate with one decimal at most: enough precision on screen, and it keeps long charts small."""
    text = f"{value:.1f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text
