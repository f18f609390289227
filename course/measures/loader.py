"""Load questionnaire definitions (YAML) into Measures, reporting every problem as `file: message` at once.

Pure: no Flask. The shipped definitions in `definitions/` are always loaded; a clinic that holds a licence
for another questionnaire (BPI, PCS, ISI...) adds a directory of files in the same format.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..yamlsource import YamlSyntaxError, parse_yaml
from .model import (
    RELIABILITY_KINDS,
    SCORING_RULES,
    TALKING_THERAPIES_ROLES,
    Band,
    Item,
    Measure,
    Norms,
    Option,
    Reliability,
    ReliabilityKind,
    ScoringRule,
    TalkingTherapies,
    TalkingTherapiesRole,
)

SHIPPED_DIR = Path(__file__).parent / "definitions"

MEASURE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ITEM_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

# True = required. `reliability`, `norms` and `bands` are required so an author has to say "none known"
# (null, or [] for bands) rather than forget them.
MEASURE_KEYS = {
    "id": True,
    "title": True,
    "short_title": True,
    "instructions": True,
    "timeframe": True,
    "higher_is_better": True,
    "scoring": True,
    "score_range": True,
    "options": False,
    "items": True,
    "bands": True,
    "reliability": True,
    "norms": True,
    "source": True,
    "licence": True,
    "talking_therapies": False,
}
ITEM_KEYS = {"id": True, "text": True, "reverse": False, "safety": False, "options": False}
OPTION_KEYS = {"value": True, "label": True}
BAND_KEYS = {"min": True, "max": True, "label": True, "patient_label": True}
RANGE_KEYS = {"min": True, "max": True}
RELIABILITY_KEYS = {"r": True, "kind": True, "source": True}
NORMS_KEYS = {"sd": True, "population": True, "source": True}
TALKING_THERAPIES_KEYS = {"role": True, "reliable_change": True, "caseness": True, "source": True}


class MeasureError(Exception):
    """The definitions cannot be loaded; `problems` lists everything wrong as `file: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def load_definitions(*dirs: str | os.PathLike[str]) -> dict[str, Measure]:
    """Load the shipped definitions plus every `*.yaml`/`*.yml` file in `dirs`, keyed by measure id.

    Raises MeasureError listing every problem in every file (unknown or missing keys, bad values, bands
    that leave gaps or overlap, a declared score range that the items cannot produce, duplicate ids...).
    """
    problems: list[str] = []
    measures: dict[str, Measure] = {}
    seen_dirs: set[Path] = set()
    for directory in (SHIPPED_DIR, *(Path(d) for d in dirs)):
        if not directory.is_dir():
            problems.append(f"{directory}: not a directory of measure definitions")
            continue
        resolved = directory.resolve()
        if resolved in seen_dirs:
            continue
        seen_dirs.add(resolved)
        files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        for path in files:
            measure = _load_file(path, problems)
            if measure is None:
                continue
            if measure.id in measures:
                problems.append(
                    f"{path}: id '{measure.id}' is already defined in {measures[measure.id].path}"
                )
                continue
            measures[measure.id] = measure
    if problems:
        raise MeasureError(problems)
    return measures


def _load_file(path: Path, problems: list[str]) -> Measure | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot be read ({exc})")
        return None
    try:
        parsed = parse_yaml(text)
    except YamlSyntaxError as exc:
        where = f"line {exc.line}: " if exc.line is not None else ""
        problems.append(f"{path}: {where}not valid YAML: {exc.problem}")
        return None
    reader = _Reader(path)
    for line, key in parsed.duplicate_keys:
        reader.problem(f"line {line}", f"key '{key}' appears twice")
    measure = reader.measure(parsed.data)
    problems.extend(reader.problems)
    return measure if not reader.problems else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float | Fraction) -> str:
    return f"{float(value):g}"


def _ranges(values: Iterable[Fraction]) -> str:
    """Scores as a short list: whole-number runs collapse to a–b."""
    ordered = sorted(values)
    parts: list[str] = []
    run: list[Fraction] = []
    for value in ordered:
        if run and value.denominator == 1 and run[-1].denominator == 1 and value == run[-1] + 1:
            run.append(value)
            continue
        if run:
            parts.append(_fmt(run[0]) if len(run) == 1 else f"{_fmt(run[0])}–{_fmt(run[-1])}")
        run = [value]
    if run:
        parts.append(_fmt(run[0]) if len(run) == 1 else f"{_fmt(run[0])}–{_fmt(run[-1])}")
    if len(parts) > 8:
        parts = [*parts[:8], f"and {len(parts) - 8} more"]
    return ", ".join(parts)


class _Reader:
    """Validates one file's data, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.path}: {where}: {message}" if where else f"{self.path}: {message}")

    def keys(self, data: Mapping[Any, Any], spec: Mapping[str, bool], where: str) -> None:
        for key in data:
            if key not in spec:
                allowed = ", ".join(spec)
                self.problem(where, f"unknown key '{key}' (allowed: {allowed})")
        for key, required in spec.items():
            if required and key not in data:
                self.problem(where, f"missing required key '{key}'")

    def mapping(self, value: object, where: str) -> Mapping[Any, Any] | None:
        if not isinstance(value, Mapping):
            self.problem(where, "must be a mapping of keys to values")
            return None
        return value

    def text(self, data: Mapping[Any, Any], key: str, where: str) -> str:
        value = data.get(key)
        if key not in data:
            return ""  # reported by keys()
        if not isinstance(value, str) or not value.strip():
            self.problem(_join(where, key), "must be non-empty text (quote it if it looks like a number)")
            return ""
        return value.strip()

    def flag(self, data: Mapping[Any, Any], key: str, where: str, default: bool) -> bool:
        if key not in data:
            return default
        value = data[key]
        if not isinstance(value, bool):
            self.problem(_join(where, key), "must be true or false")
            return default
        return value

    def number(self, data: Mapping[Any, Any], key: str, where: str) -> float | None:
        if key not in data:
            return None
        value = data[key]
        if not _is_number(value):
            self.problem(_join(where, key), f"must be a number, not {value!r}")
            return None
        number: float = value  # ints stay ints, so "0–27" never reads "0.0–27.0"
        return number

    def options(self, raw: object, where: str) -> tuple[Option, ...] | None:
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(where, "must be a list of at least two options")
            return None
        options: list[Option] = []
        ok = True
        for index, entry in enumerate(raw):
            here = f"{where}[{index}]"
            data = self.mapping(entry, here)
            if data is None:
                ok = False
                continue
            self.keys(data, OPTION_KEYS, here)
            value = data.get("value")
            if "value" in data and (not isinstance(value, int) or isinstance(value, bool)):
                self.problem(f"{here}.value", f"must be a whole number, not {value!r}")
                ok = False
            label = self.text(data, "label", here)
            if isinstance(value, int) and not isinstance(value, bool) and label:
                options.append(Option(value=value, label=label))
            else:
                ok = False
        values = [o.value for o in options]
        for value in sorted({v for v in values if values.count(v) > 1}):
            self.problem(where, f"value {value} is used by more than one option")
            ok = False
        return tuple(options) if ok else None

    def items(self, raw: object, shared: tuple[Option, ...] | None, shared_given: bool) -> list[Item]:
        if not isinstance(raw, list) or not raw:
            self.problem("items", "must be a non-empty list")
            return []
        items: list[Item] = []
        seen: set[str] = set()
        for index, entry in enumerate(raw):
            here = f"items[{index}]"
            data = self.mapping(entry, here)
            if data is None:
                continue
            self.keys(data, ITEM_KEYS, here)
            item_id = data.get("id")
            if "id" in data and (not isinstance(item_id, str) or not ITEM_ID.match(item_id)):
                self.problem(f"{here}.id", f"must be lower-case letters, digits, - or _, not {item_id!r}")
                item_id = None
            elif isinstance(item_id, str):
                if item_id in seen:
                    self.problem(f"{here}.id", f"duplicate item id '{item_id}'")
                seen.add(item_id)
            text = self.text(data, "text", here)
            reverse = self.flag(data, "reverse", here, False)
            safety = self.flag(data, "safety", here, False)
            if "options" in data:
                options = self.options(data["options"], f"{here}.options")
            else:
                options = shared
                if not shared_given:
                    self.problem(here, "has no options: give the item its own or add shared `options`")
            if isinstance(item_id, str) and text and options:
                items.append(Item(id=item_id, text=text, options=options, reverse=reverse, safety=safety))
        return items

    def bands(self, raw: object) -> list[Band]:
        if not isinstance(raw, list):
            self.problem("bands", "must be a list (write [] when the measure has no bands)")
            return []
        bands: list[Band] = []
        for index, entry in enumerate(raw):
            here = f"bands[{index}]"
            data = self.mapping(entry, here)
            if data is None:
                continue
            self.keys(data, BAND_KEYS, here)
            low = self.number(data, "min", here)
            high = self.number(data, "max", here)
            label = self.text(data, "label", here)
            patient_label = self.text(data, "patient_label", here)
            if low is not None and high is not None and low > high:
                self.problem(here, f"min {_fmt(low)} is above max {_fmt(high)}")
                continue
            if low is not None and high is not None and label and patient_label:
                bands.append(Band(min=low, max=high, label=label, patient_label=patient_label))
        return bands

    def reliability(self, raw: object) -> Reliability | None:
        if raw is None:
            return None
        data = self.mapping(raw, "reliability")
        if data is None:
            return None
        self.keys(data, RELIABILITY_KEYS, "reliability")
        r = self.number(data, "r", "reliability")
        if r is not None and not 0 < r < 1:
            # r = 1 would make the standard error of the difference zero and every change "reliable".
            self.problem("reliability.r", f"must be between 0 and 1 (exclusive), not {_fmt(r)}")
            r = None
        kind = data.get("kind")
        if "kind" in data and kind not in RELIABILITY_KINDS:
            self.problem("reliability.kind", f"must be one of {', '.join(RELIABILITY_KINDS)}, not {kind!r}")
        source = self.text(data, "source", "reliability")
        if r is None or kind not in RELIABILITY_KINDS or not source:
            return None
        checked_kind: ReliabilityKind = kind
        return Reliability(r=r, kind=checked_kind, source=source)

    def norms(self, raw: object) -> Norms | None:
        if raw is None:
            return None
        data = self.mapping(raw, "norms")
        if data is None:
            return None
        self.keys(data, NORMS_KEYS, "norms")
        sd = self.number(data, "sd", "norms")
        if sd is not None and sd <= 0:
            self.problem("norms.sd", f"must be above 0, not {_fmt(sd)}")
            sd = None
        population = self.text(data, "population", "norms")
        source = self.text(data, "source", "norms")
        if sd is None or not population or not source:
            return None
        return Norms(sd=sd, population=population, source=source)

    def talking_therapies(
        self, raw: object, low: float | None, high: float | None
    ) -> TalkingTherapies | None:
        if raw is None:
            return None
        data = self.mapping(raw, "talking_therapies")
        if data is None:
            return None
        where = "talking_therapies"
        self.keys(data, TALKING_THERAPIES_KEYS, where)
        role = data.get("role")
        if "role" in data and role not in TALKING_THERAPIES_ROLES:
            self.problem(
                f"{where}.role", f"must be one of {', '.join(TALKING_THERAPIES_ROLES)}, not {role!r}"
            )
        points = self.number(data, "reliable_change", where)
        if points is not None and points <= 0:
            self.problem(f"{where}.reliable_change", f"must be above 0, not {_fmt(points)}")
            points = None
        caseness = self.number(data, "caseness", where)
        if caseness is not None and low is not None and high is not None and not low < caseness <= high:
            self.problem(f"{where}.caseness", f"must be above {_fmt(low)} and at most {_fmt(high)}")
            caseness = None
        source = self.text(data, "source", where)
        if points is None or caseness is None or role not in TALKING_THERAPIES_ROLES or not source:
            return None
        checked_role: TalkingTherapiesRole = role
        return TalkingTherapies(role=checked_role, reliable_change=points, caseness=caseness, source=source)

    def measure(self, raw: object) -> Measure | None:
        data = self.mapping(raw, "")
        if data is None:
            return None
        self.keys(data, MEASURE_KEYS, "")
        measure_id = data.get("id")
        if "id" in data:
            if not isinstance(measure_id, str) or not MEASURE_ID.match(measure_id):
                self.problem(
                    "id", f"must be lower-case letters, digits and single dashes, not {measure_id!r}"
                )
            elif measure_id != self.path.stem:
                self.problem("id", f"'{measure_id}' does not match the file name ({self.path.name})")
        texts = {
            key: self.text(data, key, "")
            for key in ("title", "short_title", "instructions", "timeframe", "source", "licence")
        }
        higher_is_better = self.flag(data, "higher_is_better", "", False)
        scoring = _scoring_rule(data.get("scoring"))
        # Score range and band coverage are only checked when the parts they are computed from are sound;
        # problems elsewhere in the file (an unknown key, a missing source) do not hide them.
        before = len(self.problems)
        if "scoring" in data and scoring is None:
            self.problem("scoring", f"must be one of {', '.join(SCORING_RULES)}, not {data['scoring']!r}")
        shared = self.options(data["options"], "options") if "options" in data else None
        items = self.items(data["items"], shared, "options" in data) if "items" in data else []
        if scoring == "single" and isinstance(data.get("items"), list) and len(data["items"]) != 1:
            self.problem("items", f"`scoring: single` needs exactly one item, not {len(data['items'])}")
        declared = self.mapping(data["score_range"], "score_range") if "score_range" in data else None
        low = high = None
        if declared is not None:
            self.keys(declared, RANGE_KEYS, "score_range")
            low = self.number(declared, "min", "score_range")
            high = self.number(declared, "max", "score_range")
        bands = self.bands(data["bands"]) if "bands" in data else []
        structure_sound = len(self.problems) == before and bool(items)
        reliability = self.reliability(data.get("reliability"))
        norms = self.norms(data.get("norms"))
        talking_therapies = self.talking_therapies(data.get("talking_therapies"), low, high)

        if not structure_sound or scoring is None or low is None or high is None:
            return None
        scores = achievable_scores(items, scoring)
        if min(scores) != low or max(scores) != high:
            self.problem(
                "score_range",
                f"{_fmt(low)}–{_fmt(high)} does not match what the items can score "
                f"({_fmt(min(scores))}–{_fmt(max(scores))})",
            )
        self.check_bands(bands, scores)
        if self.problems or not isinstance(measure_id, str):
            return None
        return Measure(
            id=measure_id,
            title=texts["title"],
            short_title=texts["short_title"],
            instructions=texts["instructions"],
            timeframe=texts["timeframe"],
            items=tuple(items),
            scoring=scoring,
            score_min=low,
            score_max=high,
            bands=tuple(bands),
            higher_is_better=higher_is_better,
            reliability=reliability,
            norms=norms,
            source=texts["source"],
            licence=texts["licence"],
            path=str(self.path),
            talking_therapies=talking_therapies,
        )

    def check_bands(self, bands: list[Band], scores: frozenset[Fraction]) -> None:
        """Every score the items can produce must fall in exactly one band (when there are bands)."""
        if not bands:
            return
        low, high = min(scores), max(scores)
        for index, band in enumerate(bands):
            if band.min < low or band.max > high:
                self.problem(
                    f"bands[{index}]",
                    f"{_fmt(band.min)}–{_fmt(band.max)} reaches outside the score range "
                    f"{_fmt(low)}–{_fmt(high)}",
                )
        uncovered = [s for s in scores if not any(b.contains(s) for b in bands)]
        if uncovered:
            self.problem("bands", f"leave a gap: no band for score {_ranges(uncovered)}")
        for score in sorted(scores):
            holders = [b.label for b in bands if b.contains(score)]
            if len(holders) > 1:
                self.problem("bands", f"overlap: score {_fmt(score)} is in {' and '.join(holders)}")


def _scoring_rule(value: object) -> ScoringRule | None:
    for rule in SCORING_RULES:
        if value == rule:
            return rule
    return None


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def achievable_scores(items: Iterable[Item], scoring: ScoringRule) -> frozenset[Fraction]:
    """Every score the items can produce under a scoring rule (exact fractions, so means compare exactly)."""
    item_list = list(items)
    sums: set[int] = {0}
    for item in item_list:
        scored = {item.scored(value) for value in item.values}
        sums = {total + value for total in sums for value in scored}
    if scoring == "mean":
        return frozenset(Fraction(total, len(item_list)) for total in sums)
    return frozenset(Fraction(total) for total in sums)
