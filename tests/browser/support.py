"""What the real-browser tests and the screenshot script share: a live server (the real program, a fresh
SQLite database, a frozen clock), quick accounts, sign-in, and the accessibility checks run on every page.

Nothing here imports pytest, so `tests/browser/screenshots.py` can use it as a plain script.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from course import create_app, extensions
from course.clock import FrozenClock
from course.db import Base, dispose
from course.demo import demo_answers
from course.learn.services import save_step
from course.models import Enrollment, Role, User

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROGRAM = PROJECT_ROOT / "modules"
# Debian's Chromium; COURSE_CHROMIUM may point elsewhere (or nowhere, to see the tests skip).
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
# Flags for a headless Chromium on a machine without a network beyond loopback: no background
# connections, no component updates, no first-run dialogs.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
PASSWORD = "correct horse battery"
# Staff made here sign in with this authenticator-app key (`sign_in` types its code).
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday afternoon
# A cheap hash for accounts made directly in the database; sign-up through the page uses the real one.
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


class _QuietHandler(WSGIRequestHandler):
    """No request log on stderr: the tests say what went wrong."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class LiveServer:
    """The app served by werkzeug in a thread on 127.0.0.1 (a free port), sharing `clock` with the test.

    `host` is the name the browser uses for it: "localhost" where a page needs a secure context and a
    domain (passkeys: WebAuthn refuses an IP address as relying party)."""

    def __init__(self, workdir: Path, *, start: datetime = START, host: str = "127.0.0.1") -> None:
        self.database_url = f"sqlite:///{workdir / 'browser.sqlite3'}"
        engine = create_engine(self.database_url)
        Base.metadata.create_all(engine)
        engine.dispose()
        self.clock = FrozenClock(start)
        self.app: Flask = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "browser-test-secret-key",
                "DATABASE_URL": self.database_url,
                "COURSE_CONTENT_DIR": str(PROGRAM),
                "INSTANCE_PATH": str(workdir / "instance"),
                "MAIL_BACKEND": "memory",
                "COURSE_ENV": "testing",
                "WTF_CSRF_ENABLED": True,  # real forms, real tokens
            }
        )
        self.app.extensions["course.clock"] = self.clock
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://{host}:{self._server.server_port}"
        self.app.config["COURSE_BASE_URL"] = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()
        self._count = 0

    def stop(self) -> None:
        """Stop serving and close the database."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        dispose(self.app)

    def session(self) -> Session:
        """A database session outside any request."""
        session: Session = extensions.sessions(self.app)()
        return session

    def last_link(self, to: str, path: str) -> str:
        """The address of the newest email to `to` that holds a link to `path` (the app's memory outbox)."""
        for mail in reversed(self.app.extensions.get("course.sent_mail", [])):
            found = re.search(rf"https?://\S+?({re.escape(path)}\S*)", mail.body)
            if mail.to == to and found:
                return f"{self.url}{found.group(1)}"
        raise AssertionError(f"no email to {to} with a link to {path}")

    @property
    def catalog(self) -> Any:
        """The real program, as the app loaded it."""
        return extensions.catalog(self.app)

    def add_user(
        self, role: Role, *, name: str | None = None, email: str | None = None, timezone: str = "UTC"
    ) -> User:
        """An account with the shared test password (a cheap hash)."""
        self._count += 1
        with self.session() as db:
            user = User(
                email=email or f"{role.value}{self._count}@example.org",
                display_name=name or f"{role.value.title()} {self._count}",
                password_hash=_FAST_HASH,
                role=role,
                timezone=timezone,
                active=True,
                session_version=1,
                created_at=self.clock(),
                totp_secret=None if role == Role.PATIENT else STAFF_TOTP_SECRET,
            )
            db.add(user)
            db.commit()
            db.refresh(user)
            db.expunge(user)
        return user

    def complete_steps(self, patient: User, slug: str, count: int) -> None:
        """Mark the first `count` steps of a module complete (with plausible answers), as if done just now."""
        module = self.catalog.module(slug)
        with self.app.app_context(), self.session() as db:
            enrollment = db.scalars(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
            for step in module.steps[:count]:
                save_step(db, enrollment, slug, step, demo_answers(step), complete=True, now=self.clock())
            db.commit()

    def add_patient(
        self, therapist: User, *, name: str | None = None, screened: bool = True, days_ago: float = 0
    ) -> User:
        """A patient enrolled with `therapist` (now, or days ago), safety questions answered (all 'no')."""
        patient = self.add_user(Role.PATIENT, name=name)
        now = self.clock() - timedelta(days=days_ago)
        with self.session() as db:
            db.add(
                Enrollment(
                    patient_id=patient.id,
                    therapist_id=therapist.id,
                    started_at=now,
                    accepted_terms_at=now,
                    assessed_at=now,
                    screened_at=now if screened else None,
                    pem=False if screened else None,
                    red_flags=[],
                )
            )
            db.commit()
        return patient


def sign_in(
    page: Page, server: LiveServer, email: str, password: str = PASSWORD, totp_secret: str = STAFF_TOTP_SECRET
) -> None:
    """Sign in through the real form; staff then type their authenticator app's code (the clock moves on
    30 seconds first: a code is accepted once)."""
    page.goto(f"{server.url}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if page.url.endswith("/auth/verify"):
        server.clock.advance(seconds=30)
        page.get_by_label("Code").fill(pyotp.TOTP(totp_secret).at(server.clock()))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()


# --- accessibility -----------------------------------------------------------------------------------------

# Structure the axe rules do not cover as strictly as we want: one h1 and no skipped heading level; a label
# for every field; every invalid field described by an error message that exists and says something; unique
# ids (axe-core 4.10 and later no longer report duplicate ids).
_STRUCTURE_JS = """
() => {
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter(visible);
  const h1s = headings.filter((h) => h.tagName === 'H1');
  if (h1s.length !== 1) problems.push(`expected one h1, found ${h1s.length}`);
  if (headings.length && headings[0].tagName !== 'H1') {
    problems.push(`the first heading is ${headings[0].tagName}: "${headings[0].textContent.trim()}"`);
  }
  let previous = 0;
  for (const h of headings) {
    const level = Number(h.tagName[1]);
    if (previous && level > previous + 1) {
      problems.push(`heading level skipped: h${previous} then h${level} "${h.textContent.trim()}"`);
    }
    previous = level;
  }
  const fields = document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea');
  for (const f of fields) {
    const named = (f.labels && f.labels.length)
      || f.getAttribute('aria-label') || f.getAttribute('aria-labelledby');
    if (!named) problems.push(`field without a label: ${f.outerHTML.slice(0, 120)}`);
  }
  for (const f of document.querySelectorAll('[aria-invalid=true]')) {
    const owner = f.closest('fieldset[aria-describedby]') || f;
    const described = f.getAttribute('aria-describedby') || owner.getAttribute('aria-describedby') || '';
    const ids = described.split(/\\s+/);
    const errors = ids.filter((id) => id.endsWith('-error')).map((id) => document.getElementById(id));
    if (!errors.length || errors.some((e) => !e || !e.textContent.trim())) {
      problems.push(`invalid field not described by its error: ${f.outerHTML.slice(0, 120)}`);
    }
  }
  const ids = new Map();
  for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  for (const [id, count] of ids) if (count > 1) problems.push(`id "${id}" is used ${count} times`);
  return problems;
}
"""


@dataclass
class Audit:
    """Runs axe-core (from axe-playwright-python, offline) and the structure checks; remembers every page."""

    pages: list[str] = field(default_factory=list)
    urls: set[str] = field(default_factory=set)
    runs: int = 0
    seconds: float = 0.0
    _axe: Axe = field(default_factory=Axe)

    def __call__(self, page: Page, what: str = "") -> None:
        """Check the page as it is now at phone and at desktop size; fail with every problem found."""
        page.wait_for_load_state()
        started = time.perf_counter()
        original = page.viewport_size
        problems: list[str] = []
        for size_name, size in SIZES.items():
            page.set_viewport_size(size)
            for violation in self._violations(page):
                problems.append(f"[{size_name}] {violation}")
            self.runs += 1
        # Dark mode follows the system: check its colours too (at phone size, where most patients are).
        page.set_viewport_size(PHONE)
        page.emulate_media(color_scheme="dark")
        for violation in self._violations(page, only=["color-contrast"]):
            problems.append(f"[phone, dark] {violation}")
        page.emulate_media(color_scheme="light")
        problems += page.evaluate(_STRUCTURE_JS)
        if original:
            page.set_viewport_size(original)
        label = what or page.url
        self.pages.append(label)
        self.urls.add(re.sub(r"/\d+(?=/|$)", "/N", page.url.split("?")[0].split("#")[0].split("/", 3)[-1]))
        self.seconds += time.perf_counter() - started
        assert not problems, f"accessibility problems on {label} ({page.url}):\n  " + "\n  ".join(problems)

    def _violations(self, page: Page, only: list[str] | None = None) -> list[str]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self._axe.axe_script)
        options: dict[str, Any] = {"resultTypes": ["violations"]}
        if only:
            options["runOnly"] = {"type": "rule", "values": only}
        response = page.evaluate("(options) => axe.run(document, options)", options)
        found = []
        for v in response["violations"]:
            targets = "; ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:5])
            found.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
        return found
