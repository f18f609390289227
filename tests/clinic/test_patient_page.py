"""The therapist's patient page and its timeline: a fixed number of SQL statements however long the patient's
history, and a timeline with the right events, in the right order, two weeks a page, cut at its limit, whose
earlier pages together hold every event exactly once."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from course import extensions
from course.alerts import LABELS, acknowledge, raise_alert
from course.clock import FrozenClock
from course.content.model import Catalog
from course.models import (
    CheckIn,
    ClinicalNote,
    Comment,
    JournalEntry,
    MeasureResponse,
    OverrideKind,
    ProgramOverride,
    StepProgress,
    StepStatus,
    User,
)
from tests.app.test_patient_page_cost import count_statements
from tests.clinic.test_workspace import enrollment_of

LIMIT = 60  # events on a page of the timeline
PAGE_LIMIT = 20  # events on the patient page
WINDOW = timedelta(days=14)
VERBS = {
    OverrideKind.UNLOCK_NEXT: "opened the next module early",
    OverrideKind.PAUSE: "paused the program",
    OverrideKind.RESUME: "resumed the program",
}


class History:
    """Writes a patient's history straight into the tables and remembers each timeline line it should make."""

    def __init__(self, db: Session, catalog: Catalog, patient: User, therapist: User) -> None:
        self.db = db
        self.catalog = catalog
        self.patient = patient
        self.therapist = therapist
        self.enrollment = enrollment_of(db, patient)
        self.expected: list[tuple[datetime, str]] = []

    def step(self, slug: str, step_id: str, at: datetime) -> None:
        self.db.add(
            StepProgress(
                enrollment_id=self.enrollment.id,
                module_slug=slug,
                step_id=step_id,
                status=StepStatus.COMPLETE,
                started_at=at,
                updated_at=at,
                completed_at=at,
            )
        )
        module = self.catalog.module(slug)
        assert module is not None
        step = module.step(step_id)
        assert step is not None
        self.expected.append((at, f"Finished “{step.title}” (week {module.week})"))

    def checkin(self, at: datetime, pain: int) -> None:
        day = at.date()
        self.db.add(CheckIn(patient_id=self.patient.id, day=day, pain=pain, created_at=at, updated_at=at))
        self.expected.append((at, f"Check-in for {day.day} {day:%b}: pain {pain}"))

    def shared(self, at: datetime, replies: int = 0) -> JournalEntry:
        entry = JournalEntry(
            patient_id=self.patient.id,
            text=f"Entry shared at {at:%d %H:%M}",
            shared=True,
            shared_at=at,
            created_at=at,
            updated_at=at,
        )
        self.db.add(entry)
        self.db.flush()
        for n in range(replies):
            self.db.add(
                Comment(entry_id=entry.id, author_id=self.therapist.id, text=f"Reply {n}", created_at=at)
            )
        self.expected.append((at, "Shared a journal entry"))
        return entry

    def measure(self, at: datetime, measure_id: str, due_key: str, score: float) -> None:
        self.db.add(
            MeasureResponse(
                enrollment_id=self.enrollment.id,
                measure_id=measure_id,
                due_key=due_key,
                answers={},
                complete=True,
                score=score,
                created_at=at,
                completed_at=at,
            )
        )
        self.expected.append((at, f"Answered {measure_id}: score {score:g}"))

    def override(self, at: datetime, kind: OverrideKind, *, by: User | None, reason: str | None) -> None:
        self.db.add(
            ProgramOverride(
                enrollment_id=self.enrollment.id, kind=kind, at=at, by_id=by.id if by else None, reason=reason
            )
        )
        who = by.display_name if by else "A therapist"
        self.expected.append((at, f"{who} {VERBS[kind]}{f': {reason}' if reason else ''}"))

    def note(self, at: datetime, text: str) -> None:
        self.db.add(
            ClinicalNote(
                enrollment_id=self.enrollment.id, author_id=self.therapist.id, text=text, created_at=at
            )
        )
        self.expected.append((at, f"Note by {self.therapist.display_name}: {text}"))

    def alert(
        self, at: datetime, kind: str = "crisis", *, acknowledged: tuple[datetime, str | None] | None = None
    ) -> None:
        alert = raise_alert(self.db, self.enrollment, kind, now=at, details={"source": "journal"})
        self.expected.append((at, f"Alert: {LABELS[kind]}"))
        if acknowledged is not None:
            when, note = acknowledged
            acknowledge(self.db, alert, by=self.therapist, now=when, note=note)
            text = f"{self.therapist.display_name} acknowledged the alert{f': {note}' if note else ''}"
            self.expected.append((when, text))

    def newest(self, limit: int = LIMIT, *, since: datetime | None = None) -> list[str]:
        """The lines the timeline should show (those after `since` only, when given), for histories without
        two events at the same instant."""
        times = [at for at, _ in self.expected]
        assert len(times) == len(set(times)), "use the tie tests for events at the same instant"
        shown = [(at, text) for at, text in self.expected if since is None or at > since]
        return [text for _, text in sorted(shown, key=lambda e: e[0], reverse=True)[:limit]]


