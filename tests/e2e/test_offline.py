"""Offline, no CDN (issue 12): emoji are drawn in colour from the font the app ships, and
opening the app sends no request beyond this machine.

Before: the client asked for assets/fonts/notocoloremoji/… (404: emoji drawn as empty
boxes) and for Rive's runtime from a CDN on every page load.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, Request, expect

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
    with fresh_page(browser, server, PHONE) as page:
        field = page.get_by_label("Email", exact=True)
        fill(field, TEXT)
        for _ in range(2):  # keys typed before Flutter's editor has focus are lost
            if page.evaluate(EDITOR_TEXT) == TEXT:
                break
            retype(field, TEXT, clear=40)
        assert page.evaluate(EDITOR_TEXT) == TEXT
        # The font arrives, then Flutter draws the line again: look until it has (a
        # loaded CI machine took longer than a fixed 2 s).
        deadline = time.monotonic() + 20
        while True:
            found = yellow_pixels(page, page.screenshot(clip=field.bounding_box()))
            if found > 30 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert found > 30, "the emoji is not drawn in colour"


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
