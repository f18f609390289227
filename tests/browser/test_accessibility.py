"""Accessibility beyond axe-core: keyboard only, visible focus, errors tied to fields, text at 200%, reduced
motion, and a practice timer that can be paused."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from course.models import User
from tests.browser.support import DESKTOP, PHONE, START, Audit, LiveServer, sign_in

pytestmark = pytest.mark.browser

# Where focus is, and whether a sighted keyboard user can see it: an outline of at least 2px on the element
# (or on the label drawn for a visually replaced radio), inside the viewport.
_FOCUS_JS = """
(selector) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {none: true};
  const shown = el.matches('.scale-options input') ? el.nextElementSibling : el;
  const s = getComputedStyle(shown);
  const r = shown.getBoundingClientRect();
  return {
    none: false,
    matches: selector ? el.matches(selector) : false,
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight
      && r.left >= -1 && r.right <= innerWidth + 1,
    what: el.outerHTML.slice(0, 120),
  };
}
"""


def _check_focus(focus: dict[str, Any], page: Page) -> None:
    assert focus["outline"], f"no visible focus outline on {focus['what']} ({page.url})"
    assert focus["onScreen"], f"focused element is off screen: {focus['what']} ({page.url})"


def tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until `selector` has focus, checking that every stop on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS_JS, selector)
        if focus["none"]:
            continue
        _check_focus(focus, page)
        if focus["matches"]:
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def tab_through(page: Page, *, limit: int = 150) -> int:
    """Tab through every stop of the page once, checking each shows its focus; returns how many."""
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS_JS, None)
        if focus["none"]:
            if seen:
                return len(seen)
            continue
        if seen and focus["what"] == seen[0]:
            return len(seen)
        _check_focus(focus, page)
        seen.append(focus["what"])
    raise AssertionError(f"more than {limit} tab stops on {page.url}")


def _submit(value: str) -> str:
    return f"input[type=submit][value='{value}']"


def test_week_one_by_keyboard_alone(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """Sign in and work through all of week 1 with Tab, Enter, Space and typing: no mouse at all."""
    page = open_page(viewport=DESKTOP)
    page.goto(f"{server.url}/auth/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    _check_focus(page.evaluate(_FOCUS_JS, None), page)
    tab_to(page, "#email")
    page.keyboard.type(patient.email)
    tab_to(page, "#password")
    page.keyboard.type("correct horse battery")
    tab_to(page, _submit("Sign in"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Kim Park")

    tab_to(page, "a.button.big")
    page.keyboard.press("Enter")
    keyboard = page.keyboard
    for title in ("Safety first", "Your pain is real, and it is an alarm", "When the volume gets turned up"):
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        tab_to(page, _submit("Next"))
        keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("What my alarm says, what I now know")
    for box in ("#flare", "#alarm_says", "#now_know"):
        tab_to(page, box)
        keyboard.type("Typed with the keyboard.")
    tab_to(page, "input[name=worry_now]")
    keyboard.press("Space")  # the first number of the scale
    expect(page.locator("#worry_now-0")).to_be_checked()
    tab_to(page, _submit("Save and continue"))
    keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("What one study found")
    tab_to(page, _submit("Next"))
    keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Three minutes of calm breathing")
    start = page.locator(".timer-controls button").first
    tab_to(page, ".timer-controls button:first-child")
    keyboard.press("Space")
    expect(start).to_have_text("Pause")
    keyboard.press("Enter")
    expect(start).to_have_text("Continue")
    tab_to(page, _submit("I have done this practice"))
    keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check what you learned")
    for name in ("hurt_harm", "reversible", "emergency", "study"):
        tab_to(page, f"input[name={name}]")
        keyboard.press("Space")
        expect(page.locator(f"input[name={name}]").first).to_be_checked()
    tab_to(page, _submit("Check my answers"))
    keyboard.press("Enter")
    expect(page.locator("#feedback")).to_be_focused()
    expect(page.locator("#feedback .feedback-item")).to_have_count(4)

    tab_to(page, ".step-nav a[href$='/week-one-reflection']")
    keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Looking back on this week")
    tab_to(page, "textarea#text")
    keyboard.type("Pain can be real without damage.")
    tab_to(page, _submit("Save and continue"))
    keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("you have finished week 1")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_tab_stop_shows_where_focus_is(
    server: LiveServer, open_page: Callable[..., Page], patient: User, viewport: dict[str, int]
) -> None:
    """Tab through whole pages: every stop has a visible outline and is on screen."""
    server.complete_steps(patient, "alarm-system", 3)
    page = open_page(viewport=viewport)
    page.goto(f"{server.url}/auth/login")
    assert tab_through(page) >= 5
    sign_in(page, server, patient.email)
    for path in (
        "/learn/",
        "/learn/alarm-system",
        "/learn/alarm-system/alarm-or-damage",
        "/checkin",
        "/journal/new",
        "/evidence",
        "/help",
    ):
        page.goto(server.url + path)
        assert tab_through(page) >= 5, path


def test_errors_are_tied_to_their_fields_and_the_summary_leads_to_them(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """An invalid submit shows each error by its field (aria-describedby) and in a summary linking there."""
    page = open_page()
    page.goto(f"{server.url}/auth/login")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    for name, message in (
        ("email", "Please enter your email address."),
        ("password", "Please enter your password."),
    ):
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{name}")).to_have_attribute(
            "aria-describedby", re.compile(rf"\b{name}-error\b")
        )
        expect(page.locator(f"#{name}-error")).to_contain_text(message)
        expect(summary).to_contain_text(message)
    summary.get_by_role("link", name=re.compile("Please enter your password")).click()
    expect(page.locator("#password")).to_be_focused()

    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/checkin")
    page.locator("input[name=stress][value='2']").check()
    page.get_by_role("button", name="Save check-in").click()
    pain = page.locator("fieldset#pain")
    expect(pain).to_have_attribute("aria-describedby", re.compile(r"\bpain-error\b"))
    expect(page.locator("#pain-error")).to_contain_text("Please choose a number for your pain.")
    expect(pain.locator("input").first).to_have_attribute("aria-invalid", "true")
    expect(page.locator("input[name=stress][value='2']")).to_be_checked()  # what was typed is kept
    summary.get_by_role("link", name=re.compile("Pain right now")).click()
    expect(page.locator("#pain-0")).to_be_focused()


def test_list_exercise_rows_and_errors(
    server: LiveServer, open_page: Callable[..., Page], therapist: User, audit: Audit
) -> None:
    """The evidence log (a list of rows): a missing row is an error tied to the list; rows can be added."""
    patient = server.add_patient(therapist, days_ago=8)
    server.complete_steps(patient, "alarm-system", 8)
    server.complete_steps(patient, "evidence", 2)
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/evidence/evidence-log")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your evidence log")
    audit(page, "step (exercise with a list)")

    page.get_by_role("button", name="Save and continue").click()
    entries = page.locator("fieldset#entries")
    expect(entries).to_have_attribute("aria-describedby", re.compile(r"\bentries-error\b"))
    expect(page.locator("#entries-error")).to_contain_text("Please add at least 1")
    expect(page.locator("#error-summary")).to_contain_text("Your clues: Please add at least 1")
    audit(page, "step (exercise with a list) with errors")

    rows = page.locator("fieldset.list-row")
    expect(rows).to_have_count(1)
    rows.first.get_by_label("What happened?").fill("Pain eased while I watched a film.")
    page.get_by_role("button", name="Add another row").click()
    expect(rows).to_have_count(2)
    expect(rows.first.get_by_label("What happened?")).to_have_value("Pain eased while I watched a film.")
    expect(rows.nth(1).get_by_role("group").first).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What scans can and can't tell you")


_OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-wrap, .skip-link, .visually-hidden, svg')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width) continue;
    if (r.right > width + 1 || r.left < -1) wide.push(`${el.tagName.toLowerCase()}.${el.className}: ` +
      `${Math.round(r.left)}..${Math.round(r.right)} "${(el.textContent || '').trim().slice(0, 40)}"`);
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
}
"""


