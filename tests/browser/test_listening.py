"""Listening instead of reading (course/static/listen.js): the "Listen" control reads a step aloud with the
device's voices, block by block, with pause, resume, speed and a remembered voice. The browser's speech
synthesis is replaced by a stub the test drives, so what is "spoken" and when each block ends is known."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from course.models import User
from tests.browser.support import Audit, LiveServer, sign_in

pytestmark = pytest.mark.browser

# A speech synthesis that speaks nothing: it records each utterance and ends one only when the test says.
STUB_SPEECH = """
(() => {
  const spoken = [];
  const listeners = {};
  const synth = {
    speaking: false, paused: false, calls: [],
    speak(u) { spoken.push(u); this.speaking = true; this.calls.push('speak'); },
    pause() { this.paused = true; this.calls.push('pause'); },
    resume() { this.paused = false; this.calls.push('resume'); },
    cancel() {
      this.calls.push('cancel');
      const last = spoken[spoken.length - 1];
      if (last && !last.done) { last.done = true; last.onerror && last.onerror({error: 'interrupted'}); }
      this.speaking = false;
    },
    getVoices() {
      return [
        {name: 'Calm Voice', lang: 'en-GB', voiceURI: 'calm-voice', default: true},
        {name: 'Bright Voice', lang: 'en-US', voiceURI: 'bright-voice', default: false},
        {name: 'Voix', lang: 'fr-FR', voiceURI: 'voix', default: false},
      ];
    },
    addEventListener(name, fn) { (listeners[name] = listeners[name] || []).push(fn); },
  };
  class Utterance { constructor(text) { this.text = text; this.rate = 1; this.voice = null; } }
  Object.defineProperty(window, 'speechSynthesis', {value: synth, configurable: true});
  Object.defineProperty(window, 'SpeechSynthesisUtterance', {value: Utterance, configurable: true});
  window.__spoken = spoken;
  // The utterance being spoken ends, as a real voice would at the end of its text.
  window.__finish = () => {
    const last = spoken[spoken.length - 1];
    if (last && !last.done) { last.done = true; last.onend && last.onend({}); }
  };
})();
"""
NO_SPEECH = "delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;"


def spoken(page: Page) -> list[dict[str, object]]:
    """Every utterance so far: its text, rate and voice."""
    found: list[dict[str, object]] = page.evaluate(
        "() => window.__spoken.map(u => ({text: u.text, rate: u.rate, voice: u.voice && u.voice.voiceURI}))"
    )
    return found


def test_listen_reads_each_block_with_pause_resume_speed_and_voice(
    server: LiveServer, open_page: Callable[..., Page], patient: User, audit: Audit
) -> None:
    """The title is read first, then each paragraph in turn, the one being read marked for eyes and for
    screen readers; pause and resume reach the voice; a new speed re-reads the block at that speed; the
    voice chosen is remembered on the next page."""
    server.complete_steps(patient, "alarm-system", 1)
    page = open_page()
    page.add_init_script(STUB_SPEECH)
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/alarm-system/safety-first")
    title = page.get_by_role("heading", level=1)
    listen = page.get_by_role("button", name="Listen", exact=True)
    expect(listen).to_be_visible()
    paragraphs = page.locator("main .prose > *")
    first_paragraph = paragraphs.first.inner_text()

    listen.click()
    assert spoken(page)[-1]["text"] == title.inner_text()
    expect(title).to_have_class("reading")
    expect(title).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()

    page.evaluate("window.__finish()")
    assert spoken(page)[-1]["text"] == " ".join(first_paragraph.split())
    expect(paragraphs.first).to_have_attribute("aria-current", "true")
    expect(title).not_to_have_attribute("aria-current", "true")
    expect(page.locator("[aria-current=true]")).to_have_count(1)

    page.get_by_role("button", name="Pause").click()
    assert page.evaluate("window.speechSynthesis.paused")
    page.get_by_role("button", name="Resume").click()
    assert not page.evaluate("window.speechSynthesis.paused")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()

    page.get_by_text("Voice and speed").click()
    audit(page, "step with the read-aloud controls open")
    # Only voices in the page's language are offered.
    voices = page.get_by_label("Voice").locator("option")
    expect(voices).to_have_text(["The device's usual voice", "Calm Voice (en-GB)", "Bright Voice (en-US)"])
    count = len(spoken(page))
    page.get_by_label("Speed").select_option("1.25")
    after = spoken(page)
    assert len(after) == count + 1
    assert after[-1]["text"] == " ".join(first_paragraph.split())  # the same block again, faster
    assert after[-1]["rate"] == 1.25
    page.get_by_label("Voice").select_option("bright-voice")
    assert spoken(page)[-1]["voice"] == "bright-voice"
    expect(paragraphs.first).to_have_class("reading")

    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".reading")).to_have_count(0)
    expect(listen).to_be_visible()
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()

    # The whole page to the end: every block once, then the control says it has finished.
    listen.click()
    for _ in range(200):
        if not page.evaluate("document.querySelector('.reading') !== null"):
            break
        page.evaluate("window.__finish()")
    expect(page.locator(".listen [aria-live]")).to_have_text("Finished reading.")
    expect(listen).to_be_visible()

    page.goto(f"{server.url}/learn/alarm-system/pain-is-real")
    expect(page.get_by_label("Voice")).to_have_value("bright-voice")
    expect(page.get_by_label("Speed")).to_have_value("1.25")
    page.get_by_role("button", name="Listen", exact=True).click()
    assert spoken(page)[-1]["voice"] == "bright-voice"
    assert spoken(page)[-1]["rate"] == 1.25


def test_journal_prompt_is_read_aloud(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """A prompt step reads its question: the label of the box the answer goes in."""
    module = server.catalog.module("alarm-system")
    journal = next(step for step in module.steps if step.type == "journal")
    server.complete_steps(patient, "alarm-system", module.index_of(journal.id))
    page = open_page()
    page.add_init_script(STUB_SPEECH)
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/alarm-system/{journal.id}")
    page.get_by_role("button", name="Listen", exact=True).click()
    for _ in range(50):
        if page.evaluate("document.querySelector('.reading') === null"):
            break
        page.evaluate("window.__finish()")
    texts = [item["text"] for item in spoken(page)]
    assert " ".join(journal.prompt.split()) in texts


def test_no_listen_control_without_speech_synthesis(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """Where the browser cannot speak, nothing is offered that would not work."""
    page = open_page()
    page.add_init_script(NO_SPEECH)
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/alarm-system/safety-first")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".listen")).to_have_count(0)
    expect(page.get_by_role("button", name="Listen")).to_have_count(0)
