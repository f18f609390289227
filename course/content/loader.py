"""Load `modules/` into a Catalog, reporting every problem as `file:line: message` at once.

Pure: no Flask. `load_catalog(path)` returns the catalog or raises ContentError with all problems.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ..safety.red_flags import PEM_ANSWERS
from .includes import expand_includes
from .media import Guides
from .model import (
    ALL_PATHS,
    COMPONENTS,
    HABIT_AREAS,
    PATHS,
    Catalog,
    Check,
    EvidenceLog,
    Exercise,
    Field,
    Habit,
    HabitStep,
    JournalStep,
    Lesson,
    Module,
    Option,
    Practice,
    Question,
    Rating,
    Step,
)
from .render import StepLinker, iter_links, render_markdown, split_step_link

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELD_KINDS = ("text", "longtext", "scale", "choice", "multichoice", "list")
ITEM_KINDS = ("text", "longtext", "scale", "choice")
WORDS_PER_MINUTE = 180  # a gentle pace for tired readers

COURSE_KEYS = {"title": True, "pace_days": False, "modules": True, "evidence_log": False, "measures": False}
EVIDENCE_LOG_KEYS = {"step": True, "field": True, "text": True, "when": False, "kind": False, "kinds": False}
MODULE_KEYS = {
    "slug": True,
    "title": True,
    "week": True,
    "summary": True,
    "covers": True,
    "objectives": True,
    "references": True,
    "steps": True,
}
STEP_KEYS: dict[str, dict[str, bool]] = {
    "lesson": {"file": False, "body": False, "minutes": False, "audio": False},
    "exercise": {"body": False, "fields": True},
    "check": {"body": False, "questions": True},
    "practice": {"body": False, "script": True, "minutes": True, "ratings": False, "audio": False},
    "habit": {"body": False, "habit": True},
    "journal": {"body": False, "prompt": True},
}
FIELD_KEYS = {
    "id": True,
    "kind": True,
    "label": True,
    "help": False,
    "required": False,
    "max_length": False,
    "min": False,
    "max": False,
    "min_label": False,
    "max_label": False,
    "options": False,
    "min_items": False,
    "max_items": False,
    "item_fields": False,
    "pem_question": False,
}
QUESTION_KEYS = {"id": True, "prompt": True, "options": True, "answer": True, "explanation": True}
RATING_KEYS = {"id": True, "label": True, "min_label": False, "max_label": False}
HABIT_KEYS = {"id": True, "area": True, "name": True, "prompt": True}
OPTION_KEYS = {"value": True, "label": True}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, where it is."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """The content cannot be loaded; `problems` lists everything wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 1
    key_lines: dict[str, int]


# libyaml's C parser when PyYAML was built with it (several times faster at start-up); same nodes and marks.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    duplicate_keys: list[tuple[int, str]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in mapping:
            loader.duplicate_keys.append((line, str(key)))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = line
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# YAML 1.1 reads yes/no/on/off as booleans, so an answer option "no" would silently become False.
# Clinicians write plain words: only true and false are booleans here (as in YAML 1.2).
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def default_step_url(module: str, step: str) -> str:
    """Where the player shows a step; the app passes the same pattern."""
    return f"/learn/{module}/{step}"


