"""Weeks that open at the patient's own midnight, in a real browser: the join form takes the browser's zone
where JavaScript runs, keeps the clinic's zone where it does not, and says the chosen zone in plain words."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from course.enrollment import create_invite
from course.models import Role
from tests.browser.support import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def join_link(server: LiveServer) -> Iterator[str]:
    """A fresh invite link, with the demo clinic's zone (America/Denver) as the clinic's default."""
    therapist = server.add_user(Role.THERAPIST)
    with server.session() as db:
        _invite, token = create_invite(
            db, therapist, patient_name=None, email=None, now=server.clock(), days=7
        )
        db.commit()
    before = server.app.config["COURSE_DEFAULT_TIMEZONE"]
    server.app.config["COURSE_DEFAULT_TIMEZONE"] = "America/Denver"
    try:
        yield f"{server.url}/auth/join/{token}"
    finally:
        server.app.config["COURSE_DEFAULT_TIMEZONE"] = before


def test_join_form_takes_the_browser_zone_and_says_it_in_words(
    open_page: Callable[..., Page], join_link: str
) -> None:
    page = open_page(timezone_id="Europe/Berlin")
    page.goto(join_link)
    zone = page.get_by_label("Your time zone")
    expect(zone).to_have_value("Europe/Berlin")
    words = page.locator("#timezone-words")
    expect(words).to_have_text("Weeks open at midnight, Berlin time.")
    zone.select_option("America/Argentina/Buenos_Aires")
    expect(words).to_have_text("Weeks open at midnight, Buenos Aires time.")
    # Sent back with errors, the person's own choice stays: the browser's zone does not replace it.
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(zone).to_have_value("America/Argentina/Buenos_Aires")
    expect(words).to_have_text("Weeks open at midnight, Buenos Aires time.")


def test_join_form_without_javascript_keeps_the_clinic_zone_in_words(
    open_page: Callable[..., Page], join_link: str
) -> None:
    page = open_page(timezone_id="Europe/Berlin", java_script_enabled=False)
    page.goto(join_link)
    expect(page.get_by_label("Your time zone")).to_have_value("America/Denver")
    expect(page.locator("#timezone-words")).to_have_text("Weeks open at midnight, Denver time.")
