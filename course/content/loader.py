"""Load `modules/` into a Catalog, reporting every problem as `file:line: message` at once.

Pure: no Flask. `load_catalog(path)` returns the catalog or raises ContentError with all problems. This
module reads course.yaml and each module.yaml and the parts every step has; the rest is split by concern:
reading.py (a file's YAML and typed values, with lines), building.py (what a kind of step is given),
the kinds themselves (course/steps/kinds/), fieldspecs.py (fields and options), checks.py (links, the pacing
path's order, the evidence log), render.py and includes.py (Markdown).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..steps.registry import KINDS
from ..yamlsource import LineDict
from .building import Build, StepSource
from .checks import (
    check_added,
    check_links,
    check_pacing_steps,
    check_recalls,
    read_added,
    read_evidence_log,
    read_recall,
)
from .model import ALL_PATHS, COMPONENTS, PATHS, Catalog, Module, Step
from .reading import SLUG, ContentError, Problem, Reader
from .render import StepLinker

__all__ = ["ContentError", "Problem", "default_step_url", "load_catalog", "load_step"]

COURSE_KEYS = {"title": True, "pace_days": False, "modules": True, "evidence_log": False, "measures": False}
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


def default_step_url(module: str, step: str) -> str:
    """Where the player shows a step; the app passes the same pattern."""
    return f"/learn/{module}/{step}"


def load_catalog(root: Path | str, step_url: StepLinker = default_step_url) -> Catalog:
    """Load and validate the program folder; raise ContentError listing every problem."""
    build = Build(Path(root).resolve(), step_url)
    course_reader = build.reader(build.root / "course.yaml")
    raw = course_reader.load_yaml()
    if raw is None:
        raise ContentError(build.problems)
    course = course_reader.mapping(raw, 1, "the course", COURSE_KEYS)
    if course is None:
        raise ContentError(build.problems)
    title = course_reader.text(course, "title", "the course") or ""
    pace_days = course_reader.integer(course, "pace_days", "the course", 7, 1, 60)
    modules = _load_modules(build, course_reader, course)
    by_slug = {m.slug: m for m in modules}
    check_links(build, by_slug)
    check_pacing_steps(build, modules)
    check_added(build, modules)
    check_recalls(build, modules)
    evidence_log = read_evidence_log(course_reader, course, by_slug)
    for path in build.guides.unused():
        build.reader(path).error(1, "no step names this media file; remove it")
    if build.problems:
        raise ContentError(build.problems)
    return Catalog(
        title=title,
        pace_days=pace_days,
        modules=tuple(modules),
        habits=dict(build.habits),
        evidence_log=evidence_log,
        schedule_raw=course.get("measures"),
    )


def _load_modules(build: Build, course_reader: Reader, course: LineDict) -> list[Module]:
    """The modules course.yaml lists, in order, each from <slug>/module.yaml."""
    slugs = course.get("modules")
    modules: list[Module] = []
    if not isinstance(slugs, list) or not slugs:
        course_reader.error(course.line_of("modules"), "'modules' must be a list of module slugs")
        slugs = []
    seen: set[str] = set()
    for position, slug in enumerate(slugs, start=1):
        line = course.line_of("modules") + position
        if not isinstance(slug, str) or not SLUG.match(slug):
            course_reader.error(
                line, f"module {position} must be a slug (lowercase, digits, dashes): {slug!r}"
            )
            continue
        if slug in seen:
            course_reader.error(line, f"module '{slug}' is listed twice")
            continue
        seen.add(slug)
        folder = build.root / slug
        if not (folder / "module.yaml").is_file():
            course_reader.error(line, f"module '{slug}' is listed but {slug}/module.yaml does not exist")
            continue
        module = _load_module(build, folder, slug, position)
        if module is not None:
            modules.append(module)
    return modules


def _load_module(build: Build, folder: Path, expected_slug: str, position: int) -> Module | None:
    reader = build.reader(folder / "module.yaml")
    raw = reader.load_yaml()
    if raw is None:
        return None
    data = reader.mapping(raw, 1, "the module", MODULE_KEYS)
    if data is None:
        return None
    slug = reader.slug(data, "slug", "the module")
    if slug and slug != expected_slug:
        reader.error(data.line_of("slug"), f"slug '{slug}' must match its folder name '{expected_slug}'")
    slug = expected_slug
    week = reader.integer(data, "week", "the module", position, 1, 52)
    if "week" in data and week != position:
        reader.error(
            data.line_of("week"), f"week is {week} but the module is number {position} in course.yaml"
        )
    covers = reader.text_list(data, "covers", "the module")
    for word in covers:
        if word not in COMPONENTS:
            reader.error(
                data.line_of("covers"), f"unknown 'covers' word '{word}' (known: {', '.join(COMPONENTS)})"
            )
    objectives = reader.text_list(data, "objectives", "the module")
    references = reader.text_list(data, "references", "the module")
    steps: list[Step] = []
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        reader.error(data.line_of("steps"), "'steps' must be a non-empty list")
        raw_steps = []
    step_ids: set[str] = set()
    for raw_step in raw_steps:
        step = load_step(build, reader, raw_step, slug, data.line_of("steps"))
        if step is None:
            continue
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


def load_step(build: Build, reader: Reader, raw: Any, module: str, list_line: int) -> Step | None:
    """One step of a module: the parts every step has here, the rest read by its kind (course.steps.registry);
    None when it cannot be built."""
    if not isinstance(raw, LineDict):
        reader.error(list_line, "each step must be a mapping with id, type and title")
        return None
    step_type = raw.get("type")
    kind = KINDS.get(step_type) if isinstance(step_type, str) else None
    if kind is None:
        reader.error(raw.line_of("type"), f"unknown step type {step_type!r} (known: {', '.join(KINDS)})")
        return None
    keys = {
        "id": True,
        "type": True,
        "title": True,
        "path": False,
        "added": False,
        "recall": False,
        "feedback": False,
        **kind.KEYS,
    }
    what = f"step '{raw.get('id', '?')}'"
    if reader.mapping(raw, raw.line, what, keys) is None:
        return None
    step_id = reader.slug(raw, "id", what)
    if not step_id:
        return None
    title = reader.text(raw, "title", what) or ""
    path = raw.get("path")
    if path == ALL_PATHS:
        path = None
    elif path is not None and path not in PATHS:
        known = ", ".join((*PATHS, ALL_PATHS))
        reader.error(raw.line_of("path"), f"unknown path {path!r} for {what} (known: {known})")
        path = None
    common: dict[str, Any] = {
        "id": step_id,
        "title": title,
        "source": f"{reader.display}:{raw.line}",
        "path": path,
    }
    step = kind.load(StepSource(build, reader, raw, module, what, common))
    if "added" in raw or "recall" in raw:
        step = replace(step, added=read_added(reader, raw, what), recall=read_recall(reader, raw, what))
    if "audio" in raw:  # a recorded guide, for the kinds whose KEYS allow one (content/media.py)
        guide, messages = build.guides.read(reader.path.parent, raw["audio"], step)
        for message in messages:
            reader.error(raw.line_of("audio"), message)
        step = replace(step, audio=guide)
    if "feedback" in raw:
        step = _feedback(reader, raw, step, what)
    return step


def _feedback(reader: Reader, raw: LineDict, step: Step, what: str) -> Step:
    """A feedback moment: `feedback: true` holds the next step (after a module's last step, the next
    module), `feedback: module` the next module; only on a step whose answers the therapist can read."""
    value = raw["feedback"]
    line = raw.line_of("feedback")
    if value is False:
        return step
    if value is not True and value != "module":
        reader.error(
            line, f"'feedback' of {what} must be true (the next step waits) or module (the next module)"
        )
        return step
    if not step.collects_answers:
        reader.error(
            line,
            f"{what} is a {step.type}: only a step that collects answers the therapist can read "
            f"(an exercise, a check, a practice with ratings) can be a feedback moment",
        )
        return step
    return replace(step, feedback="step" if value is True else "module")
