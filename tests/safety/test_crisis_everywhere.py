"""Crisis words are caught wherever a patient types, and crisis help is complete wherever it is shown.

The places are enumerated, not remembered: every free-text field of every step of the real program (on both
paths, so every kind of step the catalog has, checked against course.steps.registry), the check-in for today
and for a past day, the journal, and a census of every page a patient can open, which fails when a form with
free text appears that is not watched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course import extensions
from course.clock import FrozenClock
from course.content.model import FREE_TEXT_KINDS, Catalog
from course.journal.services import create_entry
from course.models import Alert, Enrollment, StepProgress, StepStatus, TryIt, User
from course.practice.tools import installed
from course.safety import RED_FLAGS, TIERS
from course.steps.kinds.exercise import Exercise
from course.steps.registry import KINDS
from tests.app.test_access import TABLE
from tests.conftest import sign_in_as
from tests.page_forms import PageForm, post_forms_with_free_text

PROGRAM = Path(__file__).parent.parent.parent / "modules"
EMERGENCY = "000-TEST"
CRISIS_LINE = "Call the Test Crisis Line on 13 11 14, any hour."
# The patient forms with free text, and the one service each calls (a new form must join this list).
WATCHED = {
    "learn.step",
    "tracking.checkin",
    "journal.new",
    "journal.edit",
    "practice.somatic",
    "practice.try_it",
    "practice.reappraise",
    "practice.booster",
    "messages.conversation",
}


def crisis_sentence(where: str) -> str:
    """Words that must raise the alert, different for each field (a repeat of earlier words raises none)."""
    return f"I keep thinking about ending my life ({where})"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **app_config,
        "COURSE_CONTENT_DIR": str(PROGRAM),
        "COURSE_EMERGENCY_NUMBER": EMERGENCY,
        "COURSE_CRISIS_LINE": CRISIS_LINE,
    }


def sign_in(client: FlaskClient, user: User) -> None:
    sign_in_as(client.application, client, user)


def alerts(db: Session) -> list[Alert]:
    db.expire_all()
    return list(db.scalars(select(Alert).order_by(Alert.id)))


def assert_no_words_in(alert: Alert, text: str) -> None:
    stored = json.dumps(alert.details)
    for word in ("ending", "life", text):
        assert word not in stored, (word, alert.details)


def main_of(html: str) -> str:
    found = re.search(r'<main id="main"[^>]*>(.*)</main>', html, re.S)
    assert found is not None
    return found.group(1)


def section(html: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert found is not None, f"no section {section_id}"
    return found.group(1)


def assert_crisis_panel_first(html: str, reason: str = "what you wrote") -> None:
    """The panel is the first thing in <main>, announced (role=alert), with the clinic's numbers."""
    main = main_of(html).lstrip()
    assert main.startswith('<section class="crisis-now" id="crisis-help"'), main[:200]
    panel = section(html, "crisis-help")
    assert 'role="alert"' in main[: main.index(">")]
    assert EMERGENCY in panel
    assert CRISIS_LINE in panel
    assert reason in panel


def assert_contacts(fragment: str) -> None:
    assert f"<strong>{EMERGENCY}</strong>" in fragment
    assert CRISIS_LINE in fragment


@pytest.fixture
def therapist(make_therapist: Callable[..., User]) -> User:
    return make_therapist()


def patient_with_everything_open(
    db: Session,
    make_patient: Callable[..., User],
    therapist: User,
    catalog: Catalog,
    now: datetime,
    pem: bool,
) -> User:
    """A patient whose every step on their path is complete (so every step page opens), with no answers."""
    started = now - timedelta(days=7 * len(catalog.modules) + 7)
    patient = make_patient(therapist, started_at=started, pem=pem)
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert enrollment is not None
    for week, module in enumerate(catalog.modules):
        for step in module.steps_for("pacing" if pem else "standard"):
            done = started + timedelta(days=7 * week, hours=1)
            db.add(
                StepProgress(
                    enrollment_id=enrollment.id,
                    module_slug=module.slug,
                    step_id=step.id,
                    status=StepStatus.COMPLETE,
                    answers={},
                    started_at=done,
                    updated_at=done,
                    completed_at=done,
                )
            )
    db.commit()
    return patient


