"""Regenerate docs/screens/*.png: every patient screen, the guidance checklist and its
answers, the clinician's and the admin's screens, at phone (412×915) and desktop
(1280×800) width in light and dark (file names end in -dark), and at small phone (360×780)
in light.

usage: .venv/bin/python docs/make_screens.py [URL] [--only ROUTE ...]
Without URL it starts `python -m app run --demo` on a free port with a temporary store.
With --only, just those routes are shot (e.g. --only /progress; /clinician: the
therapist's caseload and a patient's Progress; /guidance/answers: the checklist
and its answers; /care: the care team's Reminders and Adherence).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.flutter import (  # noqa: E402
    CHART_FRAME,
    CHROMIUM_ARGS,
    fill,
    open_app,
    wait_for_first_screen,
)
from tests.e2e.server import demo_server  # noqa: E402

OUT = REPO / "docs" / "screens"
SIZES = {"phone": (412, 915), "small-phone": (360, 780), "desktop": (1280, 800)}
# Light at every size; dark at phone and desktop (the 360 px phone only shows width
# problems, which do not depend on the colour scheme).
SCHEMES = {"light": ("phone", "small-phone", "desktop"), "dark": ("phone", "desktop")}
SCREENS = ["/", "/checkin", "/session", "/soreness", "/guidance", "/history", "/activities",
           "/milestones", "/progress", "/settings", "/sharing", "/learn"]
CHARTED = {"/progress"}  # wait for the chart frame to finish drawing
INBOX = "/reminders"  # after every pass's Today: opening it reads the new reminders
ANSWERS = "/guidance/answers"  # --only name for the guidance checklist and answer screens
CARE_TEAM = "/care"  # --only name for the care team's Reminders and Adherence
EMERGENCY_SIGN = "Pain in the chest"  # an emergency after any session
CALL_CLINIC_SIGN = "Short of breath or hard to breathe"  # days after a lower-back session
VERDICTS = re.compile("Get help now|Contact the clinic today|This looks like the usual reaction")


def sign_in(page: Page, email: str) -> None:
    """Sign in; typing into a freshly drawn field is sometimes dropped (STACK.md), so a
    sign-in that does not reach the greeting is tried again on a reloaded page."""
    for attempt in range(3):
        fill(page.get_by_label("Email", exact=True), email)
        fill(page.get_by_label("Password", exact=True), "backtrack-demo")
        page.get_by_role("button", name="Sign in").click()
        try:
            page.get_by_text("Hello,").first.wait_for(timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.reload()
            wait_for_first_screen(page)


def park_mouse(page: Page) -> None:
    """The pointer to the middle of the title bar, where no control shows a hover tint."""
    view = page.viewport_size or {"width": 412, "height": 915}
    page.mouse.move(view["width"] / 2, 10)


def open_route(page: Page, route: str) -> None:
    park_mouse(page)
    page.evaluate(f"window.history.pushState(null, '', '{route}');"
                  "window.dispatchEvent(new PopStateEvent('popstate'))")
    if route in CHARTED:
        wait_for_charts(page)
    else:
        time.sleep(1.5)


def wait_for_charts(page: Page) -> None:
    page.wait_for_selector(CHART_FRAME, state="attached", timeout=45_000)
    frame = page.frame_locator(CHART_FRAME)
    frame.locator(".chart:not(:has(.main-svg))").first.wait_for(state="detached",
                                                                timeout=45_000)
    time.sleep(0.8)  # the frame's first paint after Plotly drew


def new_page(browser: Browser, url: str, size: str, scheme: str) -> tuple[BrowserContext, Page]:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    open_app(page, url)
    time.sleep(0.5)
    return context, page


def passes() -> list[tuple[str, str]]:
    return [(scheme, size) for scheme, sizes in SCHEMES.items() for size in sizes]


def shoot(url: str, only: Sequence[str] = ()) -> None:
    OUT.mkdir(exist_ok=True)
    chosen = [r for r in SCREENS if not only or r in only]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # Patient screens first, then the clinician's, then the guidance answers: an answer
        # shows on Alex's Today and on the caseload, so it comes last to keep every size alike.
        for scheme, size in passes():
            suffix = "" if scheme == "light" else "-dark"
            context, page = new_page(browser, url, size, scheme)
            if not only:
                page.screenshot(path=OUT / f"login-{size}{suffix}.png")
            sign_in(page, "alex@example.com")
            for route in chosen:
                open_route(page, route)
                name = route.strip("/") or "today"
                page.screenshot(path=OUT / f"{name}-{size}{suffix}.png")
            context.close()
        for scheme, size in passes():
            if not only or INBOX in only:
                shoot_inbox(browser, url, size, scheme)
        for scheme, size in passes():
            if not only or "/clinician" in only:
                shoot_clinician(browser, url, size, scheme)
        for scheme, size in passes():
            if (not only or CARE_TEAM in only) and size != "small-phone":
                shoot_care_team(browser, url, size, scheme)
        for scheme, size in passes():
            if (not only or ANSWERS in only) and size != "small-phone":
                context, page = new_page(browser, url, size, scheme)
                sign_in(page, "alex@example.com")
                shoot_answers(page, f"{size}{'' if scheme == 'light' else '-dark'}")
                context.close()
        browser.close()


def shoot_answers(page: Page, tag: str) -> None:
    """The checklist with a warning sign ticked and the three answers: chest pain (Get help
    now, whatever the session), breathlessness days after a session (Contact the clinic
    today), nothing ticked (the usual reaction). Soreness is scored 0 first each time.
    Alex's demo store is a temporary one."""
    answers = (("guidance-emergency", EMERGENCY_SIGN, "Get help now"),
               ("guidance-call-clinic", CALL_CLINIC_SIGN, "Contact the clinic today"),
               ("guidance-answer", None, VERDICTS))
    for name, sign, verdict in answers:
        open_route(page, "/guidance")
        # Soreness scored, so the answer is about the sign, not a missing answer (unscored)
        # or soreness past 72 h (scored above 0).
        page.get_by_role("button", name="How sore is it now?: 0", exact=True).click()
        if sign is not None:
            page.get_by_role("checkbox", name=sign, exact=True).click()
            time.sleep(1)
            if name == "guidance-emergency":
                view = page.viewport_size or {"width": 412, "height": 915}
                page.mouse.move(view["width"] / 2, view["height"] / 2)
                page.mouse.wheel(0, 450)  # the ticked sign into view
                park_mouse(page)
                time.sleep(1)
                page.screenshot(path=OUT / f"guidance-checklist-{tag}.png")
        page.get_by_role("button", name="Check my symptoms").click()
        park_mouse(page)
        page.get_by_text(verdict).first.wait_for(timeout=20_000)
        time.sleep(1)
        page.screenshot(path=OUT / f"{name}-{tag}.png")


