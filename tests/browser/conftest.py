"""Real-browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against a live server.

One browser and one server for the whole session; each test makes its own accounts and browser contexts.
Without Chromium the tests are skipped with a reason, or fail when COURSE_REQUIRE_BROWSER is set (CI).
A failing test leaves a screenshot and the HTML of each of its pages in tests/browser/artifacts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from course.models import Role, User
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, PHONE, SIZES, Audit, LiveServer

ARTIFACTS = Path(__file__).parent / "artifacts"
_FAILED = pytest.StashKey[bool]()
_AUDIT = Audit()


def _chromium_or_skip() -> None:
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return
    message = (
        f"Chromium is not installed at {CHROMIUM}, so the browser tests cannot run "
        "(install it with: apt-get install chromium)"
    )
    if os.environ.get("COURSE_REQUIRE_BROWSER"):
        pytest.fail(f"{message}; COURSE_REQUIRE_BROWSER is set, so this is an error", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Launch Debian's Chromium (Playwright's own browser downloads are not available here)."""
    _chromium_or_skip()
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with the real program on a fresh SQLite database, served on a free port."""
    _chromium_or_skip()
    live = LiveServer(tmp_path_factory.mktemp("browser"))
    yield live
    live.stop()


@pytest.fixture
def audit() -> Audit:
    """axe-core at phone and desktop size plus the structure checks, on the page as it is now."""
    return _AUDIT


@pytest.fixture
def therapist(server: LiveServer) -> User:
    """A therapist of one's own."""
    return server.add_user(Role.THERAPIST, name="Dr. Ada Stone")


@pytest.fixture
def patient(server: LiveServer, therapist: User) -> User:
    """A patient who enrolled now and has answered the safety questions."""
    return server.add_patient(therapist, name="Kim Park")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember a failure so the page fixture can save what the browser showed."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        item.stash[_FAILED] = True
    return report


@pytest.fixture
def open_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """Open a page in a new browser context (phone size unless told); saved to artifacts/ on failure."""
    contexts = []

    def make(*, viewport: dict[str, int] | None = None, **context_args: Any) -> Page:
        context = browser.new_context(viewport=viewport or PHONE, **context_args)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    if request.node.stash.get(_FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
        for c, context in enumerate(contexts):
            for p, page in enumerate(context.pages):
                base = ARTIFACTS / f"{stem}-{c}-{p}"
                try:
                    page.screenshot(path=f"{base}.png", full_page=True)
                    base.with_suffix(".html").write_text(page.content(), encoding="utf-8")
                except Exception as exc:
                    base.with_suffix(".txt").write_text(f"could not save the page: {exc}\n", encoding="utf-8")
    for context in contexts:
        context.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how much axe-core checked."""
    if _AUDIT.pages:
        terminalreporter.write_line(
            f"axe-core: {len(_AUDIT.pages)} page states ({len(_AUDIT.urls)} distinct pages) checked at "
            f"{len(SIZES)} sizes: {_AUDIT.runs} runs, plus dark-mode contrast, in {_AUDIT.seconds:.1f} s"
        )
