"""The journal's rules: nothing typed is lost, entries are private until shared, deletion is recoverable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..activity import touch
from ..models import Comment, JournalEntry, JournalRevision, User
from ..safety_watch import WrittenIn, watch_words

MAX_LENGTH = 50_000
RECOVERY_DAYS = 30


class JournalError(ValueError):
    """A journal rule was broken; the message is for the patient."""


@dataclass(frozen=True)
class Saved:
    """What a save did: the entry, whether it was new, and whether crisis help must be shown."""

    entry: JournalEntry
    created: bool
    crisis: bool


class Conflict(Exception):
    """The entry changed since the form was opened (another tab or device); nothing was overwritten."""

    def __init__(self, entry: JournalEntry) -> None:
        super().__init__("entry changed since it was opened")
        self.entry = entry


def _check_text(text: str) -> str:
    if len(text) > MAX_LENGTH:
        raise JournalError(f"Entries can be up to {MAX_LENGTH:,} characters. This one has {len(text):,}.")
    if not text.strip():
        raise JournalError("Please write something first.")
    return text


def _safety(db: Session, patient: User, entry: JournalEntry, now: datetime) -> bool:
    """Watch the entry's words (safety_watch); the alert links a shared entry, and never holds the text."""
    if entry.shared:
        written_in = WrittenIn("journal", "a shared journal entry", {"entry_id": entry.id})
    elif entry.step_id:
        written_in = WrittenIn("journal", "a private journal entry written in a step of the program")
    else:
        written_in = WrittenIn("journal", "a private journal entry")
    return watch_words(db, patient.enrollment, [entry.text], written_in, now)


