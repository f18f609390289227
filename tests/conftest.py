"""Shared fixtures: an app on a clean database (SQLite always, PostgreSQL too when TEST_DATABASE_URL is set),
an injectable clock, a database session, factories and sign-in helpers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask import session as flask_session
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from course import create_app, extensions, signins
from course.auth.flow import PASSWORD_AT_KEY
from course.clock import FrozenClock
from course.db import Base, dispose
from course.models import Enrollment, Role, User

FIXTURE_PROGRAM = Path(__file__).parent / "fixtures" / "program"
TEST_PASSWORD = "correct horse battery"
# Staff made by the factories have this authenticator-app key; `sign_in_through_pages` types its codes.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# A cheap hash for accounts made by factories; the real scrypt path is tested in tests/app/test_auth.py.
_FAST_HASH = generate_password_hash(TEST_PASSWORD, method="pbkdf2:sha256:1000")
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday afternoon

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def pytest_report_header() -> str:
    """Say which databases the suite runs on."""
    if len(BACKENDS) == 1:
        return "databases: sqlite only (set TEST_DATABASE_URL to also run on PostgreSQL)"
    return "databases: sqlite and postgresql"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the models' tables, created once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
    from course.config import normalise_database_url

    url = normalise_database_url(url)
    engine = create_engine(url, poolclass=NullPool)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    engine = create_engine(url, poolclass=NullPool)
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the same backend as `database_url` (no tables: migrations make them)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"course_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_tables(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "sqlite":
            connection.execute(text("DELETE FROM sqlite_sequence")) if connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first() else None
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    """The app's 'now', standing still until a test moves it."""
    return FrozenClock(START)


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The test configuration; tests may change it before asking for `app`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "COURSE_CONTENT_DIR": str(FIXTURE_PROGRAM),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
        "MAIL_BACKEND": "memory",
        "COURSE_ENV": "testing",
    }


class BufferedClient(FlaskClient):
    """Flask's test client, reading each response to its end and closing it, as a server does: work the
    app leaves for after the response (an email sent once the page has gone) happens before the test goes
    on."""

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> Any:
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture
def app(app_config: dict[str, Any], clock: FrozenClock) -> Iterator[Flask]:
    """The application on a clean database with the frozen clock."""
    application = create_app(app_config)
    application.extensions["course.clock"] = clock
    application.test_client_class = BufferedClient
    yield application
    dispose(application)
    _empty_tables(app_config["DATABASE_URL"])


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser without cookies yet."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """The CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session outside any request, for arranging and checking data."""
    session: Session = extensions.sessions(app)()
    yield session
    session.close()


@pytest.fixture
def make_user(db: Session, clock: FrozenClock) -> Callable[..., User]:
    """Create an account quickly (cheap password hash)."""
    counter = {"n": 0}

    def make(
        role: Role = Role.PATIENT,
        *,
        email: str | None = None,
        name: str | None = None,
        timezone: str = "UTC",
        active: bool = True,
    ) -> User:
        counter["n"] += 1
        user = User(
            email=email or f"{role.value}{counter['n']}@example.org",
            display_name=name or f"{role.value.title()} {counter['n']}",
            password_hash=_FAST_HASH,
            role=role,
            timezone=timezone,
            active=active,
            session_version=1,
            created_at=clock(),
            totp_secret=None if role == Role.PATIENT else TEST_TOTP_SECRET,
        )
        db.add(user)
        db.commit()
        return user

    return make


@pytest.fixture
def make_therapist(make_user: Callable[..., User]) -> Callable[..., User]:
    """Create a therapist."""
    return lambda **kw: make_user(Role.THERAPIST, **kw)


@pytest.fixture
def make_admin(make_user: Callable[..., User]) -> Callable[..., User]:
    """Create a clinic admin."""
    return lambda **kw: make_user(Role.ADMIN, **kw)


@pytest.fixture
def make_patient(
    db: Session, make_user: Callable[..., User], make_therapist: Callable[..., User], clock: FrozenClock
) -> Callable[..., User]:
    """Create a patient enrolled with a therapist (a new one unless given)."""

    def make(
        therapist: User | None = None,
        *,
        started_at: datetime | None = None,
        screened: bool = True,
        pem: bool = False,
        assessed: bool = True,
        **kw: Any,
    ) -> User:
        patient = make_user(Role.PATIENT, **kw)
        therapist = therapist or make_therapist()
        start = started_at or clock()
        db.add(
            Enrollment(
                patient_id=patient.id,
                therapist_id=therapist.id,
                started_at=start,
                accepted_terms_at=start,
                screened_at=start if screened else None,
                assessed_at=start if assessed else None,
                assessed_by_id=therapist.id if assessed else None,
                pem=pem,
                red_flags=[],
            )
        )
        db.commit()
        return patient

    return make


def sign_in_token(app: Flask, user: User) -> str:
    """A sign-in recorded on the server for the user (lasting beyond any test: tests/security tests the real
    lifetimes); its token is what a session cookie carries."""
    with extensions.sessions(app)() as db:
        token = signins.start(
            db, user, device="Test browser", now=app.extensions["course.clock"](), lasts=timedelta(days=3650)
        )
        db.commit()
    return token


@contextmanager
def signed_in_request(app: Flask, user: User, *args: Any, **kwargs: Any) -> Iterator[None]:
    """`app.test_request_context(...)` whose session carries a sign-in of the user (for the user loader)."""
    token = sign_in_token(app, user)
    with app.test_request_context(*args, **kwargs):
        flask_session[signins.TOKEN_KEY] = token
        yield


def sign_in_as(app: Flask, client: FlaskClient, user: User) -> None:
    """Sign a user in on a test client as a finished sign-in leaves it: a sign-in recorded on the server and
    its token in the session."""
    now = app.extensions["course.clock"]()
    token = sign_in_token(app, user)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[signins.TOKEN_KEY] = token
        session["_seen"] = int(now.timestamp())
        session[PASSWORD_AT_KEY] = int(now.timestamp())  # as after typing the password to sign in


@pytest.fixture
def login(app: Flask, client: FlaskClient) -> Callable[[User], None]:
    """Sign a user in on the test client (through the session, as a finished sign-in would)."""
    return lambda user: sign_in_as(app, client, user)


def days(n: float) -> timedelta:
    """Shorthand for timedelta(days=n)."""
    return timedelta(days=n)


def totp_code(clock: FrozenClock, secret: str = TEST_TOTP_SECRET) -> str:
    """The authenticator app's code now."""
    return pyotp.TOTP(secret).at(clock())


def sign_in_through_pages(
    client: FlaskClient, user: User, clock: FrozenClock, password: str = TEST_PASSWORD, **extra: Any
) -> Any:
    """Sign in as a person does: the password, then (for staff) the authenticator app's code. The clock
    moves on 30 seconds first, since a code is accepted once. Returns the last response."""
    response = client.post("/auth/login", data={"email": user.email, "password": password, **extra})
    if response.status_code == 302 and response.headers["Location"] == "/auth/verify":
        clock.advance(seconds=30)
        response = client.post("/auth/verify", data={"code": totp_code(clock)})
    return response
