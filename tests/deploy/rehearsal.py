"""`make deploy-test`: the deploy of docs/DEPLOY.md, rehearsed on this machine's loopback.

Caddy (Debian's, its internal certificate authority standing in for Let's Encrypt) runs deploy/Caddyfile in
front of two gunicorn instances on different ports, each started with deploy/gunicorn.conf.py as a server
of its own would start it (two workers, its own instance folder), sharing a PostgreSQL cluster and a Redis
started for the rehearsal. The database is made by the migrations, the static files are published for
Caddy. Then, through HTTPS:

- HSTS, compression, no Server header; fingerprinted static files from Caddy's disk, cached for a year;
- a patient signs in (Secure, HttpOnly cookies), writes a check-in and a journal entry on one server and
  reads them on the other;
- the sign-in limit counts per client address across both servers; a forged X-Forwarded-For from the
  client changes nothing (Caddy trusts no one before it, the app trusts Caddy);
- send-notifications runs on both servers at once: each due email arrives once, with RFC 5322's headers;
- Redis is stopped: sign-ins answer as before (never 500), the log says so, /readyz says "degraded";
  Redis is back: /readyz says "ready";
- PostgreSQL restarts while patients write: every write that was answered as saved is in the database
  afterwards, and writes succeed again.

Everything it starts it stops, and its folder goes with it (--keep leaves the folder, logs included). Exits
1 at the first check that fails.

    .venv/bin/python tests/deploy/rehearsal.py
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import http.cookies
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as email_policy
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from course import extensions  # noqa: E402
from course.models import Enrollment, JournalEntry, Role, SentMessage, User  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "rehearsal password 123"
SECRET_KEY = "rehearsal-secret-key-shared-by-both-servers"
SENDER = "Riverside Pain Clinic <care@riverside-clinic.example>"
ADDRESS_LIMIT = 6  # failed sign-ins per client address per hour, on every server together
QUIET_PATIENTS = 5  # patients due a nudge by email
WRITERS = 8  # patients writing while PostgreSQL restarts


class Failed(Exception):
    """A check of the rehearsal failed; the message says which and what was seen."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


def ok(message: str) -> None:
    print(f"ok: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(test: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if test():
                return
        time.sleep(0.2)
    raise Failed(f"timed out waiting for {what}")


def local_noon_zone(now: datetime) -> str:
    """A time zone where it is now about noon: reminders are not sent at night."""
    offset = 12 - now.hour
    if offset > 12:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


# ---------------------------------------------------------------------------------------------- processes


@dataclass
class Stack:
    """What the rehearsal started, stopped in reverse order whatever happens."""

    folder: Path
    stops: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.processes[name] = process
        self.stops.append((name, lambda: self.stop(name)))

    def stop(self, name: str) -> None:
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> list[str]:
        """Stop everything, newest first; return what is still running (nothing, when all went well)."""
        for _name, stop in reversed(self.stops):
            with contextlib.suppress(Exception):
                stop()
        return [name for name, process in self.processes.items() if process.poll() is None]


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster on its own port: restarting it disturbs no one else's tests."""

    folder: Path
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        check(versions, "PostgreSQL's server is not installed (Debian: apt-get install postgresql)")
        self.bin = versions[-1]
        self.data = self.folder / "pgdata"

    def _run(self, *command: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*as_postgres, *command], capture_output=True, text=True, check=False)
        check(result.returncode == 0, f"{' '.join(command)} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *more: str) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data}"
        log = str(self.data / "server.log")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", *more, action
        )

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "fast")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


