"""`make bench`: seed a clinic-scale database, serve it with gunicorn (2 workers), load each page with wrk
from a second process, and print one table: requests/s, p50, p99, each page's share of the floor (/healthz,
measured first and again after each page; a page's share is against the mean of the floor runs just before
and after it), SQL statements per page and page weight. Runs on SQLite, and on PostgreSQL when
--database-url is given (or BENCH_DATABASE_URL is set; that database is emptied).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess  # nosec B404
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyotp
from sqlalchemy import create_engine, event, func, select, text

from bench.common import USER_AGENT, Browser, Server
from bench.seed import PASSWORD, TOTP_SECRET, seed
from course import extensions, signins
from course.clock import system_now
from course.config import normalise_database_url
from course.db import dispose, engines
from course.models import CheckIn, Enrollment, StepProgress, User


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    statements: int | None = None
    kilobytes: float | None = None
    floor: float | None = None  # the floor's req/s measured just before and after this page (their mean)


def _ms(text: str) -> float:
    value = float(re.sub(r"[a-z]+$", "", text))
    unit = re.sub(r"^[\d.]+", "", text)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str, cookie: str | None, seconds: int, script: Path | None = None
) -> tuple[float, float, float, int]:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # nosec B603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors_match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(errors_match.group(1)) if errors_match else 0
    if socket_match:
        errors += sum(int(g) for g in socket_match.groups())
    return rps, p50, p99, errors


def _jar(browser: Browser) -> Any:
    for handler in browser.opener.handlers:
        if hasattr(handler, "cookiejar"):
            return handler.cookiejar
    raise RuntimeError("no cookie jar")


def cookie_of(browser: Browser) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in _jar(browser))


@contextmanager
def statement_counter(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    for engine in engines(app):
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        for engine in engines(app):
            event.remove(engine, "before_cursor_execute", before)


def pick_accounts(url: str) -> dict[str, Any]:
    """The big therapist, and one of their patients with the most check-ins (a year of them)."""
    engine = create_engine(url)
    with engine.connect() as c:
        therapist = c.execute(
            select(User.id, User.email).where(User.email == "therapist1@bench.example")
        ).one()
        patient_id = c.execute(
            select(CheckIn.patient_id)
            .join(Enrollment, Enrollment.patient_id == CheckIn.patient_id)
            .where(Enrollment.therapist_id == therapist.id)
            .group_by(CheckIn.patient_id)
            .order_by(func.count(CheckIn.id).desc())
            .limit(1)
        ).scalar_one()
        email = c.execute(select(User.email).where(User.id == patient_id)).scalar_one()
        step = c.execute(
            select(StepProgress.module_slug, StepProgress.step_id)
            .join(Enrollment, Enrollment.id == StepProgress.enrollment_id)
            .where(Enrollment.patient_id == patient_id)
            .order_by(StepProgress.completed_at.desc())
            .limit(1)
        ).one()
    engine.dispose()
    return {
        "therapist": therapist.email,
        "patient": email,
        "patient_id": patient_id,
        "step": f"/learn/{step[0]}/{step[1]}",
    }


def in_process_app(url: str, instance: Path) -> Any:
    """The app as the server runs it, for counting statements and timing in-process."""
    from course import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "MAIL_BACKEND": "memory",
            "COURSE_ENV": "production",
        }
    )


def count_statements(
    url: str, instance: Path, accounts: dict[str, Any], pages: dict[str, tuple[str, str]]
) -> dict[str, tuple[int, float]]:
    """SQL statements and HTML size per page, measured in-process with the same code."""
    app = in_process_app(url, instance)
    found: dict[str, tuple[int, float]] = {}
    engine = create_engine(url)
    with engine.connect() as c:
        ids = {
            email: c.execute(select(User.id, User.session_version).where(User.email == email)).one()
            for email in (accounts["patient"], accounts["therapist"])
        }
    engine.dispose()
    for name, (who, path) in pages.items():
        client = app.test_client()
        if who:
            uid, version = ids[accounts[who]]
            signed_in(app, client, uid, version)
        client.get(path)  # warm caches, as a running server would be
        with statement_counter(app) as statements:
            response = client.get(path)
        found[name] = (len(statements), len(response.data) / 1024)
    dispose(app)
    return found


def signed_in(app: Any, client: Any, user_id: int, version: int) -> None:
    """Sign a user in on an in-process client as a finished sign-in leaves it (a sign-in on the server)."""
    now = app.extensions.get("course.clock", system_now)()
    with extensions.sessions(app)() as db:
        user = db.get(User, user_id)
        token = signins.start(db, user, device="Bench", now=now, lasts=timedelta(days=1))
        db.commit()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{version}"
        session[signins.TOKEN_KEY] = token
        session["_seen"] = int(now.timestamp())


def measure_refreshes(
    url: str, instance: Path, accounts: dict[str, Any]
) -> list[tuple[str, int, int, float]]:
    """The caseload's stale-row timings, run after the load: they rewrite the big caseload six times, and on
    PostgreSQL the dead rows would have the server vacuuming while pages are measured."""
    app = in_process_app(url, instance)
    engine = create_engine(url)
    with engine.connect() as c:
        therapist = c.execute(
            select(User.id, User.session_version).where(User.email == accounts["therapist"])
        ).one()
    engine.dispose()
    refreshes = caseload_refreshes(app, therapist)
    dispose(app)
    return refreshes


def caseload_refreshes(app: Any, therapist: Any) -> list[tuple[str, int, int, float]]:
    """The caseload's first view after its stored rows went stale: all of them (as after the patients'
    midnight) and 2% of them (as after a few check-ins), timed in-process, three times each, best kept."""
    client = app.test_client()
    signed_in(app, client, therapist[0], therapist[1])
    engine = app.extensions["course.engine"]
    found = []
    for label, condition in (("every row stale", "1 = 1"), ("2% of rows stale", "enrollment_id % 50 = 0")):
        best = None
        for _ in range(3):
            with engine.begin() as c:
                stale = c.execute(
                    text(
                        "UPDATE caseload_entries SET fresh_until = NULL WHERE enrollment_id IN"  # nosec B608
                        f" (SELECT id FROM enrollments WHERE therapist_id = :t) AND {condition}"
                    ),
                    {"t": therapist[0]},
                ).rowcount
            with statement_counter(app) as statements:
                started = time.perf_counter()
                assert client.get("/clinic/").status_code == 200
                elapsed = (time.perf_counter() - started) * 1000
            best = min(best or elapsed, elapsed)
        found.append((label, stale, len(statements), best or 0.0))
    return found


def run(url: str, seconds: int, folder: Path) -> tuple[list[Result], list[tuple[str, int, int, float]]]:
    accounts = pick_accounts(url)
    pages = {
        "floor: /healthz": ("", "/healthz"),
        "patient home": ("patient", "/learn/"),
        "module step": ("patient", accounts["step"]),
        "evidence page": ("patient", "/evidence"),
        "caseload (1,000 patients)": ("therapist", "/clinic/"),
        "patient detail": ("therapist", f"/clinic/patients/{accounts['patient_id']}"),
    }
    measured = count_statements(url, folder, accounts, pages)
    results = []
    with Server(url, folder, workers=2) as server:
        browsers: dict[str, Browser] = {}
        for who in ("patient", "therapist"):
            browser = Browser(server.url)
            status, _ = browser.post(
                "/auth/login", {"email": accounts[who], "password": PASSWORD}, form_page="/auth/login"
            )
            assert status == 302, f"sign-in failed for {who}"
            if who == "therapist":  # staff: the authenticator app's code
                status, _ = browser.post(
                    "/auth/verify", {"code": pyotp.TOTP(TOTP_SECRET).now()}, form_page="/auth/verify"
                )
                assert status == 302, "second factor failed for the therapist"
            if who == "patient":
                _, page = browser.get("/checkin")
                token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
                script = folder / "checkin.lua"
                script.write_text(
                    'wrk.method = "POST"\n'
                    f'wrk.body = "csrf_token={token}&pain=4&sleep_hours=7&stress=3"\n'
                    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
                )
            else:
                # As a browser follows the sign-in's redirect: the first page stores the CSRF secret and the
                # staff activity time in the cookie. Replaying the sign-in's own cookie instead made every
                # request write a new one (a session that never keeps what the server set).
                browser.get("/clinic/")
            browsers[who] = browser

        def cookie(who: str) -> str | None:
            """The role's session cookie as a browser holds it now. Taken again before each page: the app
            notes a signed-in person's activity in the cookie at most once a minute, and a browser keeps the
            cookie it is sent, but wrk replays the one it was given: a cookie older than a minute made every
            request of a later page write to the database (SQLite's write lock held through the page). The
            session keeps the CSRF secret the check-in's token belongs to. The account page is a cheap page
            for both roles (the caseload would add a thousand audit rows before each page). A run of a page
            longer than a minute (--seconds 60 or more) brings the old writes back within it."""
            if not who:
                return None
            browser = browsers[who]
            browser.get("/account/")
            return cookie_of(browser)

        # The floor again after each page, and each page's share taken against the floor just before and
        # after it: on a shared machine the floor drifted by a tenth within one run, more than the pages
        # differ by.
        floor_seconds = max(2, seconds // 2)
        last_floor = 0.0
        for name, (who, path) in pages.items():
            rps, p50, p99, errors = wrk(server.url + path, cookie(who), seconds)
            if not who:
                results.append(Result(name, rps, p50, p99, errors))
                last_floor = rps
                continue
            after = wrk(server.url + "/healthz", None, floor_seconds)[0]
            statements, kb = measured[name]
            results.append(Result(name, rps, p50, p99, errors, statements, kb, (last_floor + after) / 2))
            last_floor = after
        rps, p50, p99, errors = wrk(server.url + "/checkin", cookie("patient"), seconds, script)
        after = wrk(server.url + "/healthz", None, floor_seconds)[0]
        around = (last_floor + after) / 2
        results.append(Result("save a check-in (POST)", rps, p50, p99, errors, floor=around))
    return results, measure_refreshes(url, folder, accounts)


def table(backend: str, results: list[Result], refreshes: list[tuple[str, int, int, float]]) -> str:
    floor = results[0].rps
    lines = [
        f"### {backend}",
        "",
        "| page | req/s | p50 ms | p99 ms | floor around it | share of floor | errors | SQL statements "
        "| HTML KB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        around = r.floor or floor
        lines.append(
            f"| {r.name} | {r.rps:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {around:.0f} | "
            f"{100 * r.rps / around:.0f}% | {r.errors} | {'' if r.statements is None else r.statements} | "
            f"{'' if r.kilobytes is None else f'{r.kilobytes:.1f}'} |"
        )
    lines += [
        "",
        "Caseload (1,000 patients), first view after its stored rows went stale, in-process:",
        "",
        "| stale rows | recomputed | SQL statements | ms |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {label} | {n} | {statements} | {ms:.0f} |" for label, n, statements, ms in refreshes]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--big", type=int, default=1000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 1
    targets = [("SQLite", None)] + ([("PostgreSQL", args.database_url)] if args.database_url else [])
    outputs = []
    for backend, given in targets:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            url = normalise_database_url(given or f"sqlite:///{folder / 'bench.sqlite3'}")
            counts = seed(url, big=args.big)
            print(f"{backend}: seeded {counts}", flush=True)
            outputs.append(table(backend, *run(url, args.seconds, folder)))
            print(outputs[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
