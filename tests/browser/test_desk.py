"""The therapist's desk in a browser: the patient page in two columns on a desktop and one on a phone, its
timeline and its print view, each clean under axe-core at both sizes; the print view fits one A4 page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from course.alerts import raise_alert
from course.models import CheckIn, ClinicalNote, Enrollment, JournalEntry, MeasureResponse, User
from tests.browser.support import DESKTOP, PHONE, Audit, LiveServer, sign_in

pytestmark = pytest.mark.browser


def _history(server: LiveServer, patient: User, therapist: User) -> None:
    """Four weeks of check-ins, two questionnaires twice, shared entries, a note and an open alert."""
    now = server.clock()
    with server.session() as db:
        enrollment = db.scalars(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
        enrollment.started_at = now - timedelta(days=30)
        for days_ago in range(1, 29):
            at = now - timedelta(days=days_ago)
            db.add(
                CheckIn(
                    patient_id=patient.id,
                    day=at.date(),
                    pain=3 + days_ago // 7 + days_ago % 2,
                    sleep_hours=6 + days_ago % 3,
                    stress=2 + days_ago % 4,
                    created_at=at,
                    updated_at=at,
                )
            )
        for measure_id, first, last in (("phq9", 16, 8), ("gad7", 9, 7)):
            for due_key, score, days_ago in (("enrollment", first, 29), ("week-4", last, 1)):
                at = now - timedelta(days=days_ago)
                db.add(
                    MeasureResponse(
                        enrollment_id=enrollment.id,
                        measure_id=measure_id,
                        due_key=due_key,
                        answers={},
                        complete=True,
                        score=score,
                        created_at=at,
                        completed_at=at,
                    )
                )
        db.add(
            ClinicalNote(
                enrollment_id=enrollment.id,
                author_id=therapist.id,
                text="Video session: we talked about sleep and pacing.",
                created_at=now - timedelta(days=6),
            )
        )
        for n, text in enumerate(("I walked to the shop without dread.", "A bad night, but I stayed calm.")):
            at = now - timedelta(days=2 + n * 7)
            db.add(
                JournalEntry(
                    patient_id=patient.id, text=text, shared=True, shared_at=at, created_at=at, updated_at=at
                )
            )
        raise_alert(
            db, enrollment, "worsening", now=now - timedelta(hours=3), details={"source": "check-ins"}
        )
        db.commit()


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def test_patient_page_two_columns_on_a_desktop_one_on_a_phone_and_accessible(
    server: LiveServer, open_page: Callable[..., Page], therapist: User, patient: User, audit: Audit
) -> None:
    _history(server, patient, therapist)
    page = open_page(viewport=DESKTOP)
    sign_in(page, server, therapist.email)
    page.goto(f"{server.url}/clinic/patients/{patient.id}")
    audit(page, "patient page with four weeks of history")
    glance, progress = _box(page, ".glance"), _box(page, ".desk-main")
    assert glance["x"] + glance["width"] <= progress["x"]  # side by side
    assert progress["y"] < 400  # progress starts near the top, not under the glance
    page.set_viewport_size(PHONE)
    glance, progress = _box(page, ".glance"), _box(page, ".desk-main")
    assert glance["y"] + glance["height"] <= progress["y"]  # the glance first, then the rest
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    # The charts of every day open on demand without script.
    page.set_viewport_size(DESKTOP)
    page.get_by_text("Charts: pain with sleep, pain with stress (four weeks)").click()
    assert page.locator("details.more[open] svg").count() == 2
    audit(page, "patient page, charts open")


def test_timeline_filters_and_earlier_pages_are_accessible(
    server: LiveServer, open_page: Callable[..., Page], therapist: User, patient: User, audit: Audit
) -> None:
    _history(server, patient, therapist)
    page = open_page(viewport=DESKTOP)
    sign_in(page, server, therapist.email)
    page.goto(f"{server.url}/clinic/patients/{patient.id}/timeline")
    audit(page, "timeline")
    for label in ("Check-ins", "Steps", "Shared journal entries", "Questionnaires", "Notes and pacing"):
        page.get_by_label(label, exact=True).uncheck()
    page.get_by_role("button", name="Show these").click()
    page.wait_for_load_state()
    items = page.locator("ol.timeline li").all_inner_texts()
    assert items
    assert all("lert" in item for item in items), items
    page.get_by_role("link", name="Earlier").click()
    page.wait_for_load_state()
    assert "until=" in page.url
    assert "kind=alerts" in page.url
    audit(page, "timeline, earlier page")


def test_print_view_fits_one_a4_page_and_is_accessible(
    server: LiveServer, open_page: Callable[..., Page], therapist: User, patient: User, audit: Audit
) -> None:
    _history(server, patient, therapist)
    page = open_page(viewport=DESKTOP)
    sign_in(page, server, therapist.email)
    page.goto(f"{server.url}/clinic/patients/{patient.id}/print")
    audit(page, "print view")
    assert "I walked to the shop without dread." in page.content()
    assert "A bad night" not in page.content()  # shared before the last note
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
