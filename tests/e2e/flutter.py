"""Helpers for driving a Flet (Flutter web) page from Playwright: wait for the first
frame, switch on the accessibility tree so controls become DOM nodes, fill fields."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page

CHROMIUM_ARGS = ["--no-sandbox", "--disable-quic", "--disable-background-networking",
                 "--disable-gpu", "--no-first-run", "--disable-component-update",
                 "--disable-sync"]


def shots_folder() -> Path:
    """Where browser tests put the screenshots they take on the way: a scratch folder,
    unless E2E_SHOTS names one (E2E_SHOTS=docs/screens refreshes the docs' copies), so a
    test run never changes the repository."""
    folder = Path(os.environ.get("E2E_SHOTS")
                  or Path(tempfile.gettempdir()) / "backtrack-e2e-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


PHONE = (412, 915)
DESKTOP = (1280, 800)

# The Progress screen's chart frame (not the invisible plotly.js warm-up frame).
CHART_FRAME = 'iframe:not([src*="/_charts/warm"])'


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_first_screen(page)


def wait_for_first_screen(page: Page) -> None:
    """Wait until the app drew its first screen (a page just opened or reloaded)."""
    page.wait_for_function("!document.getElementById('loading')", timeout=60_000)
    enable_semantics(page)
    # Flutter's first frame is empty; the screen comes with the session's first update
    # (every screen has a button).
    page.get_by_role("button").first.wait_for(state="attached", timeout=30_000)
    # The first screen's autofocus lands a moment after it is drawn; typing before
    # it does can be lost.
    settle(0.7)


@contextmanager
def fresh_page(browser: Browser, url: str, size: tuple[int, int] = PHONE) -> Iterator[Page]:
    """The app opened at `url` in a browser context of its own (nothing signed in, no
    cache), closed afterwards."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = context.new_page()
        open_app(page, url)
        yield page
    finally:
        context.close()


def enable_semantics(page: Page) -> None:
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=30_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    page.wait_for_selector("flt-semantics", state="attached", timeout=30_000)


def fill(field: Locator, text: str) -> None:
    """Type into a Flutter text field (click to focus it first). Replaces a single-line
    field's text; a multiline field with text already in it keeps that text."""
    field.click()
    # Type like a person: Flutter moves focus to its own editing element a moment after
    # the click, and a programmatic fill() before that can be dropped.
    time.sleep(0.3)
    field.page.keyboard.type(text)


def retype(field: Locator, text: str, clear: int = 20) -> None:
    """Replace a pre-filled field's text the way a user does: backspace, then type."""
    field.click()
    time.sleep(0.3)  # as in fill(): keys pressed before Flutter's editor has focus are lost
    keyboard = field.page.keyboard
    keyboard.press("End")
    for _ in range(clear):
        keyboard.press("Backspace")
    keyboard.type(text)


def settle(seconds: float = 0.5) -> None:
    """Flutter paints a frame after the DOM changes; give it a moment before a screenshot."""
    time.sleep(seconds)
