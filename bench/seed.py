"""Seed a database at clinic scale, fast (bulk inserts): by default one therapist with 1,000 patients and four
more with 50 each; patients spread over the program, with daily check-ins since they started (up to a year),
journal entries, step progress and questionnaires.

    .venv/bin/python bench/seed.py sqlite:////tmp/bench.sqlite3
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert
from werkzeug.security import generate_password_hash

from course.config import PROJECT_ROOT, normalise_database_url
from course.content.loader import load_catalog
from course.db import Base
from course.models import (
    CheckIn,
    Enrollment,
    JournalEntry,
    JournalRevision,
    MeasureResponse,
    StepProgress,
    User,
)

PASSWORD = "bench password 123"  # noqa: S105  # nosec B105
# Staff sign in with a second factor; the bench types this authenticator-app key\'s codes.
TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCHBE"  # noqa: S105
BATCH = 5000


def seed(
    url: str, big: int = 1000, small: tuple[int, ...] = (50, 50, 50, 50), seed_value: int = 7
) -> dict[str, Any]:
    """Create the tables and fill them; returns counts and the accounts to sign in with."""
    # Seeded randomness for repeatable benchmark data.
    rng = random.Random(seed_value)  # noqa: S311  # nosec B311
    catalog = load_catalog(PROJECT_ROOT / "modules")
    outline = catalog.outline()
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    now = datetime.now(UTC).replace(microsecond=0)
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    rows: dict[Any, list[dict[str, Any]]] = {
        t: []
        for t in (User, Enrollment, StepProgress, CheckIn, JournalEntry, JournalRevision, MeasureResponse)
    }
    user_id = 0
    enrollment_id = 0
    entry_id = 0

    def user(email: str, role: str) -> int:
        nonlocal user_id
        user_id += 1
        rows[User].append(
            {
                "id": user_id,
                "email": email,
                "display_name": email.split("@")[0].title(),
                "password_hash": hashed,
                "role": role,
                "timezone": "America/Denver",
                "active": True,
                "session_version": 1,
                "created_at": now - timedelta(days=400),
                "totp_secret": None if role == "patient" else TOTP_SECRET,
            }
        )
        return user_id

    therapists = []
    for t, size in enumerate((big, *small), start=1):
        therapist = user(f"therapist{t}@bench.example", "therapist")
        therapists.append((therapist, size))
    patient_number = 0
    for therapist, size in therapists:
        for _ in range(size):
            patient_number += 1
            patient = user(f"patient{patient_number}@bench.example", "patient")
            enrollment_id += 1
            days = rng.choice([rng.randint(0, 55), rng.randint(56, 365)])
            started = now - timedelta(days=days, hours=rng.randint(0, 23))
            rows[Enrollment].append(
                {
                    "id": enrollment_id,
                    "patient_id": patient,
                    "therapist_id": therapist,
                    "started_at": started,
                    "accepted_terms_at": started,
                    "paused": False,
                    "screened_at": started,
                    "assessed_at": started,
                    "red_flags": [],
                    "pem": False,
                }
            )
            weeks = days // 7
            for index, (slug, steps) in enumerate(outline):
                if index > weeks:
                    break
                opened = started + timedelta(days=7 * index)
                done = len(steps) if index < weeks else len(steps) // 2
                for j, step in enumerate(steps[:done]):
                    at = opened + timedelta(hours=2, minutes=10 * j)
                    rows[StepProgress].append(
                        {
                            "enrollment_id": enrollment_id,
                            "module_slug": slug,
                            "step_id": step,
                            "status": "complete",
                            "answers": {},
                            "started_at": at,
                            "updated_at": at,
                            "completed_at": at,
                        }
                    )
            last_active = started
            for d in range(days + 1):
                if rng.random() < 0.85:
                    at = started + timedelta(days=d)
                    last_active = at
                    rows[CheckIn].append(
                        {
                            "patient_id": patient,
                            "day": at.date(),
                            "pain": rng.randint(2, 8),
                            "sleep_hours": rng.choice([5, 6, 7, 8]),
                            "sleep_quality": rng.randint(2, 8),
                            "stress": rng.randint(1, 9),
                            "mood": "okay",
                            "created_at": at,
                            "updated_at": at,
                        }
                    )
            for k in range(min(30, days // 7 + 1)):
                entry_id += 1
                at = started + timedelta(days=7 * k, hours=3)
                shared = k % 3 == 0
                rows[JournalEntry].append(
                    {
                        "id": entry_id,
                        "patient_id": patient,
                        "text": f"Entry {k} " * 40,
                        "shared": shared,
                        "shared_at": at if shared else None,
                        "revision": 1,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                rows[JournalRevision].append(
                    {"entry_id": entry_id, "number": 1, "text": f"Entry {k} " * 40, "created_at": at}
                )
            rows[Enrollment][-1]["last_active_at"] = last_active
            for week in range(min(9, days // 7 + 1)):
                at = started + timedelta(days=7 * week, hours=1)
                rows[MeasureResponse].append(
                    {
                        "enrollment_id": enrollment_id,
                        "measure_id": "pain-average",
                        "due_key": "enrollment" if week == 0 else f"week-{week}",
                        "answers": {"rating": 6 - week // 2},
                        "complete": True,
                        "score": 6 - week // 2,
                        "created_at": at,
                        "completed_at": at,
                    }
                )
    started_at = time.monotonic()
    with engine.begin() as connection:
        for model, items in rows.items():
            for i in range(0, len(items), BATCH):
                connection.execute(insert(model.__table__), items[i : i + BATCH])
    if url.startswith("postgresql"):
        with engine.begin() as connection:
            for table in ("users", "enrollments", "journal_entries"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        # As autovacuum would soon after: statistics, hint bits and the visibility map (index-only scans).
        # Measured right after a bulk load without it, the server spent the run vacuuming beside the pages.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    counts = {model.__tablename__: len(items) for model, items in rows.items()}
    counts["seconds"] = round(time.monotonic() - started_at, 1)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database_url")
    parser.add_argument("--big", type=int, default=1000)
    args = parser.parse_args()
    print(seed(normalise_database_url(args.database_url), big=args.big))


if __name__ == "__main__":
    main()
