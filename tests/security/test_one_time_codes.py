"""A one-time code works once, even for two requests racing with it: each is claimed by a conditional UPDATE.

The race is played with two sessions that both read the person before either writes, as two requests on two
servers would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from course import extensions
from course.clock import FrozenClock
from course.models import User
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


def test_a_code_is_still_refused_after_it_was_used_and_the_next_one_works(
    db: Session, make_therapist: Callable[..., User], clock: FrozenClock
) -> None:
    therapist = make_therapist()
    code = totp_code(clock)
    assert accept_totp(db, therapist, code, clock())
    assert not accept_totp(db, therapist, code, clock())
    clock.advance(seconds=30)
    assert accept_totp(db, therapist, totp_code(clock), clock())