def step_forms(client: FlaskClient, catalog: Catalog, path: str) -> Iterator[tuple[str, str, PageForm]]:
    """(url, step type, form) for every form with free text on every step page of the path."""
    for module in catalog.modules:
        for step in module.steps_for(path):
            url = f"/learn/{module.slug}/{step.id}"
            response = client.get(url)
            assert response.status_code == 200, url
            for form in post_forms_with_free_text(response.data.decode()):
                assert form.action in ("", url), (url, form.action)
                yield url, step.type, form


@pytest.mark.parametrize("path", ["standard", "pacing"])
def test_every_free_text_field_of_every_step_raises_the_alert(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    therapist: User,
    clock: FrozenClock,
    path: str,
) -> None:
    catalog: Catalog = extensions.catalog(app)
    patient = patient_with_everything_open(
        db, make_patient, therapist, catalog, clock(), pem=path == "pacing"
    )
    sign_in(client, patient)
    fields_seen: dict[str, int] = {}
    for url, step_type, form in list(step_forms(client, catalog, path)):
        button = "save" if "save" in form.buttons else "submit"
        for name in form.free_text:
            before = len(alerts(db))
            text = crisis_sentence(f"{url} {name}")
            page = client.post(url, data={name: text, button: "y"}, follow_redirects=True)
            assert page.status_code == 200, (url, name, page.status_code)
            assert_crisis_panel_first(page.data.decode())
            found = alerts(db)
            assert len(found) == before + 1, (url, name)
            alert = found[-1]
            assert alert.kind == "crisis"
            assert alert.details["source"] in ("step", "journal"), alert.details
            assert_no_words_in(alert, text)
            fields_seen[step_type] = fields_seen.get(step_type, 0) + 1
    # Every kind of step (course.steps.registry) whose answers hold the patient's words, as its steps on this
    # path say, was reached; and nothing else was.
    with_words = {
        s.type for m in catalog.modules for s in m.steps_for(path) if s.free_texts(s.example_answers())
    }
    assert with_words, "the program has no step that takes the patient's words: is free_texts broken?"
    assert with_words == set(fields_seen), fields_seen
    assert set(fields_seen) <= set(KINDS)


def test_a_step_answer_alert_says_where_and_links_the_step(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    therapist: User,
    clock: FrozenClock,
) -> None:
    catalog: Catalog = extensions.catalog(app)
    patient = patient_with_everything_open(db, make_patient, therapist, catalog, clock(), pem=False)
    sign_in(client, patient)
    module, step = next(
        (m, s)
        for m in catalog.modules
        for s in m.steps_for("standard")
        if isinstance(s, Exercise) and any(f.kind in FREE_TEXT_KINDS for f in s.fields)
    )
    url = f"/learn/{module.slug}/{step.id}"
    form = post_forms_with_free_text(client.get(url).data.decode())[0]
    text = "i want to hurt myself again"
    client.post(url, data={form.free_text[0]: text, "save": "y"}, follow_redirects=True)
    alert = alerts(db)[-1]
    assert alert.details == {
        "source": "step",
        "where": f"the step “{step.title}”",
        "module": module.slug,
        "step": step.id,
    }
    # Saving the same words again shows nothing new and raises no second alert.
    again = client.post(url, data={form.free_text[0]: text, "save": "y"}, follow_redirects=True)
    assert "crisis-help" not in again.data.decode()
    assert len(alerts(db)) == 1
    # The therapist's alert names the step and links to the patient's answers, without the words.
    therapist_client = app.test_client()
    sign_in(therapist_client, therapist)
    page = therapist_client.get(f"/clinic/patients/{patient.id}").data.decode()
    assert f"#step-{module.slug}-{step.id}" in page
    assert step.title in page
    assert text not in therapist_client.get("/clinic/alerts").data.decode()


@pytest.mark.parametrize("day", ["today", "yesterday"])
def test_checkin_notes_raise_the_alert(
    client: FlaskClient, db: Session, make_patient: Callable[..., User], clock: FrozenClock, day: str
) -> None:
    patient = make_patient()
    sign_in(client, patient)
    when = clock().date() - timedelta(days=1 if day == "yesterday" else 0)
    url = "/checkin" if day == "today" else f"/checkin/{when.isoformat()}"
    form = post_forms_with_free_text(client.get(url).data.decode())[0]
    assert form.free_text == ["note"]
    data = {"pain": "4", "note": "pain 6 today and honestly id rather be dead", "submit": "y"}
    page = client.post(url, data=data, follow_redirects=True)
    assert_crisis_panel_first(page.data.decode())
    (alert,) = alerts(db)
    assert alert.details == {"source": "check-in", "where": f"a check-in note ({when})", "day": str(when)}
    assert "dead" not in json.dumps(alert.details)


