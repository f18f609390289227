"""Nothing is lost under load: N patients save check-ins and journal entries at once against gunicorn with
several workers, while two therapist sessions keep opening the caseload (each view refreshes the rows those
writes marked stale, racing with them); then every row is checked, and the caseload's stored rows must equal a
full computation. Prints the counts; exits 1 on any error, missing row or stale caseload row.

    .venv/bin/python bench/concurrency.py --patients 50 --seconds 60            # SQLite in a temp folder
    .venv/bin/python bench/concurrency.py --database-url postgresql://...       # a database it may empty
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyotp
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from bench.common import Browser, Server
from course import extensions, staleness
from course.config import normalise_database_url
from course.db import Base, dispose
from course.models import CheckIn, Enrollment, JournalEntry, RecoveryCode, Role, User
from course.second_factor import recovery_code_hash

PASSWORD = "bench password 123"  # noqa: S105  # nosec B105
TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCHBE"  # noqa: S105
RECOVERY_CODE = "bench-recov"


def prepare(url: str, patients: int) -> None:
    """Fresh tables with one therapist and N screened patients."""
    staleness.install()  # their caseload rows, as the app makes them
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    now = datetime.now(UTC)
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with Session(engine) as db:
        therapist = User(
            email="t@example.org",
            display_name="T",
            password_hash=hashed,
            role=Role.THERAPIST,
            timezone="UTC",
            active=True,
            session_version=1,
            created_at=now,
            totp_secret=TOTP_SECRET,
        )
        db.add(therapist)
        db.flush()
        # Two sessions sign in at once, and a code is accepted once: the second uses a recovery code.
        db.add(RecoveryCode(user_id=therapist.id, code_hash=recovery_code_hash(RECOVERY_CODE)))
        for i in range(patients):
            patient = User(
                email=f"p{i}@example.org",
                display_name=f"P{i}",
                password_hash=hashed,
                role=Role.PATIENT,
                timezone="UTC",
                active=True,
                session_version=1,
                created_at=now,
            )
            db.add(patient)
            db.flush()
            db.add(
                Enrollment(
                    patient_id=patient.id,
                    therapist_id=therapist.id,
                    started_at=now,
                    accepted_terms_at=now,
                    assessed_at=now,
                    screened_at=now,
                    red_flags=[],
                    pem=False,
                )
            )
        db.commit()
    engine.dispose()


def patient_loop(
    base: str,
    index: int,
    until: float,
    results: Counter[str],
    last_pain: dict[int, int],
    lock: threading.Lock,
) -> None:
    browser = Browser(base)
    status, _ = browser.post(
        "/auth/login", {"email": f"p{index}@example.org", "password": PASSWORD}, form_page="/auth/login"
    )
    with lock:
        results["login ok" if status == 302 else "errors"] += 1
    n = 0
    while time.monotonic() < until:
        n += 1
        pain = n % 11
        status, _ = browser.post(
            "/checkin", {"pain": str(pain), "sleep_hours": "7", "stress": "3"}, form_page="/checkin"
        )
        with lock:
            if status == 302:
                results["check-ins saved"] += 1
                last_pain[index] = pain
            else:
                results["errors"] += 1
        status, _ = browser.post(
            "/journal/new",
            {"text": f"Entry {n} from patient {index}", "key": f"{index}-{n}"},
            form_page="/journal/new",
        )
        with lock:
            results["journal entries saved" if status == 302 else "errors"] += 1


def therapist_loop(base: str, until: float, results: Counter[str], lock: threading.Lock, code: str) -> None:
    browser = Browser(base)
    status, _ = browser.post(
        "/auth/login", {"email": "t@example.org", "password": PASSWORD}, form_page="/auth/login"
    )
    if status == 302:
        status, _ = browser.post("/auth/verify", {"code": code}, form_page="/auth/verify")
    with lock:
        results["login ok" if status == 302 else "errors"] += 1
    while time.monotonic() < until:
        status, _ = browser.get("/clinic/")
        with lock:
            results["caseload views" if status == 200 else "errors"] += 1


def caseload_disagreements(url: str, folder: str) -> int:
    """Rows the caseload would show (stale ones refreshed) that differ from a full computation."""
    from course import clock, create_app
    from course.clinic import summary
    from course.clinic.services import caseload
    from course.db import get_db

    app = create_app(
        {"SECRET_KEY": "x", "DATABASE_URL": url, "INSTANCE_PATH": folder, "COURSE_ENV": "production"}
    )
    with app.app_context():
        db = get_db()
        therapist = db.scalars(select(User).where(User.email == "t@example.org")).one()
        catalog = extensions.catalog(app)
        now = clock.now()
        shown = []
        number, pages = 1, 1
        while number <= pages:
            found = summary.page(db, therapist, catalog, now, "all", "", number)
            shown += found.lines
            pages = found.pages
            number += 1
        fields = ("patient_id", "name", "finished", "week", "steps_done", "checkins_7d", "pain_week")

        def key(row: object) -> tuple[object, ...]:
            texts = tuple(s.text for s in row.signals)  # type: ignore[attr-defined]
            return (*(getattr(row, f) for f in fields), row.unread, texts)  # type: ignore[attr-defined]

        full = {key(row) for row in caseload(db, therapist, catalog, now)}
        wrong = sum(1 for row in shown if key(row) not in full) + abs(len(shown) - len(full))
        db.rollback()
    dispose(app)
    return wrong


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = normalise_database_url(args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        prepare(url, args.patients)
        results: Counter[str] = Counter()
        last_pain: dict[int, int] = {}
        lock = threading.Lock()
        with Server(url, Path(folder), workers=args.workers, threads=4) as server:
            until = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=patient_loop, args=(server.url, i, until, results, last_pain, lock))
                for i in range(args.patients)
            ]
            threads += [
                threading.Thread(target=therapist_loop, args=(server.url, until, results, lock, code))
                for code in (pyotp.TOTP(TOTP_SECRET).now(), RECOVERY_CODE)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        engine = create_engine(url)
        with Session(engine) as db:
            entries = db.scalar(select(func.count(JournalEntry.id))) or 0
            checkins = {row.patient_id: row.pain for row in db.scalars(select(CheckIn))}
            emails = {u.id: u.email for u in db.scalars(select(User))}
        engine.dispose()
        stale_rows = caseload_disagreements(url, folder)
    stored_pain = {int(emails[pid].split("@")[0][1:]): pain for pid, pain in checkins.items()}
    missing_checkins = sum(1 for i, pain in last_pain.items() if stored_pain.get(i) != pain)
    backend = url.split(":")[0]
    print(f"backend={backend} patients={args.patients} workers={args.workers} seconds={elapsed:.1f}")
    print(
        f"requests: logins={results['login ok']} check-ins={results['check-ins saved']} "
        f"journal={results['journal entries saved']} caseload views={results['caseload views']} "
        f"errors={results['errors']}"
    )
    print(
        f"rows: journal entries stored={entries} (saved {results['journal entries saved']}), "
        f"check-in rows={len(checkins)} (one per patient per day), "
        f"last values wrong or missing={missing_checkins}, caseload rows differing from a full computation="
        f"{stale_rows}"
    )
    ok = (
        results["errors"] == 0
        and entries == results["journal entries saved"]
        and missing_checkins == 0
        and len(checkins) == len(last_pain)
        and stale_rows == 0
        and results["caseload views"] > 0
    )
    print("result: OK" if ok else "result: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
