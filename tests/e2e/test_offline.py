"""Offline, no CDN (issue 12): emoji are drawn in colour from the font the app ships, and
opening the app sends no request beyond this machine.

Before: the client asked for assets/fonts/notocoloremoji/… (404: emoji drawn as empty
boxes) and for Rive's runtime from a CDN on every page load.
"""

from __future__ import annotations

import base64
import re

from playwright.sync_api import Browser, Page, Request, expect

from tests.e2e.flutter import PHONE, fill, fresh_page, settle
from tests.e2e.test_every_route import navigate
from tests.e2e.test_sign_in import sign_in

# Pixels of the 😀 face: Noto Color Emoji's yellow (a missing glyph's box is grey/black).
_YELLOW_PIXELS = """async (data) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + data;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, img.width, img.height).data;
  let hits = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i] > 200 && px[i + 1] > 140 && px[i + 2] < 90) hits++;
  }
  return hits;
}"""


def yellow_pixels(page: Page, png: bytes) -> int:
    scratch = page.context.new_page()  # decode away from the app's page
    try:
        return int(scratch.evaluate(_YELLOW_PIXELS, base64.b64encode(png).decode("ascii")))
    finally:
        scratch.close()


def test_an_emoji_is_drawn_in_colour(browser: Browser, server: str) -> None:
    with fresh_page(browser, server, PHONE) as page:
        field = page.get_by_label("Email", exact=True)
        fill(field, "Felt ok 😀 after walk")
        settle(2.0)  # the font arrives, then Flutter draws the line again
        shot = page.screenshot(clip=field.bounding_box())
        assert yellow_pixels(page, shot) > 30, "the emoji is not drawn in colour"


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
