"""The Alembic migrations produce exactly the models' schema, on SQLite and on PostgreSQL (upgrades of
filled databases: test_upgrades.py)."""

from __future__ import annotations

from typing import Any

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