@pytest.fixture
def therapist(make_therapist: Callable[..., User], login: Callable[[User], None]) -> User:
    user = make_therapist()
    login(user)
    return user


def timeline_lines(page: str) -> list[str]:
    """The event texts of the page's timeline, in the order shown."""
    match = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert match is not None
    items = re.findall(
        r'<li><span class="small">[^<]*</span> (.*?)(?: · <a [^>]*>read</a>)?</li>', match.group(1), re.S
    )
    return [html.unescape(item) for item in items]


def page_of(client: Any, patient: User) -> str:
    response = client.get(f"/clinic/patients/{patient.id}")
    assert response.status_code == 200
    return str(response.data.decode())


def timeline_of(client: Any, patient: User, query: str = "") -> str:
    response = client.get(f"/clinic/patients/{patient.id}/timeline{query}")
    assert response.status_code == 200
    return str(response.data.decode())


def earlier_link(page: str) -> str | None:
    """The query of the page's "Earlier" link, or None when it has none."""
    match = re.search(r'<a href="/clinic/patients/\d+/timeline(\?[^"]*)">Earlier</a>', page)
    return html.unescape(match.group(1)) if match else None


def test_patient_page_statements_do_not_grow_with_history(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    catalog: Catalog = extensions.catalog(app)
    now = clock()
    start = now - timedelta(days=400)

    def statements(patient: User, path: str = "") -> list[str]:
        with count_statements(app) as seen:
            assert client.get(f"/clinic/patients/{patient.id}{path}").status_code == 200
        return seen

    new = make_patient(therapist, started_at=start)
    small = History(db, catalog, make_patient(therapist, started_at=start), therapist)
    small.step("first", "intro", start + timedelta(days=1))
    for n in range(5):
        small.checkin(now - timedelta(days=n + 1), pain=4)
    small.shared(now - timedelta(hours=3), replies=1)
    small.measure(now - timedelta(days=2), "phq9", "week-0", 5)
    small.note(now - timedelta(hours=2), "First call.")
    small.alert(now - timedelta(hours=1))
    db.commit()

    big = History(db, catalog, make_patient(therapist, started_at=start), therapist)
    for i, (slug, step_ids) in enumerate(catalog.outline("standard")):
        for j, step_id in enumerate(step_ids):
            big.step(slug, step_id, start + timedelta(days=7 * i + j + 1))
    for n in range(200):
        big.checkin(now - timedelta(days=n + 1, minutes=1), pain=n % 11)
    for n in range(30):
        big.shared(now - timedelta(days=n, minutes=2), replies=n % 3)
    for n in range(8):
        big.measure(now - timedelta(days=30 * n + 3), "phq9", f"k{n}", float(n))
    for n in range(70):
        big.note(now - timedelta(days=n, minutes=3), f"Note {n}")
    for n, kind in enumerate([OverrideKind.PAUSE, OverrideKind.RESUME] * 3):
        big.override(now - timedelta(days=40 + n), kind, by=therapist, reason=None)
    for n in range(10):
        big.alert(now - timedelta(days=n + 100), acknowledged=(now - timedelta(days=n + 99, hours=1), "ok"))
    big.alert(now - timedelta(minutes=5))
    db.commit()

    patients = (("new", new), ("small", small.patient), ("big", big.patient))
    for path in ("", "/timeline", "/print"):
        counts = {name: len(statements(p, path)) for name, p in patients}
        print(f"patient page{path} statements: {counts}")
        assert counts["new"] == counts["small"] == counts["big"]
        assert counts["big"] <= {"": 9, "/timeline": 4, "/print": 9}[path]
    # What the big patient's page shows is still right: the last two weeks of its timeline, progress and
    # shared entries; the timeline's own page shows more of the same two weeks.
    page = page_of(client, big.patient)
    assert timeline_lines(page) == big.newest(PAGE_LIMIT, since=now - WINDOW)
    assert timeline_lines(timeline_of(client, big.patient)) == big.newest(since=now - WINDOW)
    assert len(page.encode()) < 60_000
    assert "2 replies" in page
    assert "1 reply" in page
    assert page.count('<li class="entry-card">') == 10  # the newest; the timeline lists every one
    assert "Earlier shared entries, in the timeline" in page
    for _, step_ids in catalog.outline("standard"):
        assert f"{len(step_ids)} of {len(step_ids)} steps" in page


def test_timeline_shows_each_kind_newest_first(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    history = History(db, extensions.catalog(app), make_patient(therapist), therapist)
    history.step("first", "intro", now - timedelta(hours=10))
    history.checkin(now - timedelta(hours=9), pain=4)
    history.shared(now - timedelta(hours=8))
    history.measure(now - timedelta(hours=7), "phq9", "week-0", 5)
    history.override(now - timedelta(hours=6), OverrideKind.UNLOCK_NEXT, by=therapist, reason="Ready early")
    history.note(now - timedelta(hours=5), "Called <them>.")
    history.alert(now - timedelta(hours=4), acknowledged=(now - timedelta(hours=3), "Safe, seeing GP."))
    history.alert(
        now - timedelta(hours=2, minutes=30), "worsening", acknowledged=(now - timedelta(hours=1), None)
    )
    history.override(now - timedelta(hours=2), OverrideKind.PAUSE, by=None, reason=None)
    # Not events: a started step, a private entry, a shared entry since deleted, a questionnaire draft.
    db.add(
        StepProgress(
            enrollment_id=history.enrollment.id,
            module_slug="first",
            step_id="alarm",
            status=StepStatus.STARTED,
        )
    )
    db.add(JournalEntry(patient_id=history.patient.id, text="Private"))
    db.add(
        JournalEntry(patient_id=history.patient.id, text="Gone", shared=True, shared_at=now, deleted_at=now)
    )
    db.add(
        MeasureResponse(
            enrollment_id=history.enrollment.id,
            measure_id="gad7",
            due_key="week-0",
            answers={},
            complete=False,
        )
    )
    db.commit()
    page = page_of(client, history.patient)
    assert timeline_lines(page) == history.newest()
    assert f"Note by {therapist.display_name}: Called &lt;them&gt;." in page


def test_timeline_keeps_the_newest_of_every_kind_up_to_the_limit(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    history = History(
        db,
        extensions.catalog(app),
        make_patient(therapist, started_at=now - timedelta(days=80)),
        therapist,
    )
    # Seventy of each kind that grows, interleaved so that every kind has rows among the newest sixty;
    # the steps are older than all of them, so none is shown.
    for n in range(70):
        base = now - timedelta(days=n)
        history.checkin(base - timedelta(minutes=1), pain=n % 11)
        history.note(base - timedelta(minutes=2), f"Note {n}")
        history.shared(base - timedelta(minutes=3))
        history.measure(base - timedelta(minutes=4), "phq9", f"k{n}", float(n % 27))
        history.override(
            base - timedelta(minutes=5),
            OverrideKind.PAUSE if n % 2 else OverrideKind.RESUME,
            by=therapist,
            reason=None,
        )
        acknowledged = (base - timedelta(minutes=6), f"Done {n}") if n % 2 else None
        history.alert(base - timedelta(minutes=7), acknowledged=acknowledged)
    history.step("first", "intro", now - timedelta(days=75))
    db.commit()
    lines = timeline_lines(timeline_of(client, history.patient))
    assert len(lines) == LIMIT
    assert lines == history.newest()


def test_timeline_orders_events_at_the_same_instant_by_kind_then_as_saved(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    tie = now - timedelta(hours=1)
    history = History(db, extensions.catalog(app), make_patient(therapist), therapist)
    # Saved in another order than listed, at one instant (and an alert raised earlier, acknowledged then).
    history.alert(now - timedelta(hours=2), acknowledged=(tie, "Earlier alert seen"))
    history.note(tie, "Same instant")
    history.alert(tie, "worsening")
    history.override(tie, OverrideKind.PAUSE, by=therapist, reason="Tie")
    history.measure(tie, "phq9", "week-0", 3)
    history.shared(tie)
    history.checkin(tie, pain=6)
    history.step("first", "quiz", tie)
    history.step("first", "intro", tie)
    db.commit()
    title = {s.id: s.title for s in extensions.catalog(app).module("first").steps}
    assert timeline_lines(page_of(client, history.patient)) == [
        f"Finished “{title['quiz']}” (week 1)",
        f"Finished “{title['intro']}” (week 1)",
        f"Check-in for {tie.day} {tie:%b}: pain 6",
        "Shared a journal entry",
        "Answered phq9: score 3",
        f"{therapist.display_name} paused the program: Tie",
        f"Note by {therapist.display_name}: Same instant",
        f"{therapist.display_name} acknowledged the alert: Earlier alert seen",
        f"Alert: {LABELS['worsening']}",
        f"Alert: {LABELS['crisis']}",
    ]


def test_timeline_earlier_pages_hold_every_event_once_and_never_split_an_instant(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    start = now - timedelta(days=100)
    history = History(db, extensions.catalog(app), make_patient(therapist, started_at=start), therapist)
    # A quiet stretch, a busy day (more events than a page holds) with ten notes at one instant right where
    # its page is cut, and weeks with nothing in them.
    for n in range(1, 30):
        history.checkin(now - timedelta(days=n, hours=1), pain=n % 11)
    busy = now - timedelta(days=35)
    for n in range(LIMIT - 5):
        history.note(busy - timedelta(minutes=n), f"Busy {n}")
    tie = busy - timedelta(minutes=LIMIT)
    for n in range(10):
        history.note(tie, f"Tie {n}")
    for n in range(20):
        history.note(tie - timedelta(minutes=n + 1), f"Older {n}")
    history.step("first", "intro", start + timedelta(days=1))
    db.commit()
    expected = sorted(history.expected, key=lambda e: e[0], reverse=True)
    seen: list[str] = []
    query: str | None = ""
    pages = 0
    while query is not None:
        page = timeline_of(client, history.patient, query)
        lines = timeline_lines(page)
        assert len(lines) <= LIMIT
        seen += lines
        query = earlier_link(page)
        pages += 1
        assert pages < 20, "the earlier pages never end"
    # Notes at one instant are listed in the order they were saved.
    assert seen == [text for _, text in expected]
    assert len(seen) == len(set(seen))


def test_timeline_filters_by_kind_in_the_query(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    history = History(db, extensions.catalog(app), make_patient(therapist), therapist)
    history.checkin(now - timedelta(hours=9), pain=4)
    history.shared(now - timedelta(hours=8))
    history.note(now - timedelta(hours=5), "Called.")
    history.override(now - timedelta(hours=4), OverrideKind.PAUSE, by=therapist, reason=None)
    history.alert(now - timedelta(hours=3), acknowledged=(now - timedelta(hours=2), "Safe."))
    db.commit()
    name = therapist.display_name
    page = timeline_of(client, history.patient, "?kind=alerts&kind=notes")
    assert timeline_lines(page) == [
        f"{name} acknowledged the alert: Safe.",
        f"Alert: {LABELS['crisis']}",
        f"{name} paused the program",
        f"Note by {name}: Called.",
    ]
    assert 'value="alerts" checked' in page
    assert 'value="checkins">' in page
    assert timeline_lines(timeline_of(client, history.patient, "?kind=checkins")) == [
        f"Check-in for {(now - timedelta(hours=9)).day} {now - timedelta(hours=9):%b}: pain 4"
    ]
    # Nothing known asked for: every kind; a time that is not one: the latest page.
    assert len(timeline_lines(timeline_of(client, history.patient, "?kind=nothing&until=soon"))) == 6


def test_timeline_until_shows_the_two_weeks_before_it(
    app: Flask,
    client: Any,
    db: Session,
    therapist: User,
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    now = clock()
    history = History(
        db, extensions.catalog(app), make_patient(therapist, started_at=now - timedelta(days=60)), therapist
    )
    for n in range(1, 50):
        history.checkin(now - timedelta(days=n, hours=2), pain=n % 11)
    db.commit()
    until = now - timedelta(days=20)
    page = timeline_of(client, history.patient, "?" + urlencode({"until": until.isoformat()}))
    shown = [(at, text) for at, text in history.expected if until - WINDOW < at <= until]
    assert timeline_lines(page) == [text for _, text in sorted(shown, reverse=True)]
    assert ">Latest</a>" in page
    query = earlier_link(page)
    assert query is not None
    assert parse_qs(query[1:]) == {"until": [(until - WINDOW).isoformat()]}
