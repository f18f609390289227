"""The journal never loses a word: expired sessions and tokens, double submits, two tabs, oversize text."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.journal.services import purge_deleted
from course.models import Alert, AuditEvent, CaseloadEntry, JournalEntry, User
from tests.conftest import TEST_PASSWORD, sign_in_as

LONG_TEXT = "On a bad day I wrote this slowly. " * 300  # about 10,000 characters


@pytest.fixture
def patient(make_patient: Callable[..., User], login: Callable[[User], None]) -> User:
    user = make_patient()
    login(user)
    return user


def entries(db: Session) -> list[JournalEntry]:
    db.expire_all()
    return list(db.scalars(select(JournalEntry).order_by(JournalEntry.id)))


def entry_id_from(response: Any) -> int:
    match = re.search(r"/journal/(\d+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def test_journal_write_read_edit_keeps_revisions(
    client: Any, db: Session, patient: User, clock: FrozenClock
) -> None:
    created = client.post("/journal/new", data={"text": "First words", "submission_key": "k1"})
    entry_id = entry_id_from(created)
    page = client.get(f"/journal/{entry_id}").data.decode()
    assert "First words" in page
    assert "Only you can read this entry." in page
    clock.advance(hours=1)
    edited = client.post(f"/journal/{entry_id}/edit", data={"text": "Second words", "revision": "1"})
    assert edited.status_code == 302
    history = client.get(f"/journal/{entry_id}/revisions").data.decode()
    assert "First words" in history
    assert "Second words" in history
    assert "Version 2 (current)" in history


def test_journal_double_submit_creates_one_entry(client: Any, db: Session, patient: User) -> None:
    first = client.post("/journal/new", data={"text": "Only once", "submission_key": "same-key"})
    second = client.post("/journal/new", data={"text": "Only once", "submission_key": "same-key"})
    assert entry_id_from(first) == entry_id_from(second)
    assert len(entries(db)) == 1


def test_journal_two_tabs_second_save_sees_first_and_keeps_both(
    client: Any, db: Session, patient: User
) -> None:
    entry_id = entry_id_from(client.post("/journal/new", data={"text": "Original", "submission_key": "k"}))
    assert (
        client.post(f"/journal/{entry_id}/edit", data={"text": "From tab one", "revision": "1"}).status_code
        == 302
    )
    conflict = client.post(f"/journal/{entry_id}/edit", data={"text": "From tab two", "revision": "1"})
    assert conflict.status_code == 409
    page = conflict.data.decode()
    assert "This entry was changed somewhere else" in page
    assert "From tab one" in page
    assert "From tab two" in page
    assert entries(db)[0].text == "From tab one"  # nothing overwritten silently
    assert 'name="revision" type="hidden" value="2"' in page
    assert (
        client.post(
            f"/journal/{entry_id}/edit", data={"text": "Both: one and two", "revision": "2"}
        ).status_code
        == 302
    )
    assert entries(db)[0].text == "Both: one and two"


def test_journal_oversize_entry_refused_with_text_kept(client: Any, db: Session, patient: User) -> None:
    text = "x" * 50_001
    response = client.post("/journal/new", data={"text": text, "submission_key": "big"})
    assert response.status_code == 422
    assert "Entries can be up to 50,000 characters. This one has 50,001." in response.data.decode()
    assert text.encode() in response.data
    assert entries(db) == []
    assert client.post("/journal/new", data={"text": "y" * 50_000, "submission_key": "ok"}).status_code == 302


def test_journal_expired_session_offers_text_back_after_sign_in(
    app: Flask, db: Session, make_patient: Callable[..., User]
) -> None:
    patient = make_patient()
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{patient.id}:0"  # the patient's session, no longer valid (e.g. timed out)
    response = browser.post("/journal/new", data={"text": LONG_TEXT, "submission_key": "lost?"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "what you wrote is kept" in browser.get("/auth/login").data.decode()
    assert entries(db) == []
    signed_in = browser.post("/auth/login", data={"email": patient.email, "password": TEST_PASSWORD})
    assert signed_in.headers["Location"] == "/journal/new"
    assert entries(db) == []  # offered back, for the patient to check and save
    page = browser.get("/journal/new").data.decode()
    assert "check it, then save it" in page
    assert LONG_TEXT.strip() in page
    assert 'value="lost?"' in page  # the same one-time key: saving it twice keeps one entry
    assert (
        browser.post("/journal/new", data={"text": LONG_TEXT, "submission_key": "lost?"}).status_code == 302
    )
    assert [e.text for e in entries(db)] == [LONG_TEXT]
    assert LONG_TEXT.strip() not in browser.get("/journal/new").data.decode()  # offered until saved


def test_journal_text_without_a_session_is_not_kept(
    app: Flask, db: Session, make_patient: Callable[..., User]
) -> None:
    # With no session at all nobody can tell whose text it is (a page elsewhere could have posted it).
    patient = make_patient()
    browser = app.test_client()
    browser.post("/journal/new", data={"text": LONG_TEXT, "submission_key": "k"})
    signed_in = browser.post("/auth/login", data={"email": patient.email, "password": TEST_PASSWORD})
    assert signed_in.headers["Location"] == "/"
    assert entries(db) == []
    assert LONG_TEXT.strip() not in browser.get("/journal/new").data.decode()


def test_journal_expired_session_text_not_given_to_another_account(
    app: Flask, db: Session, make_patient: Callable[..., User]
) -> None:
    writer, other = make_patient(), make_patient()
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{writer.id}:0"  # stale: the writer's session version has moved on
    browser.post("/journal/new", data={"text": "Private words", "submission_key": "k"})
    signed_in = browser.post("/auth/login", data={"email": other.email, "password": TEST_PASSWORD})
    assert signed_in.headers["Location"] == "/"
    assert "Private words" not in browser.get("/journal/new").data.decode()
    assert entries(db) == []


def test_journal_expired_edit_session_offers_the_edit_back_after_sign_in(
    app: Flask, client: Any, db: Session, patient: User
) -> None:
    entry_id = entry_id_from(client.post("/journal/new", data={"text": "Before", "submission_key": "k"}))
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{patient.id}:0"
    browser.post(f"/journal/{entry_id}/edit", data={"text": "After a long pause", "revision": "1"})
    signed_in = browser.post("/auth/login", data={"email": patient.email, "password": TEST_PASSWORD})
    assert signed_in.headers["Location"] == f"/journal/{entry_id}/edit"
    page = browser.get(f"/journal/{entry_id}/edit").data.decode()
    assert "After a long pause" in page
    assert browser.post(f"/journal/{entry_id}/edit", data={"text": "After a long pause", "revision": "1"})
    assert [e.text for e in entries(db)] == ["After a long pause"]


def test_journal_unicode_round_trips_and_html_is_escaped(
    client: Any, db: Session, patient: User, make_therapist: Callable[..., User]
) -> None:
    text = "Dolor 😣 — שלום עולם — 痛み\n<script>alert('x')</script> <b>bold</b> \"quotes\" & more"
    entry_id = entry_id_from(client.post("/journal/new", data={"text": text, "submission_key": "u"}))
    assert entries(db)[0].text == text
    page = client.get(f"/journal/{entry_id}").data.decode()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "<b>bold</b>" not in page
    assert "😣" in page
    assert "שלום עולם" in page
    exported = json.loads(client.get("/journal/export.json").data)
    assert exported["journal"][0]["text"] == text


def test_journal_share_unshare_as_seen_by_therapist(
    app: Flask,
    client: Any,
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    therapist = make_therapist()
    patient = make_patient(therapist)
    login(patient)
    entry_id = entry_id_from(
        client.post("/journal/new", data={"text": "For my therapist <i>really</i>", "submission_key": "s"})
    )
    therapist_browser = app.test_client()
    sign_in_as(app, therapist_browser, therapist)
    detail = f"/clinic/patients/{patient.id}"
    entry_url = f"{detail}/journal/{entry_id}"
    assert "For my therapist" not in therapist_browser.get(detail).data.decode()
    assert therapist_browser.get(entry_url).status_code == 404

    client.post(f"/journal/{entry_id}/share")
    page = therapist_browser.get(detail).data.decode()
    assert "For my therapist" in page
    assert "Unread" in page
    read = therapist_browser.get(entry_url).data.decode()
    assert "&lt;i&gt;really&lt;/i&gt;" in read
    # Opening it changes nothing (a GET); the therapist says when it is read, and the counts follow.
    assert "Unread" in therapist_browser.get(detail).data.decode()
    therapist_browser.get("/clinic/")
    assert db.scalar(select(CaseloadEntry.unread).where(CaseloadEntry.patient_id == patient.id)) == 1
    marked = therapist_browser.post(f"{entry_url}/read")
    assert marked.status_code == 302
    assert marked.headers["Location"].endswith(f"{detail}#shared")
    assert "Unread" not in therapist_browser.get(detail).data.decode()
    therapist_browser.get("/clinic/")
    db.expire_all()
    assert db.scalar(select(CaseloadEntry.unread).where(CaseloadEntry.patient_id == patient.id)) == 0
    assert "Mark as read" not in therapist_browser.get(entry_url).data.decode()
    clock.advance(minutes=5)
    reply = therapist_browser.post(f"{entry_url}/comment", data={"text": "Thank you for sharing this."})
    assert reply.status_code == 302
    assert "Thank you for sharing this." in client.get(f"/journal/{entry_id}").data.decode()
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "read_shared_entry")) == 2

    client.post(f"/journal/{entry_id}/unshare")
    assert "For my therapist" not in therapist_browser.get(detail).data.decode()
    assert therapist_browser.get(entry_url).status_code == 404


def test_journal_edit_after_read_counts_as_unread_again(
    app: Flask,
    client: Any,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    therapist = make_therapist()
    patient = make_patient(therapist)
    login(patient)
    entry_id = entry_id_from(client.post("/journal/new", data={"text": "v1", "submission_key": "k"}))
    client.post(f"/journal/{entry_id}/share")
    t = app.test_client()
    sign_in_as(app, t, therapist)
    t.post(f"/clinic/patients/{patient.id}/journal/{entry_id}/read")
    assert "Unread" not in t.get(f"/clinic/patients/{patient.id}").data.decode()
    clock.advance(minutes=20)
    client.post(f"/journal/{entry_id}/edit", data={"text": "v2", "revision": "1"})
    assert "Unread" in t.get(f"/clinic/patients/{patient.id}").data.decode()


def test_journal_crisis_words_show_help_and_alert_without_text(
    client: Any, db: Session, patient: User
) -> None:
    response = client.post(
        "/journal/new",
        data={"text": "Some nights I want to die.", "submission_key": "c"},
        follow_redirects=True,
    )
    page = response.data.decode()
    assert "You do not have to go through this alone" in page
    assert "988" in page
    alert = db.scalar(select(Alert))
    assert alert is not None
    assert alert.kind == "crisis"
    assert alert.details == {"source": "journal", "where": "a private journal entry"}
    assert "die" not in json.dumps(alert.details)


def test_journal_figure_of_speech_does_not_alert(client: Any, db: Session, patient: User) -> None:
    page = client.post(
        "/journal/new",
        data={"text": "I'm dying to try the new walk.", "submission_key": "d"},
        follow_redirects=True,
    ).data.decode()
    assert "You do not have to go through this alone" not in page
    assert db.scalar(select(func.count(Alert.id))) == 0


def test_journal_delete_restore_and_purge_after_30_days(
    app: Flask, client: Any, db: Session, patient: User, clock: FrozenClock
) -> None:
    entry_id = entry_id_from(
        client.post("/journal/new", data={"text": "Maybe delete", "submission_key": "x"})
    )
    client.post(f"/journal/{entry_id}/share")
    client.post(f"/journal/{entry_id}/delete")
    assert "Maybe delete" not in client.get("/journal/").data.decode()
    assert "Maybe delete" in client.get("/journal/deleted").data.decode()
    assert client.get(f"/journal/{entry_id}").status_code == 404
    client.post(f"/journal/{entry_id}/restore")
    restored = entries(db)[0]
    assert restored.deleted_at is None
    assert restored.shared is False  # restoring never re-shares
    client.post(f"/journal/{entry_id}/delete")
    clock.advance(days=29)
    assert purge_deleted(db, clock()) == 0
    clock.advance(days=2)
    assert purge_deleted(db, clock()) == 1
    db.commit()
    assert entries(db) == []


def test_journal_filter_by_module_and_search(client: Any, db: Session, patient: User) -> None:
    client.post("/learn/first/intro", data={"submit": "y"})
    client.post("/journal/new", data={"text": "About my garden and 50% less pain", "submission_key": "a"})
    client.post("/journal/new", data={"text": "About work stress", "submission_key": "b"})
    assert "garden" in client.get("/journal/?q=GARDEN").data.decode()
    assert "work stress" not in client.get("/journal/?q=garden").data.decode()
    assert "garden" in client.get("/journal/?q=50%25").data.decode()
    assert "work stress" not in client.get("/journal/?q=50%25").data.decode()
    free = client.get("/journal/?module=free").data.decode()
    assert "garden" in free
    assert "garden" not in client.get("/journal/?module=first").data.decode()


def test_journal_export_markdown_includes_prompts_and_comments(client: Any, patient: User) -> None:
    client.post("/journal/new", data={"text": "Plain entry", "submission_key": "m"})
    markdown = client.get("/journal/export.md")
    assert markdown.headers["Content-Disposition"] == 'attachment; filename="journal.md"'
    assert f"# Journal of {patient.display_name}" in markdown.data.decode()
    assert "Plain entry" in markdown.data.decode()
    assert "Plain entry" in client.get("/journal/print").data.decode()


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.node.get_closest_marker("csrf"):
        return {**app_config, "WTF_CSRF_ENABLED": True}
    return app_config


@pytest.mark.csrf
def test_journal_expired_csrf_token_keeps_text_and_asks_to_save_again(
    client: Any, db: Session, patient: User
) -> None:
    response = client.post(
        "/journal/new", data={"text": LONG_TEXT, "submission_key": "k", "csrf_token": "expired"}
    )
    assert response.status_code == 400
    page = response.data.decode()
    assert "everything you typed is still here: please press the button again." in page
    assert LONG_TEXT.strip() in page
    assert "CSRF" not in page
    assert entries(db) == []
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    saved = client.post(
        "/journal/new", data={"text": LONG_TEXT, "submission_key": "k", "csrf_token": token.group(1)}
    )
    assert saved.status_code == 302
    assert len(entries(db)) == 1
