"""Eyes-closed practice (course/static/app.js): one big start button, the screen kept awake while the
practice runs, a soft chime at the end (a choice remembered), then the focus on a calm "How was that?" above
the ratings after the practice, which are saved as before. Wake Lock and Web Audio are stubs that record what
they were asked; a fake clock decides how time passes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.models import Enrollment, StepProgress, User
from course.steps.fields import field_name
from tests.browser.support import START, Audit, LiveServer, sign_in

pytestmark = pytest.mark.browser

STUBS = """
(() => {
  window.__wake = {requested: 0, released: 0};
  Object.defineProperty(navigator, 'wakeLock', {configurable: true, value: {
    request(type) {
      window.__wake.requested += 1;
      window.__wake.type = type;
      return Promise.resolve({release() { window.__wake.released += 1; return Promise.resolve(); }});
    },
  }});
  window.__tones = [];
  class FakeAudio {
    constructor() { this.currentTime = 0; this.destination = {}; this.state = 'running'; }
    createOscillator() {
      const tone = {type: '', frequency: {value: 0}, connect() {}, stop() {},
                    start: () => window.__tones.push(tone.frequency.value)};
      return tone;
    }
    createGain() {
      return {gain: {setValueAtTime() {}, exponentialRampToValueAtTime() {}}, connect() {}};
    }
    resume() { return Promise.resolve(); }
  }
  window.AudioContext = FakeAudio;
})();
"""


def practice_page(server: LiveServer, open_page: Callable[..., Page], patient: User) -> Page:
    """The breathing practice of week one, with the stubs."""
    server.complete_steps(patient, "alarm-system", 5)
    page = open_page()
    page.add_init_script(STUBS)
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/alarm-system/calm-breath")
    return page


def stop_time(page: Page) -> None:
    """A fake clock that moves only when told: the test, not the machine's speed, decides how time passes."""
    page.clock.install(time=START)
    page.clock.pause_at(START + timedelta(seconds=10))


def test_eyes_closed_practice_keeps_awake_chimes_and_asks_how_it_was(
    server: LiveServer, open_page: Callable[..., Page], patient: User, audit: Audit
) -> None:
    """Start, the screen stays awake; at the end it may sleep again, two soft tones sound, and the focus
    lands on "How was that?", right above the rating after the practice, saved with the one before."""
    page = practice_page(server, open_page, patient)
    step = server.catalog.module("alarm-system").step("calm-breath")
    rating = step.ratings[0]
    start = page.get_by_role("button", name="Start the practice")
    expect(start).to_be_visible()
    expect(page.get_by_label("Play a soft sound at the end")).to_be_checked()
    how = page.get_by_role("heading", name="How was that?")
    # The calm question comes right before the rating after the practice.
    assert page.evaluate(
        "(id) => document.getElementById('how-was-that').nextElementSibling.id === id",
        f"{field_name(rating.id)}_after",
    )
    audit(page, "eyes-closed practice before starting")
    stop_time(page)
    page.locator(f"input[name={field_name(rating.id)}_before][value='6']").check()

    start.click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    assert page.evaluate("window.__wake") == {"requested": 1, "released": 0, "type": "screen"}
    page.clock.run_for(step.minutes * 60_000)
    expect(page.get_by_role("timer")).to_have_text("0:00")
    expect(how).to_be_focused()
    expect(page.get_by_role("button", name="Start the practice")).to_be_visible()
    assert page.evaluate("window.__wake.released") == 1
    assert len(page.evaluate("window.__tones")) == 2
    expect(page.locator(".timer [aria-live=polite]")).to_have_text("Time is up. Take your time to finish.")

    page.locator(f"input[name={field_name(rating.id)}_after][value='3']").check()
    page.get_by_role("button", name="I have done this practice").click()
    page.wait_for_load_state()
    with server.session() as db:
        progress = db.scalars(
            select(StepProgress)
            .join(Enrollment, Enrollment.id == StepProgress.enrollment_id)
            .where(Enrollment.patient_id == patient.id, StepProgress.step_id == "calm-breath")
        ).one()
        assert progress.status.value == "complete"
        assert progress.answers[f"{rating.id}-before"] == 6
        assert progress.answers[f"{rating.id}-after"] == 3


def test_chime_choice_is_remembered_and_pausing_lets_the_screen_sleep(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """Turned off, no sound plays at the end, and it stays off on the next visit; a pause releases the
    screen and continuing takes it again."""
    page = practice_page(server, open_page, patient)
    page.get_by_label("Play a soft sound at the end").uncheck()
    page.goto(f"{server.url}/learn/alarm-system/calm-breath")
    expect(page.get_by_label("Play a soft sound at the end")).not_to_be_checked()
    stop_time(page)
    start = page.locator(".timer-controls button").first
    expect(start).to_have_text("Start the practice")
    start.click()
    page.clock.run_for(10_000)
    start.click()
    expect(start).to_have_text("Continue")
    assert page.evaluate("window.__wake.released") == 1
    start.click()
    assert page.evaluate("window.__wake.requested") == 2
    page.clock.run_for(3 * 60_000)
    expect(page.get_by_role("heading", name="How was that?")).to_be_focused()
    assert page.evaluate("window.__tones") == []
