"""Browser tests: the real server (`python -m app run`) on a free port with a temporary
store holding the demo clinic, driven by Playwright in the system Chromium."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.flutter import CHROMIUM_ARGS, open_app
from tests.e2e.server import demo_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh demo clinic for each test file, so no file depends on what another did
    before it (e.g. the audit trail the every-route test leaves on Blair's Sharing screen
    pushed the sharing code out of view)."""
    with demo_server(tmp_path_factory.mktemp("e2e-store")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A fresh Chromium for each test file. One browser for the whole run shared one
    software-rendering GPU process across several hundred Flutter pages; in CI a page
    then stopped painting (even a screenshot timed out) after about 550 tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `bash .ci/bootstrap --browser`")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser test that times out waiting for the page is run once more, in a new
    browser context, and shows as a rerun ("R", "1 rerun") in the summary; a second
    timeout, and every assertion failure, fails it. Headless Chromium on a loaded 2-core
    CI machine has stalled a page's painting now and then (the app's server was fine);
    a real fault in the app fails both runs."""
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"]))


FAILURE_SHOTS = Path(os.environ.get("E2E_FAILURE_SHOTS", "/tmp/backtrack-e2e-failures"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


def _page(browser: Browser, server: str, request: pytest.FixtureRequest, width: int,
          height: int) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    open_app(page, server)
    yield page
    if request.node.stash.get(_FAILED, False):
        FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
        # Evidence only: a page that stopped painting must not add a second error.
        with contextlib.suppress(PlaywrightError):
            page.screenshot(path=FAILURE_SHOTS / f"{request.node.name}.png", timeout=5_000)
    context.close()


@pytest.fixture
def phone(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from _page(browser, server, request, 412, 915)


@pytest.fixture
def desktop(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from _page(browser, server, request, 1280, 800)
