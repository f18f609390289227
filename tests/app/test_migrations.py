"""The Alembic migrations produce exactly the models' schema, on SQLite and on PostgreSQL (upgrades of
filled databases: test_upgrades.py)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from course import create_app
from course.db import Base, dispose


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


def test_user_ids_are_never_given_again_after_0012(fresh_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from course.cli import migrations_path

    if not fresh_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's sequences never give a number twice: 0012 changes nothing there")
    engine = create_engine(fresh_url)
    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    config.attributes["engine"] = engine
    command.upgrade(config, "0011")
    insert = text(
        "INSERT INTO users (id, email, display_name, password_hash, role, timezone, active, session_version,"
        " created_at) VALUES (:id, :email, 'P', 'x', 'patient', 'UTC', 1, 1, '2026-01-01 09:00:00')"
        " RETURNING id"
    )
    with engine.begin() as connection:
        for user_id in (1, 2, 3):
            connection.execute(insert, {"id": user_id, "email": f"p{user_id}@example.org"})
        # Account 7 was deleted before (the log keeps its id); account 3 is deleted after the upgrade.
        connection.execute(
            text(
                "INSERT INTO deletion_log (user_id, account_created_at, deleted_at)"
                " VALUES (7, '2026-01-01 09:00:00', '2026-01-02 09:00:00')"
            )
        )
    command.upgrade(config, "head")
    with engine.begin() as connection:
        users = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'users'")).scalar()
        assert "AUTOINCREMENT" in str(users)
        assert connection.execute(text("SELECT id FROM users ORDER BY id")).scalars().all() == [1, 2, 3]
        connection.execute(text("DELETE FROM users WHERE id = 3"))
        new = connection.execute(insert, {"id": None, "email": "new@example.org"}).scalar()
    assert new == 8  # above every id the database ever named
    engine.dispose()
