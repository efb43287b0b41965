"""Regenerate docs/screens/*.png: every patient screen at phone (412×915), small phone
(360×780) and desktop (1280×800) width, light, and dark where it matters (the Progress
screen's charts follow the browser's colour scheme).

usage: .venv/bin/python docs/make_screens.py [URL] [--only ROUTE ...]
Without URL it starts `python -m app run --demo` on a free port with a temporary store.
With --only, just those routes are shot (e.g. --only /progress; /clinician: the
therapist's caseload and a patient's Progress).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.flutter import (  # noqa: E402
    CHART_FRAME,
    CHROMIUM_ARGS,
    fill,
    fresh_page,
    open_app,
)
from tests.e2e.server import demo_server  # noqa: E402

OUT = REPO / "docs" / "screens"
SIZES = {"phone": (412, 915), "small-phone": (360, 780), "desktop": (1280, 800)}
SCREENS = ["/", "/checkin", "/session", "/soreness", "/guidance", "/history", "/activities",
           "/milestones", "/progress", "/settings", "/sharing", "/learn"]
DARK_SCREENS = ["/progress"]
CHARTED = {"/progress"}  # wait for the chart frame to finish drawing


def sign_in(page: Page, email: str) -> None:
    fill(page.get_by_label("Email", exact=True), email)
    fill(page.get_by_label("Password", exact=True), "backtrack-demo")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Hello,").first.wait_for(timeout=20_000)


def open_route(page: Page, route: str) -> None:
    page.evaluate(f"window.history.pushState(null, '', '{route}');"
                  "window.dispatchEvent(new PopStateEvent('popstate'))")
    if route in CHARTED:
        wait_for_charts(page)
    else:
        time.sleep(1.5)


def wait_for_charts(page: Page) -> None:
    page.wait_for_selector(CHART_FRAME, state="attached", timeout=20_000)
    frame = page.frame_locator(CHART_FRAME)
    frame.locator(".chart:not(:has(.main-svg))").first.wait_for(state="detached",
                                                                timeout=20_000)
    time.sleep(0.8)  # the frame's first paint after Plotly drew


def shoot(url: str, only: Sequence[str] = ()) -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for scheme, routes in (("light", SCREENS), ("dark", DARK_SCREENS)):
            chosen = [r for r in routes if not only or r in only]
            if not chosen:
                continue
            suffix = "" if scheme == "light" else "-dark"
            for size, (width, height) in SIZES.items():
                context = browser.new_context(viewport={"width": width, "height": height},
                                              color_scheme=scheme)
                page = context.new_page()
                open_app(page, url)
                time.sleep(0.5)
                if scheme == "light" and not only:
                    page.screenshot(path=OUT / f"login-{size}.png")
                sign_in(page, "alex@example.com")
                for route in chosen:
                    open_route(page, route)
                    name = route.strip("/") or "today"
                    page.screenshot(path=OUT / f"{name}-{size}{suffix}.png")
                context.close()
        if not only or "/clinician" in only:
            shoot_clinician(browser, url)
        browser.close()


def shoot_clinician(browser: Browser, url: str) -> None:
    """The therapist's caseload and one shared patient's Progress (Casey: an emergency
    answer on record); the admin's clinic settings."""
    for size in ("phone", "desktop"):
        with fresh_page(browser, url, SIZES[size]) as page:
            sign_in(page, "taylor@example.com")
            time.sleep(1)
            page.screenshot(path=OUT / f"clinician-home-{size}.png")
            page.get_by_role("button", name="Open Casey's progress").click()
            wait_for_charts(page)
            page.screenshot(path=OUT / f"clinician-progress-{size}.png")
        with fresh_page(browser, url, SIZES[size]) as page:
            sign_in(page, "admin@example.com")
            time.sleep(1)
            page.screenshot(path=OUT / f"admin-home-{size}.png")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Regenerate docs/screens/*.png")
    parser.add_argument("url", nargs="?")
    parser.add_argument("--only", nargs="*", default=[], help="routes to shoot, e.g. /progress")
    args = parser.parse_args()
    if args.url:
        shoot(args.url, args.only)
    else:
        with demo_server() as running:
            shoot(running, args.only)