class _Reader:
    """Collects problems while reading one file's data."""

    def __init__(self, root: Path, path: Path, problems: list[Problem]) -> None:
        self.path = path
        try:
            self.display = str(path.relative_to(root.parent))
        except ValueError:
            self.display = str(path)
        self.problems = problems

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.display, line, message))

    def load_yaml(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.error(1, "file not found")
            return None
        except UnicodeDecodeError as exc:
            self.error(1, f"not UTF-8 text ({exc.reason})")
            return None
        loader = _LineLoader(text)
        loader.duplicate_keys = []
        try:
            data = loader.get_single_data()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            problem = getattr(exc, "problem", None) or str(exc)
            self.error(line, f"invalid YAML: {problem}")
            return None
        finally:
            loader.dispose()
        for line, key in loader.duplicate_keys:
            self.error(line, f"duplicate key '{key}'")
        return data

    def mapping(self, data: Any, line: int, what: str, keys: dict[str, bool]) -> LineDict | None:
        """Check that data is a mapping with the required keys and no unknown ones."""
        if not isinstance(data, LineDict):
            self.error(line, f"{what} must be a mapping of keys to values")
            return None
        for key in data:
            if key not in keys:
                known = ", ".join(sorted(keys))
                self.error(
                    data.key_lines.get(key, data.line), f"unknown key '{key}' in {what} (known: {known})"
                )
        for key, required in keys.items():
            if required and key not in data:
                self.error(data.line, f"{what} is missing '{key}'")
        return data

    def text(self, data: LineDict, key: str, what: str, default: str | None = None) -> str | None:
        value = data.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(_line(data, key), f"'{key}' of {what} must be text")
            return default
        text = str(value).strip()
        if not text and key in data:
            self.error(_line(data, key), f"'{key}' of {what} is empty")
        return text

    def integer(self, data: LineDict, key: str, what: str, default: int, low: int, high: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(_line(data, key), f"'{key}' of {what} must be a whole number")
            return default
        if not low <= value <= high:
            self.error(_line(data, key), f"'{key}' of {what} must be between {low} and {high}, not {value}")
            return default
        return value

    def boolean(self, data: LineDict, key: str, what: str, default: bool = False) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(_line(data, key), f"'{key}' of {what} must be true or false")
            return default
        return value

    def text_list(self, data: LineDict, key: str, what: str, minimum: int = 1) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(_line(data, key), f"'{key}' of {what} must be a list of text items")
            return ()
        if len(value) < minimum:
            self.error(_line(data, key), f"'{key}' of {what} needs at least {minimum} item(s)")
        return tuple(v.strip() for v in value)

    def slug(self, data: LineDict, key: str, what: str) -> str:
        value = self.text(data, key, what) or ""
        if value and not SLUG.match(value):
            self.error(
                _line(data, key),
                f"'{key}' of {what} must use lowercase letters, digits and dashes: {value!r}",
            )
        return value


def _line(data: LineDict, key: str) -> int:
    return data.key_lines.get(key, data.line)


@dataclass
class _PendingLink:
    reader: _Reader
    line: int
    module: str
    href: str


class _Loader:
    def __init__(self, root: Path, step_url: StepLinker) -> None:
        self.root = root.resolve()
        self.step_url = step_url
        self.problems: list[Problem] = []
        self.links: list[_PendingLink] = []
        self.habits: dict[str, Habit] = {}
        self.habit_sources: dict[str, str] = {}
        self.guides = Guides(self.root)

    def load(self) -> Catalog:
        course_reader = _Reader(self.root, self.root / "course.yaml", self.problems)
        raw = course_reader.load_yaml()
        if raw is None:
            raise ContentError(self.problems)
        course = course_reader.mapping(raw, 1, "the course", COURSE_KEYS)
        if course is None:
            raise ContentError(self.problems)
        title = course_reader.text(course, "title", "the course") or ""
        pace_days = course_reader.integer(course, "pace_days", "the course", 7, 1, 60)
        slugs = course.get("modules")
        modules: list[Module] = []
        if not isinstance(slugs, list) or not slugs:
            course_reader.error(_line(course, "modules"), "'modules' must be a list of module slugs")
            slugs = []
        seen: set[str] = set()
        for position, slug in enumerate(slugs, start=1):
            line = _line(course, "modules") + position
            if not isinstance(slug, str) or not SLUG.match(slug):
                course_reader.error(
                    line, f"module {position} must be a slug (lowercase, digits, dashes): {slug!r}"
                )
                continue
            if slug in seen:
                course_reader.error(line, f"module '{slug}' is listed twice")
                continue
            seen.add(slug)
            folder = self.root / slug
            if not (folder / "module.yaml").is_file():
                course_reader.error(line, f"module '{slug}' is listed but {slug}/module.yaml does not exist")
                continue
            module = self.load_module(folder, slug, position)
            if module is not None:
                modules.append(module)
        self.check_links({m.slug: m for m in modules})
        self.check_pacing_steps(modules)
        evidence_log = self.evidence_log(course_reader, course, {m.slug: m for m in modules})
        for path in self.guides.unused():
            _Reader(self.root, path, self.problems).error(1, "no step names this media file; remove it")
        if self.problems:
            raise ContentError(self.problems)
        return Catalog(
            title=title,
            pace_days=pace_days,
            modules=tuple(modules),
            habits=dict(self.habits),
            evidence_log=evidence_log,
            schedule_raw=course.get("measures"),
        )

    def evidence_log(
        self, reader: _Reader, course: LineDict, modules: dict[str, Module]
    ) -> EvidenceLog | None:
        """Check that `evidence_log` names a list field of an exercise, and the row fields it fills."""
        raw = course.get("evidence_log")
        if raw is None:
            return None
        data = reader.mapping(raw, _line(course, "evidence_log"), "evidence_log", EVIDENCE_LOG_KEYS)
        if data is None:
            return None
        target = reader.text(data, "step", "evidence_log") or ""
        module_slug, _, step_id = target.partition("/")
        module = modules.get(module_slug)
        step = module.step(step_id) if module else None
        if not isinstance(step, Exercise):
            reader.error(
                _line(data, "step"), f"evidence_log step '{target}' is not an exercise (write module/step)"
            )
            return None
        field_id = reader.text(data, "field", "evidence_log") or ""
        list_field = next((f for f in step.fields if f.id == field_id and f.kind == "list"), None)
        if list_field is None:
            reader.error(
                _line(data, "field"), f"evidence_log field '{field_id}' is not a list field of '{target}'"
            )
            return None
        items = {f.id: f for f in list_field.item_fields}
        names = {}
        for key in ("text", "when", "kind"):
            name = reader.text(data, key, "evidence_log")
            if name is not None and name not in items:
                reader.error(
                    _line(data, key),
                    f"evidence_log {key} '{name}' is not a field of the rows of '{field_id}'",
                )
            names[key] = name
        kinds = data.get("kinds") or {}
        kind_field = items.get(names["kind"] or "")
        if not isinstance(kinds, dict) or (kinds and kind_field is None):
            reader.error(
                _line(data, "kinds"), "evidence_log kinds needs 'kind' and must map statement ids to options"
            )
            kinds = {}
        for statement, option in kinds.items():
            if kind_field is not None and option not in {o.value for o in kind_field.options}:
                reader.error(
                    _line(data, "kinds"), f"evidence_log kind '{option}' for '{statement}' is not an option"
                )
        return EvidenceLog(
            module=module_slug,
            step=step_id,
            list_field=field_id,
            text=names["text"] or "",
            when=names["when"],
            kind=names["kind"],
            kinds={str(k): str(v) for k, v in kinds.items()},
        )

    def load_module(self, folder: Path, expected_slug: str, position: int) -> Module | None:
        reader = _Reader(self.root, folder / "module.yaml", self.problems)
        raw = reader.load_yaml()
        if raw is None:
            return None
        data = reader.mapping(raw, 1, "the module", MODULE_KEYS)
        if data is None:
            return None
        slug = reader.slug(data, "slug", "the module")
        if slug and slug != expected_slug:
            reader.error(_line(data, "slug"), f"slug '{slug}' must match its folder name '{expected_slug}'")
        slug = expected_slug
        week = reader.integer(data, "week", "the module", position, 1, 52)
        if "week" in data and week != position:
            reader.error(
                _line(data, "week"), f"week is {week} but the module is number {position} in course.yaml"
            )
        covers = reader.text_list(data, "covers", "the module")
        for word in covers:
            if word not in COMPONENTS:
                reader.error(
                    _line(data, "covers"), f"unknown 'covers' word '{word}' (known: {', '.join(COMPONENTS)})"
                )
        objectives = reader.text_list(data, "objectives", "the module")
        references = reader.text_list(data, "references", "the module")
        steps: list[Step] = []
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            reader.error(_line(data, "steps"), "'steps' must be a non-empty list")
            raw_steps = []
        step_ids: set[str] = set()
        for raw_step in raw_steps:
            step = self.load_step(reader, raw_step, slug, _line(data, "steps"))
            if step is None:
                continue
            if "audio" in raw_step:  # a recorded guide (content/media.py)
                guide, messages = self.guides.read(reader.path.parent, raw_step["audio"], step)
                for message in messages:
                    reader.error(_line(raw_step, "audio"), message)
                step = replace(step, audio=guide)
            if "movement" in covers and "path" not in raw_step:
                # NICE NG206: nothing built on deconditioning or fear-avoidance may reach a patient with
                # post-exertional malaise by default, so each movement step says which path it is for.
                reader.error(
                    raw_step.line,
                    f"step '{step.id}' is in a module that covers movement, so it needs a path: "
                    f"standard, pacing or all (post-exertional malaise takes the pacing path)",
                )
            if step.id in step_ids:
                reader.error(int(step.source.rsplit(":", 1)[1]), f"duplicate step id '{step.id}'")
                continue
            step_ids.add(step.id)
            steps.append(step)
        return Module(
            slug=slug,
            title=reader.text(data, "title", "the module") or "",
            week=week,
            summary=reader.text(data, "summary", "the module") or "",
            covers=covers,
            objectives=objectives,
            references=references,
            steps=tuple(steps),
            source=f"{reader.display}:1",
        )

    def expand(self, reader: _Reader, text: str, first_line: int) -> str:
        """The text with its includes (`[[red-flags]]`) in place; a bad include is a problem."""
        expanded, problems = expand_includes(text)
        for line, message in problems:
            reader.error(first_line + line - 1, message)
        return expanded

    def markdown(self, reader: _Reader, text: str, module: str, first_line: int) -> str:
        for href, line in iter_links(text):
            if href.startswith("step:"):
                self.links.append(_PendingLink(reader, first_line + line - 1, module, href))
        return render_markdown(self.expand(reader, text, first_line), module, self.step_url)

    def load_step(self, reader: _Reader, raw: Any, module: str, list_line: int) -> Step | None:
        if not isinstance(raw, LineDict):
            reader.error(list_line, "each step must be a mapping with id, type and title")
            return None
        step_type = raw.get("type")
        if step_type not in STEP_KEYS:
            reader.error(
                _line(raw, "type"), f"unknown step type {step_type!r} (known: {', '.join(STEP_KEYS)})"
            )
            return None
        keys = {"id": True, "type": True, "title": True, "path": False, **STEP_KEYS[step_type]}
        what = f"step '{raw.get('id', '?')}'"
        if reader.mapping(raw, raw.line, what, keys) is None:
            return None
        step_id = reader.slug(raw, "id", what)
        if not step_id:
            return None
        title = reader.text(raw, "title", what) or ""
        body = reader.text(raw, "body", what, "") or ""
        path = raw.get("path")
        if path == ALL_PATHS:
            path = None
        elif path is not None and path not in PATHS:
            known = ", ".join((*PATHS, ALL_PATHS))
            reader.error(_line(raw, "path"), f"unknown path {path!r} for {what} (known: {known})")
            path = None
        common: dict[str, Any] = {
            "path": path,
            "id": step_id,
            "type": step_type,
            "title": title,
            "body_html": self.markdown(reader, body, module, _line(raw, "body") + 1) if body else "",
            "source": f"{reader.display}:{raw.line}",
        }
        if step_type == "lesson":
            return self.lesson(reader, raw, what, module, common)
        if step_type == "exercise":
            fields = self.fields(reader, raw, "fields", what, FIELD_KINDS)
            if not fields and "fields" in raw:
                reader.error(_line(raw, "fields"), f"{what} needs at least one field")
            return Exercise(**common, fields=fields)
        if step_type == "check":
            return Check(**common, questions=self.questions(reader, raw, what, module))
        if step_type == "practice":
            script = reader.text(raw, "script", what, "") or ""
            return Practice(
                **common,
                script_html=self.markdown(reader, script, module, _line(raw, "script") + 1),
                minutes=reader.integer(raw, "minutes", what, 5, 1, 60),
                ratings=self.ratings(reader, raw, what),
            )
        if step_type == "habit":
            return HabitStep(**common, habit=self.habit(reader, raw, what, module, step_id))
        return JournalStep(**common, prompt=reader.text(raw, "prompt", what) or "")

    def lesson(
        self, reader: _Reader, raw: LineDict, what: str, module: str, common: dict[str, Any]
    ) -> Lesson:
        text = ""
        first_line = 1
        lesson_reader = reader
        if "file" in raw and "body" in raw:
            reader.error(raw.line, f"{what} has both 'file' and 'body'; keep one")
        if "file" in raw:
            name = reader.text(raw, "file", what) or ""
            path = (reader.path.parent / name).resolve()
            if path.parent != reader.path.parent.resolve() or not name.endswith(".md"):
                reader.error(
                    _line(raw, "file"), f"'file' of {what} must name a .md file in the module folder"
                )
            elif not path.is_file():
                reader.error(_line(raw, "file"), f"lesson file '{name}' does not exist")
            else:
                text = path.read_text(encoding="utf-8")
                lesson_reader = _Reader(self.root, path, self.problems)
        elif "body" in raw:
            text = str(raw["body"])
            first_line = _line(raw, "body") + 1
        else:
            reader.error(raw.line, f"{what} needs 'file' or 'body'")
        if not text.strip() and ("file" in raw or "body" in raw) and not self.problems_for(raw, reader):
            reader.error(raw.line, f"{what} has no text")
        # The text as patients read it, includes and all: reading time and the reading-level checks use it.
        read = expand_includes(text)[0]
        default_minutes = max(1, math.ceil(len(read.split()) / WORDS_PER_MINUTE))
        minutes = reader.integer(raw, "minutes", what, default_minutes, 1, 60)
        html = self.markdown(lesson_reader, text, module, first_line) if text else ""
        common = {**common, "body_html": html}
        return Lesson(**common, text=read, minutes=minutes)

    def problems_for(self, raw: LineDict, reader: _Reader) -> bool:
        return any(p.path == reader.display and p.line == _line(raw, "file") for p in self.problems)

    def options(self, reader: _Reader, data: LineDict, what: str) -> tuple[Option, ...]:
        raw = data.get("options")
        if not isinstance(raw, list) or len(raw) < 2:
            reader.error(_line(data, "options"), f"'options' of {what} must be a list of at least 2 choices")
            return ()
        options: list[Option] = []
        for item in raw:
            if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
                options.append(Option(str(item).strip(), str(item).strip()))
            elif isinstance(item, LineDict) and reader.mapping(
                item, item.line, f"an option of {what}", OPTION_KEYS
            ):
                value = reader.text(item, "value", f"an option of {what}") or ""
                label = reader.text(item, "label", f"an option of {what}") or ""
                options.append(Option(value, label))
            else:
                reader.error(_line(data, "options"), f"each option of {what} must be text or value and label")
        values = [o.value for o in options]
        if len(set(values)) != len(values):
            reader.error(_line(data, "options"), f"options of {what} repeat a value")
        return tuple(options)

    def fields(
        self, reader: _Reader, data: LineDict, key: str, what: str, kinds: tuple[str, ...]
    ) -> tuple[Field, ...]:
        raw = data.get(key)
        if not isinstance(raw, list):
            reader.error(_line(data, key), f"'{key}' of {what} must be a list of fields")
            return ()
        result: list[Field] = []
        ids: set[str] = set()
        for item in raw:
            if not isinstance(item, LineDict):
                reader.error(_line(data, key), f"each field of {what} must be a mapping")
                continue
            field_what = f"field '{item.get('id', '?')}' of {what}"
            if reader.mapping(item, item.line, field_what, FIELD_KEYS) is None:
                continue
            field_id = reader.slug(item, "id", field_what)
            kind = item.get("kind")
            if kind not in kinds:
                reader.error(
                    _line(item, "kind"), f"unknown kind {kind!r} for {field_what} (known: {', '.join(kinds)})"
                )
                continue
            if field_id in ids:
                reader.error(_line(item, "id"), f"duplicate field id '{field_id}' in {what}")
                continue
            ids.add(field_id)
            result.append(self.field(reader, item, field_id, kind, field_what))
        return tuple(result)

    def field(self, reader: _Reader, item: LineDict, field_id: str, kind: str, what: str) -> Field:
        required = reader.boolean(item, "required", what)
        allowed = {
            "text": {"max_length"},
            "longtext": {"max_length"},
            "scale": {"min", "max", "min_label", "max_label"},
            "choice": {"options"},
            "multichoice": {"options"},
            "list": {"min_items", "max_items", "item_fields"},
        }[kind]
        for key in (
            "max_length",
            "min",
            "max",
            "min_label",
            "max_label",
            "options",
            "min_items",
            "max_items",
            "item_fields",
        ):
            if key in item and key not in allowed:
                reader.error(_line(item, key), f"'{key}' does not apply to a {kind} field ({what})")
        options: tuple[Option, ...] = ()
        if kind in ("choice", "multichoice"):
            options = self.options(reader, item, what)
        default_length = 5000 if kind == "longtext" else 200
        low = reader.integer(item, "min", what, 0, 0, 100)
        high = reader.integer(item, "max", what, 10, 1, 100)
        if low >= high:
            reader.error(_line(item, "max"), f"'max' must be above 'min' in {what}")
        pem_question = reader.boolean(item, "pem_question", what)
        if pem_question and (kind != "choice" or not PEM_ANSWERS & {o.value for o in options}):
            reader.error(
                _line(item, "pem_question"),
                f"{what} asks about post-exertional malaise, so it must be a choice with an option "
                f"valued {' or '.join(sorted(PEM_ANSWERS))}",
            )
            pem_question = False
        item_fields: tuple[Field, ...] = ()
        if kind == "list":
            if "item_fields" not in item:
                reader.error(item.line, f"{what} is a list and needs 'item_fields'")
            else:
                item_fields = self.fields(reader, item, "item_fields", what, ITEM_KINDS)
        min_items = reader.integer(item, "min_items", what, 1 if required else 0, 0, 50)
        max_items = reader.integer(item, "max_items", what, 10, 1, 50)
        if kind == "list" and min_items > max_items:
            reader.error(_line(item, "min_items"), f"'min_items' is above 'max_items' in {what}")
        return Field(
            id=field_id,
            kind=kind,  # type: ignore[arg-type]
            label=reader.text(item, "label", what) or "",
            help=reader.text(item, "help", what),
            required=required,
            max_length=reader.integer(item, "max_length", what, default_length, 1, 50000),
            min=low,
            max=high,
            min_label=reader.text(item, "min_label", what),
            max_label=reader.text(item, "max_label", what),
            options=options,
            min_items=min_items,
            max_items=max_items,
            item_fields=item_fields,
            pem_question=pem_question,
        )

    def questions(self, reader: _Reader, data: LineDict, what: str, module: str) -> tuple[Question, ...]:
        raw = data.get("questions")
        if not isinstance(raw, list) or not raw:
            reader.error(_line(data, "questions"), f"'questions' of {what} must be a non-empty list")
            return ()
        result: list[Question] = []
        ids: set[str] = set()
        for item in raw:
            if not isinstance(item, LineDict):
                reader.error(_line(data, "questions"), f"each question of {what} must be a mapping")
                continue
            q_what = f"question '{item.get('id', '?')}' of {what}"
            if reader.mapping(item, item.line, q_what, QUESTION_KEYS) is None:
                continue
            q_id = reader.slug(item, "id", q_what)
            if q_id in ids:
                reader.error(_line(item, "id"), f"duplicate question id '{q_id}' in {what}")
            ids.add(q_id)
            options = self.options(reader, item, q_what)
            answer = str(item.get("answer", ""))
            if options and answer not in {o.value for o in options}:
                reader.error(
                    _line(item, "answer"), f"answer {answer!r} of {q_what} is not one of its option values"
                )
            explanation = reader.text(item, "explanation", q_what) or ""
            result.append(
                Question(
                    id=q_id,
                    prompt=reader.text(item, "prompt", q_what) or "",
                    options=options,
                    answer=answer,
                    explanation_html=self.markdown(
                        reader, explanation, module, _line(item, "explanation") + 1
                    ),
                )
            )
        return tuple(result)

    def ratings(self, reader: _Reader, data: LineDict, what: str) -> tuple[Rating, ...]:
        raw = data.get("ratings")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            reader.error(_line(data, "ratings"), f"'ratings' of {what} must be a list")
            return ()
        result: list[Rating] = []
        for item in raw:
            r_what = f"a rating of {what}"
            if (
                isinstance(item, LineDict)
                and reader.mapping(item, item.line, r_what, RATING_KEYS) is not None
            ):
                result.append(
                    Rating(
                        id=reader.slug(item, "id", r_what),
                        label=reader.text(item, "label", r_what) or "",
                        min_label=reader.text(item, "min_label", r_what),
                        max_label=reader.text(item, "max_label", r_what),
                    )
                )
            elif not isinstance(item, LineDict):
                reader.error(_line(data, "ratings"), f"each rating of {what} must be a mapping")
        ids = [r.id for r in result]
        if len(set(ids)) != len(ids):
            reader.error(_line(data, "ratings"), f"ratings of {what} repeat an id")
        return tuple(result)

    def habit(self, reader: _Reader, data: LineDict, what: str, module: str, step_id: str) -> Habit | None:
        raw = data.get("habit")
        h_what = f"the habit of {what}"
        if reader.mapping(raw, _line(data, "habit"), h_what, HABIT_KEYS) is None or not isinstance(
            raw, LineDict
        ):
            return None
        habit_id = reader.slug(raw, "id", h_what)
        area = raw.get("area")
        if area not in HABIT_AREAS:
            reader.error(
                _line(raw, "area"), f"unknown area {area!r} for {h_what} (known: {', '.join(HABIT_AREAS)})"
            )
        habit = Habit(
            id=habit_id,
            area=str(area),
            name=reader.text(raw, "name", h_what) or "",
            prompt=reader.text(raw, "prompt", h_what) or "",
            module_slug=module,
            step_id=step_id,
        )
        if habit_id in self.habits:
            reader.error(
                _line(raw, "id"), f"habit id '{habit_id}' is already used in {self.habit_sources[habit_id]}"
            )
        else:
            self.habits[habit_id] = habit
            self.habit_sources[habit_id] = f"{reader.display}:{raw.line}"
        return habit

    def check_pacing_steps(self, modules: list[Module]) -> None:
        """A step only on the pacing path may not come in a week before the first question that can move a
        patient to that path: a patient moved there would find a week they had finished open again (the
        policy counts a week finished when every step of the patient's path is done)."""
        asks = next(
            (
                (index, module, step)
                for index, module in enumerate(modules)
                for step in module.steps
                if isinstance(step, Exercise) and any(spec.pem_question for spec in step.fields)
            ),
            None,
        )
        if asks is None:
            return
        first, asking_module, asking_step = asks
        for module in modules[:first]:
            for step in module.steps:
                if step.path == "pacing":
                    path, _, line = step.source.rpartition(":")
                    self.problems.append(
                        Problem(
                            path,
                            int(line),
                            f"step '{step.id}' is only on the pacing path, in a week before "
                            f"{asking_module.slug}/{asking_step.id}, which can move a patient to that path: "
                            "they would find this finished week open again. Use 'path: all', or move it.",
                        )
                    )

    def check_links(self, modules: dict[str, Module]) -> None:
        for link in self.links:
            target_module, target_step = split_step_link(link.href, link.module)
            module = modules.get(target_module)
            if module is None:
                link.reader.error(
                    link.line, f"link '{link.href}' points to an unknown module '{target_module}'"
                )
            elif module.step(target_step) is None:
                link.reader.error(
                    link.line,
                    f"link '{link.href}' points to an unknown step '{target_step}' of '{target_module}'",
                )


def load_catalog(root: Path | str, step_url: StepLinker = default_step_url) -> Catalog:
    """Load and validate the program folder; raise ContentError listing every problem."""
    return _Loader(Path(root), step_url).load()