def test_text_at_200_percent_fits_a_phone_without_sideways_scrolling(
    server: LiveServer, open_page: Callable[..., Page], patient: User, therapist: User
) -> None:
    """Double the text size (as a browser setting would) at 390px: nothing is cut off or needs panning."""
    server.complete_steps(patient, "alarm-system", 3)
    page = open_page(viewport=PHONE)

    def check(path: str) -> None:
        page.goto(server.url + path)
        page.evaluate("() => { document.documentElement.style.fontSize = '225%'; }")  # 2 × the usual 112.5%
        assert page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") >= 35
        result = page.evaluate(_OVERFLOW_JS)
        assert result["scroll"] <= result["width"], f"{path} scrolls sideways at 200%: {result}"
        assert not result["wide"], f"{path} at 200%: {result['wide']}"

    check("/auth/login")
    sign_in(page, server, patient.email)
    for path in (
        "/learn/",
        "/learn/alarm-system",
        "/learn/alarm-system/safety-first",
        "/learn/alarm-system/alarm-or-damage",
        "/checkin",
        "/journal/",
        "/journal/new",
        "/evidence",
        "/help",
    ):
        check(path)
    page.context.clear_cookies()
    sign_in(page, server, therapist.email)
    for path in (
        "/clinic/",
        f"/clinic/patients/{patient.id}",
        f"/clinic/patients/{patient.id}/timeline",
        f"/clinic/patients/{patient.id}/print",
        "/clinic/invites",
    ):
        check(path)