@pytest.mark.parametrize("pem", [False, True])
def test_every_free_text_field_of_the_practice_tools_raises_the_alert(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    therapist: User,
    clock: FrozenClock,
    pem: bool,
) -> None:
    """The somatic tracking log, a "try it" prediction (or paced plan) and its comparison, a pain thought and
    its answer: each free-text field found on the page, alone, raises the alert and shows the panel first."""
    catalog: Catalog = extensions.catalog(app)
    patient = patient_with_everything_open(db, make_patient, therapist, catalog, clock(), pem=pem)
    sign_in(client, patient)
    script = installed(app).somatic.scripts[0].id
    pages = [f"/practice/somatic/{script}", "/practice/try-it", "/practice/reappraise"]
    required = {
        "activity": "A walk",
        "prediction": "It will hurt",
        "plan": "Half",
        "thought": "I",
        "answer": "No",
    }
    numbers = {"predicted": "5", "actual": "3", "fear_before": "4"}
    for url in pages:
        (form,) = post_forms_with_free_text(client.get(url).data.decode())
        for name in form.free_text:
            data = {
                **numbers,
                **{n: required.get(n, "") for n in form.free_text},
                name: crisis_sentence(name),
            }
            page = client.post(url, data={**data, "submission_key": f"{url}-{name}"}, follow_redirects=True)
            assert_crisis_panel_first(page.data.decode())
    clock.advance(days=30)  # the first booster opens a month after the last week
    sign_in(client, patient)
    url = "/practice/booster/month-1"
    (form,) = post_forms_with_free_text(client.get(url).data.decode())
    assert form.free_text == ["what_helped", "practise"]
    for name in form.free_text:
        data = {"what_helped": "Tracking", name: crisis_sentence(f"booster {name}"), "submission_key": name}
        assert_crisis_panel_first(client.post(url, data=data, follow_redirects=True).data.decode())
    row = db.scalars(select(TryIt).where(TryIt.patient_id == patient.id)).first()
    assert row is not None
    url = f"/practice/try-it/{row.id}"
    (form,) = post_forms_with_free_text(client.get(url).data.decode())
    assert form.free_text == ["outcome"]
    page = client.post(
        url, data={"outcome": crisis_sentence("outcome"), "actual": "3"}, follow_redirects=True
    )
    assert_crisis_panel_first(page.data.decode())
    found = alerts(db)
    # The note; activity, prediction and plan; the thought and its answer; the booster's two; what happened.
    assert len(found) == 1 + 3 + 2 + 2 + 1
    assert {a.details["source"] for a in found} == {"practice"}
    for alert in found:
        assert_no_words_in(alert, "crisis")


def test_a_message_to_the_therapist_raises_the_alert(
    client: FlaskClient, db: Session, make_patient: Callable[..., User], therapist: User
) -> None:
    """The message form, found on the page: its one free-text field raises the alert, panel first."""
    sign_in(client, make_patient(therapist))
    (form,) = post_forms_with_free_text(client.get("/messages").data.decode())
    assert form.free_text == ["text"]
    page = client.post(
        "/messages",
        data={"text": crisis_sentence("to my therapist"), "submission_key": "m"},
        follow_redirects=True,
    )
    assert_crisis_panel_first(page.data.decode())
    (alert,) = alerts(db)
    assert alert.details["source"] == "message"
    assert alert.details["where"].startswith("a message to their therapist")
    assert_no_words_in(alert, "my therapist")


