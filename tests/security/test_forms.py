"""Bad input never breaks the app: CSRF on every state-changing route and a token in every form that posts,
GET never changes state, every text field escaped wherever it is shown, and fuzzed forms never answer 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.assess.services import screening_status
from course.clock import FrozenClock
from course.db import Base
from course.enrollment import record_override
from course.models import OverrideKind, User
from tests.app.test_access import ROLES, TABLE, Row
from tests.conftest import sign_in_as
from tests.page_forms import PageForm, filled, page_forms


def row_counts(db: Session) -> dict[str, int]:
    db.expire_all()
    return {
        table.name: db.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
        if table.name != "audit_events"  # reading is audited on purpose
    }


def browser(app: Flask, user: User | None) -> Any:
    client = app.test_client()
    if user is not None:
        sign_in_as(app, client, user)
    return client


def authorised_role(row: Row) -> str | None:
    """The first role the route serves (not 401/403/404/405), to exercise the route for real."""
    for role in ROLES:
        if role != "anonymous" and row.expected[role] not in (401, 403, 404, 405):
            return role
    return None


POST_ROWS = [row for row in TABLE if row.method == "POST"]
# Authenticated by a signed token in the URL instead of a session, so mail clients can POST (RFC 8058).
TOKEN_AUTHENTICATED = {"notify.unsubscribe"}
GET_ROWS = [row for row in TABLE if row.method == "GET"]


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.node.get_closest_marker("csrf"):
        return {**app_config, "WTF_CSRF_ENABLED": True}
    return app_config


@pytest.mark.csrf
def test_every_post_route_refuses_a_missing_csrf_token_and_changes_nothing(
    app: Flask, db: Session, world: dict[str, Any]
) -> None:
    failures = []
    for row in POST_ROWS:
        if row.endpoint in TOKEN_AUTHENTICATED:
            continue
        role = authorised_role(row)
        user = world["people"][role] if role else None
        url = row.url.format(**world["ids"])
        client = browser(app, user)
        before = row_counts(db)
        response = client.post(url, data={"text": "kept?", "submit": "y"})
        # The form again (400), or a button-only action sending the person back without acting.
        if response.status_code not in (400, 401, 410) and not 300 <= response.status_code < 400:
            failures.append(f"POST {url} as {role}: {response.status_code}")
        if row_counts(db) != before:
            failures.append(f"POST {url} as {role} changed the database without a token")
    assert not failures, "\n".join(failures)


def csrf_token(form: PageForm) -> str | None:
    """The CSRF token the form sends: its own hidden `csrf_token`, or `<prefix>-csrf_token` for a form with a
    prefix (several forms on one page), which Flask-WTF reads as well."""
    for name, value in form.fields.items():
        if value and (name == "csrf_token" or name.endswith("-csrf_token")):
            return value
    return None


def tokenless_post_forms(html: str) -> list[PageForm]:
    """The page's forms that post without a CSRF token of their own (inside the form, with a value)."""
    return [form for form in page_forms(html) if form.method == "post" and csrf_token(form) is None]


@pytest.mark.csrf
def test_every_post_form_on_every_page_carries_a_csrf_token(app: Flask, world: dict[str, Any]) -> None:
    # A form rendered without its token is refused only in production: 10b55db, the red-flag clear button.
    # notify.unsubscribe needs none (TOKEN_AUTHENTICATED), and no page shows a form to it.
    clients = {role: browser(app, world["people"].get(role)) for role in ROLES}
    failures = []
    checked = 0
    for row in GET_ROWS:
        url = row.url.format(**world["ids"])
        for role in ROLES:
            response = clients[role].get(url)
            response.close()
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            html = response.data.decode()
            checked += sum(form.method == "post" for form in page_forms(html))
            failures += [f"{url} as {role}: {form.action!r}" for form in tokenless_post_forms(html)]
    assert not failures, "post forms without a CSRF token:\n" + "\n".join(failures)
    assert checked >= len(GET_ROWS)  # the census read forms (every signed-in page has the sign-out form)


@pytest.fixture
def states(
    db: Session, make_patient: Callable[..., User], make_therapist: Callable[..., User], clock: FrozenClock
) -> tuple[User, dict[str, User]]:
    """A therapist and their patients in the states whose patient page shows forms the world's does not."""
    therapist = make_therapist()
    patients = {
        # Yes to a red flag at screening, not cleared (nor assessed: nobody has seen them yet).
        "blocked": make_patient(therapist, assessed=False),
        "awaiting_assessment": make_patient(therapist, assessed=False),
        "paused": make_patient(therapist),
    }
    blocked, paused = patients["blocked"].enrollment, patients["paused"].enrollment
    assert blocked is not None
    assert paused is not None
    blocked.red_flags = ["saddle-numbness"]
    record_override(db, paused, OverrideKind.PAUSE, by=therapist, now=clock())
    db.commit()
    return therapist, patients