def create_entry(
    db: Session,
    patient: User,
    text: str,
    *,
    now: datetime,
    idempotency_key: str | None = None,
    prompt: str | None = None,
    module_slug: str | None = None,
    step_id: str | None = None,
) -> Saved:
    """Create an entry; the same idempotency key twice returns the first entry instead of a copy."""
    _check_text(text)
    if idempotency_key:
        existing = db.scalar(
            select(JournalEntry).where(
                JournalEntry.patient_id == patient.id, JournalEntry.idempotency_key == idempotency_key
            )
        )
        if existing is not None:
            return Saved(existing, created=False, crisis=False)
    entry = JournalEntry(
        patient_id=patient.id,
        text=text,
        prompt=prompt,
        module_slug=module_slug,
        step_id=step_id,
        idempotency_key=idempotency_key or None,
        revision=1,
        shared=False,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.begin_nested():
            db.add(entry)
            db.flush()
    except IntegrityError:
        # A concurrent double submit with the same key won the race.
        found = db.scalar(
            select(JournalEntry).where(
                JournalEntry.patient_id == patient.id, JournalEntry.idempotency_key == idempotency_key
            )
        )
        if found is None:
            raise
        return Saved(found, created=False, crisis=False)
    db.add(JournalRevision(entry_id=entry.id, number=1, text=text, created_at=now))
    touch(patient, now)
    db.flush()
    return Saved(entry, created=True, crisis=_safety(db, patient, entry, now))


def update_entry(
    db: Session, patient: User, entry: JournalEntry, text: str, *, base_revision: int, now: datetime
) -> Saved:
    """Save a new text; a save based on an older revision raises Conflict and changes nothing."""
    _check_text(text)
    if entry.revision != base_revision:
        raise Conflict(entry)
    if text == entry.text:
        return Saved(entry, created=False, crisis=False)
    entry.revision += 1
    entry.text = text
    entry.updated_at = now
    db.add(JournalRevision(entry_id=entry.id, number=entry.revision, text=text, created_at=now))
    touch(patient, now)
    db.flush()
    return Saved(entry, created=False, crisis=_safety(db, patient, entry, now))


def set_shared(entry: JournalEntry, shared: bool, now: datetime) -> None:
    """Share with the therapist (it becomes unread for them) or take the share back."""
    if shared and not entry.shared:
        entry.shared_at = now
    entry.shared = shared


def soft_delete(entry: JournalEntry, now: datetime) -> None:
    """Move to 'recently deleted' (recoverable for 30 days); a deleted entry is never shared."""
    entry.deleted_at = now
    entry.shared = False


def restore(entry: JournalEntry) -> None:
    """Bring a deleted entry back (still private)."""
    entry.deleted_at = None


def purge_deleted(db: Session, now: datetime) -> int:
    """Remove entries deleted more than 30 days ago, for good; returns how many."""
    cutoff = now - timedelta(days=RECOVERY_DAYS)
    result = db.execute(delete(JournalEntry).where(JournalEntry.deleted_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def recoverable_until(entry: JournalEntry) -> datetime | None:
    """When a deleted entry will be removed for good."""
    return entry.deleted_at + timedelta(days=RECOVERY_DAYS) if entry.deleted_at else None


def own_entry(db: Session, patient: User, entry_id: int, *, deleted: bool = False) -> JournalEntry | None:
    """The patient's own entry (live, or in 'recently deleted'); None for anyone else's."""
    entry = db.get(JournalEntry, entry_id)
    if entry is None or entry.patient_id != patient.id or (entry.deleted_at is not None) != deleted:
        return None
    return entry


def list_entries(
    db: Session, patient: User, *, module: str | None = None, query: str | None = None, deleted: bool = False
) -> list[JournalEntry]:
    """The patient's entries, newest first, optionally filtered by module and searched by text."""
    stmt = select(JournalEntry).where(JournalEntry.patient_id == patient.id)
    stmt = stmt.where(JournalEntry.deleted_at.is_not(None) if deleted else JournalEntry.deleted_at.is_(None))
    if module == "free":
        stmt = stmt.where(JournalEntry.module_slug.is_(None))
    elif module:
        stmt = stmt.where(JournalEntry.module_slug == module)
    if query:
        like = "%" + escape_like(query.lower()) + "%"
        stmt = stmt.where(
            or_(JournalEntry.text.ilike(like, escape="\\"), JournalEntry.prompt.ilike(like, escape="\\"))
        )
    return list(
        db.scalars(stmt.options(selectinload(JournalEntry.comments)).order_by(JournalEntry.created_at.desc()))
    )


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so a search for '50%' finds exactly that."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def is_unread(entry: JournalEntry) -> bool:
    """A shared entry is unread when the therapist has not read it since it was shared or last changed."""
    if not entry.shared or entry.deleted_at is not None:
        return False
    changed = max(t for t in (entry.shared_at, entry.updated_at) if t is not None)
    return entry.therapist_read_at is None or entry.therapist_read_at < changed


def unread_in_sql() -> ColumnElement[bool]:
    """`is_unread` as SQL, for counting in the database (the caseload, the patient page)."""
    return and_(
        JournalEntry.shared.is_(True),
        JournalEntry.deleted_at.is_(None),
        or_(
            JournalEntry.therapist_read_at.is_(None),
            JournalEntry.therapist_read_at < JournalEntry.shared_at,
            JournalEntry.therapist_read_at < JournalEntry.updated_at,
        ),
    )


def mark_read(entry: JournalEntry, now: datetime) -> None:
    """The therapist has read the shared entry as it is now."""
    entry.therapist_read_at = now


def add_comment(db: Session, entry: JournalEntry, therapist: User, text: str, now: datetime) -> Comment:
    """The therapist's reply beside a shared entry; replying also marks it read."""
    text = text.strip()
    if not text:
        raise JournalError("Please write a reply first.")
    if len(text) > 5000:
        raise JournalError("Replies can be up to 5,000 characters.")
    if not entry.shared or entry.deleted_at is not None:
        raise JournalError("This entry is no longer shared.")
    comment = Comment(entry_id=entry.id, author_id=therapist.id, text=text, created_at=now)
    db.add(comment)
    entry.therapist_read_at = now
    db.flush()
    return comment


def export_data(entries: list[JournalEntry]) -> list[dict[str, Any]]:
    """Entries with prompts, dates and comments, as plain data for JSON and Markdown export."""
    return [
        {
            "id": e.id,
            "created_at": e.created_at.isoformat(),
            "updated_at": e.updated_at.isoformat(),
            "module": e.module_slug,
            "prompt": e.prompt,
            "text": e.text,
            "shared_with_therapist": e.shared,
            "comments": [
                {
                    "from": c.author.display_name if c.author else "Your therapist",
                    "at": c.created_at.isoformat(),
                    "text": c.text,
                }
                for c in e.comments
            ],
        }
        for e in entries
    ]


def export_json(entries: list[JournalEntry]) -> str:
    """All entries as pretty JSON (UTF-8, nothing escaped away)."""
    return json.dumps({"journal": export_data(entries)}, ensure_ascii=False, indent=2)


def export_markdown(entries: list[JournalEntry], patient: User) -> str:
    """All entries as a Markdown document the patient can keep."""
    lines = [f"# Journal of {patient.display_name}", ""]
    for item in export_data(entries):
        lines += [f"## {item['created_at'][:10]}", ""]
        if item["prompt"]:
            lines += [f"> {item['prompt']}", ""]
        lines += [item["text"], ""]
        for comment in item["comments"]:
            lines += [f"**{comment['from']}** ({comment['at'][:10]}): {comment['text']}", ""]
    return "\n".join(lines)