class Inbox:
    """An SMTP server's handler (aiosmtpd) keeping every message that arrives."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.original_content)
        return "250 OK"


# ------------------------------------------------------------------------------------------------- client


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str
    raw: bytes


class _Hidden(HTMLParser):
    """The hidden inputs of a page (the CSRF token, a form's one-time key)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.found.setdefault(str(values["name"]), values.get("value") or "")


class Browser:
    """A browser over HTTPS from one loopback address: cookies, CSRF tokens, and the Referer browsers send
    (Flask-WTF checks its origin on HTTPS)."""

    def __init__(self, port: int, context: ssl.SSLContext, address: str = "127.0.0.1") -> None:
        self.port, self.context, self.address = port, context, address
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, source_address=(self.address, 0), timeout=30
        )
        sent = {"User-Agent": "course-rehearsal/1", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookies.append(header)
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        text = raw.decode(errors="replace") if response.headers.get("Content-Encoding") is None else ""
        return Answer(response.status, response.headers, text, raw)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Answer:
        """Open the form's page, then post it with the page's hidden fields, as a browser submits it."""
        page = self.get(path)
        hidden = _Hidden()
        hidden.feed(page.body)
        body = urlencode({**hidden.found, **data}).encode()
        return self.request("POST", path, body, {"Referer": self.origin + path, **(headers or {})})


def sign_in(browser: Browser, email: str, password: str = PASSWORD) -> Answer:
    """Sign in as a patient would. The one place the rehearsal signs in: a staff second factor goes here."""
    return browser.post("/auth/login", {"email": email, "password": password})


# ---------------------------------------------------------------------------------------------- the stack


@dataclass
class Deployment:
    """The servers of the rehearsal and how to reach them."""

    stack: Stack
    postgres: Postgres
    database_url: str
    redis_port: int
    https_port: int
    servers: dict[str, int]  # name -> port
    context: ssl.SSLContext
    inbox: Inbox

    def env(self, server: str | None = None) -> dict[str, str]:
        """The environment a server's EnvironmentFile would hold (docs/DEPLOY.md)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("COURSE_", "MAIL_", "RATELIMIT_", "GUNICORN_"))
            and k not in ("DATABASE_URL", "SECRET_KEY", "WEB_CONCURRENCY")
        }
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "SECRET_KEY": SECRET_KEY,
                "COURSE_ENV": "production",
                "COURSE_INSTANCE_PATH": str(self.stack.folder / f"instance-{server or 'cli'}"),
                "COURSE_BASE_URL": f"https://127.0.0.1:{self.https_port}",
                "COURSE_TRUSTED_PROXIES": "1",
                "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{self.redis_port}/0",
                "COURSE_LOGIN_LIMIT_ADDRESS": f"{ADDRESS_LIMIT} per hour",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(self.smtp_port),
                "MAIL_USE_TLS": "false",
                "MAIL_DEFAULT_SENDER": SENDER,
            }
        )
        if server is not None:
            env["COURSE_BIND"] = f"127.0.0.1:{self.servers[server]}"
            env["COURSE_WORKERS"] = "2"
        return env

    smtp_port: int = 0

    def flask(self, *arguments: str, server: str | None = None) -> str:
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "course", *arguments],
            cwd=ROOT,
            env=self.env(server),
            capture_output=True,
            text=True,
            check=False,
        )
        check(result.returncode == 0, f"flask {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def browser(self, address: str = "127.0.0.1") -> Browser:
        return Browser(self.https_port, self.context, address)

    def served_by(self, answer: Answer) -> str:
        """Which server answered: the one whose log has the request's id (course/logs.py)."""
        request_id = answer.headers.get("X-Request-Id")
        check(request_id, f"no X-Request-Id on an answer from the app ({answer.status})")
        needle = f'"request_id": "{request_id}"'
        found = [name for name in self.servers if needle in self.stack.log(name)]
        check(len(found) == 1, f"request {request_id} found in the logs of {found}")
        return found[0]


def seed(url: str) -> None:
    """A therapist, patients who will sign in and write, and patients quiet long enough to be nudged."""
    now = datetime.now(UTC)
    zone = local_noon_zone(now)
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    engine = create_engine(url)
    with Session(engine) as db:

        def person(email: str, role: Role) -> User:
            found = User(
                email=email,
                display_name=email.split("@")[0],
                password_hash=hashed,
                role=role,
                timezone=zone,
                active=True,
                session_version=1,
                created_at=now - timedelta(days=20),
            )
            db.add(found)
            db.flush()
            return found

        therapist = person("therapist@riverside-clinic.example", Role.THERAPIST)
        emails = [f"writer{i}@example.org" for i in range(WRITERS)] + ["alex@example.org"]
        emails += [f"quiet{i}@example.org" for i in range(QUIET_PATIENTS)]
        for email in emails:
            patient = person(email, Role.PATIENT)
            started = now - timedelta(days=10)
            db.add(
                Enrollment(
                    patient_id=patient.id,
                    therapist_id=therapist.id,
                    started_at=started,
                    accepted_terms_at=started,
                    screened_at=started,
                    assessed_at=started,
                    assessed_by_id=therapist.id,
                    red_flags=[],
                    pem=False,
                    last_active_at=started,
                )
            )
        db.commit()
    engine.dispose()


@contextlib.contextmanager
def deployment(folder: Path) -> Iterator[Deployment]:
    """Start everything; stop everything on the way out, whatever happened."""
    stack = Stack(folder)
    postgres = Postgres(folder)
    stack.stops.append(("postgresql", postgres.stop))
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    try:
        postgres.start()
        admin = create_engine(postgres.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql("CREATE DATABASE course")
        admin.dispose()
        ok(f"PostgreSQL cluster on 127.0.0.1:{postgres.port}")

        redis_port = free_port()
        stack.start("redis", _redis_command(redis_port, folder))
        wait_until(lambda: _redis_answers(redis_port), "Redis")
        ok(f"Redis on 127.0.0.1:{redis_port}")

        smtp.start()
        stack.stops.append(("smtp", smtp.stop))

        https_port = free_port()
        context = ssl.create_default_context()
        live = Deployment(
            stack=stack,
            postgres=postgres,
            database_url=postgres.url("course"),
            redis_port=redis_port,
            https_port=https_port,
            servers={"server-a": free_port(), "server-b": free_port()},
            context=context,
            inbox=inbox,
            smtp_port=smtp.port,
        )
        live.flask("db", "upgrade")
        seed(live.database_url)
        public = folder / "public"
        live.flask("static-files", str(public))
        ok("database made by the migrations; static files published for Caddy")

        for name in live.servers:
            stack.start(
                name,
                [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py", "course:create_app()"],
                live.env(name),
            )
        for name, port in live.servers.items():
            wait_until(lambda port=port: _readyz(port) == "ready", f"{name} on port {port}")
        ok(f"two gunicorn servers, two workers each, on ports {sorted(live.servers.values())}")

        caddy_env = {
            **os.environ,
            "XDG_DATA_HOME": str(folder / "caddy-data"),
            "XDG_CONFIG_HOME": str(folder / "caddy-config"),
            "COURSE_DOMAIN": f"https://127.0.0.1:{https_port}",
            "COURSE_UPSTREAMS": " ".join(f"127.0.0.1:{port}" for port in live.servers.values()),
            "COURSE_PUBLIC": str(public),
            "CADDY_OPTIONS": "\n".join(
                [
                    "admin off",
                    f"http_port {free_port()}",
                    f"https_port {https_port}",
                    f"storage file_system {folder / 'caddy-storage'}",
                    "local_certs",
                    "skip_install_trust",
                ]
            ),
        }
        caddy = shutil.which("caddy")
        check(caddy, "caddy is not installed (Debian: apt-get install caddy)")
        config = ["--config", "deploy/Caddyfile", "--adapter", "caddyfile"]
        validated = subprocess.run(
            [str(caddy), "validate", *config],
            cwd=ROOT,
            env=caddy_env,
            capture_output=True,
            text=True,
            check=False,
        )
        check(validated.returncode == 0, f"caddy validate: {validated.stderr}")
        stack.start("caddy", [str(caddy), "run", *config], caddy_env)
        root_ca = folder / "caddy-storage" / "pki" / "authorities" / "local" / "root.crt"
        wait_until(root_ca.exists, "Caddy's internal certificate authority")
        context.load_verify_locations(cafile=str(root_ca))
        wait_until(lambda: live.browser().get("/healthz").status == 200, "Caddy serving HTTPS")
        ok(f"Caddy on https://127.0.0.1:{https_port}, certificate verified against its internal CA")
        yield live
    finally:
        still = stack.stop_all()
        if (postgres.data / "postmaster.pid").exists():
            still.append("postgresql")
        if still:
            raise Failed(f"still running after stopping: {still}")


def _redis_command(port: int, folder: Path) -> list[str]:
    redis = shutil.which("redis-server")
    check(redis, "redis-server is not installed (Debian: apt-get install redis-server)")
    return [str(redis), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(folder)]  # fmt: skip


def _redis_answers(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(16).startswith(b"+PONG")


def _readyz(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/readyz")
        return str(json.loads(connection.getresponse().read())["status"])
    finally:
        connection.close()


# ------------------------------------------------------------------------------------------------- checks


def check_https(live: Deployment) -> None:
    browser = live.browser()
    page = browser.get("/auth/login")
    check(page.status == 200, f"sign-in page: {page.status}")
    hsts = page.headers.get_all("Strict-Transport-Security") or []
    check(hsts == ["max-age=31536000; includeSubDomains"], f"one HSTS header, a year: {hsts}")
    check("Server" not in page.headers, f"Server header: {page.headers.get('Server')}")
    compressed = browser.get("/auth/login", {"Accept-Encoding": "gzip"})
    check(compressed.headers.get("Content-Encoding") == "gzip", "pages are compressed")
    check(b"<form" in gzip.decompress(compressed.raw), "the compressed page is the page")
    ok("HTTPS: one HSTS header (a year), no Server header, pages compressed")

    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.body)
    check(len(links) == 2, f"the page links its CSS and JS: {links}")
    for link in links:
        check(re.search(r"\.[0-9a-f]{12}\.(css|js)$", link), f"fingerprinted name: {link}")
        asset = browser.get(link)
        check(asset.status == 200, f"{link}: {asset.status}")
        check(
            asset.headers.get("Cache-Control") == "public, max-age=31536000, immutable",
            f"{link} cached for a year: {asset.headers.get('Cache-Control')}",
        )
        check("X-Request-Id" not in asset.headers, f"{link} came from the app, not from Caddy's disk")
    old = browser.get(re.sub(r"\.[0-9a-f]{12}\.", ".0123456789ab.", links[0]))
    check(old.status == 404, f"a name from another release is not found: {old.status}")
    ok("static files: fingerprinted names from Caddy's disk, cached for a year, immutable")


def check_two_servers(live: Deployment) -> None:
    browser = live.browser("127.0.0.2")
    signed_in = sign_in(browser, "alex@example.org")
    check(signed_in.status == 302, f"patient sign-in: {signed_in.status}")
    session = [c for c in browser.set_cookies if c.startswith("session=")]
    check(session, "a session cookie after sign-in")
    for cookie in session:
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        check({"secure", "httponly", "samesite=lax"} <= flags, f"session cookie flags: {cookie}")
    ok("a patient signs in; the session cookie is Secure, HttpOnly, SameSite=Lax")

    note = f"Rehearsal note {random.randrange(10**9)}"
    text = f"Rehearsal journal entry {random.randrange(10**9)}"
    checkin = browser.post("/checkin", {"pain": "4", "sleep_hours": "7", "stress": "3", "note": note})
    check(checkin.status == 302, f"check-in saved: {checkin.status} {checkin.body[:300]}")
    entry = browser.post("/journal/new", {"text": text})
    check(entry.status == 302, f"journal entry saved: {entry.status} {entry.body[:300]}")
    wrote = {"check-in": live.served_by(checkin), "journal entry": live.served_by(entry)}
    reads = {"check-in": ("/checkin", note), "journal entry": ("/journal/", text)}
    for what, (path, expected) in reads.items():
        for _ in range(8):  # round robin: the next request or the one after goes to the other server
            page = browser.get(path)
            if live.served_by(page) != wrote[what]:
                break
        else:
            raise Failed(f"Caddy never sent {path} to the server that did not write the {what}")
        check(page.status == 200 and expected in page.body, f"{what} read on the other server")
        ok(f"{what} written on {wrote[what]}, read on {live.served_by(page)}")


def _failed_sign_in(live: Deployment, address: str, forged: str | None = None) -> tuple[int, str]:
    browser = live.browser(address)
    headers = {"X-Forwarded-For": forged} if forged else {}
    email = f"nobody{random.randrange(10**9)}@example.org"
    answer = browser.post("/auth/login", {"email": email, "password": "not the password"}, headers)
    return answer.status, live.served_by(answer)


def check_sign_in_limit(live: Deployment) -> None:
    first = []
    for n in range(ADDRESS_LIMIT):
        if n % 2:
            # Each attempt is two requests (the form, then the post): a third one now and then makes Caddy's
            # round robin send the posts to both servers.
            live.browser().get("/healthz")
        first.append(_failed_sign_in(live, "127.0.0.3"))
    check([s for s, _ in first] == [422] * ADDRESS_LIMIT, f"failed sign-ins answered 422: {first}")
    check({server for _, server in first} == set(live.servers), f"both servers counted: {first}")
    limited = _failed_sign_in(live, "127.0.0.3")
    check(limited[0] == 429, f"attempt {ADDRESS_LIMIT + 1} from one client is refused: {limited}")
    check(_failed_sign_in(live, "127.0.0.4")[0] == 422, "another client is not locked out with it")
    ok(f"the sign-in limit ({ADDRESS_LIMIT} failures) counts per client address across both servers")

    forged = [_failed_sign_in(live, "127.0.0.5", f"203.0.113.{n}") for n in range(ADDRESS_LIMIT + 1)]
    codes = [status for status, _ in forged]
    check(codes == [422] * ADDRESS_LIMIT + [429], f"a forged X-Forwarded-For changes nothing: {codes}")
    ok("a forged X-Forwarded-For from the client is replaced by Caddy: counted against the real address")


def check_notifications(live: Deployment) -> None:
    due = _due_keys(live)
    check(len(due) >= QUIET_PATIENTS + 1, f"reminders due before sending: {len(due)}")
    outputs: dict[str, str] = {}

    def run(server: str) -> None:
        outputs[server] = live.flask("send-notifications", server=server)

    runs = [threading.Thread(target=run, args=(server,)) for server in live.servers]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    sent = sum(int(re.search(r"sent (\d+)", out).group(1)) for out in outputs.values())  # type: ignore[union-attr]
    wait_until(lambda: len(live.inbox.raw) >= len(due), "the emails to arrive", 10)
    time.sleep(0.5)
    messages = [message_from_bytes(raw, policy=email_policy) for raw in live.inbox.raw]
    check(len(messages) == len(due) == sent, f"{len(due)} due, {sent} sent, {len(messages)} arrived")
    arrived = Counter((str(m["To"]), str(m["Subject"])) for m in messages)
    expected = Counter((to, subject) for _key, to, subject in due)
    check(arrived == expected, f"arrived and due differ: {(arrived - expected) or (expected - arrived)}")
    ids = {str(m["Message-ID"]) for m in messages}
    check(len(ids) == len(messages), "every Message-ID is unique")
    for message in messages:
        for name in ("Date", "From", "To", "Subject", "Message-ID"):
            check(len(message.get_all(name, [])) == 1, f"one {name} header: {message.get_all(name)}")
        parsedate_to_datetime(str(message["Date"]))
        message_id = str(message["Message-ID"])
        check(
            message_id.endswith("@riverside-clinic.example>"),
            f"Message-ID on the clinic's domain: {message_id}",
        )
    again = live.flask("send-notifications", server="server-a")
    check(again.startswith("sent 0,"), f"a second run sends nothing: {again}")
    split = ", ".join(f"{server} {out.strip()}" for server, out in sorted(outputs.items()))
    ok(f"send-notifications on both servers at once: {len(messages)} due emails, each arrived once ({split})")


def _due_keys(live: Deployment) -> list[tuple[str, str, str]]:
    """Each message due now: its key, to whom, its subject."""
    from course import create_app
    from course.db import dispose, get_db
    from course.notify.services import due_messages

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": live.database_url,
            "INSTANCE_PATH": str(live.stack.folder / "instance-check"),
        }
    )
    with app.app_context():
        base = f"https://127.0.0.1:{live.https_port}"
        catalog, schedule = extensions.catalog(app), extensions.schedule(app)
        found = due_messages(get_db(), catalog, schedule, datetime.now(UTC), base)
        due = [(message.key, message.user.email, message.subject) for message in found]
    dispose(app)
    return due


def check_lost_redis(live: Deployment) -> None:
    live.stack.stop("redis")
    codes = [_failed_sign_in(live, "127.0.0.6")[0] for _ in range(4)]
    check(codes == [422] * 4, f"sign-ins answer as before without Redis (never 500): {codes}")
    ready = live.browser().get("/readyz")
    body = json.loads(ready.body)
    check(ready.status == 200, f"/readyz without Redis answers 200: {ready.status}")
    check(body["status"] == "degraded", f"/readyz without Redis says degraded: {body}")
    logs = "".join(live.stack.log(name) for name in live.servers)
    check("falling back to in-memory storage" in logs, "the log says the limits fell back to memory")
    check("Redis unreachable" in logs, "the log says /readyz found Redis unreachable")
    ok("Redis stopped: sign-ins answer as before, the log says so, /readyz reports 'degraded'")

    live.stack.start("redis", _redis_command(live.redis_port, live.stack.folder))
    wait_until(lambda: _redis_answers(live.redis_port), "Redis again")
    for name, port in live.servers.items():
        wait_until(lambda port=port: _readyz(port) == "ready", f"{name} ready again")
    ok("Redis back: /readyz reports 'ready' on both servers")


def check_postgres_restart(live: Deployment, seconds: float) -> None:
    writers = [live.browser(f"127.0.1.{i + 1}") for i in range(WRITERS)]
    for i, browser in enumerate(writers):
        check(sign_in(browser, f"writer{i}@example.org").status == 302, f"writer{i} signs in")
    saved: list[str] = []
    refused: Counter[str] = Counter()
    restarted = threading.Event()
    saved_after: list[str] = []
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def write(index: int, browser: Browser) -> None:
        n = 0
        while time.monotonic() < until:
            n += 1
            text = f"writer {index} entry {n}"
            try:
                answer = browser.post("/journal/new", {"text": text})
                outcome = "saved" if answer.status == 302 else str(answer.status)
            except OSError as error:
                outcome = type(error).__name__
            with lock:
                if outcome == "saved":
                    saved.append(text)
                    if restarted.is_set():
                        saved_after.append(text)
                else:
                    refused[outcome] += 1
                    time.sleep(0.2)

    threads = [threading.Thread(target=write, args=(i, b)) for i, b in enumerate(writers)]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 4)
    before = len(saved)
    live.postgres.restart()
    restarted.set()
    for thread in threads:
        thread.join()
    engine = create_engine(live.database_url)
    with Session(engine) as db:
        stored = set(db.scalars(select(JournalEntry.text).where(JournalEntry.text.like("writer % entry %"))))
        claimed = db.scalar(select(func.count(SentMessage.id))) or 0
    engine.dispose()
    lost = [text for text in saved if text not in stored]
    check(before > 0, "writes were saved before the restart")
    check(not lost, f"{len(lost)} writes answered as saved are missing: {lost[:5]}")
    check(len(saved_after) > 0, "writes are saved again after the restart")
    check(claimed > 0, "earlier rows are still there")
    ok(
        f"PostgreSQL restarted under {WRITERS} writers: {len(saved)} writes answered as saved, all stored "
        f"({len(saved_after)} after the restart); refused during it: {dict(refused) or 'none'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs, data) afterwards")
    parser.add_argument("--load-seconds", type=float, default=20, help="writing while PostgreSQL restarts")
    args = parser.parse_args()
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="course-deploy-"))
    folder.chmod(0o755)  # PostgreSQL's own user reads its data folder inside it
    try:
        with deployment(folder) as live:
            print(f"({time.monotonic() - started:.0f} s to start everything)", flush=True)
            for step in (check_https, check_two_servers, check_sign_in_limit, check_notifications):
                step(live)
            check_lost_redis(live)
            check_postgres_restart(live, args.load_seconds)
            print(f"({time.monotonic() - started:.0f} s to start everything and check it)", flush=True)
        ok("everything the rehearsal started has stopped")
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        print(f"logs: {folder}" if args.keep else "(run with --keep to read the logs)", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"result: OK in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
