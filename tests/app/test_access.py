"""One access table: every route in the URL map × every role → the expected status.

A new route without a row here fails `test_access_table_covers_every_route`.
Roles: anonymous, the patient, another patient, the patient's own therapist, another therapist, an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from course.alerts import raise_alert
from course.assets import fingerprinted
from course.clock import FrozenClock
from course.journal.services import create_entry, set_shared, soft_delete
from course.models import FeedbackRequest, TryIt, User
from tests.conftest import FIXTURE_PROGRAM, sign_in_as

# The fixture program's recorded guide, by its fingerprinted name.
GUIDE = fingerprinted("guide.wav", (FIXTURE_PROGRAM / "first" / "media" / "guide.wav").read_bytes())
ROLES = ("anonymous", "patient", "other_patient", "own_therapist", "other_therapist", "admin")


@dataclass(frozen=True)
class Row:
    """How one route answers each role. `url` may use {patient_id}, {therapist_id} placeholders."""

    endpoint: str
    method: str
    url: str
    expected: dict[str, int]


def every(code: int, **overrides: int) -> dict[str, int]:
    return {role: overrides.get(role, code) for role in ROLES}


LOGIN = 302  # anonymous users are sent to sign in
PATIENT_ONLY = every(403, anonymous=LOGIN, patient=200, other_patient=200)
THERAPIST_ONLY = every(403, anonymous=LOGIN, own_therapist=200, other_therapist=200)
ADMIN_ONLY = every(403, anonymous=LOGIN, admin=200)
# Someone else's object answers 404, never 403 with a hint.
OWN_PATIENT_ONLY = every(403, anonymous=LOGIN, patient=200, other_patient=404)
OWN_THERAPIST_ONLY = every(403, anonymous=LOGIN, own_therapist=200, other_therapist=404)

TABLE = [
    Row("site.index", "GET", "/", every(302)),
    Row("site.help_now", "GET", "/help", every(200)),
    Row("site.healthz", "GET", "/healthz", every(200)),
    Row("site.readyz", "GET", "/readyz", every(200)),
    Row("static", "GET", "/static/app.css", every(200)),
    Row("auth.login", "GET", "/auth/login", every(302, anonymous=200)),
    Row("auth.login", "POST", "/auth/login", every(302, anonymous=422)),
    Row("auth.logout", "GET", "/auth/logout", every(405)),
    Row("auth.logout", "POST", "/auth/logout", every(302)),
    Row("auth.reset_request", "GET", "/auth/reset", every(200)),
    Row("auth.reset_request", "POST", "/auth/reset", every(422)),
    Row("auth.reset_password", "GET", "/auth/reset/not-a-token", every(410)),
    Row("auth.reset_password", "POST", "/auth/reset/not-a-token", every(410)),
    Row("auth.join", "GET", "/auth/join/not-a-token", every(410)),
    Row("auth.join", "POST", "/auth/join/not-a-token", every(410)),
    # The second factor: the steps between password and sign-in answer 302 (to sign in) with none pending.
    Row("auth.verify", "GET", "/auth/verify", every(302)),
    Row("auth.verify", "POST", "/auth/verify", every(302)),
    Row("auth.enrol", "GET", "/auth/enrol", every(200, anonymous=LOGIN)),
    Row("auth.enrol_app", "GET", "/auth/enrol/app", every(200, anonymous=LOGIN)),
    Row("auth.enrol_app", "POST", "/auth/enrol/app", every(422, anonymous=LOGIN)),
    # No first passkey owes anyone recovery codes here: both go back to choosing a second step.
    Row("auth.enrol_codes", "GET", "/auth/enrol/codes", every(302)),
    Row("auth.enrol_codes", "POST", "/auth/enrol/codes", every(302)),
    Row("auth.enrol_done", "POST", "/auth/enrol/done", every(302)),
    # Staff have a second factor (the factories give them an authenticator app): new codes, shown once.
    Row(
        "auth.renew_recovery_codes",
        "POST",
        "/auth/recovery-codes",
        every(200, anonymous=302, patient=302, other_patient=302),
    ),
    Row("auth.passkey_register_options", "POST", "/auth/passkey/register/options", every(200, anonymous=401)),
    Row("auth.passkey_register", "POST", "/auth/passkey/register", every(400)),
    Row("auth.passkey_sign_in_options", "POST", "/auth/passkey/sign-in/options", every(401)),
    Row("auth.passkey_sign_in", "POST", "/auth/passkey/sign-in", every(401)),
    Row("auth.join_confirm", "GET", "/auth/join/confirm/not-a-token", every(410)),
    Row("auth.join_confirm", "POST", "/auth/join/confirm/not-a-token", every(410)),
    Row("account.end_other_sign_ins", "POST", "/account/sign-ins/end-others", every(302)),
    # An empty form (no password): refused, nothing turned off; staff cannot turn theirs off.
    Row(
        "account.turn_off_factors",
        "POST",
        "/account/second-factor/off",
        {**PATIENT_ONLY, "patient": 422, "other_patient": 422},
    ),
    Row("admin.reset_second_factor", "GET", "/admin/staff/{therapist_id}/second-factor", ADMIN_ONLY),
    # Without a reason, nothing is reset.
    Row(
        "admin.reset_second_factor",
        "POST",
        "/admin/staff/{therapist_id}/second-factor",
        {**ADMIN_ONLY, "admin": 422},
    ),
    Row("auth.join_sign_out", "POST", "/auth/join/not-a-token/sign-out", every(410)),
    Row("learn.home", "GET", "/learn/", PATIENT_ONLY),
    Row("learn.module", "GET", "/learn/first", PATIENT_ONLY),
    Row("learn.module", "GET", "/learn/second", {**PATIENT_ONLY, "patient": 403, "other_patient": 403}),
    Row("learn.step", "GET", "/learn/first/intro", PATIENT_ONLY),
    Row("learn.step", "POST", "/learn/first/intro", {**PATIENT_ONLY, "patient": 302, "other_patient": 302}),
    Row("learn.step", "GET", "/learn/third/last", {**PATIENT_ONLY, "patient": 403, "other_patient": 403}),
    # A recorded guide: served where the step is open, refused where it is locked.
    Row("learn.guide", "GET", f"/learn/first/intro/audio/{GUIDE}", PATIENT_ONLY),
    Row(
        "learn.guide",
        "GET",
        f"/learn/second/breathe/audio/{GUIDE}",
        {**PATIENT_ONLY, "patient": 403, "other_patient": 403},
    ),
    Row("journal.index", "GET", "/journal/", PATIENT_ONLY),
    Row("journal.new", "GET", "/journal/new", PATIENT_ONLY),
    # Anonymous posts are kept for after sign-in (302); an empty entry is refused (422).
    Row("journal.new", "POST", "/journal/new", {**PATIENT_ONLY, "patient": 422, "other_patient": 422}),
    Row("journal.entry", "GET", "/journal/{entry_id}", OWN_PATIENT_ONLY),
    Row("journal.entry", "GET", "/journal/{private_entry_id}", OWN_PATIENT_ONLY),
    Row("journal.edit", "GET", "/journal/{entry_id}/edit", OWN_PATIENT_ONLY),
    Row("journal.edit", "POST", "/journal/{entry_id}/edit", {**OWN_PATIENT_ONLY, "patient": 422}),
    Row("journal.revisions", "GET", "/journal/{entry_id}/revisions", OWN_PATIENT_ONLY),
    Row("journal.act", "POST", "/journal/{private_entry_id}/unshare", {**OWN_PATIENT_ONLY, "patient": 302}),
    Row("journal.deleted", "GET", "/journal/deleted", PATIENT_ONLY),
    Row(
        "journal.restore_entry",
        "POST",
        "/journal/{deleted_entry_id}/restore",
        {**OWN_PATIENT_ONLY, "patient": 302},
    ),
    Row("journal.export", "GET", "/journal/export.json", PATIENT_ONLY),
    Row("journal.export", "GET", "/journal/export.md", PATIENT_ONLY),
    Row("journal.print_view", "GET", "/journal/print", PATIENT_ONLY),
    Row("tracking.checkin", "GET", "/checkin", PATIENT_ONLY),
    Row("tracking.checkin", "POST", "/checkin", {**PATIENT_ONLY, "patient": 422, "other_patient": 422}),
    Row(
        "tracking.checkin",
        "GET",
        "/checkin/2020-01-01",
        {**PATIENT_ONLY, "patient": 422, "other_patient": 422},
    ),
    Row("tracking.habits", "GET", "/habits", PATIENT_ONLY),
    Row(
        "tracking.habit_action",
        "POST",
        "/habits/wind-down/adopt",
        {**PATIENT_ONLY, "patient": 302, "other_patient": 302},
    ),
    Row(
        "tracking.habit_action",
        "POST",
        "/habits/no-such-habit/adopt",
        {**PATIENT_ONLY, "patient": 404, "other_patient": 404},
    ),
    Row("tracking.evidence", "GET", "/evidence", PATIENT_ONLY),
    Row(
        "tracking.add_statement",
        "POST",
        "/evidence/add/sleep-pain",
        {**PATIENT_ONLY, "patient": 302, "other_patient": 302},
    ),
    # Practice any day: the tools open with the weeks that teach them (locked for a new patient, 403).
    Row("practice.index", "GET", "/practice", PATIENT_ONLY),
    Row(
        "practice.somatic",
        "GET",
        "/practice/somatic/short",
        {**PATIENT_ONLY, "patient": 403, "other_patient": 403},
    ),
    Row(
        "practice.somatic",
        "POST",
        "/practice/somatic/short",
        {**PATIENT_ONLY, "patient": 403, "other_patient": 403},
    ),
    Row(
        "practice.somatic",
        "GET",
        "/practice/somatic/no-such-script",
        {**PATIENT_ONLY, "patient": 404, "other_patient": 404},
    ),
    Row("practice.try_it", "GET", "/practice/try-it", {**PATIENT_ONLY, "patient": 403, "other_patient": 403}),
    Row(
        "practice.try_it", "POST", "/practice/try-it", {**PATIENT_ONLY, "patient": 403, "other_patient": 403}
    ),
    Row("practice.reappraise", "GET", "/practice/reappraise", PATIENT_ONLY),
    Row(
        "practice.reappraise",
        "POST",
        "/practice/reappraise",
        {**PATIENT_ONLY, "patient": 422, "other_patient": 422},
    ),
    # Boosters open a month and three months after the last week is finished.
    Row(
        "practice.booster",
        "GET",
        "/practice/booster/month-1",
        {**PATIENT_ONLY, "patient": 403, "other_patient": 403},
    ),
    Row(
        "practice.booster",
        "POST",
        "/practice/booster/month-1",
        {**PATIENT_ONLY, "patient": 403, "other_patient": 403},
    ),
    Row(
        "practice.booster",
        "GET",
        "/practice/booster/no-such",
        {**PATIENT_ONLY, "patient": 404, "other_patient": 404},
    ),
    # An experiment the patient wrote earlier can always be compared; an empty comparison is refused.
    Row("practice.compare", "GET", "/practice/try-it/{try_it_id}", OWN_PATIENT_ONLY),
    Row("practice.compare", "POST", "/practice/try-it/{try_it_id}", {**OWN_PATIENT_ONLY, "patient": 422}),
    Row("practice.patient_logs", "GET", "/practice/patients/{patient_id}", OWN_THERAPIST_ONLY),
    Row("assess.screening", "GET", "/screening", PATIENT_ONLY),  # already screened: a thank-you page
    Row("assess.screening", "POST", "/screening", PATIENT_ONLY),
    Row("assess.measures", "GET", "/measures", PATIENT_ONLY),
    Row("assess.answer", "GET", "/measures/phq9/enrollment", PATIENT_ONLY),
    Row(
        "assess.answer",
        "POST",
        "/measures/phq9/enrollment",
        {**PATIENT_ONLY, "patient": 422, "other_patient": 422},
    ),
    Row(
        "assess.answer",
        "GET",
        "/measures/phq9/no-such-time",
        {**PATIENT_ONLY, "patient": 404, "other_patient": 404},
    ),
    Row("account.settings", "GET", "/account/", every(200, anonymous=LOGIN)),
    Row("account.change_password", "POST", "/account/password", every(422, anonymous=LOGIN)),
    Row("account.confirm_password", "GET", "/account/confirm-password", every(200, anonymous=LOGIN)),
    Row("account.confirm_password", "POST", "/account/confirm-password", every(422, anonymous=LOGIN)),
    Row("account.change_timezone", "GET", "/account/timezone", every(200, anonymous=LOGIN)),
    Row("account.change_timezone", "POST", "/account/timezone", every(422, anonymous=LOGIN)),
    Row("account.export", "GET", "/account/export.zip", PATIENT_ONLY),
    Row(
        "account.delete_request",
        "POST",
        "/account/delete",
        {**PATIENT_ONLY, "patient": 422, "other_patient": 422},
    ),
    Row(
        "account.delete_cancel",
        "POST",
        "/account/delete/cancel",
        {**PATIENT_ONLY, "patient": 302, "other_patient": 302},
    ),
    Row("notify.preferences", "GET", "/notifications/preferences", every(200, anonymous=LOGIN)),
    Row("notify.preferences", "POST", "/notifications/preferences", every(302, anonymous=LOGIN)),
    Row("notify.unsubscribe", "GET", "/notifications/unsubscribe/not-a-token", every(404)),
    Row("notify.unsubscribe", "POST", "/notifications/unsubscribe/not-a-token", every(404)),
    Row("notify.inbox", "GET", "/notifications/", every(200, anonymous=LOGIN)),
    Row("notify.mark_read", "POST", "/notifications/read", every(302)),
    Row("clinic.caseload", "GET", "/clinic/", THERAPIST_ONLY),
    Row("clinic.caseload", "GET", "/clinic/?show=paused&sort=-pain", THERAPIST_ONLY),
    Row("clinic.export_caseload", "GET", "/clinic/export.csv", THERAPIST_ONLY),
    Row("clinic.alerts", "GET", "/clinic/alerts", THERAPIST_ONLY),
    Row(
        "clinic.acknowledge_alert",
        "POST",
        "/clinic/alerts/{alert_id}/acknowledge",
        {**OWN_THERAPIST_ONLY, "own_therapist": 302},
    ),
    Row("clinic.acknowledge_alert", "GET", "/clinic/alerts/{alert_id}/acknowledge", OWN_THERAPIST_ONLY),
    Row("clinic.patient", "GET", "/clinic/patients/{patient_id}", OWN_THERAPIST_ONLY),
    Row("clinic.timeline", "GET", "/clinic/patients/{patient_id}/timeline", OWN_THERAPIST_ONLY),
    Row(
        "clinic.timeline",
        "GET",
        "/clinic/patients/{patient_id}/timeline?kind=alerts&kind=notes&until=2026-01-01T00:00:00",
        OWN_THERAPIST_ONLY,
    ),
    Row("clinic.print_view", "GET", "/clinic/patients/{patient_id}/print", OWN_THERAPIST_ONLY),
    Row("clinic.note", "GET", "/clinic/patients/{patient_id}/note", OWN_THERAPIST_ONLY),
    Row("clinic.pacing_action", "GET", "/clinic/patients/{patient_id}/unlock", OWN_THERAPIST_ONLY),
    Row("clinic.work", "GET", "/clinic/patients/{patient_id}/work", OWN_THERAPIST_ONLY),
    Row(
        "clinic.clear",
        "POST",
        "/clinic/patients/{patient_id}/clear",
        {**OWN_THERAPIST_ONLY, "own_therapist": 302},
    ),
    Row(
        "clinic.assessment",
        "POST",
        "/clinic/patients/{patient_id}/assessment",
        {**OWN_THERAPIST_ONLY, "own_therapist": 302},
    ),
    Row(
        "clinic.note",
        "POST",
        "/clinic/patients/{patient_id}/note",
        {**OWN_THERAPIST_ONLY, "own_therapist": 422},
    ),
    Row(
        "clinic.pacing_action",
        "POST",
        "/clinic/patients/{patient_id}/pause",
        {**OWN_THERAPIST_ONLY, "own_therapist": 302},
    ),
    Row("clinic.shared_entry", "GET", "/clinic/patients/{patient_id}/journal/{entry_id}", OWN_THERAPIST_ONLY),
    Row(
        "clinic.shared_entry",
        "GET",
        "/clinic/patients/{patient_id}/journal/{private_entry_id}",
        {**OWN_THERAPIST_ONLY, "own_therapist": 404},
    ),
    Row(
        "clinic.mark_entry_read",
        "POST",
        "/clinic/patients/{patient_id}/journal/{entry_id}/read",
        {**OWN_THERAPIST_ONLY, "own_therapist": 302},
    ),
    Row(
        "clinic.comment",
        "POST",
        "/clinic/patients/{patient_id}/journal/{entry_id}/comment",
        {**OWN_THERAPIST_ONLY, "own_therapist": 422},
    ),
    Row("clinic.feedback", "GET", "/clinic/patients/{patient_id}/feedback/{feedback_id}", OWN_THERAPIST_ONLY),
    # An empty reply is refused, and the words typed shown again.
    Row(
        "clinic.feedback",
        "POST",
        "/clinic/patients/{patient_id}/feedback/{feedback_id}",
        {**OWN_THERAPIST_ONLY, "own_therapist": 422},
    ),
    # Messages: a patient writes to their own therapist only; a therapist to their own patients (404 for
    # anyone else's); admins see none. An empty message is refused (422); a review may have no message.
    Row("messages.conversation", "GET", "/messages", PATIENT_ONLY),
    Row("messages.conversation", "POST", "/messages", {**PATIENT_ONLY, "patient": 422, "other_patient": 422}),
    Row(
        "messages.mark_conversation_read",
        "POST",
        "/messages/read",
        {**PATIENT_ONLY, "patient": 302, "other_patient": 302},
    ),
    Row("messages.inbox", "GET", "/messages/patients", THERAPIST_ONLY),
    Row("messages.patient_conversation", "GET", "/messages/patients/{patient_id}", OWN_THERAPIST_ONLY),
    Row(
        "messages.patient_conversation",
        "POST",
        "/messages/patients/{patient_id}",
        {**OWN_THERAPIST_ONLY, "own_therapist": 422},
    ),
    Row(
        "messages.mark_patient_read",
        "POST",
        "/messages/patients/{patient_id}/read",
        {**OWN_THERAPIST_ONLY, "own_therapist": 302},
    ),
    Row("messages.review", "GET", "/messages/patients/{patient_id}/review", OWN_THERAPIST_ONLY),
    Row(
        "messages.review",
        "POST",
        "/messages/patients/{patient_id}/review",
        {**OWN_THERAPIST_ONLY, "own_therapist": 302},
    ),
    Row(
        "messages.cadence",
        "POST",
        "/messages/patients/{patient_id}/cadence",
        {**OWN_THERAPIST_ONLY, "own_therapist": 302},
    ),
    Row("clinic.invites", "GET", "/clinic/invites", THERAPIST_ONLY),
    # An empty invite is valid: saved, then shown on the page it redirects to.
    Row(
        "clinic.invites",
        "POST",
        "/clinic/invites",
        {**THERAPIST_ONLY, "own_therapist": 302, "other_therapist": 302},
    ),
    Row("admin.therapists", "GET", "/admin/", ADMIN_ONLY),
    Row("admin.new_therapist", "GET", "/admin/therapists/new", ADMIN_ONLY),
    Row("admin.audit", "GET", "/admin/audit", ADMIN_ONLY),
    Row("admin.deletions", "GET", "/admin/deletions", ADMIN_ONLY),
    # The patient has not asked for deletion: nothing to complete.
    Row("admin.complete_deletion", "POST", "/admin/deletions/{patient_id}", {**ADMIN_ONLY, "admin": 404}),
    Row("admin.audit_csv", "GET", "/admin/audit.csv", ADMIN_ONLY),
    Row("admin.new_therapist", "POST", "/admin/therapists/new", {**ADMIN_ONLY, "admin": 422}),
    Row("admin.set_therapist_active", "GET", "/admin/therapists/{therapist_id}/deactivate", every(405)),
    # The other therapist follows a patient: deactivating them leads to the handover.
    Row("admin.handover", "GET", "/admin/therapists/{therapist_id}/handover", ADMIN_ONLY),
    Row("admin.handover", "POST", "/admin/therapists/{therapist_id}/handover", {**ADMIN_ONLY, "admin": 422}),
    Row("admin.handover", "GET", "/admin/therapists/{patient_id}/handover", {**ADMIN_ONLY, "admin": 404}),
    Row(
        "admin.set_therapist_active",
        "POST",
        "/admin/therapists/{therapist_id}/deactivate",
        {**ADMIN_ONLY, "admin": 302},
    ),
    Row(
        "admin.set_therapist_active",
        "POST",
        "/admin/therapists/{patient_id}/reactivate",
        {**ADMIN_ONLY, "admin": 404},
    ),
]


def test_access_table_covers_every_route(app: Flask) -> None:
    routed = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    covered = {(row.endpoint, row.method) for row in TABLE}
    missing = routed - covered
    assert not missing, f"routes without a row in the access table: {sorted(missing)}"


@pytest.fixture
def people(
    make_patient: Callable[..., User], make_therapist: Callable[..., User], make_admin: Callable[..., User]
) -> dict[str, User]:
    own, other = make_therapist(), make_therapist()
    return {
        "patient": make_patient(own),
        "other_patient": make_patient(other),
        "own_therapist": own,
        "other_therapist": other,
        "admin": make_admin(),
    }


@pytest.mark.parametrize("role", ROLES)
def test_access_table(
    app: Flask, db: Session, people: dict[str, User], clock: FrozenClock, role: str
) -> None:
    patient = people["patient"]
    shared = create_entry(db, patient, "Shared with my therapist", now=clock()).entry
    set_shared(shared, True, clock())
    private = create_entry(db, patient, "Only for me", now=clock()).entry
    deleted = create_entry(db, patient, "Deleted", now=clock()).entry
    soft_delete(deleted, clock())
    db.commit()
    alert = raise_alert(db, patient.enrollment, "crisis", now=clock(), details={"source": "journal"})
    db.commit()
    try_it = TryIt(patient_id=patient.id, activity="A walk", prediction="It will hurt", predicted=8)
    db.add(try_it)
    feedback = FeedbackRequest(
        enrollment_id=patient.enrollment.id,  # type: ignore[union-attr]
        module_slug="first",
        step_id="alarm",
        asked_at=clock(),
    )
    db.add(feedback)
    db.commit()
    entries = {
        "feedback_id": feedback.id,
        "try_it_id": try_it.id,
        "entry_id": shared.id,
        "private_entry_id": private.id,
        "deleted_entry_id": deleted.id,
        "alert_id": alert.id,
    }
    failures = []
    for row in TABLE:
        client = app.test_client()
        if role != "anonymous":
            sign_in_as(app, client, people[role])
        url = row.url.format(
            patient_id=people["patient"].id, therapist_id=people["other_therapist"].id, **entries
        )
        response: Any = client.open(url, method=row.method)
        if response.status_code != row.expected[role]:
            failures.append(f"{row.method} {url}: expected {row.expected[role]}, got {response.status_code}")
        if response.status_code >= 400:
            assert b"Traceback" not in response.data
        response.close()
    assert not failures, "\n".join(failures)
