"""A feedback moment in a real browser, on the real program: the evidence log waits for the therapist's reply
before week 3 opens; the patient sees why and what to do meanwhile, the therapist sees it first and replies,
and the reply opens week 3; axe-core and the structure checks on every page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.demo import demo_answers
from course.learn.services import save_step
from course.models import Enrollment, User
from tests.browser.support import Audit, LiveServer, sign_in

pytestmark = pytest.mark.browser

REPLY = "Good clues. The meeting and the pain went together: keep noticing that."


def test_the_evidence_log_waits_for_the_reply_and_the_reply_opens_week_three(
    server: LiveServer, open_page: Callable[..., Page], audit: Audit, therapist: User
) -> None:
    patient = server.add_patient(therapist, name="Sam Waits", days_ago=15)
    with server.app.app_context(), server.session() as db:
        enrollment = db.scalars(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
        # Week 1 long done; week 2 (with its evidence log, a feedback moment) finished yesterday.
        for slug, when in (
            ("alarm-system", enrollment.started_at + timedelta(hours=1)),
            ("evidence", server.clock() - timedelta(days=1)),
        ):
            for step in server.catalog.module(slug).steps_for("standard"):
                save_step(db, enrollment, slug, step, demo_answers(step), complete=True, now=when)
        db.commit()
    week_three = server.catalog.module("somatic-tracking")

    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/")
    waiting = page.get_by_role("region", name="Waiting for your therapist's reply")
    expect(waiting).to_contain_text("Your evidence log")
    expect(waiting.get_by_role("link", name="Do your daily check-in")).to_be_visible()
    audit(page, "home, waiting for the reply")
    page.goto(f"{server.url}/learn/{week_three.slug}")
    expect(page.get_by_role("region", name="Waiting for your therapist's reply")).to_be_visible()
    audit(page, "week 3, held")
    page.goto(f"{server.url}/learn/evidence/evidence-log")
    expect(page.get_by_role("region", name="Waiting for your therapist's reply")).to_be_visible()
    audit(page, "the feedback step, waiting")

    staff = open_page()
    sign_in(staff, server, therapist.email)
    staff.goto(f"{server.url}/clinic/")
    expect(staff.locator(".signal-feedback")).to_contain_text("Feedback waiting, 1 day")
    staff.goto(f"{server.url}/clinic/patients/{patient.id}")
    panel = staff.get_by_role("region", name="Feedback waiting for your reply")
    panel.get_by_role("link", name="“Your evidence log”").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Your evidence log")
    audit(staff, "the therapist's reply page")
    staff.get_by_label("Your reply").fill(REPLY)
    staff.get_by_role("button", name="Send reply").click()
    staff.wait_for_load_state()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Sam Waits")

    page.goto(f"{server.url}/learn/")
    replied = page.get_by_role("region", name="Your therapist replied")
    expect(replied).to_contain_text(REPLY)
    audit(page, "home with the reply")
    page.goto(f"{server.url}/learn/{week_three.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(week_three.title)
