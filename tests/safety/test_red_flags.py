"""One list of red flags in urgency tiers, and every place that shows them reads it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from course.assess.forms import ScreeningForm, flag_field
from course.models import User
from course.safety import RED_FLAGS, TIERS, flags_in, red_flag, tier, urgency_of
from tests.safety.test_crisis_everywhere import section, sign_in

PROJECT = Path(__file__).parent.parent.parent
FIXTURE = PROJECT / "tests" / "fixtures" / "program"


def test_tiers_run_from_most_to_least_urgent() -> None:
    assert [t.urgency for t in TIERS] == ["emergency", "same-day", "soon"]
    assert all(tier(t.urgency) is t for t in TIERS)


def test_every_flag_has_a_question_a_sign_a_concern_and_a_known_tier() -> None:
    ids = [flag.id for flag in RED_FLAGS]
    assert len(ids) == len(set(ids))
    for flag in RED_FLAGS:
        assert flag.urgency in {t.urgency for t in TIERS}
        assert flag.question.endswith("?"), flag.id
        assert flag.sign.endswith("."), flag.id
        assert flag.concern, flag.id
        assert red_flag(flag.id) is flag
    assert red_flag("no-such-flag") is None
    assert all(flags_in(t.urgency) for t in TIERS)


def test_the_list_covers_signs_beyond_the_spine() -> None:
    ids = {flag.id for flag in RED_FLAGS}
    assert {"bladder-bowel", "saddle-numbness", "leg-weakness"} <= set(f.id for f in flags_in("emergency"))
    assert "spreading-numbness" in {f.id for f in flags_in("same-day")}
    for wanted in (
        "steroids-bones",
        "immune-infection",
        "new-after-50",
        "chest-pain",
        "calf-pain",
        "hot-joint",
    ):
        assert wanted in ids, wanted
    assert "headache-jaw-vision" in ids


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], None),
        (["unknown"], None),
        (["fever"], "soon"),
        (["fever", "hot-joint"], "same-day"),
        (["calf-pain", "spreading-numbness", "saddle-numbness"], "emergency"),
        (["hot-joint", "unknown"], "same-day"),
    ],
)
def test_urgency_is_the_most_urgent_tier_answered(flags: list[str], expected: str | None) -> None:
    assert urgency_of(flags) == expected


def test_the_screening_form_asks_every_flag(app: Flask) -> None:
    with app.test_request_context():
        form = ScreeningForm()
        for flag in RED_FLAGS:
            assert flag_field(form, flag.id).label.text == flag.question


def test_the_therapist_sees_the_flags_by_tier_with_the_concern(
    app: Flask, client: FlaskClient, make_patient: Callable[..., User], make_therapist: Callable[..., User]
) -> None:
    therapist = make_therapist()
    patient = make_patient(therapist, screened=False)
    sign_in(client, patient)
    answers = {f"flag_{f.id.replace('-', '_')}": "no" for f in RED_FLAGS}
    answers |= {"flag_hot_joint": "yes", "flag_calf_pain": "yes"}
    client.post("/screening", data={**answers, "pem": "no"})
    staff = app.test_client()
    sign_in(staff, therapist)
    page = staff.get(f"/clinic/patients/{patient.id}").data.decode()
    flags = section(page, "red-flags")
    hot, calf = red_flag("hot-joint"), red_flag("calf-pain")
    assert hot is not None
    assert calf is not None
    assert flags.index(tier("same-day").heading) < flags.index(hot.sign) < flags.index(tier("soon").heading)
    assert flags.index(tier("soon").heading) < flags.index(calf.sign)
    assert hot.concern in flags
    assert tier("emergency").heading not in flags


def test_the_help_page_lists_every_flag(client: FlaskClient) -> None:
    body = section(client.get("/help").data.decode(), "help-body").replace("&#34;", '"')
    for flag in RED_FLAGS:
        assert flag.sign in body


def test_flask_check_reports_a_movement_step_without_a_path(tmp_path: Path) -> None:
    program = tmp_path / "modules"
    program.mkdir()
    for item in FIXTURE.rglob("*"):
        target = program / item.relative_to(FIXTURE)
        if item.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(item.read_bytes())
    module = program / "second" / "module.yaml"
    module.write_text(module.read_text().replace("covers: [evidence, safety-lens]", "covers: [movement]"))
    env: dict[str, Any] = {
        "PATH": str(Path(sys.executable).parent),
        "COURSE_ENV": "development",
        "COURSE_CONTENT_DIR": str(program),
        "COURSE_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "course", "check"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "second/module.yaml:" in result.stderr
    assert "step 'breathe' is in a module that covers movement, so it needs a path" in result.stderr
