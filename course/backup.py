"""Backups a clinic can keep, and a restore that checks the file before touching anything.

- A backup is a consistent snapshot taken while the app runs: SQLite's online backup API, or pg_dump's custom
  format. It is written to a private temporary file (mode 0600, in a folder only its owner can open) and
  moved into place whole, so the file is never readable by other local users, nor left half written.
- With a clinic key configured (COURSE_BACKUP_RECIPIENT, an age public key "age1..."), the snapshot is
  encrypted to it in the age format (pyrage) before it reaches the target: the file holds no readable data,
  and only the matching identity (kept away from the server) can restore it.
- PostgreSQL's password reaches pg_dump, pg_restore and psql through the environment (PGPASSWORD), never on
  their command lines, where `ps` would show it to every local user.
- `open_snapshot` checks a backup before anything is changed: readable, a format this app writes, decrypts
  with the identity given, of this database's kind, a sound archive, and a schema revision this code knows
  (a backup from a newer version of the app is refused). Every refusal is one line (BackupError).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3

# Runs pg_dump, pg_restore and psql with fixed arguments, never a shell.
import subprocess  # nosec B404
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal
from urllib.request import pathname2url

import pyrage
from sqlalchemy.engine import URL, make_url

AGE_MAGIC = b"age-encryption.org/v1\n"
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
AGE_IDENTITY_PREFIX = "AGE-SECRET-KEY-1"

Kind = Literal["sqlite", "postgresql"]


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why, in one line."""


@dataclass(frozen=True)
class Snapshot:
    """A checked backup, decrypted when it was encrypted: a plain file in a private temporary folder."""

    path: Path
    kind: Kind
    revision: str
    encrypted: bool
    folder: Path  # private, removed with everything in it once the restore is done


def database_kind(url: str) -> Kind:
    """Which kind of database a URL names."""
    return "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The connection string for libpq's tools, without the password, and their environment with it."""
    parsed = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    # libpq does not know SQLAlchemy's "+psycopg" driver suffix.
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return plain.render_as_string(hide_password=False), environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run(
    arguments: list[str], environment: dict[str, str], **options: Any
) -> subprocess.CompletedProcess[Any]:
    # Fixed argument lists, no shell; the password is only in the environment.
    return subprocess.run(arguments, env=environment, check=False, **options)  # noqa: S603  # nosec B603


def recipient_of(text: str) -> Any:
    """The age recipient of a public key ("age1..."), or a clear error."""
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except pyrage.RecipientError:
        raise BackupError("COURSE_BACKUP_RECIPIENT is not an age public key (it starts with age1)") from None


def identity_of(value: str) -> Any:
    """The age identity in `value`: the key itself ("AGE-SECRET-KEY-1..."), or the path of an identity file
    (as `age-keygen` writes it: comments, then the key)."""
    text = value.strip()
    if not text.upper().startswith(AGE_IDENTITY_PREFIX):
        try:
            content = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise BackupError(f"cannot read the identity file {text}: {exc.strerror or exc}") from None
        keys = [
            line.strip()
            for line in content.splitlines()
            if line.strip().upper().startswith(AGE_IDENTITY_PREFIX)
        ]
        if not keys:
            raise BackupError(f"{text} holds no age identity (a line starting with {AGE_IDENTITY_PREFIX})")
        text = keys[0]
    try:
        return pyrage.x25519.Identity.from_str(text)
    except pyrage.IdentityError:
        raise BackupError("the identity is not an age secret key") from None


def backup(url: str, target: Path, *, recipient: str | None = None) -> None:
    """Write a consistent snapshot of the database to `target` (mode 0600; safe while the app is serving),
    encrypted to `recipient` (an age public key) when one is given."""
    encrypt_to = recipient_of(recipient) if recipient else None
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".course-backup-", dir=target.parent) as private:
        plain = Path(private) / "snapshot"
        if database_kind(url) == "sqlite":
            _new_private_file(plain).close()  # SQLite writes into the empty file, keeping its mode
            source = sqlite3.connect(_sqlite_path(url))
            try:
                destination = sqlite3.connect(plain)
                with destination:
                    source.backup(destination)
                destination.close()
            finally:
                source.close()
        else:
            connection, environment = _libpq(url)
            with _new_private_file(plain) as out:
                result = _run(
                    [_tool("pg_dump"), "--format=custom", "--no-owner", f"--dbname={connection}"],
                    environment,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    text=False,
                )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.decode(errors='replace').strip()}")
        if encrypt_to is None:
            plain.replace(target)  # the same file system: moved whole, still 0600
            return
        written = Path(private) / "encrypted"
        with _new_private_file(written) as out, plain.open("rb") as data:
            pyrage.encrypt_io(data, out, [encrypt_to])
        written.replace(target)


