"""Scripted wapiti scan of the running app (Debian's wapiti): demo data served by gunicorn on 127.0.0.1,
crawled and attacked as an anonymous visitor, a patient and a therapist. Prints the findings per category.

    .venv/bin/python bench/security_scan.py [--minutes 4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Browser, Server
from bench.run import cookie_of


def load_demo(url: str, instance: Path) -> None:
    from course import create_app
    from course.db import Base, dispose

    app = create_app(
        {
            "SECRET_KEY": "scan",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "COURSE_ENV": "development",
            "MAIL_BACKEND": "memory",
        }
    )
    Base.metadata.create_all(app.extensions["course.engine"])
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    dispose(app)


# Every module that works on this machine alone. Left out: ssrf (it asks an endpoint on the internet for
# results), nikto and buster (brute-force lists, slow), brute_login_form (sign-in is rate limited on purpose).
# No -x exclusions: Debian's wapiti 3.0.4 crashes on them under Python 3.11 (a regex flags error); the scan
# runs on a throwaway demo database, so a form it submits (sign-out, deletion request) costs nothing.
MODULES = ",".join(
    [
        "backup",
        "blindsql",
        "cookieflags",
        "crlf",
        "csp",
        "csrf",
        "exec",
        "file",
        "htaccess",
        "http_headers",
        "methods",
        "permanentxss",
        "redirect",
        "sql",
        "xss",
    ]
)


def scan(base: str, cookie: str | None, seconds: int, out: Path) -> dict[str, list[dict[str, object]]]:
    command = [
        "wapiti",
        "-u",
        f"{base}/",
        "--scope",
        "folder",
        "-m",
        MODULES,
        "-f",
        "json",
        "-o",
        str(out),
        "--max-scan-time",
        str(seconds),
        # The attack phase has its own clock: without this an authenticated scan ran past 11 minutes.
        "--max-attack-time",
        str(max(10, seconds // 8)),
        "--flush-session",
        "-v",
        "0",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds * 3 + 300)
    if not out.exists():
        raise RuntimeError(f"wapiti wrote no report:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    report = json.loads(out.read_text())
    found: dict[str, list[dict[str, object]]] = {}
    for section in ("vulnerabilities", "anomalies"):
        for category, items in report.get(section, {}).items():
            if items:
                found[f"{section}: {category}"] = items
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=3)
    args = parser.parse_args()
    if shutil.which("wapiti") is None:
        print("wapiti is not installed: apt-get install wapiti", file=sys.stderr)
        return 1
    seconds = int(args.minutes * 60)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'scan.sqlite3'}"
        load_demo(url, folder)
        with Server(url, folder, workers=2) as server:
            cookies: dict[str, str | None] = {"anonymous": None}
            for who in ("patient2@example.org", "therapist1@example.org"):
                browser = Browser(server.url)
                status, _ = browser.post(
                    "/auth/login", {"email": who, "password": "demo-password"}, form_page="/auth/login"
                )
                assert status == 302, who
                cookies[who] = cookie_of(browser)
            total = 0
            for who, cookie in cookies.items():
                findings = scan(server.url, cookie, seconds, folder / f"{who}.json")
                print(f"## as {who}")
                if not findings:
                    print("no findings")
                for category, items in findings.items():
                    total += len(items)
                    print(f"- {category}: {len(items)}")
                    for item in items[:5]:
                        print(f"    {item.get('method')} {item.get('path')} {item.get('info')}")
    print(f"total findings: {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
