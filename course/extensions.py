"""Flask extensions, created unbound and wired in create_app, and typed accessors for what the app loads at
start-up (the program, the questionnaires, their schedule).

Views and commands ask `extensions.catalog()` rather than `current_app.extensions[...]`: one name per
thing, with its type, and the storage key written in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from .content.model import Catalog
from .measures.model import Measure
from .measures.schedule import Schedule

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

csrf = CSRFProtect()

# Storage comes from RATELIMIT_STORAGE_URI: Redis (redis://...) when several servers share the counters,
# memory otherwise. Limits are declared on the views that need them (sign-in, password reset).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# The methods no limit applies to.
EXEMPT_FROM_LIMITS = frozenset({"GET", "HEAD", "OPTIONS"})


@limiter.request_filter
def _reads_are_never_limited() -> bool:
    """Every limit guards a POST (sign-in, password reset), so a page read is never counted.

    A test (tests/security/test_sessions_and_passwords.py) checks that every declared limit names only POST.
    """
    return request.method in EXEMPT_FROM_LIMITS


@dataclass(frozen=True)
class Program:
    """What create_app loads once and every request reads: the program, its questionnaires and when they
    are due."""

    catalog: Catalog
    measures: dict[str, Measure]
    schedule: Schedule


_PROGRAM = "course.program"
# Set by course.db.init_app.
_SESSIONMAKER = "course.sessionmaker"


def init_program(app: Flask, program: Program) -> None:
    """Keep the loaded program on the app (create_app, once)."""
    app.extensions[_PROGRAM] = program


def program(app: Flask | None = None) -> Program:
    """The program loaded by create_app, for `app` or the current app."""
    found: Program = (app or current_app).extensions[_PROGRAM]
    return found


def catalog(app: Flask | None = None) -> Catalog:
    """The program's modules and steps (modules/, validated at start-up)."""
    return program(app).catalog


def measures(app: Flask | None = None) -> dict[str, Measure]:
    """The questionnaires by key: the shipped ones and a clinic's licensed ones (COURSE_MEASURES_DIR)."""
    return program(app).measures


def schedule(app: Flask | None = None) -> Schedule:
    """When each questionnaire is due (course.yaml, or the default schedule)."""
    return program(app).schedule


def sessions(app: Flask | None = None) -> sessionmaker[Session]:
    """The factory of database sessions outside the request's own (course.db.get_db)."""
    found: sessionmaker[Session] = (app or current_app).extensions[_SESSIONMAKER]
    return found
