"""Consistent backups while the app runs, and restore: SQLite's online backup API, pg_dump for PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3

# Runs pg_dump and pg_restore with fixed arguments, never a shell.
import subprocess  # nosec B404
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_url(url: str) -> str:
    # pg_dump speaks libpq, which does not know SQLAlchemy's "+psycopg" driver suffix.
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def backup(url: str, target: Path) -> None:
    """Write a consistent snapshot of the database to `target` (safe while the app is serving)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url))
        try:
            destination = sqlite3.connect(target)
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
        return
    # Fixed argument list, no shell.
    result = subprocess.run(  # noqa: S603  # nosec B603
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq_url(url)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")


def restore(url: str, source: Path) -> None:
    """Replace the database's contents with a snapshot made by `backup`."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if url.startswith("sqlite"):
        snapshot = sqlite3.connect(source)
        try:
            destination = sqlite3.connect(_sqlite_path(url))
            with destination:
                snapshot.backup(destination)
            destination.close()
        finally:
            snapshot.close()
        return
    # Fixed argument list, no shell.
    result = subprocess.run(  # noqa: S603  # nosec B603
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(url)}",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
