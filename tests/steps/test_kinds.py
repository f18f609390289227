"""Every kind of step has every part, and the parts agree: enumerated from the registry, so a new kind is
checked without being named here.

A kind (course/steps/kinds/<kind>.py) must be concrete (every method of Step), have its page partial
(templates/steps/<type>.html), appear in the fixture program, validate its content with file:line messages,
give back what its form was given, count every text field of its form as the patient's own words (the
crisis watch reads those), and be readable by the therapist as its `reading` says.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import wtforms
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from course import extensions
from course.clock import FrozenClock
from course.content.building import Build
from course.content.loader import default_step_url, load_catalog, load_step
from course.content.model import Answer, Step
from course.content.reading import Reader
from course.forms import is_free_text
from course.models import StepProgress, StepStatus, User
from course.steps.registry import KINDS
from course.yamlsource import parse_yaml
from tests.conftest import FIXTURE_PROGRAM, sign_in_as

ROOT = Path(__file__).parent.parent.parent
TEMPLATES = ROOT / "templates" / "steps"
PROGRAMS = {"fixture": FIXTURE_PROGRAM, "real": ROOT / "modules"}
COMMON_KEYS = {"id", "type", "title", "path", "added", "recall", "feedback"}


def steps_of(program: str) -> Iterator[tuple[str, Step]]:
    for module in load_catalog(PROGRAMS[program]).modules:
        for step in module.steps:
            yield module.slug, step


def every_step() -> list[Any]:
    return [
        pytest.param(step, id=f"{program}:{slug}/{step.id}")
        for program in PROGRAMS
        for slug, step in steps_of(program)
    ]


def plain_form(step: Step, **kwargs: Any) -> wtforms.Form:
    """The step's form on plain WTForms (no request needed)."""
    form_class = type("StepForm", (wtforms.Form,), step.form_fields())
    return form_class(**kwargs)


def form_post(step: Step, answers: dict[str, Any]) -> MultiDict[str, str]:
    """What a browser posts for these answers: the form's names, list rows as name-0-part."""
    posted: MultiDict[str, str] = MultiDict()
    for name, value in step.form_data(answers).items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    for part, cell in item.items():
                        if cell is not None:
                            posted.add(f"{name}-{index}-{part}", str(cell))
                else:
                    posted.add(name, str(item))
        elif value is not None:
            posted.add(name, str(value))
    return posted


def text_fields(form: wtforms.Form) -> Iterator[str]:
    """The names of every field a patient types their own words into, in list rows too."""
    for field in form:
        if isinstance(field, wtforms.FieldList):
            for entry in field.entries:
                yield from text_fields(entry.form)
        elif is_free_text(field):
            yield field.name


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_every_kind_has_every_part(kind: type[Step]) -> None:
    assert not inspect.isabstract(kind), f"{kind.__name__} lacks {sorted(kind.__abstractmethods__)}"
    assert (TEMPLATES / f"{kind.type}.html").is_file(), f"no page partial templates/steps/{kind.type}.html"
    assert kind.__doc__, kind
    assert all(isinstance(key, str) and isinstance(required, bool) for key, required in kind.KEYS.items())
    assert not COMMON_KEYS & set(kind.KEYS), "the common keys are read for every kind"
    fixture = {type(step) for _slug, step in steps_of("fixture")}
    assert kind in fixture, f"tests/fixtures/program uses no {kind.type} step, so the app tests never see one"


def test_every_partial_belongs_to_a_kind() -> None:
    partials = {path.stem for path in TEMPLATES.glob("*.html")}
    assert partials == set(KINDS)


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_every_kind_reports_unknown_and_missing_keys_with_lines(kind: type[Step], tmp_path: Path) -> None:
    text = f"id: x\ntype: {kind.type}\ntitle: T\nsurplus: 1\n"
    build = Build(tmp_path / "modules", default_step_url)
    reader = Reader(build.root, build.root / "m" / "module.yaml", build.problems)
    load_step(build, reader, parse_yaml(text).data, "m", 1)
    found = [str(problem) for problem in build.problems]
    known = ", ".join(sorted({*COMMON_KEYS, *kind.KEYS}))
    assert f"modules/m/module.yaml:4: unknown key 'surplus' in step 'x' (known: {known})" in found
    for key, required in kind.KEYS.items():
        assert (f"modules/m/module.yaml:1: step 'x' is missing '{key}'" in found) == required, (key, found)


@pytest.mark.parametrize("step", every_step())
def test_a_form_gives_back_the_answers_it_was_given(step: Step) -> None:
    answers = step.example_answers()
    form = plain_form(step, formdata=form_post(step, answers))
    assert form.validate(), form.errors
    assert step.answers_from_form(form) == answers
    assert not step.missing_required(form, answers)
    assert step.form_data(answers) == step.form_data(step.answers_from_form(form))


