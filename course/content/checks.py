"""Checks across the whole program, once every module is read: `step:` links, the pacing path's order, the
evidence log's target, steps added later (`added:`) and earlier answers shown back (`recall:`). Pure: no
Flask; every problem as file:line."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..steps.kinds.exercise import Exercise
from ..yamlsource import LineDict
from .building import Build
from .model import PATHS, EvidenceLog, Module, Recall, Step
from .reading import Problem, Reader
from .render import split_step_link

RECALL_KEYS = {"answer": True, "label": True, "missing": False}
# The kinds of field a recall can show: the patient's own words, or the options they chose.
RECALLED_KINDS = ("text", "longtext", "choice", "multichoice")
EVIDENCE_LOG_KEYS = {"step": True, "field": True, "text": True, "when": False, "kind": False, "kinds": False}


def check_links(build: Build, modules: dict[str, Module]) -> None:
    """Every `step:` link names a module and a step of it."""
    for link in build.links:
        target_module, target_step = split_step_link(link.href, link.module)
        module = modules.get(target_module)
        if module is None:
            link.reader.error(link.line, f"link '{link.href}' points to an unknown module '{target_module}'")
        elif module.step(target_step) is None:
            link.reader.error(
                link.line,
                f"link '{link.href}' points to an unknown step '{target_step}' of '{target_module}'",
            )


def check_pacing_steps(build: Build, modules: list[Module]) -> None:
    """A step only on the pacing path may not come in a week before the first question that can move a
    patient to that path: a patient moved there would find a week they had finished open again (the
    policy counts a week finished when every step of the patient's path is done)."""
    asks = next(
        (
            (index, module, step)
            for index, module in enumerate(modules)
            for step in module.steps
            if step.pem_fields
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
                build.problems.append(
                    Problem(
                        path,
                        int(line),
                        f"step '{step.id}' is only on the pacing path, in a week before "
                        f"{asking_module.slug}/{asking_step.id}, which can move a patient to that path: "
                        "they would find this finished week open again. Use 'path: all', or move it.",
                    )
                )


def read_evidence_log(reader: Reader, course: LineDict, modules: dict[str, Module]) -> EvidenceLog | None:
    """Check that `evidence_log` names a list field of an exercise, and the row fields it fills."""
    raw = course.get("evidence_log")
    if raw is None:
        return None
    data = reader.mapping(raw, course.line_of("evidence_log"), "evidence_log", EVIDENCE_LOG_KEYS)
    if data is None:
        return None
    target = reader.text(data, "step", "evidence_log") or ""
    module_slug, _, step_id = target.partition("/")
    module = modules.get(module_slug)
    step = module.step(step_id) if module else None
    if not isinstance(step, Exercise):
        reader.error(
            data.line_of("step"), f"evidence_log step '{target}' is not an exercise (write module/step)"
        )
        return None
    field_id = reader.text(data, "field", "evidence_log") or ""
    list_field = next((f for f in step.fields if f.id == field_id and f.kind == "list"), None)
    if list_field is None:
        reader.error(
            data.line_of("field"), f"evidence_log field '{field_id}' is not a list field of '{target}'"
        )
        return None
    items = {f.id: f for f in list_field.item_fields}
    names = {}
    for key in ("text", "when", "kind"):
        name = reader.text(data, key, "evidence_log")
        if name is not None and name not in items:
            reader.error(
                data.line_of(key),
                f"evidence_log {key} '{name}' is not a field of the rows of '{field_id}'",
            )
        names[key] = name
    kinds = data.get("kinds") or {}
    kind_field = items.get(names["kind"] or "")
    if not isinstance(kinds, dict) or (kinds and kind_field is None):
        reader.error(
            data.line_of("kinds"), "evidence_log kinds needs 'kind' and must map statement ids to options"
        )
        kinds = {}
    for statement, option in kinds.items():
        if kind_field is not None and option not in {o.value for o in kind_field.options}:
            reader.error(
                data.line_of("kinds"), f"evidence_log kind '{option}' for '{statement}' is not an option"
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


def read_added(reader: Reader, raw: LineDict, what: str) -> date | None:
    """A step's `added:` date (YYYY-MM-DD), or None when it has none."""
    if "added" not in raw:
        return None
    value = raw["added"]
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    reader.error(raw.line_of("added"), f"'added' of {what} must be a date written YYYY-MM-DD: {value!r}")
    return None


def read_recall(reader: Reader, raw: LineDict, what: str) -> Recall | None:
    """A step's `recall:` (answer: module/step/field, label, missing), its target checked by
    `check_recalls` once every module is read."""
    if "recall" not in raw:
        return None
    line = raw.line_of("recall")
    data = reader.mapping(raw["recall"], line, f"'recall' of {what}", RECALL_KEYS)
    if data is None:
        return None
    target = reader.text(data, "answer", f"'recall' of {what}") or ""
    parts = target.split("/")
    label = reader.text(data, "label", f"'recall' of {what}") or ""
    missing = reader.text(data, "missing", f"'recall' of {what}")
    if len(parts) != 3 or not all(parts):
        reader.error(
            data.line_of("answer"), f"'recall' answer of {what} must be module/step/field: {target!r}"
        )
        return None
    return Recall(parts[0], parts[1], parts[2], label, missing, data.line_of("answer"))


def check_added(build: Build, modules: list[Module]) -> None:
    """On each path, a module keeps a step that was always there: a module of added steps only would be
    waived whole for a patient who had not started it."""
    for module in modules:
        for path in PATHS:
            steps = module.steps_for(path)
            if steps and all(step.added is not None for step in steps):
                _problem(
                    build,
                    steps[0],
                    f"every step of '{module.slug}' on the {path} path says 'added'; "
                    "a module needs at least one step without it",
                )


def check_recalls(build: Build, modules: list[Module]) -> None:
    """A `recall:` names a text or choice field of an exercise that comes before the step, in the same module
    or an earlier one, and that every patient who sees the step could have answered (same path)."""
    position = {module.slug: index for index, module in enumerate(modules)}
    for index, module in enumerate(modules):
        for step_index, step in enumerate(module.steps):
            recall = step.recall
            if recall is None:
                continue
            where = f"{recall.module_slug}/{recall.step_id}/{recall.field_id}"
            target_index = position.get(recall.module_slug)
            target_module = modules[target_index] if target_index is not None else None
            target = target_module.step(recall.step_id) if target_module else None
            if target_index is None or target_module is None or target is None:
                _problem(build, step, f"'recall' of step '{step.id}' names no step: '{where}'", recall.line)
                continue
            earlier = target_index < index or (
                target_index == index and module.index_of(target.id) < step_index
            )
            if not earlier:
                _problem(
                    build,
                    step,
                    f"'recall' of step '{step.id}' must name an earlier step: '{where}'",
                    recall.line,
                )
            field = next((f for f in _fields_of(target) if f.id == recall.field_id), None)
            if field is None or field.kind not in RECALLED_KINDS:
                _problem(
                    build,
                    step,
                    f"'recall' of step '{step.id}': '{where}' is not a field of kind "
                    f"{', '.join(RECALLED_KINDS)}",
                    recall.line,
                )
            if target.path is not None and target.path != step.path:
                _problem(
                    build,
                    step,
                    f"'recall' of step '{step.id}': '{where}' is only on the {target.path} path, and this "
                    "step is not",
                    recall.line,
                )


def _fields_of(step: Step) -> tuple[Any, ...]:
    """The top-level fields of a step built from fields (an exercise), else none."""
    return tuple(getattr(step, "fields", ()))


def _problem(build: Build, step: Step, message: str, line: int | None = None) -> None:
    path, _, step_line = step.source.rpartition(":")
    build.problems.append(Problem(path, line or int(step_line), message))
