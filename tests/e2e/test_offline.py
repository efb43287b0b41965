"""Offline, no CDN (issue 12): emoji are drawn in colour from the font the app ships, and
opening the app sends no request beyond this machine.

Before: the client asked for assets/fonts/notocoloremoji/… (404: emoji drawn as empty
boxes) and for Rive's runtime from a CDN on every page load.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import Browser, Locator, Page, Request, expect

from app.ui.web import EMOJI_ROUTE
from tests.e2e.flutter import PHONE, fill, fresh_page, retype, settle
from tests.e2e.pixels import count_pixels
from tests.e2e.test_every_route import navigate
from tests.e2e.test_sign_in import sign_in

# Pixels of the 😀 face: Noto Color Emoji's yellow (a missing glyph's box is grey/black):
# red above 200, green above 140, blue below 90.
_YELLOW_LOW, _YELLOW_HIGH = (201, 141, 0), (255, 255, 89)


def yellow_pixels(page: Page, png: bytes) -> int:
    return count_pixels(page, png, _YELLOW_LOW, _YELLOW_HIGH)[0]


TEXT = "Felt ok 😀 after walk"


def test_an_emoji_is_drawn_in_colour(browser: Browser, server: str) -> None:
    # Flutter finds no glyph for 😀, asks this server for the emoji font, then draws the
    # line again. Sometimes (in about half the runs of some hours, on CI and here; never
    # understood) the engine asks for no font at all on a tab's first page: the line
    # shows a box and no request leaves, not even after an edit. A second tab asks. So
    # each tab gets its chance; every font answer must be a 200, and one tab must draw
    # the emoji in colour.
    asked_for: list[list[str]] = []
    for _ in range(3):
        fonts = _emoji_in_a_new_tab(browser, server)
        if fonts is None:
            return
        asked_for.append(fonts)
    raise AssertionError(f"no tab asked for the emoji font; fonts asked for: {asked_for}")


def _emoji_in_a_new_tab(browser: Browser, server: str) -> list[str] | None:
    """Type TEXT on the sign-in screen of a new tab: None once the emoji is drawn in
    colour, or the fonts the tab asked for when it asked for no emoji font."""
    with fresh_page(browser, server, PHONE) as page:
        served: list[int] = []  # the statuses of the emoji font's answers (-1: failed)
        page.on("response", lambda r: served.append(r.status) if EMOJI_ROUTE in r.url
                else None)
        page.on("requestfailed", lambda r: served.append(-1) if EMOJI_ROUTE in r.url
                else None)
        fonts: list[str] = []  # every font asked for, wherever from
        page.on("request", lambda r: fonts.append(r.url) if "font" in r.url.lower()
                else None)
        field = page.get_by_label("Email", exact=True)
        fill(field, TEXT)
        for _ in range(2):  # keys typed before Flutter's editor has focus are lost
            if page.evaluate(EDITOR_TEXT) == TEXT:
                break
            retype(field, TEXT, clear=40)
        assert page.evaluate(EDITOR_TEXT) == TEXT
        # On a loaded machine each step takes a while (CI once took over 20 s).
        _wait_until(page, lambda: bool(served), 30)
        if not served:
            return fonts
        assert set(served) == {200}, f"the emoji font was answered {served}"
        found = _wait_for_yellow(page, field, 20)
        if found <= 30:
            # Drawn again on the next edit at the latest: a space typed and taken back
            # leaves the text as it was.
            _edit_and_take_back(page)
            found = _wait_for_yellow(page, field, 20)
        assert page.evaluate(EDITOR_TEXT) == TEXT
        assert found > 30, "the emoji is not drawn in colour"
        return None


def _edit_and_take_back(page: Page) -> None:
    """A space typed and taken back: the text stays as it was, the line is laid out again."""
    page.keyboard.type(" ")
    page.keyboard.press("Backspace")


def _wait_until(page: Page, done: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        page.wait_for_timeout(250)  # lets Playwright deliver the page's events


def _wait_for_yellow(page: Page, field: Locator, seconds: float) -> int:
    """How many of the emoji's yellow pixels the field shows, looking for `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = yellow_pixels(page, page.screenshot(clip=field.bounding_box()))
        if found > 30 or time.monotonic() > deadline:
            return found
        page.wait_for_timeout(500)


# The text in Flutter's editing element (the focused field's; the accessibility node
# does not carry a value reliably).
EDITOR_TEXT = "document.activeElement && document.activeElement.value"


def test_opening_the_app_sends_no_request_beyond_this_machine(browser: Browser,
                                                             server: str) -> None:
    context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    sent: list[Request] = []
    failed: dict[str, str] = {}
    errors: list[str] = []
    context.on("request", lambda r: sent.append(r))
    context.on("requestfailed", lambda r: failed.update({r.url: r.failure or ""}))
    context.on("response", lambda r: errors.append(f"{r.status} {r.url}")
               if r.status >= 400 else None)
    try:
        page = context.new_page()
        page.goto(server)
        page.wait_for_function("!document.getElementById('loading')", timeout=60_000)
        page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
        sign_in(page, "alex@example.com")
        expect(page.get_by_text("Hello, Alex")).to_be_visible(timeout=15_000)
        navigate(page, "/progress")
        expect(page.get_by_text(re.compile("^Your progress|^Progress")).first).to_be_visible(
            timeout=15_000)
        settle(2.0)
    finally:
        context.close()
    local = (server + "/", "blob:", "data:")
    # A request the browser's policy refused (failure "csp") never left the browser.
    outside = [r.url for r in sent
               if not r.url.startswith(local) and failed.get(r.url) != "csp"]
    assert outside == []
    assert errors == []
