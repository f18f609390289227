"""Write PNGs of the main patient and therapist pages, at phone and desktop size, into docs/screenshots/.

    make screenshots        (or: .venv/bin/python tests/browser/screenshots.py [OUTPUT_DIR])

Serves the app with the real program and the demo accounts (course/demo.py) on a throwaway SQLite database,
with the clock frozen, so the pictures come out the same each time. Needs Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.sync_api import Browser, Page, sync_playwright

from course import extensions
from course.demo import PASSWORD, STAFF_TOTP_SECRET, load_demo
from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PROJECT_ROOT,
    SIZES,
    LiveServer,
    sign_in,
)

OUTPUT = PROJECT_ROOT / "docs" / "screenshots"


def _exercise_with_error(page: Page) -> None:
    page.get_by_role("button", name="Save and continue").click()
    page.locator("#error-summary").wait_for()


def _as_printed(page: Page) -> None:
    page.emulate_media(media="print")


def _shots(server: LiveServer) -> list[tuple[str, str, str, Callable[[Page], None] | None]]:
    """(file name, account, path, what to do on the page first)."""
    week1 = server.catalog.module("alarm-system")
    lesson = week1.steps[1]
    exercise = next(s for s in week1.steps if s.type == "exercise")
    return [
        ("patient-home", "patient5@example.org", "/learn/", None),
        ("patient-lesson", "patient8@example.org", f"/learn/{week1.slug}/{lesson.id}", None),
        (
            "patient-exercise-error",
            "patient8@example.org",
            f"/learn/{week1.slug}/{exercise.id}",
            _exercise_with_error,
        ),
        ("patient-checkin", "patient2@example.org", "/checkin", None),
        ("patient-journal", "patient2@example.org", "/journal/", None),
        ("patient-evidence", "patient2@example.org", "/evidence", None),
        ("therapist-caseload", "therapist1@example.org", "/clinic/", None),
        ("therapist-patient", "therapist1@example.org", "/clinic/patients/{patient2}", None),
        # Last for its account: the page as printed (the print stylesheet stays on for this browser).
        ("therapist-print", "therapist1@example.org", "/clinic/patients/{patient2}/print", _as_printed),
    ]


def take(browser: Browser, server: LiveServer, output: Path) -> list[Path]:
    """Sign in as each demo account once per size and photograph its pages."""
    with server.session() as db:
        from course.models import User

        patient2 = db.query(User).filter_by(email="patient2@example.org").one().id
    written = []
    for size_name, size in SIZES.items():
        signed_in: dict[str, Page] = {}
        contexts = []
        for name, account, path, before in _shots(server):
            if account not in signed_in:
                context = browser.new_context(viewport=size, reduced_motion="reduce")
                contexts.append(context)
                page = context.new_page()
                sign_in(page, server, account, PASSWORD, STAFF_TOTP_SECRET)  # the demo staff's own key
                signed_in[account] = page
            page = signed_in[account]
            page.goto(server.url + path.format(patient2=patient2))
            if before:
                before(page)
            target = output / f"{name}-{size_name}.png"
            # The page from the top, at most two screens tall: enough to see the layout, small enough to read.
            height = min(page.evaluate("() => document.documentElement.scrollHeight"), 2 * size["height"])
            page.screenshot(
                path=str(target),
                full_page=True,
                clip={"x": 0, "y": 0, "width": size["width"], "height": height},
            )
            written.append(target)
        for context in contexts:
            context.close()
    return written


def main(argv: list[str]) -> int:
    """Write the screenshots; the output folder may be given as the only argument."""
    if not CHROMIUM.exists():
        print(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium).", file=sys.stderr)
        return 1
    output = Path(argv[1]) if len(argv) > 1 else OUTPUT
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        server = LiveServer(Path(workdir))
        try:
            with server.app.app_context(), server.session() as db:
                load_demo(
                    db,
                    server.catalog,
                    server.clock(),
                    extensions.measures(server.app),
                    extensions.schedule(server.app),
                )
                db.commit()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    for path in take(browser, server, output):
                        print(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path)
                finally:
                    browser.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
