"""The recorded-guide player (templates/learn/_guide.html, course/static/guide.js) on the demo's somatic
tracking practice: nothing is fetched before play, it plays from the keyboard, its speeds work, it continues
where the person stopped, and listening to the end marks the step as practised."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, Request, expect
from sqlalchemy import select

from course.demo import demo_answers
from course.learn.services import save_step
from course.models import Enrollment, StepProgress, StepStatus, User
from tests.browser.support import Audit, LiveServer, sign_in
from tests.browser.test_listening import STUB_SPEECH, spoken

pytestmark = pytest.mark.browser

MODULE, STEP = "somatic-tracking", "first-tracking"


def at_the_practice(server: LiveServer, patient: User) -> None:
    """Weeks one and two done in their time, and the steps of week three before the practice."""
    catalog = server.catalog
    with server.app.app_context(), server.session() as db:
        enrollment = db.scalars(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
        enrollment.started_at = server.clock() - timedelta(days=15)
        for weeks_ago, slug in ((2, "alarm-system"), (1, "evidence")):
            done = server.clock() - timedelta(days=7 * weeks_ago, hours=-1)
            for step in catalog.module(slug).steps_for("standard"):
                save_step(db, enrollment, slug, step, demo_answers(step), complete=True, now=done)
        module = catalog.module(MODULE)
        for step in module.steps[: module.index_of(STEP)]:
            save_step(db, enrollment, MODULE, step, demo_answers(step), complete=True, now=server.clock())
        db.commit()


def wait_until(page: Page, condition: str, seconds: float = 10) -> None:
    """Wait until the page's `condition` holds (asked from outside: the page's CSP forbids eval)."""
    end = time.monotonic() + seconds
    while not page.evaluate(condition):
        assert time.monotonic() < end, f"still not true after {seconds} s: {condition}"
        page.wait_for_timeout(100)


def status_of(server: LiveServer, patient: User) -> StepStatus | None:
    with server.session() as db:
        progress = db.scalars(
            select(StepProgress)
            .join(Enrollment, Enrollment.id == StepProgress.enrollment_id)
            .where(Enrollment.patient_id == patient.id, StepProgress.step_id == STEP)
        ).one_or_none()
        return progress.status if progress else None


def open_practice(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> tuple[Page, list[str]]:
    """The practice page, and the list of audio requests it makes (filled as they happen)."""
    at_the_practice(server, patient)
    page = open_page()
    sign_in(page, server, patient.email)
    fetched: list[str] = []

    def seen(request: Request) -> None:
        if "/audio/" in request.url:
            fetched.append(request.url)

    page.on("request", seen)
    page.goto(f"{server.url}/learn/{MODULE}/{STEP}")
    return page, fetched


def test_guide_plays_from_the_keyboard_to_the_end_and_marks_the_step(
    server: LiveServer, open_page: Callable[..., Page], patient: User, audit: Audit
) -> None:
    page, fetched = open_practice(server, open_page, patient)
    audio = page.locator("audio.guide-audio")
    expect(audio).to_have_attribute("preload", "none")
    page.wait_for_timeout(300)
    assert fetched == []  # nothing loaded before play: the page weighs what it weighed
    audit(page, "recorded-guide player")

    # Speed from the keyboard: the pressed button says which is in use.
    faster = page.get_by_role("button", name="Faster (1.25 times)")
    faster.focus()
    page.keyboard.press("Enter")
    expect(faster).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Normal speed (1 times)")).to_have_attribute(
        "aria-pressed", "false"
    )
    assert page.evaluate("document.querySelector('audio.guide-audio').playbackRate") == 1.25

    # Play from the keyboard (the native controls answer Space), then jump to the last second.
    audio.focus()
    page.keyboard.press("Space")
    wait_until(page, "document.querySelector('audio.guide-audio').currentTime > 0.2")
    assert fetched, "play fetched the recording"
    assert status_of(server, patient) is None
    page.evaluate("(a => { a.currentTime = a.duration - 1; })(document.querySelector('audio.guide-audio'))")
    expect(page.locator(".guide-status")).to_have_text(
        "You listened to the end. This step is marked as done.", timeout=15_000
    )
    assert status_of(server, patient) == StepStatus.COMPLETE
    expect(page.get_by_role("heading", name="How was that?")).to_be_focused()
    key = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('guide:') && k !== 'guide:rate')")
    assert key == []  # finished: nothing to continue


def test_guide_continues_where_the_person_stopped(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    page, _ = open_practice(server, open_page, patient)
    audio = page.locator("audio.guide-audio")
    audio.focus()
    page.keyboard.press("Space")
    wait_until(page, "document.querySelector('audio.guide-audio').currentTime > 0.2")
    page.evaluate("(a => { a.currentTime = 42.5; })(document.querySelector('audio.guide-audio'))")
    wait_until(page, "document.querySelector('audio.guide-audio').currentTime >= 42.5")
    page.keyboard.press("Space")  # pause: the position is kept
    wait_until(page, "document.querySelector('audio.guide-audio').paused")

    page.goto(f"{server.url}/learn/{MODULE}/{STEP}")
    expect(page.locator(".guide-resume")).to_contain_text("You stopped at 0:42 last time.")
    page.locator("audio.guide-audio").focus()
    page.keyboard.press("Space")
    wait_until(page, "document.querySelector('audio.guide-audio').currentTime >= 42")
    expect(page.locator(".guide-resume")).to_be_hidden()
    assert status_of(server, patient) is None  # stopping half way marks nothing

    # "Start from the beginning" forgets the place.
    page.keyboard.press("Space")
    page.goto(f"{server.url}/learn/{MODULE}/{STEP}")
    page.get_by_role("button", name="Start from the beginning").click()
    expect(page.locator(".guide-resume")).to_be_hidden()
    expect(page.locator("audio.guide-audio")).to_be_focused()
    page.goto(f"{server.url}/learn/{MODULE}/{STEP}")
    expect(page.locator(".guide-resume")).to_be_hidden()


def test_without_javascript_the_guide_plays_and_the_button_marks_it(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """No script: the native player and the step's own button, nothing else."""
    at_the_practice(server, patient)
    page = open_page(java_script_enabled=False)
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/{MODULE}/{STEP}")
    expect(page.locator("audio.guide-audio[controls][preload=none]")).to_have_count(1)
    expect(page.locator(".guide-speeds")).to_have_count(0)
    page.get_by_role("button", name="I have done this practice").click()
    page.wait_for_load_state()
    assert status_of(server, patient) == StepStatus.COMPLETE


def test_listen_pauses_a_playing_guide(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """One voice at a time: starting "Listen" on a page whose recorded guide is playing pauses the guide."""
    at_the_practice(server, patient)
    page = open_page()
    page.add_init_script(STUB_SPEECH)
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/{MODULE}/{STEP}")
    page.locator("audio.guide-audio").focus()
    page.keyboard.press("Space")
    wait_until(page, "document.querySelector('audio.guide-audio').currentTime > 0.2")
    assert not page.evaluate("document.querySelector('audio.guide-audio').paused")

    page.get_by_role("button", name="Listen", exact=True).click()
    wait_until(page, "document.querySelector('audio.guide-audio').paused")
    assert spoken(page)[-1]["text"] == page.get_by_role("heading", level=1).inner_text()
