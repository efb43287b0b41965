"""The admin's Accounts and Audit log screens in the browser, against the real server
(issue 14).

Sam (the demo clinic's admin) finds Taylor (therapist) by searching, deactivates her after
confirming: Taylor's own browser shows the sign-in screen at her next step, and her
password gets "This account is turned off". Sam reactivates her (she signs in again),
makes her care team, and gives Casey a reset link by hand; the link opened in another
browser sets Casey's new password, which then signs in. The Audit log shows those
actions newest first, filters them, and downloads them as CSV.

Screenshots (the shots folder; E2E_SHOTS=docs/screens for the docs): accounts-desktop.png
(1280x800), accounts-phone.png and accounts-phone-dark.png (412x915),
accounts-reset-link-desktop.png, audit-log-desktop.png, audit-log-phone.png.
"""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import Browser, Page, expect

from app.domain.account_admin import SIGN_IN_TURNED_OFF
from tests.e2e.flutter import (
    DESKTOP,
    fill,
    fresh_page,
    retype,
    settle,
    shots_folder,
    wait_for_first_screen,
)
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
SCREENS = shots_folder()
NEW_PASSWORD = "lantern orchard pebble"


def _search(page: Page, text: str, found: str) -> None:
    """Search, and wait until `found` is the one account listed (the count alone may
    still be the previous search's)."""
    retype(page.get_by_label("Search name or email", exact=True), text, clear=30)
    page.keyboard.press("Enter")
    expect(page.get_by_text(found, exact=True)).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("1 account", exact=True)).to_be_visible(timeout=WAIT)


def _in_dialog(page: Page, name: str) -> None:
    """The dialog's button (the card behind it has one of the same name)."""
    page.get_by_role("button", name=name, exact=True).last.click()


def test_the_admin_deactivates_reactivates_changes_a_role_and_gives_a_link(
        desktop: Page, browser: Browser, server: str) -> None:
    with fresh_page(browser, server, DESKTOP) as taylor:
        sign_in(taylor, "taylor@example.com")
        expect(taylor.get_by_text("Hello, Taylor")).to_be_visible(timeout=WAIT)

        sign_in(desktop, "admin@example.com")
        expect(desktop.get_by_text("Hello, Sam")).to_be_visible(timeout=WAIT)
        go(desktop, "Accounts")
        expect(desktop.get_by_text("Taylor Brooks", exact=True)).to_be_visible(timeout=WAIT)
        settle()
        assert_no_error_box(desktop, "Accounts")
        desktop.screenshot(path=str(SCREENS / "accounts-desktop.png"))

        _search(desktop, "taylor", "Taylor Brooks")
        desktop.get_by_role("button", name="Deactivate", exact=True).click()
        expect(desktop.get_by_text("Deactivate Taylor Brooks?")).to_be_visible(timeout=WAIT)
        _in_dialog(desktop, "Deactivate")
        expect(desktop.get_by_text("Deactivated", exact=True)).to_be_visible(timeout=WAIT)
        expect(desktop.get_by_role("button", name="Reactivate")).to_be_visible()

        go(taylor, "Settings")  # her next step: the sign-in screen, saying why
        expect(taylor.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)
        expect(taylor.get_by_text(re.compile("the clinic turned this account off"))
               ).to_be_visible(timeout=WAIT)
        fill(taylor.get_by_label("Email", exact=True), "taylor@example.com")
        fill(taylor.get_by_label("Password", exact=True), "backtrack-demo")
        taylor.get_by_role("button", name="Sign in").click()
        expect(taylor.get_by_text(SIGN_IN_TURNED_OFF)).to_be_visible(timeout=WAIT)
        expect(taylor.get_by_role("button", name="Sign out")).to_have_count(0)

        desktop.get_by_role("button", name="Reactivate").click()
        expect(desktop.get_by_text("Active", exact=True)).to_be_visible(timeout=WAIT)
        taylor.reload()  # a fresh sign-in form (the refused one keeps the email typed)
        wait_for_first_screen(taylor)
        sign_in(taylor, "taylor@example.com")  # back where she was: Settings
        expect(taylor.get_by_role("button", name="Sign out").first).to_be_visible(
            timeout=WAIT)

    desktop.get_by_role("button", name="Change role").click()
    expect(desktop.get_by_text("Change Taylor Brooks's role?")).to_be_visible(timeout=WAIT)
    desktop.get_by_role("button", name=re.compile("^New role: ")).click()
    desktop.get_by_role("button", name="Care team", exact=True).last.click()
    _in_dialog(desktop, "Change role")
    expect(desktop.get_by_text("Care team", exact=True)).to_be_visible(timeout=WAIT)

    _search(desktop, "casey", "Casey Rivera")
    desktop.get_by_role("button", name="Give reset link").click()
    link_text = desktop.get_by_text(re.compile(r"/reset\?token="))
    expect(link_text).to_be_visible(timeout=WAIT)
    valid = re.compile(r"^Valid for 1 hour \(until .*\), once\.$")
    expect(desktop.get_by_text(valid)).to_be_visible()
    expect(desktop.get_by_role("button", name="Copy link")).to_be_visible()
    settle()
    desktop.screenshot(path=str(SCREENS / "accounts-reset-link-desktop.png"))
    link = (link_text.text_content() or "").strip()
    assert link.startswith(server.rstrip("/") + "/reset?token=")
    desktop.get_by_role("button", name="Done").click()

    with fresh_page(browser, link) as casey:  # the link, passed on to Casey
        expect(casey.get_by_text("Choose a new password")).to_be_visible(timeout=WAIT)
        fill(casey.get_by_label("New password", exact=True), NEW_PASSWORD)
        casey.get_by_role("button", name="Save new password").click()
        expect(casey.get_by_text("Your new password is set. Sign in with it.")).to_be_visible(
            timeout=WAIT)
        sign_in(casey, "casey@example.com", NEW_PASSWORD)
        expect(casey.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)