# The form each state adds to the patient page, besides opening the next module (locked for all of them).
STATE_FORMS = {"blocked": "clear", "awaiting_assessment": "assessment", "paused": "resume"}


@pytest.mark.csrf
def test_patient_page_in_every_state_posts_each_form_with_a_token(
    app: Flask, states: tuple[User, dict[str, User]]
) -> None:
    therapist, patients = states
    staff = browser(app, therapist)
    for state, patient in patients.items():
        page = f"/clinic/patients/{patient.id}"
        html = staff.get(page).data.decode()
        actions = {form.path(page) for form in page_forms(html) if form.method == "post"}
        assert {f"{page}/{STATE_FORMS[state]}", f"{page}/unlock"} <= actions, state
        assert not [form.action for form in tokenless_post_forms(html)], state


@pytest.mark.csrf
def test_red_flag_clear_form_as_the_page_writes_it_lets_the_patient_start(
    app: Flask, db: Session, states: tuple[User, dict[str, User]]
) -> None:
    therapist, patients = states
    patient = patients["blocked"]
    staff = browser(app, therapist)
    page = f"/clinic/patients/{patient.id}"
    [form] = [f for f in page_forms(staff.get(page).data.decode()) if f.path(page) == f"{page}/clear"]
    # As a browser sends it: to the form's own action, with the fields the page wrote (the token among them).
    response = staff.post(form.action, data=filled(form, {}))
    assert response.status_code == 302
    enrollment = patient.enrollment
    assert enrollment is not None
    db.refresh(enrollment)
    assert enrollment.cleared_at is not None
    assert enrollment.cleared_by_id == therapist.id
    assert screening_status(enrollment) == "awaiting-assessment"
    assert "Red flags at screening" not in staff.get(page).data.decode()


