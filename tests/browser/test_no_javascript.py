"""Every patient page works with JavaScript turned off: the script only ever enhances."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from course.models import User
from tests.browser.support import LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_core_patient_journey_without_javascript(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """Sign in, lessons, an exercise, the practice, a check-in and a journal entry, with JavaScript off."""
    page = open_page(java_script_enabled=False)
    sign_in(page, server, patient.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Kim Park")

    page.get_by_role("link", name=re.compile("^Start")).click()
    for title in ("Safety first", "Your pain is real, and it is an alarm", "When the volume gets turned up"):
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        page.get_by_role("button", name="Next").click()

    # The exercise: an empty submit shows the errors (no script needed), then the answers go through.
    expect(page.get_by_role("heading", level=1)).to_have_text("What my alarm says, what I now know")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#flare-error")).to_contain_text("Please fill this in")
    page.get_by_label("What was going on when your pain flared?").fill("Carrying the shopping upstairs.")
    page.get_by_label("What did your alarm tell you at the time?").fill("Something is torn.")
    page.get_by_label("What do you now know that could explain it another way?").fill(
        "My alarm is sensitive."
    )
    page.locator("input[name=worry_then][value='8']").check()
    page.get_by_role("button", name="Save for later").click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    expect(page.locator("input[name=worry_then][value='8']")).to_be_checked()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("What one study found")
    page.get_by_role("button", name="Next").click()

    # The practice: without the script there is no timer, and a plain hint says to use one's own.
    expect(page.get_by_role("heading", level=1)).to_have_text("Three minutes of calm breathing")
    expect(page.locator(".no-js-only")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_count(0)
    page.get_by_role("button", name="I have done this practice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check what you learned")

    # The daily check-in.
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Check-in").click()
    page.get_by_label("5", exact=True).first.check()
    page.get_by_label("Hours of sleep last night").select_option("6.5")
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator(".flash")).to_contain_text("Check-in saved")

    # A journal entry, shared.
    nav.get_by_role("link", name="Journal").click()
    page.get_by_role("link", name="Write a new entry").click()
    page.get_by_label("Your entry").fill("Written without any script at all.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".entry-text")).to_have_text("Written without any script at all.")
    page.get_by_role("button", name="Share with my therapist").click()
    expect(page.locator(".flash")).to_contain_text("Shared with your therapist")

    # Edit it; the earlier version is kept.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Your entry").fill("Written without any script at all. Edited too.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".entry-text")).to_have_text("Written without any script at all. Edited too.")
    page.get_by_role("link", name="Earlier versions").click()
    expect(page.locator("main").get_by_role("heading", level=2)).to_have_count(2)

    # A questionnaire due at enrollment.
    page.goto(f"{server.url}/measures")
    page.get_by_role("link", name=re.compile("^Answer")).first.click()
    items = page.locator("form fieldset")
    for index in range(items.count()):
        items.nth(index).locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".flash")).to_contain_text("your answers are saved")

    # The other patient pages open and show their content.
    for link, heading in (
        ("Evidence", "Your own evidence"),
        ("Help now", "Help right now"),
        ("Journal", "Your journal"),
        ("Today", "Hello, Kim Park"),
    ):
        nav.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.goto(f"{server.url}/learn/alarm-system")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your alarm system")
    page.goto(f"{server.url}/habits")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your habits")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
