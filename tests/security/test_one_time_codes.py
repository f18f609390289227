"""A one-time code works once, even for two requests racing with it: each is claimed by a conditional UPDATE.

The race is played with two sessions that both read the person before either writes, as two requests on two
servers would."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from course import extensions
from course.clock import FrozenClock
from course.models import RecoveryCode, User
from course.second_factor import accept_totp, new_recovery_codes, use_recovery_code
from tests.conftest import totp_code


@pytest.fixture
def sessions(app: Flask) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = extensions.sessions(app)
    return maker


def test_a_totp_code_used_by_two_requests_at_once_passes_once(
    sessions: sessionmaker[Session], make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    therapist_id = make_therapist().id
    code = totp_code(clock)
    with sessions() as first, sessions() as second:
        # Both requests have read the person (no step used yet) before either accepts the code.
        mine, theirs = first.get(User, therapist_id), second.get(User, therapist_id)
        assert mine is not None
        assert theirs is not None
        assert mine.totp_last_step is None
        assert theirs.totp_last_step is None
        assert accept_totp(first, mine, code, clock())
        first.commit()
        assert not accept_totp(second, theirs, code, clock())
        second.commit()


def test_a_recovery_code_used_by_two_requests_at_once_passes_once(
    db: Session, sessions: sessionmaker[Session], make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    therapist = make_therapist()
    code = new_recovery_codes(db, therapist)[0]
    db.commit()
    passed = []
    with sessions() as first, sessions() as second:
        mine, theirs = first.get(User, therapist.id), second.get(User, therapist.id)
        assert mine is not None
        assert theirs is not None

        def other_request() -> None:
            passed.append(use_recovery_code(first, mine, code, clock()))
            first.commit()

        def sneak_in(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            # The other request uses the code right after anything the second one reads of the codes.
            if (
                not passed
                and statement.lstrip().upper().startswith("SELECT")
                and "recovery_codes" in statement
            ):
                other_request()

        event.listen(second.connection(), "after_cursor_execute", sneak_in)
        passed.append(use_recovery_code(second, theirs, code, clock()))
        second.commit()
        if len(passed) == 1:
            other_request()
    assert sorted(passed) == [False, True]


def test_two_requests_making_recovery_codes_at_once_leave_one_set_working(
    db: Session, sessions: sessionmaker[Session], make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    """Two presses of "Make new recovery codes" at once (two tabs, a double click): the person sees the
    codes of the one answered last, and only those work. The second request starts while the first one's
    transaction is open, and is seen waiting for it (on PostgreSQL, in pg_stat_activity) before it ends."""
    therapist = make_therapist()
    new_recovery_codes(db, therapist)
    db.commit()
    made: dict[str, list[str]] = {}
    with sessions() as first, sessions() as second:
        mine, theirs = first.get(User, therapist.id), second.get(User, therapist.id)
        assert mine is not None
        assert theirs is not None
        postgres = first.get_bind().dialect.name == "postgresql"
        if postgres:  # fail rather than hang should the lock never come
            second.execute(text("SET lock_timeout = '10s'"))
        made["first"] = new_recovery_codes(first, mine)  # not committed yet

        def other_request() -> None:
            made["second"] = new_recovery_codes(second, theirs)
            second.commit()

        racing = threading.Thread(target=other_request, daemon=True)
        try:
            racing.start()
            if postgres:
                assert _lock_waits(first), "the second request never waited for the first"
            else:  # SQLite: one writer at a time; the second is in its busy wait
                racing.join(0.5)
            assert racing.is_alive()
        finally:
            first.commit()
        racing.join(15)
        assert not racing.is_alive()
    db.expire_all()
    working = select(func.count()).where(RecoveryCode.user_id == therapist.id, RecoveryCode.used_at.is_(None))
    assert db.scalar(working) == 10
    assert use_recovery_code(db, therapist, made["second"][0], clock())
    assert not use_recovery_code(db, therapist, made["first"][0], clock())


def _lock_waits(session: Session, seconds: float = 10.0) -> bool:
    """Whether a backend of this database comes to wait for a lock within `seconds`."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if session.scalar(waiting):
            return True
        time.sleep(0.02)
    return False


def test_a_code_is_still_refused_after_it_was_used_and_the_next_one_works(
    db: Session, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    therapist = make_therapist()
    code = totp_code(clock)
    assert accept_totp(db, therapist, code, clock())
    assert not accept_totp(db, therapist, code, clock())
    clock.advance(seconds=30)
    assert accept_totp(db, therapist, totp_code(clock), clock())
