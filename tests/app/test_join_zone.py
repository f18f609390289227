"""Weeks that open at the patient's own midnight: the join form starts from the clinic's zone (the browser's
where JavaScript runs, see tests/browser/test_time_zone.py) and says the chosen zone in plain words."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from course import create_app
from course._zones import zone_words
from course.clock import FrozenClock
from course.config import DEMO_TIMEZONE
from course.enrollment import create_invite
from course.models import User

FIXTURE = Path(__file__).parent.parent / "fixtures" / "program"


@pytest.mark.parametrize(
    ("zone", "words"),
    [
        ("America/Denver", "Denver time"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
        ("Europe/London", "London time"),
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
    ],
)
def test_zone_words_name_the_place(zone: str, words: str) -> None:
    assert zone_words(zone) == words


@pytest.fixture
def denver(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["COURSE_DEFAULT_TIMEZONE"] = "America/Denver"
    return app_config


def join_page(app: Flask, db: Session, therapist: User, clock: FrozenClock) -> tuple[str, str]:
    _invite, token = create_invite(db, therapist, patient_name=None, email=None, now=clock(), days=7)
    db.commit()
    return f"/auth/join/{token}", app.test_client().get(f"/auth/join/{token}").data.decode()


def selected_zone(page: str) -> str | None:
    found = re.search(r'<option selected value="([^"]+)"|<option value="([^"]+)" selected', page)
    return next((group for group in found.groups() if group), None) if found else None


def test_join_form_without_javascript_starts_at_the_clinic_zone_in_words(
    denver: dict[str, Any], app: Flask, db: Session, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    _url, page = join_page(app, db, make_therapist(), clock)
    assert selected_zone(page) == "America/Denver"
    assert "Weeks open at midnight, <strong>Denver time</strong>." in page
    assert "data-suggest-zone" in page  # a first visit: the browser's zone may replace the clinic's


def test_join_form_sent_back_keeps_the_chosen_zone_and_its_words(
    denver: dict[str, Any], app: Flask, db: Session, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    url, _page = join_page(app, db, make_therapist(), clock)
    client = app.test_client()
    response = client.post(url, data={"display_name": "Ana", "timezone": "Asia/Kolkata", "submit": "y"})
    page = response.data.decode()
    assert response.status_code == 422
    assert selected_zone(page) == "Asia/Kolkata"
    assert "Weeks open at midnight, <strong>Kolkata time</strong>." in page
    assert "data-suggest-zone" not in page  # the person's choice is never replaced


def test_account_says_the_zone_in_words(
    app: Flask, make_patient: Callable[..., User], login: Callable[[User], None], client: Any
) -> None:
    patient = make_patient()
    login(patient)
    words = zone_words(patient.timezone)
    assert f"Weeks open at midnight, {words}." in client.get("/account/").data.decode()
    assert (
        f"Weeks open at midnight, <strong>{words}</strong>." in client.get("/account/timezone").data.decode()
    )


def test_clinic_zone_defaults_to_the_demo_clinic_in_development_and_utc_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COURSE_DEFAULT_TIMEZONE", raising=False)
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(FIXTURE))
    monkeypatch.setenv("COURSE_ENV", "development")
    assert create_app().config["COURSE_DEFAULT_TIMEZONE"] == DEMO_TIMEZONE == "America/Denver"
    monkeypatch.setenv("COURSE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("COURSE_WORKERS", "1")
    assert create_app().config["COURSE_DEFAULT_TIMEZONE"] == "UTC"


def test_clinic_zone_that_is_not_a_zone_refuses_in_one_line(app_config: dict[str, Any]) -> None:
    app_config["COURSE_DEFAULT_TIMEZONE"] = "Mountain Time"
    with pytest.raises(SystemExit) as stopped:
        create_app(app_config)
    message = str(stopped.value.code)
    assert message.startswith("course: COURSE_DEFAULT_TIMEZONE 'Mountain Time' is not a time zone.")
    assert "\n" not in message


def test_zone_words_sent_back_without_a_choice_name_the_clinic_zone(
    denver: dict[str, Any], app: Flask, db: Session, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    url, _page = join_page(app, db, make_therapist(), clock)
    response = app.test_client().post(url, data={"display_name": "Ana", "submit": "y"})
    assert response.status_code == 422
    assert "Weeks open at midnight, <strong>Denver time</strong>." in response.data.decode()