_MOTION_JS = """
() => {
  const moving = [];
  for (const el of document.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    const durations = (s.transitionDuration + ',' + s.animationDuration).split(',').map(parseFloat);
    if ((s.animationName !== 'none' && parseFloat(s.animationDuration)) || durations.some((d) => d > 0)) {
      moving.push(el.tagName + '.' + el.className);
    }
  }
  return {
    reduce: matchMedia('(prefers-reduced-motion: reduce)').matches,
    scroll: getComputedStyle(document.documentElement).scrollBehavior,
    moving,
  };
}
"""


def test_reduced_motion_is_respected(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """With 'reduce motion' set, nothing on the pages transitions, animates or scrolls smoothly."""
    server.complete_steps(patient, "alarm-system", 5)
    page = open_page(reduced_motion="reduce")
    sign_in(page, server, patient.email)
    for path in ("/learn/", "/learn/alarm-system/calm-breath", "/checkin", "/journal/new"):
        page.goto(server.url + path)
        page.keyboard.press("Tab")
        result = page.evaluate(_MOTION_JS)
        assert result["reduce"]
        assert result["scroll"] == "auto", path
        assert not result["moving"], f"{path}: {result['moving']}"


def test_practice_timer_starts_pauses_continues_and_resets(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """The guided-practice timer can be paused (and it really stops), continued and reset."""
    server.complete_steps(patient, "alarm-system", 5)
    page = open_page()
    # A fake clock that moves only when told: the test, not the machine's speed, decides how time passes.
    page.clock.install(time=START)
    page.clock.pause_at(START + timedelta(seconds=10))
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/alarm-system/calm-breath")
    display = page.get_by_role("timer")
    start = page.locator(".timer-controls button").first
    expect(display).to_have_text("3:00")
    expect(page.locator(".no-js-only")).to_be_hidden()

    start.click()
    expect(start).to_have_text("Pause")
    page.clock.run_for(5_000)
    expect(display).to_have_text("2:55")

    start.click()
    expect(start).to_have_text("Continue")
    expect(page.locator(".timer [aria-live=polite]")).to_have_text("Practice paused")
    page.clock.run_for(30_000)
    expect(display).to_have_text("2:55")  # paused means paused

    start.click()
    page.clock.run_for(55_000)
    expect(display).to_have_text("2:00")
    expect(page.locator(".timer [aria-live=polite]")).to_have_text("2 minutes left")

    page.get_by_role("button", name="Reset").click()
    expect(display).to_have_text("3:00")
    expect(start).to_have_text("Start the practice")
    page.clock.run_for(10_000)
    expect(display).to_have_text("3:00")