def contents(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every row of every table, in primary-key order."""
    db.expire_all()
    found = {}
    for table in Base.metadata.sorted_tables:
        rows = db.execute(select(table).order_by(*table.primary_key.columns)).all()
        found[table.name] = [tuple(row) for row in rows]
    db.rollback()
    return found


def test_get_never_changes_state(app: Flask, db: Session, world: dict[str, Any]) -> None:
    clients = {role: browser(app, world["people"].get(role)) for role in ROLES}
    # The caseload's stored rows are a cache the first visit fills in (course/clinic/summary.py): filled
    # first, they must then stay as they are like everything else.
    for role in ("own_therapist", "other_therapist"):
        clients[role].get("/clinic/").close()
    before = contents(db)
    for row in GET_ROWS:
        for role in ROLES:
            response = clients[role].get(row.url.format(**world["ids"]))
            response.close()
            after = contents(db)
            # Reading is audited on purpose: the trail may grow, and what it held stays as it was.
            audited = after.pop("audit_events")
            assert audited[: len(before["audit_events"])] == before["audit_events"]
            changed = [name for name, rows in after.items() if rows != before[name]]
            assert not changed, f"GET {row.url} as {role} changed {changed}"


PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "'><iframe src=javascript:alert(1)></iframe>",
    "javascript:alert(1)",
]
NAME = "<script>alert(1)</script><svg onload=alert(1)>"  # names are at most 120 characters
RAW = re.compile(r"<script>alert|<img src=x|<svg onload|<iframe src=javascript", re.IGNORECASE)


def test_payloads_in_every_text_field_are_escaped_everywhere(
    app: Flask,
    db: Session,
    make_therapist: Callable[..., User],
    make_admin: Callable[..., User],
    clock: FrozenClock,
) -> None:
    payload = " ".join(PAYLOADS)
    admin = browser(app, make_admin())
    assert (
        admin.post(
            "/admin/therapists/new",
            data={
                "display_name": NAME,
                "email": "t@example.org",
                "timezone": "UTC",
                "password": "purple kettle morning",
                "confirm": "purple kettle morning",
            },
        ).status_code
        == 302
    )
    therapist = db.scalar(select(User).where(User.email == "t@example.org"))
    assert therapist is not None
    staff = browser(app, therapist)
    invite_page = staff.post(
        "/clinic/invites", data={"patient_name": NAME}, follow_redirects=True
    ).data.decode()
    link = re.search(r'value="http://127\.0\.0\.1:5000(/auth/join/[^"]+)"', invite_page)
    assert link
    patient_browser = app.test_client()
    patient_browser.post(
        link.group(1),
        data={
            "display_name": NAME,
            "email": "p@example.org",
            "password": "purple kettle morning",
            "confirm": "purple kettle morning",
            "timezone": "UTC",
            "accept": "y",
        },
    )
    confirm = re.search(r"(/auth/join/confirm/\S+)", app.extensions["course.sent_mail"][-1].body)
    assert confirm
    patient_browser.post(confirm.group(1))
    patient = db.scalar(select(User).where(User.email == "p@example.org"))
    assert patient is not None
    db.execute(User.__table__.update().where(User.id == patient.id).values(timezone="UTC"))
    patient.enrollment.screened_at = clock()  # type: ignore[union-attr]
    db.commit()
    patient_browser.post("/learn/first/intro", data={"submit": "y"})
    patient_browser.post(
        "/learn/first/alarm", data={"alarm_says": payload, "evidence-0-what": payload, "submit": "y"}
    )
    patient_browser.post("/checkin", data={"pain": "3", "note": payload})
    entry_page = patient_browser.post("/journal/new", data={"text": payload, "submission_key": "x"})
    entry_id = int(entry_page.headers["Location"].rsplit("/", 1)[1])
    patient_browser.post(f"/journal/{entry_id}/share")
    base = f"/clinic/patients/{patient.id}"
    staff.post(f"{base}/journal/{entry_id}/comment", data={"text": payload})
    staff.post(f"{base}/note", data={"text": payload})
    staff.post(f"{base}/pause", data={"reason": payload[:400]})
    patient_browser.post("/messages", data={"text": payload, "submission_key": "m1"})
    staff.post(f"/messages/patients/{patient.id}", data={"text": payload, "submission_key": "m2"})
    patient_browser.post("/messages", data={"text": payload, "submission_key": "m3"})
    pages = {
        patient_browser: [
            "/learn/",
            "/learn/first/alarm",
            "/journal/",
            f"/journal/{entry_id}",
            "/journal/print",
            f"/journal/{entry_id}/revisions",
            "/checkin",
            "/account/",
            "/messages",
        ],
        staff: [
            "/messages/patients",
            f"/messages/patients/{patient.id}",
            f"/messages/patients/{patient.id}/review",
            "/clinic/",
            base,
            f"{base}/work",
            f"{base}/journal/{entry_id}",
            "/clinic/invites",
            "/clinic/alerts",
        ],
        admin: ["/admin/", "/admin/audit"],
    }
    shown = 0
    for client, urls in pages.items():
        for url in urls:
            html = client.get(url).data.decode()
            assert not RAW.search(html), f"unescaped payload on {url}"
            shown += html.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert shown >= 10  # the payload really was shown (escaped) on the pages above


JUNK = st.one_of(
    st.text(max_size=60),
    # Every code point a form can carry (surrogates cannot be sent as UTF-8; see test_no_word_lost.py).
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=["Cs"])),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), max_size=20),
    st.just("x" * 60_000),
    st.just("paste \u202eright to left\u200f " * 4_000),  # about 100 KB
    st.sampled_from(["-1", "11", "1e309", "NaN", "2026-02-30", "yes", "", " ", "\x00", "☃" * 50]),
)
FIELD_NAMES = [
    "text",
    "note",
    "pain",
    "sleep_hours",
    "stress",
    "mood",
    "email",
    "password",
    "confirm",
    "display_name",
    "timezone",
    "accept",
    "reason",
    "alarm_says",
    "worry",
    "kind",
    "evidence-0-what",
    "hurt_harm",
    "adopt",
    "submission_key",
    "revision",
    "unlock-reason",
    "pause-reason",
    "alert-1-note",
    "item_q1",
    "item_q9",
    "pem",
    "flag_fever",
    "current",
    "submit",
    "save",
    "q",
    "patient_name",
    "habits",
    "calm_before",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_forms_never_answer_500(app: Flask, world: dict[str, Any], data: st.DataObject) -> None:
    row = data.draw(st.sampled_from(POST_ROWS))
    role = authorised_role(row) or "anonymous"
    fields = data.draw(st.dictionaries(st.sampled_from(FIELD_NAMES), JUNK, max_size=8))
    url = row.url.format(**world["ids"])
    response = browser(app, world["people"].get(role)).post(url, data=fields)
    assert response.status_code < 500, f"POST {url} as {role} with {fields!r}"
