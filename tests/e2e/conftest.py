"""Browser tests: the real server (`python -m app run`) on a free port with a temporary
store holding the demo clinic, driven by Playwright in the system Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.flutter import CHROMIUM_ARGS, open_app

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("e2e-store")
    port = _free_port()
    env = {**os.environ, "BACKTRACK_FAST_HASH": "1", "BACKTRACK_NO_BROWSER": "1",
           "PYTHONUNBUFFERED": "1"}
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "run", "--demo", "--no-browser",
             "--data-dir", str(data_dir), "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `bash .ci/bootstrap --browser`")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


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
        page.screenshot(path=FAILURE_SHOTS / f"{request.node.name}.png")
    context.close()


@pytest.fixture
def phone(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from _page(browser, server, request, 412, 915)


@pytest.fixture
def desktop(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from _page(browser, server, request, 1280, 800)
