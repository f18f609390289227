"""Alembic environment: runs against the engine the Flask CLI hands over (see course/cli.py)."""

from __future__ import annotations

from alembic import context

# Importing the models registers their tables on Base.metadata.
from course import models  # noqa: F401
from course.db import Base, UTCDateTime


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write UTCDateTime as a plain DateTime, so migrations never depend on app code that may change."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite alters a table by rebuilding it (batch mode): it copies the rows into a new table, drops the
        # old one and renames the new. With foreign keys enforced, dropping the old table first deletes every
        # row that refers to it, through ON DELETE CASCADE: altering `enrollments` emptied step_progress,
        # program_overrides, alerts and more. Enforcement is off while migrating (it can only change outside
        # a transaction), the references are checked before committing, and it is on again after.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=sqlite,
                compare_type=True,
                render_item=render_item,
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration left rows referring to missing rows: {broken[:10]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
