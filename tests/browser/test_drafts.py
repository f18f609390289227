"""Drafts in the browser (course/static/app.js): the text of free-text fields is kept in localStorage while it
is typed, offered back after a reload or a crash, cleared once the server has saved it, and cleared for
everyone on sign-out. Without JavaScript the forms still save."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from sqlalchemy import update

from course.models import User
from course.steps.fields import field_name
from course.steps.kinds.exercise import Exercise
from tests.browser.support import PASSWORD, Audit, LiveServer, sign_in

pytestmark = pytest.mark.browser

OFFERED = "You have text you had not saved yet"
BROUGHT_BACK = "We brought back text you had not saved yet"

_DRAFTS_JS = """
() => Object.fromEntries(Object.keys(localStorage)
  .filter((key) => key.startsWith('draft:'))
  .map((key) => [key, JSON.parse(localStorage.getItem(key)).text]))
"""


def drafts(page: Page) -> dict[str, str]:
    """Every draft this browser keeps, key to text, once the page's script has run (it settles drafts)."""
    page.wait_for_load_state()
    found: dict[str, str] = page.evaluate(_DRAFTS_JS)
    return found


def wait_for_draft(page: Page, key: str, text: str) -> None:
    """Until the draft under `key` holds `text` (written about a second after typing stops)."""
    page.wait_for_function(
        "([key, text]) => { const v = localStorage.getItem(key); return v && JSON.parse(v).text === text; }",
        arg=[key, text],
        timeout=5_000,
    )


def no_notice(page: Page) -> None:
    """Once the page's script has run: nothing is offered back."""
    page.wait_for_load_state()
    expect(page.locator(".draft-notice")).to_have_count(0)


def notice(page: Page) -> Any:
    """The notice that offers drafts back."""
    return page.get_by_role("status").filter(has_text=re.compile("not saved yet"))


def first_text_exercise(server: LiveServer) -> tuple[str, int, Exercise]:
    """The first exercise of the first week with free-text fields: module slug, its index, the step."""
    module = server.catalog.modules[0]
    for index, step in enumerate(module.steps):
        if isinstance(step, Exercise) and any(spec.kind == "longtext" for spec in step.fields):
            return module.slug, index, step
    raise AssertionError("the first week has no exercise with free text")


def test_journal_new_entry_kept_offered_and_cleared_on_save(
    server: LiveServer, open_page: Callable[..., Page], patient: User, audit: Audit
) -> None:
    """(a) A new journal entry: typed, reloaded (back in the box, said so), saved (draft gone)."""
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/journal/new")
    key = f"draft:{patient.id}:/journal/new:text"
    box = page.get_by_label("Your entry")
    box.fill("Walked to the shop and back.")
    wait_for_draft(page, key, "Walked to the shop and back.")  # debounced, without leaving the page

    # The box is empty after a reload: the words go straight back, and the person is told (with a way out).
    page.reload()
    expect(notice(page)).to_contain_text(BROUGHT_BACK)
    expect(box).to_have_value("Walked to the shop and back.")
    expect(notice(page).get_by_role("button", name="Discard it")).to_be_visible()
    expect(notice(page).get_by_role("button", name="Bring it back")).to_have_count(0)
    audit(page, "journal, new entry, draft brought back")

    # Typing on, then leaving at once: pagehide writes what the debounce had not yet.
    box.press_sequentially(" Felt fine.")
    page.reload()
    expect(box).to_have_value("Walked to the shop and back. Felt fine.")

    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".flash")).to_contain_text("Your entry is saved")
    expect(page).to_have_url(re.compile(r"/journal/\d+$"))
    assert drafts(page) == {}
    page.reload()
    no_notice(page)
    page.goto(f"{server.url}/journal/new")
    expect(page.get_by_label("Your entry")).to_have_value("")
    no_notice(page)


def test_journal_draft_discarded(server: LiveServer, open_page: Callable[..., Page], patient: User) -> None:
    """ "Discard it" empties the box again, forgets the draft and leaves the focus in the box."""
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/journal/new")
    page.get_by_label("Your entry").fill("Not for keeping.")
    wait_for_draft(page, f"draft:{patient.id}:/journal/new:text", "Not for keeping.")
    page.reload()
    notice(page).get_by_role("button", name="Discard it").click()
    no_notice(page)
    expect(page.get_by_label("Your entry")).to_have_value("")
    expect(page.get_by_label("Your entry")).to_be_focused()
    assert drafts(page) == {}
    page.reload()
    no_notice(page)


