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

from course.models import User

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

TABLE = [
    Row("index", "GET", "/", every(302)),
    Row("healthz", "GET", "/healthz", every(200)),
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
    Row("learn.home", "GET", "/learn/", PATIENT_ONLY),
    Row("learn.module", "GET", "/learn/first", PATIENT_ONLY),
    Row("learn.module", "GET", "/learn/second", {**PATIENT_ONLY, "patient": 403, "other_patient": 403}),
    Row("learn.step", "GET", "/learn/first/intro", PATIENT_ONLY),
    Row("learn.step", "POST", "/learn/first/intro", {**PATIENT_ONLY, "patient": 302, "other_patient": 302}),
    Row("learn.step", "GET", "/learn/third/last", {**PATIENT_ONLY, "patient": 403, "other_patient": 403}),
    Row("clinic.caseload", "GET", "/clinic/", THERAPIST_ONLY),
    Row("clinic.invites", "GET", "/clinic/invites", THERAPIST_ONLY),
    Row("clinic.invites", "POST", "/clinic/invites", THERAPIST_ONLY),  # an empty invite is valid
    Row("admin.therapists", "GET", "/admin/", ADMIN_ONLY),
    Row("admin.new_therapist", "GET", "/admin/therapists/new", ADMIN_ONLY),
    Row("admin.new_therapist", "POST", "/admin/therapists/new", {**ADMIN_ONLY, "admin": 422}),
    Row("admin.set_therapist_active", "GET", "/admin/therapists/{therapist_id}/deactivate", every(405)),
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
def test_access_table(app: Flask, people: dict[str, User], role: str) -> None:
    failures = []
    for row in TABLE:
        client = app.test_client()
        if role != "anonymous":
            with client.session_transaction() as session:
                session["_user_id"] = people[role].get_id()
        url = row.url.format(patient_id=people["patient"].id, therapist_id=people["other_therapist"].id)
        response: Any = client.open(url, method=row.method)
        if response.status_code != row.expected[role]:
            failures.append(f"{row.method} {url}: expected {row.expected[role]}, got {response.status_code}")
        if response.status_code >= 400:
            assert b"Traceback" not in response.data
        response.close()
    assert not failures, "\n".join(failures)
