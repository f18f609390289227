"""Reminders and digests: decided from the database, sent once over real SMTP, and then they stop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course import extensions
from course.alerts import raise_alert
from course.clock import FrozenClock
from course.demo import demo_answers
from course.learn.services import save_step
from course.models import Enrollment, Notification, SentMessage, User
from course.notify.services import due_messages, send_all
from tests.conftest import days
from tests.notify.conftest import Inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: tuple[Inbox, int]) -> dict[str, Any]:
    return {
        **app_config,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp[1],
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
    }


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


def run(runner: Any) -> str:
    result = runner.invoke(args=["send-notifications"])
    assert result.exit_code == 0, result.output
    return str(result.output)


@pytest.fixture
def patient(make_patient: Callable[..., User]) -> User:
    return make_patient(timezone="America/Denver")  # enrolled Monday 2 March, 08:00 in Denver


def finish_week_one(app: Flask, db: Session, patient: User, clock: FrozenClock) -> None:
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert enrollment is not None
    module = extensions.catalog(app).modules[0]
    for step in module.steps:
        save_step(db, enrollment, module.slug, step, demo_answers(step), complete=True, now=clock())
    db.commit()


def test_week_open_email_once_with_link_and_no_health_details(
    app: Flask, runner: Any, db: Session, patient: User, clock: FrozenClock, inbox: Inbox
) -> None:
    finish_week_one(app, db, patient, clock)
    clock.set(clock() + days(7) + timedelta(hours=2))  # Monday 9 March, 11:00 in Denver: week 2 open
    run(runner)
    assert "Your next module is ready" in inbox.subjects(patient.email)
    mail = next(m for m in inbox.messages if m["Subject"] == "Your next module is ready")
    body = mail.get_payload(decode=True).decode()
    assert "/learn/second" in body
    assert "pain" not in body.lower()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    count = len(inbox.messages)
    run(runner)
    assert len(inbox.messages) == count  # a second run sends nothing new


def test_quiet_hours_hold_patient_email_until_morning(
    app: Flask, runner: Any, db: Session, patient: User, clock: FrozenClock, inbox: Inbox
) -> None:
    finish_week_one(app, db, patient, clock)
    clock.set(clock() + days(6) + timedelta(hours=14))  # Monday 9 March 05:00 UTC = Sunday 22:00 in Denver
    run(runner)
    assert inbox.subjects(patient.email) == []
    clock.advance(hours=8)  # 06:00 in Denver, still quiet
    run(runner)
    assert inbox.subjects(patient.email) == []
    clock.advance(hours=3)  # 09:00
    run(runner)
    assert "Your next module is ready" in inbox.subjects(patient.email)


def test_nothing_while_paused_or_after_finishing(
    app: Flask, runner: Any, db: Session, make_patient: Callable[..., User], clock: FrozenClock, inbox: Inbox
) -> None:
    paused = make_patient(timezone="UTC")
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == paused.id))
    assert enrollment is not None
    enrollment.paused = True
    db.commit()
    clock.advance(days=5)  # quiet for 5 days: would be nudged if not paused
    run(runner)
    assert inbox.subjects(paused.email) == []


def test_nudge_after_three_quiet_days_at_most_weekly(
    runner: Any, patient: User, clock: FrozenClock, inbox: Inbox
) -> None:
    clock.advance(days=2)
    run(runner)
    assert "Your next step is waiting" not in inbox.subjects(patient.email)
    clock.advance(days=1, hours=1)
    run(runner)
    assert inbox.subjects(patient.email).count("Your next step is waiting") == 1
    for _ in range(6):
        clock.advance(days=1)
        run(runner)
    assert inbox.subjects(patient.email).count("Your next step is waiting") == 1
    clock.advance(days=1)
    run(runner)
    assert inbox.subjects(patient.email).count("Your next step is waiting") == 2


def test_measure_due_email_links_to_the_questionnaire(
    runner: Any, patient: User, clock: FrozenClock, inbox: Inbox
) -> None:
    clock.advance(hours=2)
    run(runner)
    mails = [m for m in inbox.messages if m["Subject"] == "A short questionnaire is ready"]
    assert mails
    assert "/measures/" in mails[0].get_payload(decode=True).decode()


def test_unsubscribe_link_get_shows_post_stops_that_kind(
    app: Flask, client: Any, runner: Any, db: Session, patient: User, clock: FrozenClock, inbox: Inbox
) -> None:
    clock.advance(days=3, hours=1)
    run(runner)
    mail = next(m for m in inbox.messages if m["Subject"] == "Your next step is waiting")
    link = "".join(str(mail["List-Unsubscribe"]).split()).strip("<>")  # long headers are folded
    path = urlsplit(link).path
    assert path.startswith("/notifications/unsubscribe/"), link
    page = client.get(path)
    assert "Stop these emails?" in page.data.decode()
    assert db.scalar(select(func.count()).select_from(SentMessage)) >= 1
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert "You will no longer get these emails" in done.data.decode()
    clock.advance(days=8)
    run(runner)
    assert inbox.subjects(patient.email).count("Your next step is waiting") == 1
    assert client.get(path.replace("unsubscribe/", "unsubscribe/x")).status_code == 404


def test_therapist_safety_alert_at_once_and_daily_digest(
    app: Flask, runner: Any, db: Session, patient: User, clock: FrozenClock, inbox: Inbox
) -> None:
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert enrollment is not None
    therapist = enrollment.therapist
    raise_alert(db, enrollment, "crisis", now=clock(), details={"source": "journal"})
    db.commit()
    run(runner)
    assert inbox.subjects(therapist.email).count("A safety alert needs your attention") == 1
    body = next(m for m in inbox.messages if m["To"] == therapist.email).get_payload(decode=True).decode()
    assert "journal" not in body  # no patient details in email
    assert "Your daily summary" in inbox.subjects(therapist.email)
    run(runner)
    assert inbox.subjects(therapist.email).count("Your daily summary") == 1
    texts = set(db.scalars(select(Notification.text).where(Notification.user_id == therapist.id)))
    assert "A safety alert needs your attention." in texts
    assert any(t.startswith("Daily summary: 1 new alert") for t in texts)


def test_safety_alert_without_an_active_therapist_goes_to_the_admins(
    app: Flask,
    runner: Any,
    db: Session,
    patient: User,
    make_admin: Callable[..., User],
    clock: FrozenClock,
    inbox: Inbox,
) -> None:
    admins = [make_admin(), make_admin()]
    retired = make_admin(active=False)
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
    assert enrollment is not None
    therapist = enrollment.therapist
    therapist.active = False  # deactivated before handing over was required
    raise_alert(db, enrollment, "red_flag", now=clock(), details={"source": "screening"})
    db.commit()
    run(runner)
    run(runner)
    assert inbox.subjects(therapist.email) == []
    for admin in admins:
        assert inbox.subjects(admin.email) == ["A safety alert has no active therapist"]
        notes = db.scalars(select(Notification).where(Notification.user_id == admin.id)).all()
        assert len(notes) == 1
        assert notes[0].link.endswith(f"/admin/therapists/{therapist.id}/handover")  # type: ignore[union-attr]
        assert notes[0].patient_id == patient.id  # goes with the patient's deletion
    assert inbox.subjects(retired.email) == []


def test_failed_send_is_retried_next_run(app: Flask, db: Session, patient: User, clock: FrozenClock) -> None:
    clock.advance(days=3, hours=1)
    with app.app_context():
        messages = due_messages(db, extensions.catalog(app), extensions.schedule(app), clock(), "http://x")

        def broken(_message: Any) -> None:
            raise OSError("SMTP down")

        report = send_all(db, messages, broken, clock())
        assert report.failed == len(messages) > 0
        assert db.scalar(select(func.count()).select_from(SentMessage)) == 0
        sent: list[str] = []
        report = send_all(db, messages, lambda m: sent.append(m.key), clock())
        assert report.sent == len(messages)


def test_two_runs_at_once_send_each_message_once(
    app: Flask, db: Session, patient: User, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    for _ in range(5):
        make_patient(timezone="UTC")
    clock.advance(days=3, hours=1)
    delivered: list[str] = []
    lock = threading.Lock()

    def one_run() -> None:
        with app.app_context():
            session = extensions.sessions(app)()
            messages = due_messages(
                session,
                extensions.catalog(app),
                extensions.schedule(app),
                clock(),
                "http://x",
            )

            def deliver(message: Any) -> None:
                with lock:
                    delivered.append(message.key)

            send_all(session, messages, deliver, clock())
            session.close()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert delivered
    assert len(delivered) == len(set(delivered))
    assert db.scalar(select(func.count()).select_from(SentMessage)) == len(delivered)


def test_preferences_page_switches_kinds_off_and_on(
    client: Any, db: Session, patient: User, login: Callable[[User], None]
) -> None:
    login(patient)
    page = client.get("/notifications/preferences").data.decode()
    assert "When a new week of the program opens" in page
    client.post("/notifications/preferences", data={"kinds": ["week_open"]})
    page = client.get("/notifications/preferences").data.decode()
    assert 'value="week_open" checked' in page
    assert 'value="nudge" checked' not in page
