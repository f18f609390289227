"""Command-line tasks: migrations, accounts, demo data and the content check."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from . import clock, extensions, signins
from .accounts import AccountError, create_user
from .config import PROJECT_ROOT, is_development, require_secret_key
from .content.model import Catalog
from .db import Base, dispose, get_db, get_engine
from .enrollment import JOIN_CONFIRM_HOURS, purge_expired_joins
from .erasure import Deletion, read_log, reapply
from .keeping import purge_kept
from .learn.services import held_back_by_added, orphaned_progress
from .mail import outbox_path
from .models import Role, User


def alembic_config() -> Config:
    """Alembic's configuration, pointing at migrations/ and this app's engine."""
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = get_engine()
    return config


def register_cli(app: Flask) -> None:
    """Attach the commands to `flask --app course`."""

    @app.cli.group("db")
    def db_group() -> None:
        """Database migrations (Alembic)."""

    @db_group.command("upgrade")
    @click.argument("revision", default="head")
    def upgrade(revision: str) -> None:
        """Apply migrations up to REVISION (default: the newest)."""
        command.upgrade(alembic_config(), revision)

    @db_group.command("downgrade")
    @click.argument("revision")
    def downgrade(revision: str) -> None:
        """Revert migrations down to REVISION."""
        command.downgrade(alembic_config(), revision)

    @db_group.command("revision")
    @click.option("-m", "--message", required=True)
    @click.option("--autogenerate/--empty", default=True)
    def revision(message: str, autogenerate: bool) -> None:
        """Write a new migration (review it by hand before committing)."""
        command.revision(alembic_config(), message=message, autogenerate=autogenerate)

    @db_group.command("current")
    def current() -> None:
        """Show the database's migration revision."""
        command.current(alembic_config())

    @app.cli.command("create-user")
    @click.option("--role", type=click.Choice(["admin", "therapist"]), required=True)
    @click.option("--email", required=True)
    @click.option("--name", "display_name", default=None, help="Display name (default: the part before @).")
    @click.option("--timezone", default=None, help="IANA time zone (default: COURSE_DEFAULT_TIMEZONE).")
    @click.password_option(prompt="Password", confirmation_prompt=True)
    def create_user_command(
        role: str, email: str, display_name: str | None, timezone: str | None, password: str
    ) -> None:
        """Create an admin or therapist account (asks for the password)."""
        db = get_db()
        try:
            user = create_user(
                db,
                email=email,
                display_name=display_name or email.split("@")[0],
                password=password,
                role=Role(role),
                timezone=timezone or current_app.config["COURSE_DEFAULT_TIMEZONE"],
                now=clock.now(),
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        db.commit()
        click.echo(f"Created {user.role.value} {user.email}.")

    @app.cli.command("demo")
    @click.option("--force", is_flag=True, help="Allow outside development.")
    @click.option("--if-new", is_flag=True, help="Only when the database has no accounts yet.")
    def demo_command(force: bool, if_new: bool) -> None:
        """Load demo accounts and progress (safe to run twice)."""
        from .demo import load_demo

        if not is_development(current_app) and not force:
            raise click.ClickException(
                "demo data is only for development (COURSE_ENV=development); use --force."
            )
        db = get_db()
        if if_new and db.query(User.id).first() is not None:
            click.echo("The database already has accounts; demo data not loaded.")
            return
        created = load_demo(
            db,
            extensions.catalog(),
            clock.now(),
            extensions.measures(),
            extensions.schedule(),
            current_app.extensions.get("course.practice"),
        )
        db.commit()
        click.echo(f"Demo data ready ({created} new accounts). All demo passwords are 'demo-password'.")

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(target: Path) -> None:
        """Write a consistent snapshot of the database to TARGET (safe while the app runs): readable by its
        owner only, and encrypted when COURSE_BACKUP_RECIPIENT holds the clinic's age public key."""
        from .backup import BackupError, backup

        recipient = current_app.config.get("COURSE_BACKUP_RECIPIENT") or None
        try:
            backup(current_app.config["DATABASE_URL"], target, recipient=recipient)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        how = "encrypted for the clinic's key" if recipient else "not encrypted: set COURSE_BACKUP_RECIPIENT"
        click.echo(f"Backup written to {target} ({how}).")

    @app.cli.command("backup-key")
    @click.argument("identity_file", type=click.Path(dir_okay=False, path_type=Path))
    def backup_key_command(identity_file: Path) -> None:
        """Make a clinic key for encrypted backups: the secret identity goes to IDENTITY_FILE (keep it away
        from the server, e.g. in the clinic's password manager); the public key is printed, for
        COURSE_BACKUP_RECIPIENT."""
        from .backup import BackupError, new_identity

        try:
            public = new_identity(identity_file)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Identity written to {identity_file} (readable by you only). Set on the server:")
        click.echo(f"COURSE_BACKUP_RECIPIENT={public}")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--identity",
        "identity_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The clinic's age identity file, for an encrypted backup (default: COURSE_BACKUP_IDENTITY).",
    )
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(source: Path, identity_file: Path | None, yes: bool) -> None:
        """Replace everything in the database with the backup SOURCE (stop the app first).

        The file is checked before anything changes. Deletions logged by the live database are read first
        and carried out again on the restored data, so nobody who was deleted comes back."""
        from .backup import BackupError, open_snapshot, restore

        url = current_app.config["DATABASE_URL"]
        identity = str(identity_file) if identity_file else current_app.config.get("COURSE_BACKUP_IDENTITY")
        scripts = ScriptDirectory.from_config(alembic_config())
        try:
            with open_snapshot(
                source, url, identity=identity, known=lambda r: _known(scripts, r)
            ) as snapshot:
                if not yes:
                    click.confirm("This replaces everything in the database. Continue?", abort=True)
                live = _live_deletions()
                dispose(current_app)
                restore(url, snapshot, [table.name for table in Base.metadata.sorted_tables])
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Restored from {source} (schema {snapshot.revision}).")
        if snapshot.revision != scripts.get_current_head():
            command.upgrade(alembic_config(), "head")
            click.echo(f"Upgraded the restored database to schema {scripts.get_current_head()}.")
        db = get_db()
        erased = reapply(db, _merged(live, read_log(get_engine())), outbox=outbox_path())
        db.commit()
        click.echo(f"Deletions carried out again: {len(erased)}.")

    @app.cli.command("send-notifications")
    def send_notifications_command() -> None:
        """Send the reminders and digests that are due (run from cron every 15 minutes, on any server)."""
        require_secret_key(current_app)  # the unsubscribe links are signed with it
        from .notify.mailer import deliver
        from .notify.services import due_messages, send_all

        db = get_db()
        now = clock.now()
        base = current_app.config["COURSE_BASE_URL"].rstrip("/")
        messages = due_messages(db, extensions.catalog(), extensions.schedule(), now, base)
        report = send_all(db, messages, deliver, now)
        click.echo(
            f"sent {report.sent}, already sent by another run {report.skipped}, failed {report.failed}"
        )

    @app.cli.command("purge")
    def purge_command() -> None:
        """Remove journal entries deleted more than 30 days ago, words kept from ended sessions that
        nobody came back for, sign-ins past their end and sign-ups never confirmed in time (run daily, e.g.
        from cron)."""
        from .journal.services import purge_deleted

        db = get_db()
        now = clock.now()
        removed = purge_deleted(db, now)
        hours = int(current_app.config["COURSE_KEPT_TEXT_HOURS"])
        kept = purge_kept(db, now, hours)
        ended = signins.purge_expired(db, now)
        joins = purge_expired_joins(db, now)
        db.commit()
        click.echo(f"Removed {removed} journal entries deleted more than 30 days ago.")
        click.echo(f"Removed {kept} kept texts older than {hours} hours.")
        click.echo(f"Removed {ended} sign-ins past their end.")
        click.echo(f"Removed {joins} sign-ups not confirmed within {JOIN_CONFIRM_HOURS} hours.")

    @app.cli.command("static-files")
    @click.argument("public", type=click.Path(file_okay=False, path_type=Path))
    def static_files_command(public: Path) -> None:
        """Copy the static files under their fingerprinted names into PUBLIC/static/, for Caddy to serve
        (deploy/Caddyfile). Run at every release; files of earlier releases are kept."""
        from .assets import publish

        written = publish(Path(current_app.static_folder or ""), public / "static")
        click.echo(f"{len(written)} files written to {public / 'static'}.")

    @app.cli.command("check")
    def check_command() -> None:
        """Validate the program in modules/ and warn about step ids that patients have progress on (needs no
        SECRET_KEY)."""
        catalog: Catalog = extensions.catalog()
        steps = sum(len(m.steps) for m in catalog.modules)
        click.echo(f"{catalog.title}: {len(catalog.modules)} modules, {steps} steps, no problems found.")
        try:
            orphans = orphaned_progress(get_db(), catalog)
        except Exception as exc:
            click.echo(
                f"(Progress not checked: the database is not reachable or not migrated: {type(exc).__name__})"
            )
            return
        for module, step, patients in orphans:
            click.echo(
                f"warning: {patients} patient(s) have progress on step '{step}' of module '{module}', "
                "which the program no longer has. Restore the id or migrate the progress.",
                err=True,
            )
        for module, step, patients in held_back_by_added(get_db(), catalog, clock.now()):
            click.echo(
                f"warning: step '{step}' of module '{module}' now holds {patients} patient(s) who had gone "
                "on to a later week: its 'added' date is earlier than the day it reached them. Set 'added' "
                "to that day.",
                err=True,
            )


def migrations_path() -> Path:
    """Where the Alembic scripts live."""
    return PROJECT_ROOT / "migrations"


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    """Whether this code has the schema revision (so it is not newer than the code's head)."""
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def _live_deletions() -> list[Deletion]:
    """The deletions the live database has logged, read before a restore replaces it."""
    try:
        return read_log(get_engine())
    except SQLAlchemyError as exc:
        click.echo(
            f"warning: the live database's deletion log could not be read ({type(exc).__name__}); only the "
            "deletions the backup itself logged are carried out again.",
            err=True,
        )
        return []


def _merged(*logs: list[Deletion]) -> list[Deletion]:
    """The deletions of several logs, each once, oldest first."""
    found = {(d.user_id, d.account_created_at): d for log in logs for d in log}
    return sorted(found.values(), key=lambda d: (d.deleted_at, d.user_id))
