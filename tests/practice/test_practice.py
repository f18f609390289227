"""Practice any day: somatic tracking scripts with a practice log, and "try it" experiments.

Access for every role is in tests/app/test_access.py; crisis words in tests/safety/test_crisis_everywhere.py;
no lost words in tests/security/test_no_word_lost.py; erasure in tests/security/test_erasure.py.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import textstat
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course import extensions
from course.clock import FrozenClock
from course.content.loader import load_catalog
from course.content.model import Catalog
from course.models import (
    AuditEvent,
    BoosterAnswer,
    PracticeLog,
    Reappraisal,
    StepProgress,
    StepStatus,
    TryIt,
    User,
)
from course.practice.forms import (
    PACED_LABELS,
    PACED_PLAN_REQUIRED,
    BoosterForm,
    CompareForm,
    PracticeLogForm,
    ReappraisalForm,
    TryItForm,
)
from course.practice.tools import REAPPRAISAL, SOMATIC, Ladder, Opening, Tool, ToolsError, load_tools
from tests.conftest import sign_in_as
from tests.content.test_program import EXPOSURE, MAX_GRADE, plain_text

PROGRAM = Path(__file__).parent.parent.parent / "modules"


def link(module: str, step: str) -> str:
    return f"/learn/{module}/{step}"


@pytest.fixture(scope="module")
def program() -> Catalog:
    return load_catalog(PROGRAM)


def complete(db: Session, patient: User, catalog: Catalog, slug: str, at: Any) -> None:
    """Every step of a module complete, at a moment."""
    module = catalog.module(slug)
    assert module is not None
    assert patient.enrollment is not None
    for step in module.steps_for("pacing" if patient.enrollment.pem else "standard"):
        db.add(
            StepProgress(
                enrollment_id=patient.enrollment.id,
                module_slug=slug,
                step_id=step.id,
                status=StepStatus.COMPLETE,
                answers={},
                started_at=at,
                updated_at=at,
                completed_at=at,
            )
        )
    db.commit()


@pytest.fixture
def signed_in(app: Flask, client: Any) -> Callable[[User], Any]:
    def sign(user: User) -> Any:
        sign_in_as(app, client, user)
        return client

    return sign


def main_text(html: str) -> str:
    found = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


# The content


def test_program_offers_four_somatic_scripts_beyond_week_three(program: Catalog) -> None:
    tools = load_tools(PROGRAM, program, link)
    assert tools.somatic is not None
    assert tools.try_it is not None
    assert {"short", "longer", "flare", "pleasant"} <= {s.id for s in tools.somatic.scripts}
    assert tools.somatic.opening.module == "somatic-tracking"
    assert tools.somatic.opening.when == "after"
    assert tools.try_it.opening.module == "movement"
    assert tools.try_it.ladder == Ladder("movement", "fear-ladder", "ladder", "movement", "fear")
    assert tools.try_it.opening.when == "with"
    minutes = {s.id: s.minutes for s in tools.somatic.scripts}
    assert minutes["short"] < minutes["flare"] < minutes["longer"]
    assert all(tool.references for tool in (tools.somatic, tools.try_it))
    # The flare script is for known pain: it points to the warning signs, linked to the real step.
    flare = tools.somatic.script("flare")
    assert flare is not None
    assert 'href="/learn/alarm-system/safety-first"' in flare.intro_html


def test_every_practice_text_a_patient_reads_is_at_grade_8_or_below(program: Catalog) -> None:
    tools = load_tools(PROGRAM, program, link)
    assert tools.somatic is not None
    texts = {f"{s.id} intro": s.intro for s in tools.somatic.scripts}
    texts |= {f"{s.id} script": s.text for s in tools.somatic.scripts}
    rating = tools.somatic.rating
    texts["rating"] = f"{rating.label} {rating.min_label}. {rating.max_label}."
    # The forms' labels and hints, on both paths.
    labels = []
    for form_class in (PracticeLogForm, TryItForm, CompareForm, ReappraisalForm, BoosterForm):
        for name in dir(form_class):
            unbound = getattr(form_class, name)
            if hasattr(unbound, "field_class") and unbound.args:
                labels.append(str(unbound.args[0]).rstrip(".?") + ".")
                if unbound.kwargs.get("description"):
                    labels.append(unbound.kwargs["description"])
    texts["labels"] = " ".join(labels)
    texts["pacing labels"] = " ".join(f"{label} {hint}" for label, hint in PACED_LABELS.values())
    texts["pacing labels"] += " " + PACED_PLAN_REQUIRED
    grades = {name: textstat.flesch_kincaid_grade(plain_text(text)) for name, text in texts.items()}
    assert not {name: g for name, g in grades.items() if g > MAX_GRADE}, grades


def test_the_pacing_path_wording_never_speaks_of_exposure() -> None:
    words = " ".join(f"{label} {hint}" for label, hint in PACED_LABELS.values()) + PACED_PLAN_REQUIRED
    assert not EXPOSURE.findall(words)
    assert not re.search(r"\bmore\b(?! than you planned)", words.replace("not about doing more", ""))


def test_tool_file_problems_are_all_reported(tmp_path: Path, program: Catalog) -> None:
    (tmp_path / "practice.yaml").write_text(
        "somatic-tracking:\n"
        "  opens_after: no-such-week\n"
        "  colour: blue\n"
        "  rating: {label: Fear, min_label: None, max_label: Lots}\n"
        "  references: [A source]\n"
        "  scripts:\n"
        "    - {id: one, title: One, minutes: 0, intro: 'See [x](step:nowhere/none)', script: Breathe.}\n"
        "    - {id: one, title: Two, minutes: 3, intro: Hi, script: ''}\n"
        "try-it:\n"
        "  references: [A source]\n"
        "  ladder: {step: first/alarm}\n"
        "bogus: {}\n"
    )
    with pytest.raises(ToolsError) as caught:
        load_tools(tmp_path, program, link)
    problems = "\n".join(caught.value.problems)
    for expected in (
        "'opens_after' names no module of the program: 'no-such-week'",
        "unknown key 'colour'",
        "'minutes' must be a whole number from 1 to 60",
        "link 'step:nowhere/none' points to no step of the program",
        "the id 'one' is used twice",
        "'script' must be some text",
        "try-it: give exactly one of 'opens_after' or 'opens_with'",
        "try-it ladder: must give step (module/step), field, text and rating",
        "bogus: unknown tool",
    ):
        assert expected in problems, problems
    assert all(p.startswith("practice.yaml: ") for p in caught.value.problems)


def test_a_program_without_the_file_has_no_tools(tmp_path: Path, program: Catalog) -> None:
    tools = load_tools(tmp_path, program, link)
    assert tools.somatic is None
    assert tools.try_it is None


# Somatic tracking any day


def test_somatic_practice_opens_when_its_week_is_done_and_home_offers_it(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    patient = make_patient()
    client = signed_in(patient)
    assert "Somatic tracking</a>" not in client.get("/learn/").data.decode()
    locked = client.get("/practice/somatic/short")
    assert locked.status_code == 403
    assert "opens once you finish week 1, “First week”" in locked.data.decode()
    assert "These practices open once you finish week 1" in client.get("/practice").data.decode()

    complete(db, patient, extensions.catalog(app), "first", clock())
    home = client.get("/learn/").data.decode()
    assert "Practise now" in home
    assert 'href="/practice"' in home
    assert "Try it" not in home  # opens with week 2, not open yet
    page = client.get("/practice/somatic/short")
    assert page.status_code == 200
    html = page.data.decode()
    assert "Before you start: How afraid do you feel? (optional)" in html
    assert 'href="/learn/first/intro"' in html  # the script's own link


def test_a_practice_is_logged_once_with_fear_before_and_after(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    patient = make_patient(timezone="America/Denver")
    complete(db, patient, extensions.catalog(app), "first", clock())
    client = signed_in(patient)
    data = {
        "fear_before": "7",
        "fear_after": "3",
        "note": "It moved to my hip — then eased",
        "submission_key": "k",
    }
    first = client.post("/practice/somatic/short", data=data)
    assert first.status_code == 302
    assert first.headers["Location"].endswith("/practice")
    again = client.post("/practice/somatic/short", data=data)  # a double submit
    assert again.status_code in (302, 303)
    logs = list(db.scalars(select(PracticeLog)))
    assert [(log.fear_before, log.fear_after, log.note) for log in logs] == [
        (7, 3, "It moved to my hip — then eased")
    ]
    assert logs[0].day == clock().astimezone(patient_zone(patient)).date()
    page = main_text(client.get("/practice").data.decode())
    assert re.search(r"A short practice 7 3 It moved to my hip — then eased", page), page
    # Ratings are optional: a practice with none is logged too.
    assert client.post("/practice/somatic/short", data={"submission_key": "k2"}).status_code == 302
    assert db.scalar(select(func.count()).select_from(PracticeLog)) == 2


def patient_zone(patient: User) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(patient.timezone)


def test_a_bad_rating_is_refused_and_keeps_every_word(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    patient = make_patient()
    complete(db, patient, extensions.catalog(app), "first", clock())
    client = signed_in(patient)
    page = client.post("/practice/somatic/short", data={"fear_before": "11", "note": "Words I wrote"})
    assert page.status_code == 422
    html = page.data.decode()
    assert "Please choose a number from 0 to 10." in html
    assert "Words I wrote" in html
    assert db.scalar(select(func.count()).select_from(PracticeLog)) == 0


# Try it: predict, do, compare


def open_week_two(app: Flask, db: Session, patient: User, clock: FrozenClock) -> None:
    complete(db, patient, extensions.catalog(app), "first", clock())
    clock.advance(days=7)


def test_try_it_predicts_compares_and_shows_on_the_evidence_page(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    patient = make_patient()
    client = signed_in(patient)
    assert client.get("/practice/try-it").status_code == 403
    open_week_two(app, db, patient, clock)
    assert "Try it" in client.get("/learn/").data.decode()
    form = client.get("/practice/try-it").data.decode()
    assert "What do you think will happen?" in form
    assert "fear ladder" in form
    missing = client.post("/practice/try-it", data={"activity": "Bend to tie my shoes"})
    assert missing.status_code == 422
    assert "Please write what you think will happen." in missing.data.decode()
    assert "Bend to tie my shoes" in missing.data.decode()
    data = {
        "activity": "Bend to tie my shoes",
        "prediction": "My back will lock up",
        "predicted": "8",
        "sure": "70",
        "plan": "My alarm is careful. I can go slowly.",
        "submission_key": "t1",
    }
    assert client.post("/practice/try-it", data=data).status_code == 302
    row = db.scalar(select(TryIt))
    assert row is not None
    assert (row.pacing, row.predicted, row.sure, row.compared_at) == (False, 8, 70, None)
    assert "you predicted" not in client.get("/evidence").data.decode()

    compare = client.get(f"/practice/try-it/{row.id}").data.decode()
    assert "My back will lock up" in compare
    assert "What happened?" in compare
    done = client.post(f"/practice/try-it/{row.id}", data={"outcome": "Stiff, then fine", "actual": "4"})
    assert done.status_code == 302
    evidence = main_text(client.get("/evidence").data.decode())
    assert "Bend to tie my shoes : you predicted 8, it was 4." in evidence
    assert "Predicted 8, it was 4." in main_text(client.get("/practice").data.decode())
    # A second save corrects it, and the form shows what was saved.
    again = client.get(f"/practice/try-it/{row.id}").data.decode()
    assert "Stiff, then fine</textarea>" in again
    (checked,) = re.findall(r'<input checked[^>]*name="actual"[^>]*>', again)
    assert 'value="4"' in checked


def test_on_the_pacing_path_the_same_tool_plans_within_energy(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    patient = make_patient(pem=True)
    client = signed_in(patient)
    open_week_two(app, db, patient, clock)
    home = client.get("/learn/").data.decode()
    assert "Plan a paced activity" in home
    assert "Try it" not in home
    page = client.get("/practice/try-it").data.decode()
    assert "How much energy do you think it will take?" in page
    assert not EXPOSURE.findall(main_text(page)), EXPOSURE.findall(main_text(page))
    practice = main_text(client.get("/practice").data.decode())
    assert not EXPOSURE.findall(practice)
    assert "Do these sitting or lying down." in practice  # somatic tracking within the pacing plan
    data = {
        "activity": "A shower",
        "prediction": "I'll need to lie down",
        "predicted": "6",
        "submission_key": "p",
    }
    refused = client.post("/practice/try-it", data=data)
    assert refused.status_code == 422
    assert PACED_PLAN_REQUIRED in refused.data.decode()
    assert "I&#39;ll need to lie down" in refused.data.decode()
    assert client.post("/practice/try-it", data={**data, "plan": "Sit down for it"}).status_code == 302
    row = db.scalar(select(TryIt))
    assert row is not None
    assert row.pacing
    assert row.plan == "Sit down for it"
    compare = client.get(f"/practice/try-it/{row.id}").data.decode()
    assert "How was your energy afterwards, and the next day?" in compare
    assert "plan less next time" in compare
    client.post(f"/practice/try-it/{row.id}", data={"outcome": "Foggy the next day", "actual": "7"})
    # A paced plan is not an experiment against fear: the evidence page does not score it.
    assert "you predicted" not in client.get("/evidence").data.decode()


def test_someone_elses_experiment_is_not_found(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    owner, other = make_patient(), make_patient()
    row = TryIt(patient_id=owner.id, activity="A walk", prediction="Pain", predicted=8)
    db.add(row)
    db.commit()
    client = signed_in(other)
    assert client.get(f"/practice/try-it/{row.id}").status_code == 404
    assert client.post(f"/practice/try-it/{row.id}", data={"outcome": "x", "actual": "1"}).status_code == 404
    db.refresh(row)
    assert row.outcome is None


# The therapist, the export


def test_the_therapist_reads_their_patients_logs_read_only_and_audited(
    app: Flask,
    db: Session,
    make_patient: Callable[..., User],
    make_therapist: Callable[..., User],
    signed_in: Any,
    clock: FrozenClock,
) -> None:
    therapist = make_therapist()
    patient = make_patient(therapist)
    db.add(
        PracticeLog(
            patient_id=patient.id,
            tool=SOMATIC,
            script_id="short",
            day=clock().date(),
            fear_before=6,
            fear_after=2,
        )
    )
    db.add(TryIt(patient_id=patient.id, activity="Carry shopping", prediction="Agony", predicted=9, actual=3))
    db.add(Reappraisal(patient_id=patient.id, thought="It is damage", answer="It moved sides"))
    db.add(BoosterAnswer(patient_id=patient.id, booster_id="month-1", what_helped="The log"))
    db.commit()
    client = signed_in(therapist)
    html = client.get(f"/practice/patients/{patient.id}").data.decode()
    text = main_text(html)
    assert "It is damage" in text
    assert "What helped: The log" in text
    assert "A short practice 6 2" in text
    assert "Carry shopping" in text
    assert not re.search(r'<form[^>]*method="post"(?![^>]*/auth/logout)', html.split("<main", 1)[1])
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "practice_viewed"))
    assert event is not None
    assert (event.actor_id, event.patient_id) == (therapist.id, patient.id)


def test_the_patients_export_holds_every_practice_and_experiment(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    patient = make_patient()
    db.add(
        PracticeLog(patient_id=patient.id, tool=SOMATIC, script_id="flare", day=clock().date(), note="Ça va")
    )
    db.add(
        TryIt(
            patient_id=patient.id, pacing=True, activity="Cook", prediction="Tired", predicted=5, plan="Sit"
        )
    )
    db.commit()
    archive = zipfile.ZipFile(io.BytesIO(signed_in(patient).get("/account/export.zip").data))
    data = json.loads(archive.read("practice.json"))
    assert [(p["script"], p["note"]) for p in data["somatic_tracking"]] == [("flare", "Ça va")]
    assert [(t["kind"], t["activity"], t["plan"]) for t in data["try_it"]] == [
        ("paced activity plan", "Cook", "Sit")
    ]


# Reappraisal any day


def test_a_high_pain_check_in_leads_to_answering_a_pain_thought(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    patient = make_patient()
    client = signed_in(patient)
    low = client.post("/checkin", data={"pain": "6", "submission_key": "a"})
    assert low.headers["Location"].endswith("/learn/")
    high = client.post("/checkin", data={"pain": "7", "submission_key": "b"})
    assert high.headers["Location"].endswith("/practice/reappraise?after=checkin")
    page = client.get(high.headers["Location"]).data.decode()
    assert "Your pain is high today." in page


def test_the_check_in_leads_nowhere_new_while_the_practice_is_closed(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any
) -> None:
    patient = make_patient()
    client = signed_in(patient)
    tools = app.extensions["course.practice"]
    closed = Tool(REAPPRAISAL, Opening("second", "with"), ("A source",))
    app.extensions["course.practice"] = replace(tools, reappraisal=closed)
    assert client.get("/practice/reappraise").status_code == 403
    high = client.post("/checkin", data={"pain": "9", "submission_key": "c"})
    assert high.headers["Location"].endswith("/learn/")


def test_a_pain_thought_is_answered_with_the_patients_own_evidence(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    patient = make_patient()
    client = signed_in(patient)
    client.post("/learn/first/intro", data={"submit": "y"})
    client.post(
        "/learn/first/alarm",
        data={"alarm_says": "x", "evidence-0-what": "Worse on a stressful Monday", "save": "y"},
    )
    db.add(
        TryIt(patient_id=patient.id, activity="Lift the kettle", prediction="Agony", predicted=8, actual=3)
    )
    db.commit()
    row = db.scalar(select(TryIt))
    assert row is not None
    row.compared_at = clock()
    db.commit()
    page = main_text(client.get("/practice/reappraise").data.decode())
    assert "Worse on a stressful Monday" in page
    assert "Lift the kettle: you predicted 8, it was 3." in page
    refused = client.post("/practice/reappraise", data={"thought": "This means my back is damaged"})
    assert refused.status_code == 422
    assert "Please write an answer from your evidence." in refused.data.decode()
    assert "This means my back is damaged" in refused.data.decode()
    data = {
        "thought": "This means my back is damaged",
        "belief_before": "80",
        "answer": "It was worse on a stressful day. My alarm reacts to stress.",
        "belief_after": "50",
        "submission_key": "r",
    }
    assert client.post("/practice/reappraise", data=data).status_code == 302
    assert client.post("/practice/reappraise", data=data).status_code in (302, 303)  # a double submit
    (saved,) = db.scalars(select(Reappraisal)).all()
    assert (saved.belief_before, saved.belief_after) == (80, 50)
    listed = main_text(client.get("/practice").data.decode())
    assert "This means my back is damaged (believed 80%)" in listed
    assert "(then believed 50%)" in listed


def test_try_it_offers_the_steps_of_the_patients_own_fear_ladder(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Any, clock: FrozenClock
) -> None:
    patient = make_patient()
    client = signed_in(patient)
    open_week_two(app, db, patient, clock)
    alarm = db.scalar(select(StepProgress).where(StepProgress.step_id == "alarm"))
    assert alarm is not None
    alarm.answers = {
        "evidence": [{"what": "Bend to tie my shoes", "kind": "Moves"}, {"what": "Carry the shopping"}]
    }
    db.commit()
    page = client.get("/practice/try-it").data.decode()
    ladder = re.search(r'<section[^>]*aria-labelledby="ladder-heading".*?</section>', page, re.S)
    assert ladder is not None
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', ladder.group(0)) == [
        ("/practice/try-it?activity=Bend+to+tie+my+shoes", "Bend to tie my shoes"),
        ("/practice/try-it?activity=Carry+the+shopping", "Carry the shopping"),
    ]
    chosen = client.get("/practice/try-it?activity=Carry+the+shopping").data.decode()
    assert re.search(r'<input[^>]*name="activity"[^>]*value="Carry the shopping"', chosen)


def test_the_ladder_step_points_to_try_it_once_the_tool_is_open(
    app: Flask, db: Session, make_patient: Callable[..., User], signed_in: Callable[[User], Any], clock: Any
) -> None:
    # The fixture program's ladder is first/alarm; "try it" opens with week 2.
    catalog = extensions.catalog(app)
    patient = make_patient(started_at=clock() - timedelta(days=10))
    client = signed_in(patient)
    assert "Open “Try it”" not in client.get("/learn/first/alarm").data.decode()
    complete(db, patient, catalog, "first", clock() - timedelta(days=9))
    page = client.get("/learn/first/alarm").data.decode()
    assert "Try a step of your ladder" in page
    assert 'href="/practice/try-it"' in page
    assert "Open “Try it”" not in client.get("/learn/first/intro").data.decode()  # only on the ladder's step