def test_step_exercise_failed_save_crash_bring_back_and_save_for_later(
    server: LiveServer, open_page: Callable[..., Page], patient: User, audit: Audit
) -> None:
    """(b) An exercise of week 1: a refused save keeps the draft; "Save for later" clears it; after a crash
    the newer words are offered beside the saved answer, and "Bring it back" puts them in."""
    slug, index, step = first_text_exercise(server)
    server.complete_steps(patient, slug, index)
    url = f"{server.url}/learn/{slug}/{step.id}"
    texts = [spec for spec in step.fields if spec.kind == "longtext"]
    name = field_name(texts[0].id)
    key = f"draft:{patient.id}:/learn/{slug}/{step.id}:{name}"
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(url)
    field = page.locator(f"[name={name}]")

    # One field, then "Save and continue": the form comes back with errors and the words; the draft stays.
    field.fill("Lifting the laundry basket.")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(field).to_have_value("Lifting the laundry basket.")
    no_notice(page)
    assert drafts(page) == {key: "Lifting the laundry basket."}
    page.goto(url)  # nothing was saved: the empty field gets the draft back
    expect(field).to_have_value("Lifting the laundry basket.")
    expect(notice(page)).to_contain_text(BROUGHT_BACK)

    # "Save for later" redirects to this same step, showing the saved answer: the draft is gone.
    page.get_by_role("button", name="Save for later").click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    expect(field).to_have_value("Lifting the laundry basket.")
    assert drafts(page) == {}

    # More words, then the tab crashes; a new tab offers them beside the saved answer.
    field.fill("Lifting the laundry basket, in a hurry.")
    wait_for_draft(page, key, "Lifting the laundry basket, in a hurry.")
    crashed = page
    # The renderer dies: no pagehide, nothing more written.
    with crashed.expect_event("crash", timeout=5_000), pytest.raises(PlaywrightError, match="crash"):
        crashed.goto("chrome://crash", timeout=3_000)
    page = crashed.context.new_page()
    page.goto(url)
    field = page.locator(f"[name={name}]")
    expect(field).to_have_value("Lifting the laundry basket.")
    expect(notice(page)).to_contain_text(OFFERED)
    audit(page, "step (exercise), draft offered beside the saved answer")
    notice(page).get_by_role("button", name="Bring it back").click()
    expect(field).to_have_value("Lifting the laundry basket, in a hurry.")
    expect(field).to_be_focused()
    no_notice(page)

    page.get_by_role("button", name="Save for later").click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    assert drafts(page) == {}
    page.reload()
    expect(field).to_have_value("Lifting the laundry basket, in a hurry.")
    no_notice(page)


def test_checkin_note_kept_and_cleared_on_save(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """(c) The daily check-in's note: typed, reloaded, saved (the check-in redirects home)."""
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/checkin")
    note = page.get_by_label("A note (optional)")
    note.fill("Slept badly, the neighbours again.")
    page.reload()  # straight away: pagehide writes it
    expect(note).to_have_value("Slept badly, the neighbours again.")
    expect(notice(page)).to_contain_text(BROUGHT_BACK)
    assert list(drafts(page).values()) == ["Slept badly, the neighbours again."]

    page.locator("input[name=pain][value='4']").check()
    page.get_by_label("Hours of sleep last night").select_option("6.5")
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator(".flash")).to_contain_text("Check-in saved")
    assert drafts(page) == {}
    page.goto(f"{server.url}/checkin")
    expect(note).to_have_value("Slept badly, the neighbours again.")  # the saved note
    no_notice(page)


def test_therapist_note_kept_and_cleared_on_save(
    server: LiveServer, open_page: Callable[..., Page], therapist: User, patient: User
) -> None:
    """(d) A therapist's private note on the patient page: the save redirects to the same page with the note
    field empty again, and the draft is gone."""
    page = open_page()
    sign_in(page, server, therapist.email)
    url = f"{server.url}/clinic/patients/{patient.id}"
    page.goto(url)
    note = page.get_by_label("Private note")
    note.fill("Discussed pacing; review in two weeks.")
    wait_for_draft(
        page,
        f"draft:{therapist.id}:/clinic/patients/{patient.id}/note:text",
        "Discussed pacing; review in two weeks.",
    )
    page.reload()
    expect(note).to_have_value("Discussed pacing; review in two weeks.")
    expect(notice(page)).to_contain_text(BROUGHT_BACK)

    page.get_by_role("button", name="Save note").click()
    expect(page.locator(".flash")).to_contain_text("Note saved")
    expect(page.locator(".timeline")).to_contain_text("Discussed pacing")
    expect(note).to_have_value("")
    no_notice(page)
    assert drafts(page) == {}
    page.reload()
    expect(note).to_have_value("")
    no_notice(page)


