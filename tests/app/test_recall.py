"""`recall:` shows a patient their own earlier answer above a later step, escaped, or kind words when they
left it empty (or nothing, when the content gives none); never anyone else's."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from course.clock import FrozenClock
from course.models import User
from tests.app.test_added_steps import OLD_WEEKS, finish
from tests.conftest import FIXTURE_PROGRAM

LAST = "    title: The last lesson\n"
LADDER = "    title: Climbing the fear ladder\n"


@pytest.fixture
def recalling_program(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The fixture program with week 3 showing back week 1's answers: with kind words, and without."""
    program = tmp_path / "recalling"
    shutil.copytree(FIXTURE_PROGRAM, program)
    third = program / "third" / "module.yaml"
    third.write_text(
        third.read_text()
        .replace(
            LAST,
            LAST + "    recall: {answer: first/alarm/alarm-says, label: What your alarm said in week 1, "
            "missing: You left this empty in week 1. That is fine.}\n",
        )
        .replace(
            LADDER, LADDER + "    recall: {answer: first/alarm/feelings, label: Your feelings in week 1}\n"
        )
    )
    app_config["COURSE_CONTENT_DIR"] = str(program)
    return app_config


def in_week_three(db: Session, patient: User, answers: dict[str, Any], clock: FrozenClock) -> None:
    enrollment = patient.enrollment
    assert enrollment is not None
    finish(db, enrollment, OLD_WEEKS, clock() - timedelta(days=29))
    finish(db, enrollment, {"third": ("last",)}, clock() - timedelta(days=1))  # so the ladder lesson is open
    if answers:
        progress = next(p for p in enrollment.progress if (p.module_slug, p.step_id) == ("first", "alarm"))
        progress.answers = answers
        db.commit()


def test_the_patients_own_words_come_back_escaped(
    recalling_program: dict[str, Any],
    app: Any,
    db: Session,
    client: Any,
    login: Callable[[User], None],
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    patient = make_patient(started_at=clock() - timedelta(days=30))
    words = 'It says <b>"danger"</b>\nand stop & rest.'
    in_week_three(db, patient, {"alarm-says": words, "feelings": ["Fear", "Calm"]}, clock)
    other = make_patient(started_at=clock() - timedelta(days=30))
    in_week_three(db, other, {"alarm-says": "Someone else's words"}, clock)
    login(patient)
    page = client.get("/learn/third/last").data.decode()
    assert "What your alarm said in week 1" in page
    assert "It says &lt;b&gt;&#34;danger&#34;&lt;/b&gt;\nand stop &amp; rest." in page
    assert "<b>" not in page
    assert "Someone else" not in page
    ladder = client.get("/learn/third/ladder").data.decode()
    assert "Your feelings in week 1" in ladder
    assert "Fear, Calm" in ladder


def test_an_empty_answer_is_met_kindly_or_not_shown(
    recalling_program: dict[str, Any],
    app: Any,
    db: Session,
    client: Any,
    login: Callable[[User], None],
    make_patient: Callable[..., User],
    clock: FrozenClock,
) -> None:
    patient = make_patient(started_at=clock() - timedelta(days=30))
    in_week_three(db, patient, {"alarm-says": "  ", "feelings": []}, clock)
    login(patient)
    page = client.get("/learn/third/last").data.decode()
    assert "What your alarm said in week 1" in page
    assert "You left this empty in week 1. That is fine." in page
    assert "Your feelings in week 1" not in client.get("/learn/third/ladder").data.decode()
