"""Demo data that looks like people: varied, plausible answers per step and per demo person."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import extensions
from course.content.loader import load_catalog
from course.content.model import FREE_TEXT_KINDS, Catalog, Field, Step
from course.demo import PERSONS, WRITTEN, demo_answers
from course.learn.services import program_for
from course.models import PracticeLog, Reappraisal, StepProgress, TryIt, User
from course.practice.tools import REAPPRAISAL, TRY_IT
from course.safety import crisis_language
from course.steps.kinds.exercise import Exercise
from course.steps.kinds.journal import JournalStep

PROGRAM = Path(__file__).parent.parent.parent / "modules"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(PROGRAM)


def free_texts(step: Step, answers: dict[str, Any]) -> dict[str, str]:
    """Every free-text answer of a step, keyed by where it is."""
    found: dict[str, str] = {}

    def walk(fields: tuple[Field, ...], values: dict[str, Any], where: str) -> None:
        for spec in fields:
            value = values.get(spec.id)
            if spec.kind in FREE_TEXT_KINDS and isinstance(value, str):
                found[f"{where}.{spec.id}"] = value
            elif spec.kind == "list" and isinstance(value, list):
                for number, row in enumerate(value):
                    walk(spec.item_fields, row, f"{where}.{spec.id}[{number}]")

    if isinstance(step, Exercise):
        walk(step.fields, answers, step.id)
    elif isinstance(step, JournalStep) and isinstance(answers.get("text"), str):
        found[f"{step.id}.text"] = answers["text"]
    return found


def steps(catalog: Catalog) -> list[Step]:
    return [step for module in catalog.modules for step in module.steps]


def test_every_free_text_field_of_the_program_has_written_answers(catalog: Catalog) -> None:
    # Weeks 1 and 2, where most of the demo caseload is: one answer per person; later weeks: three.
    needed = {
        step.id: PERSONS if module.week <= 2 else 3 for module in catalog.modules for step in module.steps
    }
    missing = []
    for step in steps(catalog):
        fields = step.fields if isinstance(step, Exercise) else ()
        for spec in fields:
            texts = [spec] if spec.kind in FREE_TEXT_KINDS else []
            if spec.kind == "list" and any(item.kind in FREE_TEXT_KINDS for item in spec.item_fields):
                texts = [spec]
            for text in texts:
                written = WRITTEN.get(step.id, {}).get(text.id)
                if not isinstance(written, list) or len(written) < needed[step.id]:
                    missing.append(f"{step.id}.{text.id}")
        if isinstance(step, JournalStep) and len(WRITTEN.get(step.id, {}).get("text", [])) < needed[step.id]:
            missing.append(f"{step.id}.text")
    assert not missing, f"write an answer per demo person in course/demo_answers.yaml: {missing}"


def test_demo_answers_differ_between_fields_and_between_people(catalog: Catalog) -> None:
    """Within one person no sentence repeats; across people each field differs (among the first three, who
    wrote every week)."""
    by_person = []
    for person in range(PERSONS):
        texts: dict[str, str] = {}
        for step in steps(catalog):
            texts.update(free_texts(step, demo_answers(step, person)))
        # A sentence is never copied into a second field (a day such as "Sunday" may come up twice).
        sentences = [text for text in texts.values() if len(text.split()) >= 4]
        repeated = {text for text in sentences if sentences.count(text) > 1}
        assert not repeated, (person, repeated)
        by_person.append(texts)
    early = {step.id for module in catalog.modules if module.week <= 2 for step in module.steps}
    for where in by_person[0]:
        people = by_person if where.split(".")[0] in early else by_person[:3]
        answers = [texts.get(where) or "" for texts in people]
        if all(len(answer.split()) >= 4 for answer in answers):  # "not sure yet" may come from anyone
            assert len(set(answers)) == len(people), (where, answers)


def test_demo_answers_are_valid_and_never_read_as_a_crisis(catalog: Catalog) -> None:
    for person in range(PERSONS):
        for step in steps(catalog):
            answers = demo_answers(step, person)
            for where, text in free_texts(step, answers).items():
                assert text.strip(), where
                assert not crisis_language(text), (where, text)
            if isinstance(step, Exercise):
                for spec in step.fields:
                    value = answers[spec.id]
                    if spec.pem_question:
                        assert value == "no"
                    elif spec.kind == "choice":
                        assert value in {option.value for option in spec.options}, (step.id, spec.id)
                    elif spec.kind == "scale":
                        assert spec.min <= value <= spec.max
                    elif spec.kind == "list":
                        assert spec.min_items <= len(value) <= (spec.max_items or len(value)), (
                            step.id,
                            spec.id,
                        )
                        kinds = {item.id: item for item in spec.item_fields}
                        for row in value:
                            for item_id, cell in row.items():
                                item = kinds[item_id]
                                if item.kind == "choice":
                                    assert cell in {option.value for option in item.options}, (
                                        step.id,
                                        item_id,
                                    )


@pytest.fixture
def real_program(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["COURSE_CONTENT_DIR"] = str(PROGRAM)
    return app_config


def test_demo_caseload_answers_are_not_one_sentence(
    real_program: dict[str, Any], app: Flask, runner: Any, db: Session
) -> None:
    app.config["COURSE_ENV"] = "development"
    assert runner.invoke(args=["demo"]).exit_code == 0
    catalog: Catalog = extensions.catalog(app)
    sentences = []
    for progress in db.scalars(select(StepProgress)):
        module = catalog.module(progress.module_slug)
        step = module.step(progress.step_id) if module is not None else None
        if step is not None and progress.answers:
            sentences += [
                text for text in free_texts(step, progress.answers).values() if len(text.split()) >= 4
            ]
    assert len(sentences) > 50
    # Patients who share a demo person write alike; across the caseload, most answers are their own.
    assert len(set(sentences)) >= len(sentences) // 3, "demo answers repeat one another"
    assert len(set(sentences)) >= 80


def test_demo_patients_used_the_practice_tools_open_to_them(
    real_program: dict[str, Any],
    app: Flask,
    runner: Any,
    db: Session,
    client: Any,
    login: Callable[[User], None],
) -> None:
    app.config["COURSE_ENV"] = "development"
    assert runner.invoke(args=["demo"]).exit_code == 0
    logs = list(db.scalars(select(PracticeLog)))
    tries = list(db.scalars(select(TryIt)))
    thoughts = list(db.scalars(select(Reappraisal)))
    assert logs
    assert tries
    assert len(thoughts) >= 3
    assert all(t.compared_at is not None and t.actual is not None for t in tries)
    # Each person's own words, not one sentence for everyone.
    assert len({t.thought for t in thoughts}) == len(thoughts)
    assert len({log.note for log in logs if log.note}) >= 2 or len(logs) <= 3
    catalog: Catalog = extensions.catalog(app)
    for patient_id in {t.patient_id for t in tries} | {r.patient_id for r in thoughts}:
        patient = db.get(User, patient_id)
        assert patient is not None
        assert patient.enrollment is not None
        open_ids = app.extensions["course.practice"].open_ids(
            program_for(db, patient.enrollment, catalog, app.extensions["course.clock"]())
        )
        assert (TRY_IT in open_ids) or patient_id not in {t.patient_id for t in tries}
        assert (REAPPRAISAL in open_ids) or patient_id not in {r.patient_id for r in thoughts}
    # The finished patient's evidence page shows their experiments' predictions against what happened.
    finished = db.scalar(select(User).where(User.email == "patient1@example.org"))
    assert finished is not None
    login(finished)
    page = client.get("/evidence").data.decode()
    assert "you predicted" in page


def test_demo_patients_did_the_values_step_and_see_their_goal_again(
    real_program: dict[str, Any],
    app: Flask,
    runner: Any,
    db: Session,
    client: Any,
    login: Callable[[User], None],
) -> None:
    app.config["COURSE_ENV"] = "development"
    assert runner.invoke(args=["demo"]).exit_code == 0
    finished = db.scalar(select(User).where(User.email == "patient1@example.org"))
    assert finished is not None
    assert finished.enrollment is not None
    goal = next(
        p.answers["goal"]
        for p in finished.enrollment.progress
        if (p.module_slug, p.step_id) == ("evidence", "what-matters")
    )
    login(finished)
    page = client.get("/learn/movement/fear-ladder").data.decode()
    assert "Your goal from week 2" in page
    assert escape(goal) in page
