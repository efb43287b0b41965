"""Regenerate docs/screens/*.png: every patient screen at phone (412×915) and desktop
(1280×800) width, light and dark where it matters.

usage: .venv/bin/python docs/make_screens.py [URL]
Without URL it starts `python -m app run --demo` on a free port with a temporary store.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.flutter import CHROMIUM_ARGS, fill, open_app  # noqa: E402


OUT = Path(__file__).resolve().parent / "screens"
SIZES = {"phone": (412, 915), "desktop": (1280, 800)}
SCREENS = ["/", "/checkin", "/session", "/soreness", "/guidance", "/history", "/activities",
           "/milestones", "/progress", "/settings", "/learn"]


def sign_in(page: Page, email: str) -> None:
    fill(page.get_by_label("Email"), email)
    fill(page.get_by_label("Password"), "backtrack-demo")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Hello,").first.wait_for(timeout=20_000)


def shoot(url: str) -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            open_app(page, url)
            time.sleep(0.5)
            page.screenshot(path=OUT / f"login-{size}.png")
            sign_in(page, "alex@example.com")
            for route in SCREENS:
                page.evaluate(f"window.history.pushState(null, '', '{route}');"
                              "window.dispatchEvent(new PopStateEvent('popstate'))")
                time.sleep(1.5)
                name = route.strip("/") or "today"
                page.screenshot(path=OUT / f"{name}-{size}.png")
            page.close()
        browser.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        shoot(sys.argv[1])
    else:
        raise SystemExit("usage: make_screens.py URL")