def test_sign_out_clears_every_draft_and_the_next_person_sees_none(
    server: LiveServer, open_page: Callable[..., Page], therapist: User, patient: User
) -> None:
    """A shared phone: drafts of the journal and the check-in, then sign-out; nothing is left for the next
    person, a patient or a therapist."""
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/journal/new")
    page.get_by_label("Your entry").fill("Private thoughts.")
    page.goto(f"{server.url}/checkin")
    page.get_by_label("A note (optional)").fill("A private note.")
    wait_for_draft(page, f"draft:{patient.id}:/checkin:note", "A private note.")
    # Someone else's draft, left on this phone earlier: signing out clears it too.
    page.evaluate(
        "() => localStorage.setItem('draft:999999:/journal/new:text', JSON.stringify({text: 'x', at: 1}))"
    )
    assert len(drafts(page)) == 3

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert drafts(page) == {}

    other = server.add_patient(therapist, name="Sam Lee")
    sign_in(page, server, other.email)
    for path, label in (("/journal/new", "Your entry"), ("/checkin", "A note (optional)")):
        page.goto(f"{server.url}{path}")
        expect(page.get_by_label(label)).to_have_value("")
        no_notice(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, server, therapist.email)
    page.goto(f"{server.url}/clinic/patients/{patient.id}")
    no_notice(page)
    assert drafts(page) == {}


def test_drafts_belong_to_the_person_who_typed_them(
    server: LiveServer, open_page: Callable[..., Page], therapist: User, patient: User
) -> None:
    """A session that simply ended (no sign-out): the next person is not offered the words; the writer is."""
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/journal/new")
    page.get_by_label("Your entry").fill("Only mine.")
    wait_for_draft(page, f"draft:{patient.id}:/journal/new:text", "Only mine.")
    page.context.clear_cookies()

    other = server.add_patient(therapist, name="Sam Lee")
    sign_in(page, server, other.email)
    page.goto(f"{server.url}/journal/new")
    expect(page.get_by_label("Your entry")).to_have_value("")
    no_notice(page)
    page.context.clear_cookies()

    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/journal/new")
    expect(page.get_by_label("Your entry")).to_have_value("Only mine.")
    expect(notice(page)).to_contain_text(BROUGHT_BACK)


def test_session_ended_on_save_words_come_back_after_sign_in(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """The session ends while writing: the save goes to the sign-in page (the server keeps the words) and the
    draft stays; after sign-in the words are in the box (no notice: they are the same); saving clears it."""
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/journal/new")
    page.get_by_label("Your entry").fill("Written while signed out.")
    with server.session() as db:  # signed out elsewhere
        db.execute(update(User).where(User.id == patient.id).values(session_version=User.session_version + 1))
        db.commit()
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert drafts(page) == {f"draft:{patient.id}:/journal/new:text": "Written while signed out."}

    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/journal/new")
    expect(page.get_by_label("Your entry")).to_have_value("Written while signed out.")
    no_notice(page)
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".flash")).to_contain_text("Your entry is saved")
    assert drafts(page) == {}


def test_without_javascript_a_form_still_saves(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """No script: nothing is kept in the browser, and the journal entry is saved as ever."""
    page = open_page(java_script_enabled=False)
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/journal/new")
    page.get_by_label("Your entry").fill("Saved without any script.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".entry-text")).to_have_text("Saved without any script.")
    page.goto(f"{server.url}/journal/new")
    expect(page.get_by_label("Your entry")).to_have_value("")
    no_notice(page)


def test_storage_refused_the_page_still_works(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """localStorage that throws (blocked, or full): no notice, no error, and the form saves."""
    page = open_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(
        "Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };"
    )
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/journal/new")
    page.get_by_label("Your entry").fill("Storage is full.")
    page.reload()
    no_notice(page)
    page.get_by_label("Your entry").fill("Storage is full, still saved.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".entry-text")).to_have_text("Storage is full, still saved.")
    assert errors == []


def test_forms_found_by_looking_never_passwords_nor_codes(
    server: LiveServer, open_page: Callable[..., Page], patient: User
) -> None:
    """Found by looking: the account page keeps nothing of its password fields; a form that appears later
    (added to the page here) keeps its text, but not a one-time code."""
    page = open_page()
    sign_in(page, server, patient.email)
    page.goto(f"{server.url}/account/")
    passwords = page.locator("input[type=password]")
    assert passwords.count() > 0
    for index in range(passwords.count()):
        passwords.nth(index).fill("a secret password")
    page.evaluate(
        """() => document.querySelector('main').insertAdjacentHTML('beforeend',
          '<form method="post" action="/later/form"><label>Later <textarea name="later"></textarea></label>'
          + '<label>Code <input name="code" autocomplete="one-time-code"></label></form>')"""
    )
    page.get_by_label("Later").fill("Written in a form made later.")
    page.get_by_label("Code").fill("123456")
    page.evaluate("() => window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    assert drafts(page) == {f"draft:{patient.id}:/later/form:later": "Written in a form made later."}