@pytest.mark.parametrize("step", every_step())
def test_every_text_field_of_a_form_is_read_as_the_patients_words(step: Step) -> None:
    """What the crisis watch reads (free_texts) is every field the patient can type into."""
    answers = step.example_answers()
    for name in text_fields(plain_form(step, formdata=form_post(step, answers))):
        posted = form_post(step, answers)
        posted.setlist(name, [f"words typed in {name}"])
        form = plain_form(step, formdata=posted)
        assert f"words typed in {name}" in step.free_texts(step.answers_from_form(form)), name


@pytest.mark.parametrize("step", every_step())
def test_reading_is_none_or_answers(step: Step) -> None:
    for answers in (step.example_answers(), {}):
        reading = step.reading(answers)
        assert reading is None or (reading and all(isinstance(a, Answer) and a.label for a in reading))


def test_every_step_of_every_kind_saves_shows_again_and_reads_to_the_therapist(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    """Through the app, on the fixture program (every kind): each step's page, an empty "Save and continue"
    refused exactly when the kind says something is missing, its example answers saved and shown again,
    and the therapist's page showing what each kind's reading gives."""
    therapist = make_therapist()
    patient = make_patient(therapist)
    sign_in_as(app, client, patient)
    catalog = extensions.catalog(app)
    seen: set[str] = set()
    for module in catalog.modules:
        for step in module.steps_for("standard"):
            url = f"/learn/{module.slug}/{step.id}"
            page = client.get(url)
            assert page.status_code == 200, url
            assert "<h1>" in page.data.decode()
            empty = plain_form(step, formdata=MultiDict())
            refused = step.missing_required(empty, step.answers_from_form(empty))
            status = client.post(url, data={"submit": "y"}).status_code
            assert status == (422 if refused else 302), (url, status)
            answers = step.example_answers()
            saved = client.post(
                url, data=MultiDict([*form_post(step, answers).items(multi=True), ("submit", "y")])
            )
            assert saved.status_code == 302, (url, saved.data.decode()[:2000])
            progress = db.scalar(
                select(StepProgress).where(
                    StepProgress.module_slug == module.slug, StepProgress.step_id == step.id
                )
            )
            assert progress is not None, url
            assert progress.status == StepStatus.COMPLETE, url
            shown = client.get(url).data.decode()
            for text in step.free_texts(answers):
                assert html.escape(text, quote=False) in shown, (url, text)
            seen.add(step.type)
        clock.advance(days=catalog.pace_days)  # the next week opens a week after this one is done
    assert seen == set(KINDS)
    sign_in_as(app, client, therapist)
    work = client.get(f"/clinic/patients/{patient.id}/work").data.decode()
    for module in catalog.modules:
        for step in module.steps_for("standard"):
            reading = step.reading(step.example_answers())
            assert (f'id="step-{module.slug}-{step.id}"' in work) == (reading is not None), step.id
            for answer in reading or ():
                assert html.escape(answer.label) in work, (step.id, answer.label)


ROLES_EXPECTED = {"anonymous": 302, "patient": 200, "therapist": 403, "admin": 403}


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_a_step_of_every_kind_opens_for_its_patient_only(
    app: Flask,
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
    clock: FrozenClock,
    kind: type[Step],
) -> None:
    """The access table (tests/app/test_access.py) opens one step; here a step of each kind, opened for the
    patient (every step done, every week open), answers each role as the player's row says."""
    catalog = extensions.catalog(app)
    therapist = make_therapist()
    patient = make_patient(therapist, started_at=clock() - timedelta(days=catalog.pace_days * 10))
    assert patient.enrollment is not None
    for module in catalog.modules:
        for step in module.steps:
            db.add(
                StepProgress(
                    enrollment_id=patient.enrollment.id,
                    module_slug=module.slug,
                    step_id=step.id,
                    status=StepStatus.COMPLETE,
                    answers={},
                    started_at=clock(),
                    updated_at=clock(),
                    completed_at=clock(),
                )
            )
    db.commit()
    slug, step = next(
        (m.slug, s) for m in catalog.modules for s in m.steps_for("standard") if type(s) is kind
    )
    people = {"patient": patient, "therapist": therapist, "admin": make_admin()}
    for role, expected in ROLES_EXPECTED.items():
        client = app.test_client()
        if role in people:
            sign_in_as(app, client, people[role])
        assert client.get(f"/learn/{slug}/{step.id}").status_code == expected, role
