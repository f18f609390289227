"""The whole story in a real browser: a therapist invites, a patient joins and works through week 1, week 2
opens a week later, a check-in, a shared journal entry, the therapist's reply. Every page is checked with
axe-core at phone and desktop size on the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from course.models import Role
from course.steps.fields import field_name
from course.steps.kinds.check import Check
from course.steps.kinds.exercise import Exercise
from course.steps.kinds.journal import JournalStep
from course.steps.kinds.practice import Practice
from tests.browser.support import DESKTOP, PHONE, START, Audit, LiveServer, sign_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "river stones and maple"


def _work_through_step(page: Page, step: Any, audit: Audit, *, first_exercise: bool) -> None:
    """Do one step of the program the way a patient would, checking the page on the way."""
    expect(page.get_by_role("heading", level=1)).to_have_text(step.title)
    audit(page, f"step ({step.type}): {step.title}")
    if isinstance(step, Exercise):
        if first_exercise:
            # An empty "Save and continue" shows each missing part, tied to its field.
            page.get_by_role("button", name="Save and continue").click()
            expect(page.locator("#error-summary")).to_be_visible()
            for spec in step.fields:
                if not spec.required:
                    continue
                box = page.locator(f"#{field_name(spec.id)}")
                expect(box).to_have_attribute("aria-invalid", "true")
                expect(box).to_have_attribute(
                    "aria-describedby", re.compile(rf"\b{field_name(spec.id)}-error\b")
                )
                expect(page.locator(f"#{field_name(spec.id)}-error")).to_contain_text("Please fill this in")
            audit(page, f"step (exercise) with errors: {step.title}")
        for spec in step.fields:
            name = field_name(spec.id)
            if spec.kind in ("text", "longtext"):
                page.locator(f"[name={name}]").fill(f"My answer to: {spec.label}")
            elif spec.kind == "scale":
                page.locator(f"input[name={name}][value='{spec.min + 3}']").check()
        page.get_by_role("button", name="Save and continue").click()
    elif isinstance(step, Check):
        for number, question in enumerate(step.questions):
            # Right on the first question, another answer on the rest: both get an explanation.
            wrong = next(o.value for o in question.options if o.value != question.answer)
            value = question.answer if number == 0 else wrong
            page.locator(f"input[name={field_name(question.id)}][value='{value}']").check()
        page.get_by_role("button", name="Check my answers").click()
        feedback = page.locator("#feedback")
        expect(feedback).to_be_visible()
        expect(feedback).to_contain_text("Yes, that is right.")
        expect(feedback).to_contain_text("The answer that fits best:")
        expect(feedback.locator(".feedback-item")).to_have_count(len(step.questions))
        audit(page, f"step (check) with feedback: {step.title}")
        page.get_by_role("link", name=re.compile(r"^Next: ")).click()
    elif isinstance(step, Practice):
        expect(page.get_by_role("button", name="Start the practice")).to_be_visible()
        for rating in step.ratings:  # "before" left empty: ratings are optional
            page.locator(f"input[name={field_name(rating.id)}_after][value='7']").check()
        page.get_by_role("button", name="I have done this practice").click()
    elif isinstance(step, JournalStep):
        page.get_by_label(step.prompt).fill("That pain can be real without new damage.")
        page.get_by_role("button", name="Save and continue").click()
    else:  # a lesson
        page.get_by_role("button", name="Next").click()
    page.wait_for_load_state()


def test_invite_join_week_one_week_two_checkin_journal_and_reply(
    server: LiveServer, open_page: Callable[..., Page], audit: Audit
) -> None:
    """Therapist and patient, each in their own browser, through the whole first fortnight."""
    server.clock.set(START)  # the dates asserted below count from here
    base = server.url
    therapist = server.add_user(Role.THERAPIST, name="Dr. Jo Rahman", email="jo.rahman@example.org")

    # The therapist signs in and creates an invite link.
    clinic = open_page(viewport=DESKTOP)
    clinic.goto(f"{base}/auth/login")
    audit(clinic, "sign in")
    sign_in(clinic, server, therapist.email)
    expect(clinic.get_by_role("heading", level=1)).to_have_text("Your patients")
    audit(clinic, "caseload, empty")
    clinic.get_by_role("link", name="Invite a patient").click()
    audit(clinic, "invites")
    clinic.get_by_label("Patient's name (optional)").fill("Robin Hale")
    clinic.get_by_label(re.compile("A clinician has assessed this person's pain")).check()
    clinic.get_by_role("button", name="Create invite link").click()
    link = clinic.get_by_label("Invite link", exact=True).input_value()
    assert link.startswith(f"{base}/auth/join/")
    audit(clinic, "invites, link created")

    # The patient opens the link on a phone and signs up; a first try with differing passwords shows errors.
    phone = open_page(viewport=PHONE)
    phone.goto(link)
    expect(phone.get_by_label("Your name")).to_have_value("Robin Hale")
    audit(phone, "join")
    phone.get_by_label("Email").fill("robin.hale@example.org")
    phone.get_by_label("New password").fill(NEW_PASSWORD)
    phone.get_by_label("Type the password again").fill(NEW_PASSWORD + "!")
    phone.get_by_label("Your time zone").select_option("America/New_York")
    phone.get_by_label(re.compile("I have read what this program is")).check()
    phone.get_by_role("button", name="Create my account").click()
    expect(phone.locator("#confirm")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#confirm")).to_have_attribute("aria-describedby", re.compile(r"\bconfirm-error\b"))
    expect(phone.locator("#confirm-error")).to_have_text(re.compile("The passwords differ"))
    expect(phone.locator("#error-summary")).to_be_focused()
    audit(phone, "join with errors")
    phone.get_by_label("New password").fill(NEW_PASSWORD)
    phone.get_by_label("Type the password again").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Create my account").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    audit(phone, "join, check your email")
    phone.goto(server.last_link("robin.hale@example.org", "/auth/join/confirm/"))
    audit(phone, "join, confirm")
    phone.get_by_role("button", name="Start the program").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hello, Robin Hale")
    audit(phone, "home before screening")

    # Safety questions: all "No".
    phone.get_by_role("link", name="Answer the safety questions").click()
    audit(phone, "screening")
    questions = phone.locator("form fieldset")
    for index in range(questions.count()):
        questions.nth(index).get_by_label("No", exact=True).check()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator(".flash")).to_contain_text("You can start week 1 now")
    audit(phone, "home, week 1 open")

    # The questionnaires due at enrollment: answer one.
    phone.get_by_role("region", name=re.compile("Short questionnaire")).get_by_role("link").first.click()
    audit(phone, "questionnaire")
    items = phone.locator("form fieldset")
    for index in range(items.count()):
        items.nth(index).locator("input[type=radio]").first.check()
    phone.get_by_role("button", name="Submit").click()
    expect(phone.locator(".flash")).to_contain_text("your answers are saved")
    audit(phone, "questionnaires")
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()

    # Week 1, step by step, through the pages.
    module = server.catalog.module("alarm-system")
    phone.get_by_role("link", name=re.compile(r"^Start")).click()
    first_exercise = True
    for step in module.steps:
        _work_through_step(phone, step, audit, first_exercise=first_exercise and isinstance(step, Exercise))
        first_exercise = first_exercise and not isinstance(step, Exercise)
    expect(phone.locator(".flash")).to_contain_text("you have finished week 1")

    # Week 2 is locked, with the date it opens (a week after joining, in the patient's time zone).
    week_two = phone.locator(".path-item").nth(1)
    expect(week_two).to_contain_text("Locked")
    expect(week_two).to_contain_text("Opens Monday 9 March")
    expect(phone.locator(".today")).to_contain_text("Your next week opens on Monday 9 March")
    expect(week_two.get_by_role("link")).to_have_count(0)
    audit(phone, "home, week 1 done, week 2 locked")
    phone.goto(f"{base}/learn/evidence")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Not open yet")
    audit(phone, "week 2 not open yet")

    # A week later, week 2 opens.
    server.clock.advance(days=7)
    phone.goto(f"{base}/learn/")
    expect(week_two).to_contain_text("Open")
    expect(week_two.get_by_role("link", name=re.compile("Week 2"))).to_be_visible()
    audit(phone, "home, week 2 open")
    week_two.get_by_role("link", name=re.compile("Week 2")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Gathering your evidence")
    audit(phone, "module overview, week 2")
    phone.get_by_role("link", name="Start this week").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Looking for clues")
    audit(phone, "step (lesson), week 2")
    phone.get_by_role("link", name="Gathering your evidence").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Gathering your evidence")
    phone.get_by_role("link", name="Your path").click()
    phone.get_by_role("link", name=re.compile("Week 1: Your alarm system")).click()
    expect(phone.locator(".step-item")).to_have_count(len(module.steps))
    audit(phone, "module overview, week 1 done")

    # The daily check-in, from the main navigation.
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Check-in").click()
    audit(phone, "check-in")
    phone.locator("input[name=pain][value='4']").check()
    phone.get_by_label("Hours of sleep last night").select_option("7")
    phone.locator("input[name=stress][value='3']").check()
    phone.get_by_label("Okay", exact=True).check()
    phone.get_by_role("button", name="Save check-in").click()
    expect(phone.locator(".flash")).to_contain_text("Check-in saved")
    expect(phone.locator("#checkin-heading + p")).to_contain_text("Done for today")
    audit(phone, "home, checked in")
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Evidence").click()
    audit(phone, "evidence")

    # A journal entry written at /journal/new, then shared.
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Journal").click()
    audit(phone, "journal")
    phone.get_by_role("link", name="Write a new entry").click()
    expect(phone).to_have_url(f"{base}/journal/new")
    audit(phone, "journal, new entry")
    phone.get_by_label("Your entry").fill("A good walk today. The pain came and went, and I kept going.")
    phone.get_by_role("button", name="Save entry").click()
    expect(phone.locator(".flash")).to_contain_text("Your entry is saved")
    audit(phone, "journal entry")
    phone.get_by_role("button", name="Share with my therapist").click()
    expect(phone.locator(".flash")).to_contain_text("Shared with your therapist")
    entry_url = phone.url
    audit(phone, "journal entry, shared")
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Help now").click()
    audit(phone, "help")
    phone.goto(f"{base}/habits")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your habits")
    audit(phone, "habits")

    # A week on, the therapist (signing in again if the idle session has ended) sees the progress, reads
    # the shared entry and replies.
    clinic.goto(f"{base}/clinic/")
    if clinic.get_by_role("heading", level=1, name="Sign in").count():  # an idle session ends
        audit(clinic, "sign in, after an idle sign-out")
        sign_in(clinic, server, therapist.email)
    row = clinic.get_by_role("row", name=re.compile("Robin Hale"))
    expect(row).to_contain_text(f"{len(module.steps)}/")  # every step of week 1 done
    expect(row).to_contain_text("1 unread shared entry")
    audit(clinic, "caseload, one patient")
    row.get_by_role("link", name="Robin Hale").click()
    expect(clinic.get_by_role("heading", level=1)).to_have_text("Robin Hale")
    progress = clinic.locator(".path-item")
    expect(progress.nth(0)).to_contain_text("Done")
    expect(progress.nth(0)).to_contain_text(f"{len(module.steps)} of {len(module.steps)} steps")
    expect(progress.nth(1)).to_contain_text("Open")
    audit(clinic, "patient detail")
    clinic.get_by_role("link", name="Read their exercise answers").click()
    expect(clinic.get_by_role("heading", level=2, name="Week 1: Your alarm system")).to_be_visible()
    expect(clinic.locator("main")).to_contain_text("My answer to: What was going on when your pain flared?")
    audit(clinic, "exercise answers")
    clinic.go_back()
    clinic.get_by_role("link", name=re.compile("^Read and reply")).click()
    expect(clinic.locator(".entry-text")).to_contain_text("A good walk today")
    audit(clinic, "shared entry")
    clinic.get_by_label("Your reply").fill("Well noticed, Robin. Keep going gently.")
    clinic.get_by_role("button", name="Send reply").click()
    expect(clinic.locator(".flash")).to_contain_text("Your reply is saved")
    audit(clinic, "shared entry, replied")
    clinic.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(clinic.get_by_role("heading", level=1)).to_have_text("Alerts")
    audit(clinic, "alerts")

    # The patient sees the reply beside the entry.
    phone.goto(entry_url)
    replies = phone.get_by_role("region", name="Replies from your therapist")
    expect(replies).to_contain_text("Well noticed, Robin. Keep going gently.")
    expect(replies).to_contain_text("Dr. Jo Rahman")
    audit(phone, "journal entry with the reply")


def test_journal_page_shows_no_error_before_any_search(
    server: LiveServer, open_page: Callable[..., Page], patient: Any
) -> None:
    """Opening the journal is not a search: no field should be marked wrong."""
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/journal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your journal")
    assert page.locator(".field-error, [aria-invalid=true]").count() == 0