def shoot_inbox(browser: Browser, url: str, size: str, scheme: str) -> None:
    """Alex's reminders inbox (the first shot shows the unread one marked New)."""
    context, page = new_page(browser, url, size, scheme)
    sign_in(page, "alex@example.com")
    open_route(page, INBOX)
    page.screenshot(path=OUT / f"reminders-{size}{'' if scheme == 'light' else '-dark'}.png")
    context.close()


def shoot_clinician(browser: Browser, url: str, size: str, scheme: str) -> None:
    """The therapist's caseload and one shared patient's Progress (Casey: an emergency
    answer on record); the admin's clinic settings."""
    suffix = "" if scheme == "light" else "-dark"
    context, page = new_page(browser, url, size, scheme)
    sign_in(page, "taylor@example.com")
    park_mouse(page)
    time.sleep(1)
    page.screenshot(path=OUT / f"clinician-home-{size}{suffix}.png")
    page.get_by_role("button", name="Open Casey's progress").click()
    park_mouse(page)
    wait_for_charts(page)
    page.screenshot(path=OUT / f"clinician-progress-{size}{suffix}.png")
    context.close()
    context, page = new_page(browser, url, size, scheme)
    sign_in(page, "admin@example.com")
    park_mouse(page)
    time.sleep(1)
    page.screenshot(path=OUT / f"admin-home-{size}{suffix}.png")
    scroll_near_top(page, page.get_by_text("Email for reminders", exact=True))
    page.screenshot(path=OUT / f"admin-email-{size}{suffix}.png")
    context.close()


def scroll_near_top(page: Page, heading: Locator) -> None:
    """Scroll the screen until `heading` is near its top (a card further down)."""
    view = page.viewport_size or {"width": 412, "height": 915}
    for _ in range(30):
        box = heading.bounding_box()
        if box is not None and box["y"] < 200:
            break
        page.mouse.move(view["width"] / 2, view["height"] / 2)
        page.mouse.wheel(0, 150)
        time.sleep(0.3)
    park_mouse(page)
    time.sleep(1)


def shoot_care_team(browser: Browser, url: str, size: str, scheme: str) -> None:
    """The care team's (Jordan's) Reminders: the form, then the planned reminders with
    what became of each one sent; and Adherence."""
    suffix = "" if scheme == "light" else "-dark"
    context, page = new_page(browser, url, size, scheme)
    sign_in(page, "jordan@example.com")
    open_route(page, "/care/reminders")
    page.screenshot(path=OUT / f"care-reminders-{size}{suffix}.png")
    scroll_near_top(page, page.get_by_text("Planned reminders", exact=True))
    page.screenshot(path=OUT / f"care-reminders-planned-{size}{suffix}.png")
    open_route(page, "/care/adherence")
    page.screenshot(path=OUT / f"care-adherence-{size}{suffix}.png")
    context.close()


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
