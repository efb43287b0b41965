"""A demo patient signs in and lands on their home screen; a wrong password is refused."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from app.paths import ASSETS_DIR as ASSETS
from tests.e2e.flutter import fill, fresh_page, retype

EMPTY_FORM = "Enter your email and password."


def sign_in(page: Page, email: str, password: str = "backtrack-demo") -> None:
    fill(page.get_by_label("Email", exact=True), email)
    fill(page.get_by_label("Password", exact=True), password)
    page.get_by_role("button", name="Sign in").click()
    # Keys typed into a Flutter field right after the first screen arrives are now and
    # then shown but never reach Flet (STACK.md): the app then asks for both fields.
    # Type them again once, as a person would.
    empty = page.get_by_text(EMPTY_FORM)
    answered = empty.or_(page.get_by_role("button", name="Sign out")).or_(
        page.get_by_text(re.compile("don't match|Too many attempts"))).or_(
        page.get_by_text(re.compile("^(Set up )?[Tt]wo-step sign-in$")))  # a code next
    answered.first.wait_for(timeout=15_000)
    if not empty.count():
        return
    retype(page.get_by_label("Email", exact=True), email, clear=len(email) + 5)
    retype(page.get_by_label("Password", exact=True), password, clear=len(password) + 5)
    page.get_by_role("button", name="Sign in").click()


def test_demo_patient_signs_in_and_sees_home(phone: Page) -> None:
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=15_000)
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("button", name="Sign in")).to_be_visible(timeout=15_000)


def test_wrong_password_gets_a_clear_error(phone: Page) -> None:
    sign_in(phone, "alex@example.com", "not-the-password")
    expect(phone.get_by_text("That email and password don't match")).to_be_visible(
        timeout=15_000)
    expect(phone.get_by_text("Hello, Alex")).to_have_count(0)


def test_therapist_lands_on_their_own_home(desktop: Page) -> None:
    sign_in(desktop, "taylor@example.com")
    expect(desktop.get_by_text("Signed in as Therapist")).to_be_visible(timeout=15_000)
    # Their caseload, most urgent first: Casey's emergency answer is flagged.
    expect(desktop.get_by_text("Casey Rivera")).to_be_visible()
    expect(desktop.get_by_text("Emergency answer in the last 7 days")).to_be_visible()
    expect(desktop.get_by_text("No meaningful change: reassess").first).to_be_visible()


def test_a_deep_link_opens_after_sign_in(browser: Browser, server: str) -> None:
    with fresh_page(browser, f"{server}/history") as page:
        sign_in(page, "alex@example.com")
        expect(page.get_by_role("checkbox", name="Check-ins")).to_be_visible(timeout=15_000)
        assert page.url.endswith("/history")


def test_the_app_names_itself_and_shows_its_own_icon(phone: Page, server: str) -> None:
    """The browser tab, "Add to Home Screen" and the manifest say BackTrack, with the
    app's icons, not Flet's."""
    assert phone.evaluate("document.querySelector('meta[name=apple-mobile-web-app-title]')"
                          ".content") == "BackTrack"
    manifest = phone.request.get(f"{server}/manifest.json").json()
    assert (manifest["name"], manifest["short_name"]) == ("BackTrack", "BackTrack")
    assert manifest["theme_color"] == "#00796B"
    for name in ("favicon.png", "icons/icon-192.png", "icons/icon-maskable-512.png",
                 "icons/loading-animation.png"):
        served = phone.request.get(f"{server}/{name}").body()
        assert served == (ASSETS / name).read_bytes(), name


def test_the_password_can_be_shown_with_a_named_button(phone: Page) -> None:
    fill(phone.get_by_label("Password", exact=True), "secret-words")
    phone.get_by_role("button", name="Show password").click()
    expect(phone.get_by_role("button", name="Hide password")).to_be_visible(timeout=15_000)
    phone.get_by_role("button", name="Hide password").click()
    expect(phone.get_by_role("button", name="Show password")).to_be_visible(timeout=15_000)
