"""The error boundary in the browser (issues 9 and 11): a bad URL parameter and another
patient's entry show a plain "Not found" screen, not Flet's red "Error running app" or
nothing (a forced error is tested in-process: tests/ui/test_error_boundary.py)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.flutter import fresh_page
from tests.e2e.test_every_route import navigate
from tests.e2e.test_sign_in import sign_in

WAIT = 15_000


def expect_not_found(page: Page) -> None:
    expect(page.get_by_text("Not found").first).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Error running app")).to_have_count(0)
    expect(page.get_by_role("button", name="Go to the start")).to_be_visible()


def someone_elses_check_in(browser: Browser, server: str) -> str:
    """The id of one of Blair's check-ins, as Blair's History links to it."""
    with fresh_page(browser, f"{server}/history") as page:
        sign_in(page, "blair@example.com")
        page.get_by_role("button", name=re.compile(r"^Correct Check-in")).first.click()
        page.wait_for_url(re.compile(r"edit="), timeout=WAIT)
        return page.url.split("edit=", 1)[1]


def test_a_bad_url_parameter_shows_not_found(phone: Page) -> None:
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    navigate(phone, "/history?limit=abc")
    expect_not_found(phone)
    phone.get_by_role("button", name="Go to the start").click()
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)


def test_another_patients_entry_shows_not_found(browser: Browser, server: str,
                                                phone: Page) -> None:
    entry = someone_elses_check_in(browser, server)
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    navigate(phone, f"/checkin?edit={entry}")
    expect_not_found(phone)
