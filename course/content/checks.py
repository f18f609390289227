"""Checks across the whole program, once every module is read: `step:` links, the pacing path's order, and
the evidence log's target. Pure: no Flask; every problem as file:line."""

from __future__ import annotations

from ..steps.kinds.exercise import Exercise
from ..yamlsource import LineDict
from .building import Build
from .model import EvidenceLog, Module
from .reading import Problem, Reader
from .render import split_step_link

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
