"""Shared by the benchmark scripts: a throwaway database, a gunicorn server, and a tiny HTTP client."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess  # nosec B404
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, instance: Path) -> dict[str, str]:
    """Environment for a production-like server on plain HTTP (loopback only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "MAIL_"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "benchmark-secret-key-not-for-production",
            "COURSE_ENV": "production",
            "COURSE_INSTANCE_PATH": str(instance),
            "SESSION_COOKIE_SECURE": "false",  # plain HTTP on 127.0.0.1
            "REMEMBER_COOKIE_SECURE": "false",
            "MAIL_BACKEND": "outbox",
            "COURSE_LOGIN_LIMIT_ADDRESS": "100000 per minute",
            # Warnings and errors only: a JSON line per request would fill the terminal (and the figures
            # in docs/PERFORMANCE.md were measured without it).
            "COURSE_LOG_LEVEL": "WARNING",
        }
    )
    return env


@dataclass
class Server:
    """gunicorn serving the app on 127.0.0.1."""

    database_url: str
    instance: Path
    workers: int = 2
    threads: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        command = [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--log-level",
            "warning",
            "course:create_app()",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=server_env(self.database_url, self.instance))  # nosec B603
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:  # nosec B310
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


USER_AGENT = "course-bench/1 (like a phone browser)"


class Browser:
    """A cookie-keeping client that fills CSRF tokens like a browser would."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        # One User-Agent for every request of a session, as a browser sends (wrk sends it too): Flask-Login's
        # session protection would otherwise see a new client on each request and rewrite the cookie.
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str], form_page: str | None = None) -> tuple[int, str]:
        if form_page is not None:
            _, page = self.get(form_page)
            match = TOKEN.search(page)
            if match:
                data = {**data, "csrf_token": match.group(1)}
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
