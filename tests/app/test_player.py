"""The patient's side: home, the path, the step player, validation, locks and pacing over time."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import extensions
from course.clock import FrozenClock
from course.db import dispose
from course.learn.routes import path_html
from course.models import JournalEntry, StepProgress, StepStatus, User
from course.pacing import OverrideEvent, program_state
from tests.conftest import sign_in_as


@pytest.fixture
def patient(make_patient: Callable[..., User], login: Callable[[User], None]) -> User:
    user = make_patient(timezone="America/Denver")
    login(user)
    return user


EXERCISE_OK = {
    "alarm_says": "It says my back is breaking.",
    "worry": "6",
    "kind": "stress",
    "feelings": ["Fear", "Calm"],
    "evidence-0-what": "Pain rose before a hard meeting",
    "evidence-0-kind": "Stress",
    "submit": "y",
}


def complete_week_one(client: Any) -> None:
    assert client.post("/learn/first/intro", data={"submit": "y"}).status_code == 302
    assert client.post("/learn/first/alarm", data=EXERCISE_OK).status_code == 302
    assert client.post("/learn/first/quiz", data={"hurt_harm": "no", "submit": "y"}).status_code == 302
    assert (
        client.post("/learn/first/reflect", data={"text": "Pain moved today.", "submit": "y"}).status_code
        == 302
    )


def progress(db: Session, step_id: str) -> StepProgress | None:
    db.expire_all()
    return db.scalar(select(StepProgress).where(StepProgress.step_id == step_id))


def test_home_shows_next_step_and_the_path(client: Any, patient: User) -> None:
    page = client.get("/learn/").data.decode()
    assert "What to do today" in page
    assert "Introduction" in page
    assert 'href="/learn/first/intro"' in page
    assert "Week 2: Second week" in page
    assert "Opens Monday 9 March at the earliest, once you finish week 1." in page
    assert "Opens after week 2" in page


def test_lesson_renders_sanitized_and_completes(client: Any, db: Session, patient: User) -> None:
    page = client.get("/learn/first/intro")
    assert page.status_code == 200
    assert b"<h2>Pain is real</h2>" in page.data
    assert b"<script>alert" not in page.data
    assert b"Step 1 of 4" in page.data
    response = client.post("/learn/first/intro", data={"submit": "y"})
    assert response.headers["Location"] == "/learn/first/alarm"
    saved = progress(db, "intro")
    assert saved is not None
    assert saved.status == StepStatus.COMPLETE


def test_step_ahead_of_order_is_locked_without_content(client: Any, patient: User) -> None:
    response = client.get("/learn/first/quiz")
    assert response.status_code == 403
    assert b"opens once you finish the steps before it" in response.data
    assert b"Does hurt always mean harm" not in response.data
    assert client.post("/learn/first/quiz", data={"hurt_harm": "no", "submit": "y"}).status_code == 403


def test_locked_module_by_url_shows_why_and_no_content(client: Any, patient: User) -> None:
    for url in ("/learn/second", "/learn/second/breathe", "/learn/third/last"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"not open yet" in response.data
        assert b"Breathe slowly" not in response.data
        assert b"You made it" not in response.data


def test_unknown_module_or_step_is_404(client: Any, patient: User) -> None:
    assert client.get("/learn/nope").status_code == 404
    assert client.get("/learn/first/nope").status_code == 404


def test_exercise_missing_required_keeps_typed_and_does_not_complete(
    client: Any, db: Session, patient: User
) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    data = {**EXERCISE_OK, "alarm_says": "", "evidence-0-what": "", "evidence-0-kind": ""}
    response = client.post("/learn/first/alarm", data=data)
    assert response.status_code == 422
    page = response.data.decode()
    assert "Please fill this in to finish this step." in page
    assert "Please add at least 1 to finish this step." in page
    assert re.search(r'<input checked id="worry-\d+" name="worry" type="radio" value="6">', page)
    assert progress(db, "alarm") is None


def test_exercise_partial_row_needs_its_required_part(client: Any, patient: User) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    data = {**EXERCISE_OK, "evidence-0-what": "", "evidence-1-what": "", "evidence-1-kind": "Moves"}
    response = client.post("/learn/first/alarm", data=data)
    assert response.status_code == 422
    assert "Row 1: please fill in “What happened”, or clear the row." in response.data.decode()


def test_exercise_oversized_answer_gets_limit_message_and_keeps_text(client: Any, patient: User) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    long_text = "x" * 150
    response = client.post("/learn/first/alarm", data={**EXERCISE_OK, "alarm_says": long_text})
    assert response.status_code == 422
    assert "Please keep this to 100 characters. It is 150 now" in response.data.decode()
    assert long_text.encode() in response.data


def test_exercise_out_of_range_values_refused(client: Any, patient: User) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    response = client.post("/learn/first/alarm", data={**EXERCISE_OK, "worry": "11", "kind": "bogus"})
    assert response.status_code == 422
    page = response.data.decode()
    assert "Please choose a number from 0 to 10." in page
    assert "Please choose one of the options." in page


def test_exercise_save_for_later_keeps_draft_then_completes(client: Any, db: Session, patient: User) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    draft = {"alarm_says": "Half a thought", "save": "y"}
    assert client.post("/learn/first/alarm", data=draft).status_code == 302
    saved = progress(db, "alarm")
    assert saved is not None
    assert saved.status == StepStatus.STARTED
    assert saved.answers["alarm-says"] == "Half a thought"
    assert b"Half a thought" in client.get("/learn/first/alarm").data
    assert client.get("/learn/first/quiz").status_code == 403  # a draft does not complete the step
    assert client.post("/learn/first/alarm", data=EXERCISE_OK).status_code == 302
    done = progress(db, "alarm")
    assert done is not None
    assert done.status == StepStatus.COMPLETE
    assert done.answers["evidence"] == [{"what": "Pain rose before a hard meeting", "kind": "Stress"}]
    assert done.answers["feelings"] == ["Fear", "Calm"]


def test_exercise_add_row_adds_without_saving(client: Any, db: Session, patient: User) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    data = {**EXERCISE_OK, "submit": "", "add_evidence": "y"}
    data.pop("submit")
    response = client.post("/learn/first/alarm", data=data)
    assert response.status_code == 200
    page = response.data.decode()
    assert 'name="evidence-1-what"' in page
    assert "Pain rose before a hard meeting" in page
    assert progress(db, "alarm") is None


def test_check_shows_explanations_after_answering(client: Any, patient: User) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    client.post("/learn/first/alarm", data=EXERCISE_OK)
    assert b"Hurt does not always mean harm." not in client.get("/learn/first/quiz").data
    missing = client.post("/learn/first/quiz", data={"submit": "y"})
    assert missing.status_code == 422
    assert b"Please choose an answer." in missing.data
    response = client.post("/learn/first/quiz", data={"hurt_harm": "yes", "submit": "y"})
    assert response.headers["Location"].endswith("/learn/first/quiz#feedback")
    page = client.get("/learn/first/quiz").data.decode()
    assert "Hurt does not always mean harm." in page
    assert "The answer that fits best:" in page


def test_journal_step_creates_private_entry_and_updates_it(client: Any, db: Session, patient: User) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    client.post("/learn/first/alarm", data=EXERCISE_OK)
    client.post("/learn/first/quiz", data={"hurt_harm": "no", "submit": "y"})
    empty = client.post("/learn/first/reflect", data={"text": "  ", "submit": "y"})
    assert empty.status_code == 422
    text = "Mi dolor cambió 🌧️ — שלום <b>bold</b>"
    assert client.post("/learn/first/reflect", data={"text": text, "submit": "y"}).status_code == 302
    client.post("/learn/first/reflect", data={"text": text + " more", "submit": "y"})
    entries = db.scalars(select(JournalEntry)).all()
    assert len(entries) == 1
    assert entries[0].text == text + " more"
    assert entries[0].prompt == "What surprised you?"
    assert entries[0].shared is False
    page = client.get("/learn/first/reflect").data.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<b>bold</b>" not in page


def test_week_two_opens_a_week_later_in_patients_zone(client: Any, patient: User, clock: FrozenClock) -> None:
    complete_week_one(client)
    home = client.get("/learn/").data.decode()
    assert "You are all caught up" in home
    # Enrolled Monday 2 March 2026 at 08:00 in Denver (15:00 UTC): week 2 opens Monday 9 March, 00:00 Denver.
    assert "Monday 9 March" in home
    assert client.get("/learn/second/breathe").status_code == 403
    # Denver moves to summer time on Sunday 8 March: Monday 00:00 there is 06:00 UTC.
    clock.advance(days=6, hours=14, minutes=59)  # Monday 9 March 05:59 UTC = Sunday 23:59 in Denver
    assert client.get("/learn/second/breathe").status_code == 403
    clock.advance(minutes=1)
    assert client.get("/learn/second/breathe").status_code == 200
    assert 'href="/learn/second/breathe"' in client.get("/learn/").data.decode()


def test_practice_and_habit_steps_save_ratings_and_choice(
    client: Any, db: Session, patient: User, clock: FrozenClock
) -> None:
    complete_week_one(client)
    clock.advance(days=8)
    page = client.get("/learn/second/breathe").data.decode()
    assert 'data-minutes="3"' in page
    assert "Breathe slowly." in page
    response = client.post(
        "/learn/second/breathe", data={"calm_before": "3", "calm_after": "7", "submit": "y"}
    )
    assert response.headers["Location"] == "/learn/second/wind-down"
    assert progress(db, "breathe").answers == {"calm-before": 3, "calm-after": 7}  # type: ignore[union-attr]
    assert client.post("/learn/second/wind-down", data={"submit": "y"}).status_code == 422
    assert client.post("/learn/second/wind-down", data={"adopt": "yes", "submit": "y"}).status_code == 302
    assert progress(db, "wind-down").answers == {"adopt": True}  # type: ignore[union-attr]


def test_resume_on_another_device_goes_to_same_step(app: Flask, client: Any, patient: User) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    client.post("/learn/first/alarm", data={"alarm_says": "draft", "save": "y"})
    phone = app.test_client()
    sign_in_as(app, phone, patient)
    home = phone.get("/learn/").data.decode()
    assert 'href="/learn/first/alarm"' in home
    assert "Continue" in home
    assert "draft" in phone.get("/learn/first/alarm").data.decode()


def test_progress_survives_editing_step_text(
    app_config: dict[str, Any], tmp_path: Any, client: Any, db: Session, patient: User, clock: FrozenClock
) -> None:
    import shutil

    from course import create_app

    client.post("/learn/first/intro", data={"submit": "y"})
    client.post("/learn/first/alarm", data={**EXERCISE_OK})
    edited = tmp_path / "edited"
    shutil.copytree(app_config["COURSE_CONTENT_DIR"], edited)
    module = edited / "first" / "module.yaml"
    module.write_text(
        module.read_text()
        .replace("title: What my alarm says", "title: Alarm, rewritten")
        .replace("What does your alarm say?", "In your words, what does the alarm say?")
    )
    (edited / "first" / "intro.md").write_text("## A new introduction\n\nAll new words.\n")
    new_app = create_app({**app_config, "COURSE_CONTENT_DIR": str(edited)})
    new_app.extensions["course.clock"] = clock
    browser = new_app.test_client()
    sign_in_as(new_app, browser, patient)
    page = browser.get("/learn/first/alarm").data.decode()
    assert "Alarm, rewritten" in page
    assert "It says my back is breaking." in page
    assert 'href="/learn/first/quiz"' in browser.get("/learn/").data.decode()
    dispose(new_app)


def test_finishing_last_step_of_week_says_so(client: Any, patient: User) -> None:
    complete_week_one(client)
    page = client.get("/learn/").data.decode()
    assert "you have finished week 1" in page


def _fresh_path(app: Flask, state: Any) -> str:
    # What learn/_path.html writes for this state now, without the remembered renderings.
    return render_template(
        "learn/_path.html",
        catalog=extensions.catalog(app),
        modules=state.modules,
        paused=state.paused,
    )


def test_the_remembered_path_is_what_the_template_writes_for_each_state(
    app: Flask, clock: FrozenClock
) -> None:
    catalog = extensions.catalog(app)
    outline = catalog.outline("standard")
    started = clock() - timedelta(days=10)
    zone = ZoneInfo("UTC")
    first_done = {(outline[0][0], step): started + timedelta(days=1) for step in outline[0][1]}
    states = [
        program_state(outline, started, zone, catalog.pace_days, {}, [], clock()),
        program_state(outline, started, zone, catalog.pace_days, first_done, [], clock()),
        program_state(
            outline, started, zone, catalog.pace_days, {}, [OverrideEvent("pause", started)], clock()
        ),
        program_state(
            outline, started, zone, catalog.pace_days, {}, [OverrideEvent("unlock_next", started)], clock()
        ),
    ]
    with app.test_request_context("/learn/"):
        seen = []
        for state in states * 2:  # the second time from what was remembered
            html = str(path_html(catalog, state))
            assert html == _fresh_path(app, state)
            seen.append(html)
        assert len(set(seen)) == len(states)  # each state its own rendering
        assert "Waiting: your program is paused." in seen[2]
        assert "opened early by your therapist" in seen[3]

        # A week that opens next year shows its year, until that year comes.
        clock.set(datetime(2026, 12, 30, 12, tzinfo=UTC))
        late = program_state(outline, clock() - timedelta(days=4), zone, catalog.pace_days, {}, [], clock())
        assert "2027" in str(path_html(catalog, late))
        clock.set(datetime(2027, 1, 1, 12, tzinfo=UTC))
        assert "2027" not in str(path_html(catalog, late))
        assert str(path_html(catalog, late)) == _fresh_path(app, late)


def test_home_path_follows_the_patients_progress(client: Any, patient: User) -> None:
    before = client.get("/learn/").data.decode()
    assert "0 of 4 steps done" in before
    assert client.post("/learn/first/intro", data={"submit": "y"}).status_code == 302
    after = client.get("/learn/").data.decode()
    assert "1 of 4 steps done" in after
