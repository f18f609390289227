"""Downloads of health data: every CSV cell safe to open in a spreadsheet, and no authenticated answer kept
in a browser's cache."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from course.audit import record
from course.clock import FrozenClock
from course.csvfile import csv_text, safe_cell
from course.models import CheckIn, User
from tests.app.test_access import ROLES, TABLE
from tests.security.test_forms import browser

# Each of these would run as a formula in a spreadsheet.
FORMULAS = ["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://evil")']


@pytest.mark.parametrize("text", FORMULAS)
def test_safe_cell_text_that_starts_like_a_formula_is_written_as_text(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert list(csv.reader(io.StringIO(csv_text([[text]]), newline=""))) == [["'" + text]]


@pytest.mark.parametrize("value", ["plain", "a=b", "1-2", "", "'=already", " =x"])
def test_safe_cell_other_text_is_left_alone(value: str) -> None:
    assert safe_cell(value) == value


def test_safe_cell_numbers_stay_numbers_and_none_is_empty() -> None:
    assert csv_text([[-1.5, -2, 0, True, None]]) == "-1.5,-2,0,True,\r\n"


def cells(body: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body, newline="")) for cell in row]


def test_every_csv_the_app_writes_escapes_formulas(
    app: Flask,
    db: Session,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    make_admin: Callable[..., User],
    clock: FrozenClock,
) -> None:
    therapist = make_therapist(email="=cmd@example.org")
    patient = make_patient(therapist, name="@SUM(A1)", email="=1+2@example.org")
    for n, note in enumerate(FORMULAS):
        db.add(CheckIn(patient_id=patient.id, day=date(2026, 3, 1 + n), pain=3, note=note, mood="-sad"))
    record(db, therapist, patient.id, "+action", now=clock())
    db.commit()
    caseload = browser(app, therapist).get("/clinic/export.csv").data.decode()
    audit = browser(app, make_admin()).get("/admin/audit.csv").data.decode()
    archive = zipfile.ZipFile(io.BytesIO(browser(app, patient).get("/account/export.zip").data))
    checkins = archive.read("check-ins.csv").decode()
    written = cells(caseload) + cells(audit) + cells(checkins)
    for expected in ["'@SUM(A1)", "'=1+2@example.org", "'=cmd@example.org", "'+action", "'-sad"]:
        assert expected in written
    for formula in FORMULAS:
        assert "'" + formula in cells(checkins)
    assert not [cell for cell in written if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


# The program's recorded guides (learn.guide) are the same for every patient, carry a hash of their content in
# their name, and are long: they are cached, privately, for a year (seeking on a phone must not refetch).
KEPT_CONTENT = ("learn.guide",)


def test_no_store_on_every_authenticated_answer_and_download(app: Flask, world: dict[str, Any]) -> None:
    failures = []
    downloads = 0
    for row in TABLE:
        if row.method != "GET" or row.endpoint == "static":
            continue
        for role in ROLES:
            if role == "anonymous" or row.expected[role] >= 400:
                continue
            response = browser(app, world["people"][role]).get(row.url.format(**world["ids"]))
            if row.endpoint in KEPT_CONTENT:
                # Program content under a name that changes with it: kept by this browser only, never shared.
                cache = response.cache_control
                if not (cache.private and cache.immutable and not cache.public and cache.max_age):
                    failures.append(f"GET {row.url} as {role}: {response.headers.get('Cache-Control')}")
                response.close()
                continue
            if "no-store" not in response.headers.get("Cache-Control", ""):
                failures.append(f"GET {row.url} as {role}: {response.headers.get('Cache-Control')}")
            downloads += "attachment" in response.headers.get("Content-Disposition", "")
            response.close()
    assert not failures, "\n".join(failures)
    assert downloads >= 5  # the ZIP, JSON, Markdown and CSV downloads were among them
