"""The therapist's desk: the patient page at a glance, its print view for a session, and the caseload's
sortable columns with the filter remembered."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.alerts import raise_alert
from course.clock import FrozenClock
from course.conversations import send
from course.models import AuditEvent, ClinicalNote, JournalEntry, MeasureResponse, User
from tests.app.test_patient_page_cost import count_statements
from tests.clinic.test_workspace import add_pain, enrollment_of


@pytest.fixture
def therapist(make_therapist: Callable[..., User], login: Callable[[User], None]) -> User:
    user = make_therapist()
    login(user)
    return user


def section(page: str, heading_id: str) -> str:
    """The HTML of the <section> whose heading has this id."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}"[^>]*>(.*?)</section>', page, re.S)
    assert match is not None, heading_id
    return match.group(1)


def text_of(fragment: str) -> str:
    """The words of an HTML fragment, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def answer(db: Session, patient: User, measure_id: str, due_key: str, score: float, at: datetime) -> None:
    db.add(
        MeasureResponse(
            enrollment_id=enrollment_of(db, patient).id,
            measure_id=measure_id,
            due_key=due_key,
            answers={},
            complete=True,
            score=score,
            created_at=at,
            completed_at=at,
        )
    )


def share(db: Session, patient: User, text: str, at: datetime, *, read: bool = False) -> JournalEntry:
    entry = JournalEntry(
        patient_id=patient.id,
        text=text,
        shared=True,
        shared_at=at,
        created_at=at,
        updated_at=at,
        therapist_read_at=at + timedelta(minutes=1) if read else None,
    )
    db.add(entry)
    return entry


def test_glance_shows_status_waiting_trends_and_reliable_change_in_words(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    now = clock()
    patient = make_patient(therapist, started_at=now - timedelta(days=30))
    today = now.date()
    # Four weeks of check-ins, pain easing a point a week: 6, 5, 4, 3 (oldest week first), no sleep or stress.
    add_pain(db, patient, today, {days_ago: 3 + days_ago // 7 for days_ago in range(28)})
    answer(db, patient, "phq9", "enrollment", 18, now - timedelta(days=29))
    answer(db, patient, "phq9", "week-4", 9, now - timedelta(days=1))
    answer(db, patient, "gad7", "enrollment", 8, now - timedelta(days=29))
    answer(db, patient, "gad7", "week-4", 7, now - timedelta(days=1))
    share(db, patient, "Read already", now - timedelta(days=3), read=True)
    share(db, patient, "Not read yet", now - timedelta(days=2))
    share(db, patient, "Read too", now - timedelta(days=1), read=True)  # the newest, read: 1 still unread
    raise_alert(db, enrollment_of(db, patient), "crisis", now=now, details={"source": "journal"})
    db.commit()
    page = client.get(f"/clinic/patients/{patient.id}").data.decode()
    glance = text_of(section(page, "glance-heading"))
    assert "Week 1" in glance
    assert "Waiting for you 1 unread shared entry" in glance
    assert "Open safety alert" in glance
    assert "Pain (0–10, weekly means) 6 → 5 → 4 → 3 (-3)" in glance
    assert "Sleep (hours, weekly means) – → – → – → –" in glance
    assert "Weekly means, oldest first: 6, 5, 4, 3." in glance  # the chart's text alternative
    assert "PHQ-9 9" in glance
    assert "-9: Reliable improvement since enrollment" in glance
    assert "GAD-7 7" in glance
    assert "-1: No reliable change since enrollment" in glance
    # The compact table: one row per questionnaire, one column per time point.
    table = re.search(r'<table class="measures-table">(.*?)</table>', page, re.S)
    assert table is not None
    rows = [text_of(row) for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)]
    assert sorted(rows[1:]) == ["GAD-7 8 7", "PHQ-9 18 9"]
    # The charts of every day are there on demand, without script.
    assert '<details class="more">' in page
    assert "Pain and sleep" in page


def test_glance_says_nothing_is_waiting_and_what_one_answer_means(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient(therapist)
    answer(db, patient, "pain-average", "enrollment", 6, clock())
    db.commit()
    glance = text_of(section(client.get(f"/clinic/patients/{patient.id}").data.decode(), "glance-heading"))
    assert "Waiting for you Nothing waiting." in glance
    assert "One answer so far" in glance


def test_glance_lists_the_assessment_as_waiting(
    client: Any, therapist: User, make_patient: Callable[..., User]
) -> None:
    patient = make_patient(therapist, assessed=False)
    glance = text_of(section(client.get(f"/clinic/patients/{patient.id}").data.decode(), "glance-heading"))
    assert "Waiting for you Week 1 waits for you to record their assessment Record it" in glance


def test_glance_lists_messages_waiting_for_a_reply_until_they_are_read(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient(therapist)
    enrollment = enrollment_of(db, patient)
    send(db, enrollment, therapist, "How was the walk?", now=clock())
    send(db, enrollment, patient, "It went well.", now=clock.advance(minutes=1))
    send(db, enrollment, patient, "Better than I feared.", now=clock.advance(minutes=5))
    db.commit()
    url = f"/clinic/patients/{patient.id}"
    glance = section(client.get(url).data.decode(), "glance-heading")
    assert "Waiting for you 2 messages waiting for your reply Read and reply" in text_of(glance)
    assert f'href="/messages/patients/{patient.id}"' in glance
    # The therapist's own message is not waiting for them; once they read the patient's, nothing is.
    assert client.post(f"/messages/patients/{patient.id}/read").status_code == 302
    glance = text_of(section(client.get(url).data.decode(), "glance-heading"))
    assert "Waiting for you Nothing waiting." in glance


def test_print_view_has_entries_since_the_last_own_note_and_own_notes_only(
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    make_therapist: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    patient = make_patient(therapist, started_at=now - timedelta(days=20))
    enrollment = enrollment_of(db, patient)
    colleague = make_therapist(name="Dr. Former")
    share(db, patient, "Before the session", now - timedelta(days=10))
    db.add(
        ClinicalNote(
            enrollment_id=enrollment.id,
            author_id=therapist.id,
            text="First session.",
            created_at=now - timedelta(days=9),
        )
    )
    db.add(
        ClinicalNote(
            enrollment_id=enrollment.id,
            author_id=therapist.id,
            text="Second session.",
            created_at=now - timedelta(days=5),
        )
    )
    db.add(
        ClinicalNote(
            enrollment_id=enrollment.id,
            author_id=colleague.id,
            text="Colleague's note.",
            created_at=now - timedelta(days=1),
        )
    )
    share(db, patient, "Between sessions", now - timedelta(days=4))
    answer(db, patient, "phq9", "enrollment", 12, now - timedelta(days=19))
    db.commit()
    response = client.get(f"/clinic/patients/{patient.id}/print")
    assert response.status_code == 200
    page = response.data.decode()
    shared = text_of(section(page, "shared-heading"))
    assert "Between sessions" in shared
    assert "Before the session" not in shared
    notes = text_of(section(page, "notes-heading"))
    assert notes.index("Second session.") < notes.index("First session.")
    assert "Colleague" not in notes
    assert "PHQ-9" in text_of(section(page, "measures"))
    assert "At a glance" in page
    assert "@media print" in client.get("/static/app.css").data.decode()
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)))
    assert "print_patient" in actions


def test_print_view_before_any_note_shows_the_newest_shared_entries(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient(therapist)
    for n in range(10):
        share(db, patient, f"Entry {n}", clock() - timedelta(hours=n + 1))
    db.commit()
    shared = text_of(
        section(client.get(f"/clinic/patients/{patient.id}/print").data.decode(), "shared-heading")
    )
    assert "Shared since the start" in shared
    assert [f"Entry {n}" in shared for n in range(10)] == [True] * 6 + [False] * 4


def _names_in_order(page: str, names: list[str]) -> list[str]:
    return sorted(names, key=page.index)


def test_caseload_sorts_by_each_column_with_the_same_statements(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    start = clock() - timedelta(days=30)
    today = clock().date()
    names = ["Ann Low", "Bob High", "Cat None", "Dan Mid"]
    low, high, _, mid = (make_patient(therapist, name=name, started_at=start) for name in names)
    add_pain(db, low, today, {1: 2, 2: 2})
    add_pain(db, high, today, {1: 8})
    add_pain(db, mid, today, {1: 5, 2: 5, 3: 5})

    def page(query: str) -> str:
        response = client.get(f"/clinic/{query}")
        assert response.status_code == 200
        return str(response.data.decode())

    assert _names_in_order(page("?sort=pain"), names) == ["Bob High", "Dan Mid", "Ann Low", "Cat None"]
    assert _names_in_order(page("?sort=-pain"), names) == ["Ann Low", "Dan Mid", "Bob High", "Cat None"]
    assert _names_in_order(page("?sort=name"), names) == names
    assert _names_in_order(page("?sort=-name"), names) == names[::-1]
    assert _names_in_order(page("?sort=checkins"), names) == ["Cat None", "Bob High", "Ann Low", "Dan Mid"]
    # The least recently active first, "never" before anyone.
    assert _names_in_order(page("?sort=active"), names)[0] == "Cat None"
    sorted_by_pain = page("?sort=pain")
    assert (
        'aria-sort="descending"><a class="sort-link" href="/clinic/?show=all&amp;sort=-pain">'
        in sorted_by_pain
    )
    assert "4 of 4 patients, by pain this week." in sorted_by_pain
    assert "by name, reversed" in page("?sort=-name")
    assert "most in need first" in page("?sort=nonsense")

    def statements(query: str) -> int:
        page(query)  # the first view after writes refreshes the stored rows
        with count_statements(app) as seen:
            page(query)
        return len(seen)

    counts = {
        query: statements(query) for query in ("?sort=need", "?sort=pain", "?sort=-active", "?sort=name")
    }
    assert len(set(counts.values())) == 1, counts


def test_caseload_remembers_the_filter_and_sort_chosen_last(
    client: Any, db: Session, therapist: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    make_patient(therapist, name="Running Rita")
    client.get("/clinic/?show=paused&sort=name&q=rita")
    page = client.get("/clinic/").data.decode()
    assert '<option value="paused" selected>' in page
    assert "0 of 1 patients, by name." in page
    # The name searched for is not remembered, and the cookie is not written again for the same choice.
    assert 'value="rita"' not in page
    response = client.get("/clinic/?show=paused&sort=name")
    assert "Set-Cookie" not in response.headers
    # Choosing again replaces what was remembered; a search alone shows everyone without forgetting it.
    client.get("/clinic/?show=all&sort=need")
    assert "1 of 1 patients, most in need first." in client.get("/clinic/").data.decode()
    client.get("/clinic/?show=paused&sort=name")
    assert "1 of 1 patients" in client.get("/clinic/?q=rita").data.decode()
    assert "0 of 1 patients" in client.get("/clinic/").data.decode()
