"""Practice any day in a real browser: offered on the home page once week 3 is done, a somatic tracking
script with its timer and fear ratings, the log, and answering a pain thought; axe-core on every page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.models import Enrollment, StepProgress, StepStatus, User
from tests.browser.support import Audit, LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_practise_now_somatic_script_log_and_a_pain_thought(
    server: LiveServer, open_page: Callable[..., Page], audit: Audit, therapist: User
) -> None:
    patient = server.add_patient(therapist, name="Lee Practice", days_ago=22)
    with server.session() as db:
        enrollment = db.scalars(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
        for week, slug in enumerate(("alarm-system", "evidence", "somatic-tracking")):
            done = enrollment.started_at + timedelta(days=7 * week, hours=1)
            for step in server.catalog.module(slug).steps_for("standard"):
                db.add(
                    StepProgress(
                        enrollment_id=enrollment.id,
                        module_slug=slug,
                        step_id=step.id,
                        status=StepStatus.COMPLETE,
                        answers={},
                        started_at=done,
                        updated_at=done,
                        completed_at=done,
                    )
                )
        db.commit()
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/learn/")
    offer = page.get_by_role("region", name="Practise now")
    offer.get_by_role("link", name="Somatic tracking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice any day")
    audit(page, "practice page")

    page.get_by_role("link", name="During a flare").click()
    expect(page.get_by_role("button", name="Start the practice")).to_be_visible()
    audit(page, "somatic tracking script")
    page.locator("input[name=fear_before][value='6']").check()
    page.locator("input[name=fear_after][value='3']").check()
    page.get_by_label("What did you notice? (optional)").fill("The heat eased a little")
    page.get_by_role("button", name="Save this practice").click()
    page.wait_for_load_state()
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("During a flare")
    expect(row).to_contain_text("6")
    expect(row).to_contain_text("3")
    audit(page, "practice page with a logged practice")

    page.get_by_role("link", name="Answer a thought").click()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-summary")).to_be_visible()
    audit(page, "answering a pain thought, with errors")
    page.get_by_label("What is the pain thought?").fill("This means my back is damaged")
    page.get_by_label("What does your own evidence say?").fill("It was worse on a stressful day")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    expect(page.get_by_role("region", name="Thoughts you answered")).to_contain_text("This means my back")
