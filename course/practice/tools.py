"""PURE: the any-day practice tools as data (`<content dir>/practice.yaml`), and when each one opens.

A program without the file has no tools. Every problem in the file is reported at once as
`practice.yaml: where: what`, and stops start-up like a broken module does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask import Flask, current_app

from ..content.model import Catalog
from ..content.render import StepLinker, iter_links, render_markdown, split_step_link
from ..pacing import ProgramState, local_midnight_after

FILE = "practice.yaml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOMATIC = "somatic-tracking"
TRY_IT = "try-it"
REAPPRAISAL = "reappraisal"
BOOSTERS = "boosters"
OFFERED_DAYS = 30  # a booster is offered on the home page for this long after it opens
# A check-in's pain from which the reappraisal practice is offered next (when it is open).
HIGH_PAIN = 7
TOOL_KEYS = {
    SOMATIC: {"opens_after", "opens_with", "rating", "scripts", "references"},
    TRY_IT: {"opens_after", "opens_with", "references", "ladder"},
    REAPPRAISAL: {"opens_after", "opens_with", "references"},
    BOOSTERS: {"after", "flare_plan", "at", "references"},
}


class ToolsError(Exception):
    """practice.yaml cannot be used; `problems` lists everything wrong."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Opening:
    """When a tool opens: once a module is complete (`after`), or once it is open (`with`)."""

    module: str
    when: str  # "after" or "with"

    def is_open(self, state: ProgramState) -> bool:
        """Open for a patient in this state of their program."""
        module = state.module(self.module)
        if module is None:
            return False
        return module.is_done if self.when == "after" else module.is_open


@dataclass(frozen=True)
class Script:
    """One guided somatic tracking script."""

    id: str
    title: str
    minutes: int
    intro: str  # Markdown, as written
    intro_html: str
    text: str
    text_html: str


@dataclass(frozen=True)
class Rating:
    """The 0-10 fear rating asked before and after a practice."""

    label: str
    min_label: str
    max_label: str


@dataclass(frozen=True)
class Tool:
    """One any-day tool: when it opens, and its sources."""

    id: str
    opening: Opening
    references: tuple[str, ...]


@dataclass(frozen=True)
class Ladder:
    """Where the patient's fear ladder is: a list field of an exercise, its text and its 0-10 fear rating."""

    module: str
    step: str
    field: str
    text: str
    rating: str


@dataclass(frozen=True)
class TryItTool(Tool):
    """Predict, do, compare; it offers the steps of the patient's own fear ladder when the program has one."""

    ladder: Ladder | None = None


@dataclass(frozen=True)
class SomaticTool(Tool):
    """Somatic tracking any day: scripts and the fear rating."""

    rating: Rating
    scripts: tuple[Script, ...]

    def script(self, script_id: str) -> Script | None:
        """The script with this id, if the program has it."""
        return next((s for s in self.scripts if s.id == script_id), None)


@dataclass(frozen=True)
class Booster:
    """A short booster after the program: what helped, what to practise, the flare plan again."""

    id: str
    title: str
    days: int  # after the last week was finished


@dataclass(frozen=True)
class Boosters:
    """The boosters, counted from the day the program's last week (`after`) was finished."""

    after: str
    flare_plan: tuple[str, str] | None  # (module, step) of the patient's flare plan, shown again
    at: tuple[Booster, ...]
    references: tuple[str, ...]

    def booster(self, booster_id: str) -> Booster | None:
        """The booster with this id, if the program has it."""
        return next((b for b in self.at if b.id == booster_id), None)

    def opens_at(self, booster: Booster, state: ProgramState, zone: ZoneInfo) -> datetime | None:
        """When the booster opens for this patient: the local midnight `days` after the day they finished the
        last week, as the pacing policy counts days (None while that week is not finished)."""
        module = state.module(self.after)
        if module is None or module.completed_at is None:
            return None
        return local_midnight_after(module.completed_at, booster.days, zone)

    def open_now(self, state: ProgramState, zone: ZoneInfo, now: datetime) -> list[Booster]:
        """The boosters open at `now`, earliest first."""
        return [b for b in self.at if (at := self.opens_at(b, state, zone)) is not None and at <= now]

    def offered(self, state: ProgramState, zone: ZoneInfo, now: datetime) -> list[Booster]:
        """The boosters the home page offers: each for the 30 days from its opening (it stays open after)."""
        return [
            b
            for b in self.at
            if (at := self.opens_at(b, state, zone)) is not None
            and at <= now < at + timedelta(days=OFFERED_DAYS)
        ]


