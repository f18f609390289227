"""A conversation in a real browser on a phone-sized page: the patient writes, the therapist sees the count
in the header and on the caseload, reads and replies; the patient sees the reply and that their message was
read. axe-core on every page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from course.models import User
from tests.browser.support import Audit, LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_patient_writes_therapist_reads_and_replies_patient_sees_reply_and_receipt(
    server: LiveServer, open_page: Callable[..., Page], audit: Audit, therapist: User
) -> None:
    patient = server.add_patient(therapist, name="Robin Message")
    me = open_page()
    sign_in(me, server, patient.email)
    me.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
    expect(me.get_by_role("heading", level=1)).to_have_text("Messages with your therapist")
    expect(me.get_by_text("This is not for emergencies.")).to_be_visible()
    audit(me, "patient's messages, empty")
    me.get_by_role("button", name="Send message").click()
    expect(me.locator("#error-summary")).to_be_visible()
    audit(me, "patient's messages, with an error")
    me.get_by_label("Your message", exact=True).fill("The flare eased after the breathing practice.")
    me.get_by_role("button", name="Send message").click()
    me.wait_for_load_state()
    expect(me.locator("#latest")).to_contain_text("The flare eased")
    expect(me.locator("#latest")).to_contain_text("Not read yet")

    staff = open_page()
    sign_in(staff, server, therapist.email)
    nav = staff.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Messages 1 unread")).to_be_visible()
    staff.goto(f"{server.url}/clinic/")
    expect(staff.get_by_text("1 message waiting for your reply")).to_be_visible()
    nav.get_by_role("link", name="Messages 1 unread").click()
    staff.get_by_role("link", name="Robin Message").click()
    expect(staff.locator("#latest")).to_contain_text("The flare eased")
    audit(staff, "therapist's conversation")
    staff.get_by_label("Your message", exact=True).fill("Well done for noticing that. Keep going.")
    staff.get_by_role("button", name="Send message").click()
    staff.wait_for_load_state()
    expect(staff.locator("#latest")).to_contain_text("Well done for noticing")
    expect(staff.get_by_role("navigation", name="Main").get_by_role("link", name="Messages")).to_have_text(
        "Messages"
    )

    me.reload()
    expect(
        me.get_by_role("navigation", name="Main").get_by_role("link", name="Messages 1 unread")
    ).to_be_visible()
    expect(me.locator(".message-own")).to_contain_text("Read ")
    expect(me.locator("#latest")).to_contain_text("Well done for noticing")
    audit(me, "patient's messages with a reply")
    me.get_by_role("button", name="Mark as read").click()
    me.wait_for_load_state()
    expect(me.get_by_role("navigation", name="Main").get_by_role("link", name="Messages")).to_have_text(
        "Messages"
    )