def test_the_accounts_screen_on_a_phone(phone: Page) -> None:
    sign_in(phone, "admin@example.com")
    expect(phone.get_by_text("Hello, Sam")).to_be_visible(timeout=WAIT)
    go(phone, "Accounts")
    expect(phone.get_by_text("Alex Morgan", exact=True)).to_be_visible(timeout=WAIT)
    phone.mouse.move(200, 60)  # off the tab bar: its tooltip would cover the first card
    settle()
    assert_no_error_box(phone, "Accounts on a phone")
    phone.screenshot(path=str(SCREENS / "accounts-phone.png"))

    go(phone, "Audit log")
    expect(phone.get_by_text(re.compile(r"^\d+ entr"))).to_be_visible(timeout=WAIT)
    phone.mouse.move(200, 60)
    settle()
    assert_no_error_box(phone, "Audit log on a phone")
    phone.screenshot(path=str(SCREENS / "audit-log-phone.png"))

    go(phone, "Settings")  # dark mode: the same screens stay readable
    phone.get_by_role("button", name="Dark", exact=True).click()
    go(phone, "Accounts")
    expect(phone.get_by_text("Alex Morgan", exact=True)).to_be_visible(timeout=WAIT)
    phone.mouse.move(200, 60)
    settle()
    assert_no_error_box(phone, "Accounts in dark mode")
    phone.screenshot(path=str(SCREENS / "accounts-phone-dark.png"))


def test_the_audit_log_shows_filters_and_downloads_the_actions(desktop: Page) -> None:
    """After the first test (the same server): its actions are in the log."""
    sign_in(desktop, "admin@example.com")
    expect(desktop.get_by_text("Hello, Sam")).to_be_visible(timeout=WAIT)
    go(desktop, "Audit log")
    for what in ("Deactivated", "Reactivated", "Role changed", "Password reset link given",
                 "Password reset"):
        expect(desktop.get_by_text(what, exact=True).first).to_be_visible(timeout=WAIT)
    settle()
    assert_no_error_box(desktop, "Audit log")
    desktop.screenshot(path=str(SCREENS / "audit-log-desktop.png"))

    desktop.get_by_role("button", name=re.compile("^What: ")).click()
    desktop.get_by_role("button", name="Deactivated", exact=True).last.click()
    expect(desktop.get_by_text("1 entry", exact=True)).to_be_visible(timeout=WAIT)
    expect(desktop.get_by_text("Reactivated", exact=True)).to_have_count(0)
    expect(desktop.get_by_text("Sam Admin (admin@example.com)")).to_be_visible()
    expect(desktop.get_by_text("Taylor Brooks (taylor@example.com)")).to_be_visible()

    with desktop.expect_download(timeout=WAIT) as download:
        desktop.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("backtrack-audit-log-")
    rows = list(csv.reader(io.StringIO(
        download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][:4] == ["when (UTC)", "who", "who's email", "what"]
    assert [r[3] for r in rows[1:]] == ["Deactivated"]
    assert rows[1][4:6] == ["Taylor Brooks", "taylor@example.com"]