@contextmanager
def open_snapshot(source: Path, url: str, *, identity: str | None, known: Any) -> Iterator[Snapshot]:
    """Check a backup before anything is touched, and yield it as a plain file (removed afterwards).

    `identity`: the age identity (key or identity file) when the backup is encrypted. `known(revision)`
    says whether this code knows a schema revision (it is not newer than the code's head)."""
    try:
        with source.open("rb") as first:
            head = first.read(len(AGE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror or exc}") from None
    with tempfile.TemporaryDirectory(prefix="course-restore-") as private:
        plain = source
        encrypted = head.startswith(AGE_MAGIC)
        if encrypted:
            if not identity:
                raise BackupError(
                    f"{source} is encrypted: give the clinic's identity (--identity FILE, or "
                    "COURSE_BACKUP_IDENTITY)"
                )
            key = identity_of(identity)
            plain = Path(private) / "snapshot"
            try:
                with _new_private_file(plain) as out, source.open("rb") as data:
                    pyrage.decrypt_io(data, out, [key])
            except pyrage.DecryptError as exc:
                raise BackupError(f"cannot decrypt {source} with the identity given ({exc})") from None
            with plain.open("rb") as decrypted:
                head = decrypted.read(len(AGE_MAGIC))
        if head.startswith(SQLITE_MAGIC):
            kind: Kind = "sqlite"
        elif head.startswith(PGDUMP_MAGIC):
            kind = "postgresql"
        else:
            raise BackupError(
                f"{source} is not a backup this app writes (a SQLite database, a pg_dump archive, or either "
                "encrypted with age)"
            )
        wanted = database_kind(url)
        if kind != wanted:
            raise BackupError(
                f"{source} is a {_NAMES[kind]} backup, but this app's database is {_NAMES[wanted]}"
            )
        revision = _sqlite_revision(plain, source) if kind == "sqlite" else _pgdump_revision(plain, source)
        if not known(revision):
            raise BackupError(
                f"{source} comes from a newer version of the app (schema {revision}, unknown to this code): "
                "upgrade the app first"
            )
        yield Snapshot(plain, kind, revision, encrypted, Path(private))


_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_NO_REVISION = "{source} records no schema revision (it was not made from a database this app migrated)"


def new_identity(path: Path) -> str:
    """Write a new age identity to `path` (0600, as `age-keygen` would) and return its public key."""
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    try:
        with _new_private_file(path) as out:
            out.write(f"# public key: {public}\n{identity}\n".encode())
    except FileExistsError:
        raise BackupError(f"{path} exists already: choose a new file, so no key is overwritten") from None
    return public


def _new_private_file(path: Path) -> BinaryIO:
    """A new file that only its owner can read or write (0600 from the moment it exists)."""
    return open(path, "xb", opener=lambda name, flags: os.open(name, flags, 0o600))


def _read_only(path: Path) -> sqlite3.Connection:
    """A SQLite file opened read-only and immutable: nothing, not even a lock or a journal, is written
    beside it (it may be the clinic's own copy of a backup)."""
    return sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro&immutable=1", uri=True)


def _sqlite_revision(path: Path, source: Path) -> str:
    """The schema revision of a SQLite snapshot, once SQLite has checked the file is sound."""
    try:
        snapshot = _read_only(path)
        try:
            problems = [row[0] for row in snapshot.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise BackupError(f"{source} is damaged: {problems[0]}")
            rows = snapshot.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            snapshot.close()
    except sqlite3.OperationalError as exc:
        if "alembic_version" in str(exc):
            raise BackupError(_NO_REVISION.format(source=source)) from None
        raise BackupError(f"{source} cannot be read as a SQLite database: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} cannot be read as a SQLite database: {exc}") from None
    return _one_revision(rows, source)


def _pgdump_revision(path: Path, source: Path) -> str:
    """The schema revision of a pg_dump archive, once pg_restore has read the archive's table of contents."""
    tool = _tool("pg_restore")
    environment = dict(os.environ)
    listing = _run([tool, "--list", str(path)], environment, capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{source} is not a sound pg_dump archive: {listing.stderr.strip()}")
    data = _run(
        [tool, "--data-only", "--table=alembic_version", "--file=-", str(path)],
        environment,
        capture_output=True,
        text=True,
    )
    copying, rows = False, []
    for line in data.stdout.splitlines():
        if re.match(r"COPY \S*alembic_version\b", line):
            copying = True
        elif copying and line == "\\.":
            copying = False
        elif copying:
            rows.append((line.split("\t")[0],))
    return _one_revision(rows, source)


def _one_revision(rows: list[Any], source: Path) -> str:
    if len(rows) != 1 or not rows[0][0]:
        raise BackupError(_NO_REVISION.format(source=source))
    return str(rows[0][0])


def restore(url: str, snapshot: Snapshot, tables: list[str]) -> None:
    """Replace the database's contents with a checked snapshot (`open_snapshot`).

    On PostgreSQL the app's `tables` (and Alembic's) are dropped and the snapshot loaded in one transaction:
    a table the backup does not have is gone too, as on SQLite, and a failure changes nothing."""
    if snapshot.kind == "sqlite":
        source = _read_only(snapshot.path)
        try:
            destination = sqlite3.connect(_sqlite_path(url))
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
        return
    connection, environment = _libpq(url)
    script = snapshot.folder / "restore.sql"
    converted = _run(
        [_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(snapshot.path)],
        environment,
        capture_output=True,
        text=True,
    )
    if converted.returncode != 0:
        raise BackupError(f"pg_restore failed: {converted.stderr.strip()}")
    dropped = ", ".join(f'"{name}"' for name in [*tables, "alembic_version"])
    result = _run(
        [
            _tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--dbname={connection}",
            f"--command=DROP TABLE IF EXISTS {dropped} CASCADE",
            f"--file={script}",
        ],
        environment,
        capture_output=True,
        text=True,
    )
    script.unlink(missing_ok=True)
    if result.returncode != 0:
        raise BackupError(f"psql failed, nothing was changed: {result.stderr.strip()}")
