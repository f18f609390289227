"""A failed request's work is rolled back, but what must stay stays: the trail of the failed attempt and the
sign-in's bookkeeping (`db.keep_after_rollback`, `audit.record_failure`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import clock as app_clock
from course.audit import record, record_failure
from course.auth.flow import sign_out
from course.clock import FrozenClock
from course.db import get_db
from course.models import AuditEvent, SignIn, User
from tests.app.test_patient_page_cost import count_statements
from tests.conftest import TEST_PASSWORD, sign_in_as


def actions(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The app with a route that records an ordinary event and a failure, then answers `status` (or
    raises), optionally committing in the middle."""

    def attempt(status: int) -> tuple[str, int]:
        db = get_db()
        record(db, None, None, "ordinary_work", now=app_clock.now())
        record_failure(db, None, None, "failed_attempt", now=app_clock.now())
        if status == 299:  # a view that commits its work itself, then fails
            db.commit()
            status = 422
        if status == 500:
            raise RuntimeError("the view broke")
        if status == 404:
            abort(404)
        return "", status

    app.add_url_rule("/test-attempt/<int:status>", "test_attempt", attempt, methods=["GET", "POST"])
    return app


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("status", [422, 403, 404, 500])
def test_a_failed_request_keeps_its_failure_and_nothing_else(
    failing_app: Flask, db: Session, method: str, status: int
) -> None:
    failing_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = failing_app.test_client().open(f"/test-attempt/{status}", method=method)
    assert response.status_code == status
    # On PostgreSQL a GET writes as it goes (no transaction to roll back); elsewhere the work is undone.
    reading = method == "GET" and db.get_bind().dialect.name == "postgresql"
    expected = ["ordinary_work", "failed_attempt"] if reading else ["failed_attempt"]
    assert sorted(actions(db)) == sorted(expected)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_successful_request_writes_the_failure_once(failing_app: Flask, db: Session, method: str) -> None:
    assert failing_app.test_client().open("/test-attempt/200", method=method).status_code == 200
    assert sorted(actions(db)) == ["failed_attempt", "ordinary_work"]


def test_what_a_view_committed_itself_is_not_written_twice(failing_app: Flask, db: Session) -> None:
    assert failing_app.test_client().post("/test-attempt/299").status_code == 422
    assert sorted(actions(db)) == ["failed_attempt", "ordinary_work"]


def test_a_wrong_password_is_kept_with_the_sign_ins_bookkeeping(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    patient = make_patient()
    login(patient)
    clock.advance(minutes=5)  # the sign-in's last use is noted again (at most once a minute)
    refused = client.post(
        "/account/password",
        data={"current": "not it", "password": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    assert refused.status_code == 422
    assert actions(db) == ["password_check_failed"]
    assert db.scalar(select(SignIn.last_seen_at)) == clock()


def test_a_wrong_code_is_kept_in_the_trail(
    client: FlaskClient, db: Session, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    therapist = make_therapist()
    client.post("/auth/login", data={"email": therapist.email, "password": TEST_PASSWORD})
    assert client.post("/auth/verify", data={"code": "000000"}).status_code == 422
    assert actions(db) == ["second_factor_failed"]


def test_a_sign_out_holds_even_when_its_request_fails(
    app: Flask,
    client: FlaskClient,
    db: Session,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
) -> None:
    def sign_out_then_fail() -> tuple[str, int]:
        sign_out(current_user._get_current_object(), why="sign_out")
        return "", 403

    app.add_url_rule("/test-sign-out", "test_sign_out", sign_out_then_fail, methods=["POST"])
    login(make_patient())
    assert db.scalar(select(SignIn.id)) is not None
    assert client.post("/test-sign-out").status_code == 403
    db.expire_all()
    assert db.scalar(select(SignIn.id)) is None  # a copy of the cookie no longer works
    assert actions(db) == ["sign_out"]


def test_the_sign_ins_last_use_is_written_after_the_page(
    app: Flask, client: FlaskClient, db: Session, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    """Once a minute a request notes the sign-in's use; it writes after the view's own statements, so on
    SQLite the write lock is not held while the page is built."""
    login_as = make_therapist()
    sign_in_as(app, client, login_as)
    assert client.get("/clinic/").status_code == 200
    clock.advance(minutes=2)
    with count_statements(app) as statements:
        assert client.get("/clinic/").status_code == 200
    touched = [n for n, statement in enumerate(statements) if "UPDATE sign_ins" in statement]
    reads = [n for n, statement in enumerate(statements) if statement.lstrip().upper().startswith("SELECT")]
    assert len(touched) == 1
    assert touched[0] > max(reads)
    assert db.scalar(select(SignIn.last_seen_at).where(SignIn.user_id == login_as.id)) == clock()
