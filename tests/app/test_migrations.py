"""The Alembic migrations produce exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, text

from course import create_app
from course.db import Base, dispose


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the same backend as `database_url`."""
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


def test_migrations_match_models_and_downgrade_cleanly(app_config: dict[str, Any], fresh_url: str) -> None:
    app = create_app({**app_config, "DATABASE_URL": fresh_url})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(fresh_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], differences

    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    dispose(app)


def test_migrations_upgrade_filled_database_without_loss(app_config: dict[str, Any], fresh_url: str) -> None:
    app = create_app({**app_config, "DATABASE_URL": fresh_url})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0001"]).exit_code == 0
    engine = create_engine(fresh_url)
    users = """
        INSERT INTO users (id, email, display_name, password_hash, role, timezone, active, session_version,
                           created_at)
        VALUES (1, 't@example.org', 'T', 'x', 'therapist', 'UTC', true, 1, '2026-01-01 00:00:00'),
               (2, 'p@example.org', 'P', 'x', 'patient', 'UTC', true, 1, '2026-01-01 00:00:00')
    """
    enrollment = """
        INSERT INTO enrollments (id, patient_id, therapist_id, started_at, accepted_terms_at, paused)
        VALUES (1, 2, 1, '2026-01-02 00:00:00', '2026-01-02 00:00:00', false)
    """
    entry = """
        INSERT INTO journal_entries (id, patient_id, text, shared, created_at, updated_at)
        VALUES (1, 2, 'Written before the upgrade', false, '2026-01-03 00:00:00', '2026-01-03 00:00:00')
    """
    with engine.begin() as connection:
        for statement in (users, enrollment, entry):
            connection.execute(text(statement))
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        kept_entry = connection.execute(text("SELECT text, revision FROM journal_entries")).one()
        kept_enrollment = connection.execute(text("SELECT patient_id, red_flags FROM enrollments")).one()
    assert tuple(kept_entry) == ("Written before the upgrade", 1)
    assert kept_enrollment[0] == 2
    assert kept_enrollment[1] in ([], "[]")
    engine.dispose()
    dispose(app)
