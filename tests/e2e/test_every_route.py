"""Every route of the route table, as every demo role allowed to open it, at phone and
desktop size, shows a screen — not Flutter's grey error box, not Flet's red "Error running
app", not the error boundary's "Something went wrong", not a script error in the page.

The routes are read from app.ui.routes, so a new screen is covered the day it lands.
Why pixels: Flutter's release build draws a failing widget as a grey block and keeps the
previous screen's accessibility nodes, so reading the accessibility tree alone passes
over a broken screen (issue 12: Milestones). Flutter reports nothing to the page's
console in a release build; what the page does report (uncaught script errors, console
errors) is caught too.

One server and one browser for all; one sign-in per role and size; screens are opened
the way a tap on a link does (history.pushState + popstate), without reloading.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from app.domain.accounts import Role
from app.ui.routes import ROUTES
from tests.e2e.flutter import DESKTOP, PHONE, fresh_page, settle
from tests.e2e.pixels import MAX_GREY_SHARE, grey_error_share
from tests.e2e.test_sign_in import sign_in

DEMO_ACCOUNTS = {
    Role.PATIENT: "alex@example.com",
    Role.THERAPIST: "taylor@example.com",
    Role.CARE_TEAM: "jordan@example.com",
    Role.ADMIN: "admin@example.com",
}
# The first patient on a clinician's home whose progress they may open: every demo
# patient shares everything with the therapist; with the care team Alex shares everything
# and Blair and Casey "reminders and logging only" (their cards have no such button).
SHARED_PATIENT = re.compile(r"^Open .+'s progress$")
CLINICIANS = (Role.THERAPIST, Role.CARE_TEAM)
FRAMEWORK_ERRORS = ("Error running app", "Something went wrong")
# The browser's own line for a failed download (the test of offline serving covers those).
_NOT_SCRIPT_ERRORS = ("Failed to load resource",)


def routes_for(role: Role) -> list[str]:
    return [path for path, route in ROUTES.items()
            if route.roles is None or role in route.roles]


def navigate(page: Page, route: str) -> None:
    """Open `route` as a tap on a link does: no reload, the sign-in stays."""
    page.evaluate("route => { history.pushState({}, '', route);"
                  " dispatchEvent(new PopStateEvent('popstate', {state: history.state})); }",
                  route)


class PageErrors:
    """Script errors the page reports while it is watched."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("pageerror", lambda error: self.seen.append(f"script error: {error}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(_NOT_SCRIPT_ERRORS):
            self.seen.append(f"console error: {message.text[:300]}")

    def take(self) -> list[str]:
        seen, self.seen = self.seen, []
        return seen


def shared_patient_id(page: Page) -> str:
    """A clinician's shared patient, as their home screen links to them."""
    page.get_by_role("button", name=SHARED_PATIENT).first.click()
    page.wait_for_url("**patient=*", timeout=15_000)
    return page.url.split("patient=", 1)[1].split("&", 1)[0]


def problems_on(page: Page) -> list[str]:
    found = [f"shows {text!r}" for text in FRAMEWORK_ERRORS
             if page.get_by_text(text).count()]
    share = grey_error_share(page)
    if share >= MAX_GREY_SHARE:
        found.append(f"{share:.0%} of the screen is Flutter's grey error box")
    return found


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("role", list(DEMO_ACCOUNTS), ids=lambda role: role.value)
def test_every_route_shows_a_screen(browser: Browser, server: str, role: Role,
                                    size: tuple[int, int]) -> None:
    broken: list[str] = []
    with fresh_page(browser, server, size) as page:
        errors = PageErrors(page)
        sign_in(page, DEMO_ACCOUNTS[role])
        expect(page.get_by_role("button", name="Sign out").first).to_be_visible(
            timeout=15_000)
        patient = shared_patient_id(page) if role in CLINICIANS else ""
        for path in routes_for(role):
            route = ROUTES[path]
            # A clinician opens a patient's screen for a patient who shared with them.
            for_patient = (patient and route.roles is not None
                           and Role.PATIENT in route.roles)
            target = f"{path}?patient={patient}" if for_patient else path
            navigate(page, target)
            settle(1.0)
            broken += [f"{target}: {problem}"
                       for problem in problems_on(page) + errors.take()]
    assert not broken, f"{role.value} at {size[0]}x{size[1]}:\n" + "\n".join(broken)