def test_journal_new_and_edit_raise_the_alert(
    client: FlaskClient, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient()
    sign_in(client, patient)
    page = client.post(
        "/journal/new", data={"text": "I've been saving up my pills", "key": "k1"}, follow_redirects=True
    )
    assert_crisis_panel_first(page.data.decode())
    entry = create_entry(db, patient, "A calm day.", now=clock()).entry
    db.commit()
    page = client.post(
        f"/journal/{entry.id}/edit",
        data={"text": "A calm day. But I'm going to hang myself", "revision": "1"},
        follow_redirects=True,
    )
    assert_crisis_panel_first(page.data.decode())
    found = alerts(db)
    assert [a.details["where"] for a in found] == ["a private journal entry"] * 2
    assert all("pills" not in json.dumps(a.details) and "hang" not in json.dumps(a.details) for a in found)


def test_every_patient_form_with_free_text_is_watched(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    therapist: User,
    clock: FrozenClock,
) -> None:
    """A census: every page a patient can open (the access table's GET rows and every step of the program),
    every form on it that posts free text, posts to a view in WATCHED (each tested above)."""
    catalog: Catalog = extensions.catalog(app)
    patient = patient_with_everything_open(db, make_patient, therapist, catalog, clock(), pem=False)
    entry = create_entry(db, patient, "Only for me", now=clock()).entry
    db.commit()
    sign_in(client, patient)
    urls = {
        row.url.format(entry_id=entry.id, private_entry_id=entry.id)
        for row in TABLE
        if row.method == "GET"
        and "{" not in row.url.replace("{entry_id}", "").replace("{private_entry_id}", "")
    }
    urls |= {f"/learn/{m.slug}/{s.id}" for m in catalog.modules for s in m.steps_for("standard")}
    urls |= {f"/checkin/{(clock().date() - timedelta(days=1)).isoformat()}"}
    adapter = app.url_map.bind("localhost")
    found = set()
    for url in sorted(urls):
        response = client.get(url)
        response.close()
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for form in post_forms_with_free_text(response.data.decode()):
            endpoint, _args = adapter.match(form.path(url), method="POST")
            found.add(endpoint)
    assert found, "the census found no form with free text: is the crawl broken?"
    assert found <= WATCHED, f"patient forms with free text that nothing watches: {sorted(found - WATCHED)}"
    assert {"learn.step", "tracking.checkin", "journal.new", "journal.edit"} <= found


def test_questionnaire_answer_shows_the_panel_with_its_reason(
    app: Flask, client: FlaskClient, db: Session, make_patient: Callable[..., User]
) -> None:
    patient = make_patient()
    sign_in(client, patient)
    measure = extensions.measures(app)["phq9"]
    data = {f"item_{item.id.replace('-', '_')}": "1" for item in measure.items}
    page = client.post("/measures/phq9/enrollment", data={**data, "submit": "y"}, follow_redirects=True)
    html = page.data.decode()
    assert_crisis_panel_first(html, reason="better off dead, or of hurting")
    assert len(alerts(db)) == 1


def test_footer_help_page_and_join_page_show_the_clinic_numbers(client: FlaskClient) -> None:
    for url in ("/auth/login", "/help"):
        assert_contacts(section(client.get(url).data.decode(), "crisis-footer"))
    assert_contacts(section(client.get("/help").data.decode(), "help-crisis"))


def test_join_page_shows_the_clinic_numbers(
    app: Flask, client: FlaskClient, db: Session, therapist: User, clock: FrozenClock
) -> None:
    from course.enrollment import create_invite

    _invite, token = create_invite(db, therapist, patient_name=None, email=None, now=clock(), days=7)
    db.commit()
    assert_contacts(section(client.get(f"/auth/join/{token}").data.decode(), "about-program"))


@pytest.mark.parametrize("tier", [tier.urgency for tier in TIERS])
def test_screening_result_for_each_tier_shows_its_signs_and_the_numbers(
    client: FlaskClient, db: Session, make_patient: Callable[..., User], tier: str
) -> None:
    patient = make_patient(screened=False)
    sign_in(client, patient)
    flags = [flag for flag in RED_FLAGS if flag.urgency == tier]
    answers = {f"flag_{f.id.replace('-', '_')}": "no" for f in RED_FLAGS}
    answers |= {f"flag_{f.id.replace('-', '_')}": "yes" for f in flags}
    client.post("/screening", data={**answers, "pem": "no"})
    html = client.get("/screening").data.decode()
    result = section(html, "screening-result")
    heading = next(t.heading for t in TIERS if t.urgency == tier)
    assert heading in result
    for flag in flags:
        assert flag.sign.replace('"', "&#34;") in result
    assert_contacts(section(html, "screening-crisis"))
    if tier == "emergency":
        assert EMERGENCY in result
    assert db.scalar(select(func.count(Alert.id)).where(Alert.kind == "red_flag")) == 1
