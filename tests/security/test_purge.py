"""`flask purge`, the daily retention run: what has outlived its use goes, what has not stays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import signins
from course.clock import FrozenClock
from course.enrollment import JOIN_CONFIRM_HOURS, create_invite, start_join
from course.models import PendingJoin, SignIn, User


def test_purge_removes_sign_ins_past_their_end_and_keeps_live_ones(
    app: Flask, db: Session, make_patient: Callable[..., User], clock: FrozenClock
) -> None:
    patient = make_patient()
    signins.start(db, patient, device="old", now=clock(), lasts=timedelta(hours=1))
    signins.start(db, patient, device="live", now=clock(), lasts=timedelta(days=30))
    db.commit()
    clock.advance(hours=2)
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 sign-ins past their end." in result.output
    db.expire_all()
    assert db.scalars(select(SignIn.device)).all() == ["live"]


def test_purge_removes_sign_ups_never_confirmed_in_time_and_keeps_fresh_ones(
    app: Flask, db: Session, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    invite, _token = create_invite(db, make_therapist(), patient_name=None, email=None, now=clock(), days=14)
    start_join(
        db,
        invite,
        email="old@example.org",
        display_name="Old",
        password="a long password",
        timezone="UTC",
        now=clock(),
    )
    clock.advance(hours=JOIN_CONFIRM_HOURS - 1)
    start_join(
        db,
        invite,
        email="new@example.org",
        display_name="New",
        password="a long password",
        timezone="UTC",
        now=clock(),
    )
    db.commit()
    clock.advance(hours=2)  # the first is past its hours, the second is not
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert f"Removed 1 sign-ups not confirmed within {JOIN_CONFIRM_HOURS} hours." in result.output
    db.expire_all()
    assert db.scalars(select(PendingJoin.email)).all() == ["new@example.org"]