@dataclass(frozen=True)
class Tools:
    """The program's any-day tools (each None when the program does not offer it)."""

    somatic: SomaticTool | None = None
    try_it: TryItTool | None = None
    reappraisal: Tool | None = None
    boosters: Boosters | None = None

    def open_ids(self, state: ProgramState) -> frozenset[str]:
        """The tools open for a patient in this state."""
        tools: list[Tool | None] = [self.somatic, self.try_it, self.reappraisal]
        return frozenset(t.id for t in tools if t is not None and t.opening.is_open(state))


class _Reader:
    def __init__(self, catalog: Catalog, step_url: StepLinker) -> None:
        self.catalog = catalog
        self.step_url = step_url
        self.problems: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.problems.append(f"{FILE}: {where}: {message}")

    def text(self, raw: dict[str, Any], key: str, where: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            self.error(where, f"'{key}' must be some text")
            return ""
        return value.strip()

    def markdown(self, raw: dict[str, Any], key: str, where: str) -> tuple[str, str]:
        text = self.text(raw, key, where)
        for href, _line in iter_links(text):
            if href.startswith("step:"):
                module_slug, step_id = split_step_link(href, "")
                module = self.catalog.module(module_slug)
                if module is None or module.step(step_id) is None:
                    self.error(where, f"link '{href}' points to no step of the program")
        return text, render_markdown(text, "", self.step_url)

    def opening(self, raw: dict[str, Any], where: str) -> Opening:
        given = [(key, raw[key]) for key in ("opens_after", "opens_with") if key in raw]
        if len(given) != 1:
            self.error(where, "give exactly one of 'opens_after' or 'opens_with' (a module's slug)")
            return Opening("", "after")
        key, slug = given[0]
        if not isinstance(slug, str) or self.catalog.module(slug) is None:
            self.error(where, f"'{key}' names no module of the program: {slug!r}")
        return Opening(str(slug), "after" if key == "opens_after" else "with")

    def references(self, raw: dict[str, Any], where: str) -> tuple[str, ...]:
        refs = raw.get("references")
        if not isinstance(refs, list) or not refs or not all(isinstance(r, str) and r for r in refs):
            self.error(where, "'references' must list the sources the tool relies on")
            return ()
        return tuple(refs)

    def scripts(self, raw: Any) -> tuple[Script, ...]:
        if not isinstance(raw, list) or not raw:
            self.error(SOMATIC, "'scripts' must list at least one script")
            return ()
        scripts: list[Script] = []
        for position, item in enumerate(raw, start=1):
            where = f"{SOMATIC} script {position}"
            if not isinstance(item, dict):
                self.error(where, "must be a mapping with id, title, minutes, intro and script")
                continue
            unknown = set(item) - {"id", "title", "minutes", "intro", "script"}
            if unknown:
                self.error(where, f"unknown keys: {', '.join(sorted(unknown))}")
            script_id = item.get("id")
            if not isinstance(script_id, str) or not SLUG.match(script_id):
                self.error(where, f"'id' must be a slug (lowercase, digits, dashes): {script_id!r}")
                script_id = ""
            elif any(s.id == script_id for s in scripts):
                self.error(where, f"the id '{script_id}' is used twice")
            minutes = item.get("minutes")
            if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 60:
                self.error(where, "'minutes' must be a whole number from 1 to 60")
                minutes = 1
            intro, intro_html = self.markdown(item, "intro", where)
            text, text_html = self.markdown(item, "script", where)
            title = self.text(item, "title", where)
            scripts.append(Script(script_id, title, minutes, intro, intro_html, text, text_html))
        return tuple(scripts)

    def rating(self, raw: Any) -> Rating:
        if not isinstance(raw, dict):
            self.error(SOMATIC, "'rating' must give label, min_label and max_label")
            return Rating("", "", "")
        where = f"{SOMATIC} rating"
        return Rating(
            self.text(raw, "label", where),
            self.text(raw, "min_label", where),
            self.text(raw, "max_label", where),
        )

    def boosters(self, raw: dict[str, Any]) -> Boosters:
        after = raw.get("after")
        if not isinstance(after, str) or self.catalog.module(after) is None:
            self.error(BOOSTERS, f"'after' names no module of the program: {after!r}")
        flare_plan = None
        if "flare_plan" in raw:
            target = raw["flare_plan"]
            module_slug, _, step_id = str(target).partition("/")
            module = self.catalog.module(module_slug)
            if module is None or module.step(step_id) is None:
                self.error(BOOSTERS, f"'flare_plan' names no step of the program: {target!r}")
            flare_plan = (module_slug, step_id)
        boosters: list[Booster] = []
        items = raw.get("at")
        if not isinstance(items, list) or not items:
            self.error(BOOSTERS, "'at' must list the boosters (id, title, days)")
            items = []
        for position, item in enumerate(items, start=1):
            where = f"{BOOSTERS} {position}"
            if not isinstance(item, dict) or set(item) != {"id", "title", "days"}:
                self.error(where, "must give exactly id, title and days")
                continue
            days = item["days"]
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 730:
                self.error(where, "'days' must be a whole number from 1 to 730")
                continue
            if boosters and days <= boosters[-1].days:
                self.error(where, "boosters must come in order, each later than the one before")
            if not isinstance(item["id"], str) or not SLUG.match(item["id"]):
                self.error(where, f"'id' must be a slug: {item['id']!r}")
            boosters.append(Booster(str(item["id"]), self.text(item, "title", where), days))
        return Boosters(str(after), flare_plan, tuple(boosters), self.references(raw, BOOSTERS))

    def ladder(self, raw: Any) -> Ladder | None:
        where = f"{TRY_IT} ladder"
        if not isinstance(raw, dict) or set(raw) != {"step", "field", "text", "rating"}:
            self.error(where, "must give step (module/step), field, text and rating")
            return None
        module_slug, _, step_id = str(raw["step"]).partition("/")
        module = self.catalog.module(module_slug)
        step = module.step(step_id) if module else None
        list_field = next((f for f in getattr(step, "fields", ()) if f.id == raw["field"]), None)
        items = {f.id for f in getattr(list_field, "item_fields", ())}
        if list_field is None or not {raw["text"], raw["rating"]} <= items:
            self.error(
                where, f"names no list field with '{raw['text']}' and '{raw['rating']}' in {raw['step']!r}"
            )
            return None
        return Ladder(module_slug, step_id, str(raw["field"]), str(raw["text"]), str(raw["rating"]))

    def tools(self, raw: Any) -> Tools:
        if not isinstance(raw, dict):
            self.error("the file", "must be a mapping of tool names to tools")
            return Tools()
        for key in set(raw) - set(TOOL_KEYS):
            self.error(str(key), f"unknown tool (known: {', '.join(sorted(TOOL_KEYS))})")
        somatic: SomaticTool | None = None
        boosters: Boosters | None = None
        try_it: TryItTool | None = None
        others: dict[str, Tool] = {}
        for key, section in raw.items():
            if key not in TOOL_KEYS:
                continue
            if not isinstance(section, dict):
                self.error(key, "must be a mapping")
                continue
            for unknown in sorted(set(section) - TOOL_KEYS[key]):
                self.error(key, f"unknown key '{unknown}'")
            if key == BOOSTERS:
                boosters = self.boosters(section)
                continue
            opening = self.opening(section, key)
            references = self.references(section, key)
            if key == SOMATIC:
                rating = self.rating(section.get("rating"))
                scripts = self.scripts(section.get("scripts"))
                somatic = SomaticTool(key, opening, references, rating, scripts)
            elif key == TRY_IT:
                ladder = self.ladder(section["ladder"]) if "ladder" in section else None
                try_it = TryItTool(key, opening, references, ladder)
            else:
                others[key] = Tool(key, opening, references)
        return Tools(somatic=somatic, try_it=try_it, reappraisal=others.get(REAPPRAISAL), boosters=boosters)


def load_tools(root: Path | str, catalog: Catalog, step_url: StepLinker) -> Tools:
    """The tools in `<root>/practice.yaml` (none when the file is absent); ToolsError lists every problem."""
    path = Path(root) / FILE
    if not path.is_file():
        return Tools()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ToolsError([f"{FILE}: not valid YAML: {exc}"]) from None
    reader = _Reader(catalog, step_url)
    tools = reader.tools(raw)
    if reader.problems:
        raise ToolsError(reader.problems)
    return tools


_KEY = "course.practice"


def install(app: Flask, tools: Tools) -> None:
    """Keep the loaded tools on the app (practice.init_app, once)."""
    app.extensions[_KEY] = tools


def installed(app: Flask | None = None) -> Tools:
    """The practice tools loaded at start-up, for `app` or the current app."""
    tools: Tools = (app or current_app).extensions[_KEY]
    return tools
