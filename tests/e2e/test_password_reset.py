"""A patient resets a forgotten password through an email received by a real SMTP server
on loopback (issue 14): the clinic's mail server (aiosmtpd, written into the data folder
as the admin's card would) is set before the server starts; Casey taps "Forgot your
password?", asks for a link, the email arrives, the link opens the reset screen in the
browser, a commonly guessed password is refused in plain words, a good one is saved; she
signs in with it, the old one no longer works, and the link is used up.

Screenshots at 412x915 go to the shots folder (E2E_SHOTS=docs/screens for the docs):
password-forgot-phone.png (the form),
password-sent-phone.png (the answer), password-reset-phone.png (the reset screen with a
refusal under the field), password-change-phone.png (Settings' Password card with a wrong
current password refused under its field).

And Alex changes hers in Settings: the current one is required, and her session in another
browser ends while this one stays."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect

from app import paths
from app.domain.accounts import Account, Role
from app.domain.passwords import TOO_EASY
from app.services.accounts import WRONG_CURRENT
from app.services.mail_settings import MailSettingsService
from app.services.notifier import Security
from app.services.password_reset import LINK_UNUSABLE, SENT
from app.ui.screens.password import CHANGED, RESET_DONE, RESET_TITLE
from tests.conftest import START
from tests.e2e.flutter import (
    fill,
    fresh_page,
    retype,
    settle,
    shots_folder,
    wait_for_first_screen,
)
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.server import demo_server
from tests.e2e.test_checkin_fits import scroll_to
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in
from tests.services.smtp_helpers import HOST, Mailbox, free_port

WAIT = 20_000
SCREENS = shots_folder()  # E2E_SHOTS=docs/screens refreshes the docs' copies
NEW_PASSWORD = "lantern orchard pebble"
SENDER = "desk@clinic.example"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on loopback for the whole file, and its port."""
    box = Mailbox()
    controller = Controller(box, hostname=HOST, port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    return smtp_server[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           smtp_server: tuple[Mailbox, int]) -> Iterator[str]:
    """The demo clinic with its mail server set to the loopback mailbox, saved through
    the admin's service before the server starts."""
    folder = tmp_path_factory.mktemp("reset-store")
    admin = Account("admin", "admin@example.com", "Admin", Role.ADMIN, "", START)
    MailSettingsService(paths.smtp_file(folder)).save(
        admin, host=HOST, port=smtp_server[1], security=Security.NONE, sender=SENDER)
    with demo_server(folder) as url:
        yield url


def _the_email(box: Mailbox) -> tuple[list[str], str, str]:
    """The reset email (the demo clinic's reminder emails go through the same server)."""
    deadline = time.monotonic() + 15  # sent off the request's thread; a bound only
    while time.monotonic() < deadline:
        resets = [(to, m) for to, m in box.messages
                  if str(m["Subject"]).startswith("Set a new BackTrack password")]
        if resets:
            break
        time.sleep(0.1)
    [(recipients, message)] = resets
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert message["List-Unsubscribe"] is None
    return recipients, str(message["Subject"]), body


def test_casey_resets_her_forgotten_password_by_email(phone: Page, browser: Browser,
                                                      server: str, mailbox: Mailbox) -> None:
    phone.get_by_role("button", name="Forgot your password?").click()
    email = phone.get_by_label("Email", exact=True)
    expect(email).to_be_visible(timeout=WAIT)
    settle()
    assert_no_error_box(phone, "Forgot your password")
    phone.screenshot(path=str(SCREENS / "password-forgot-phone.png"))
    fill(email, "casey@example.com")
    phone.get_by_role("button", name="Send me a link").click()
    expect(phone.get_by_text(SENT)).to_be_visible(timeout=WAIT)
    settle()
    phone.screenshot(path=str(SCREENS / "password-sent-phone.png"))

    recipients, subject, body = _the_email(mailbox)
    assert recipients == ["casey@example.com"]
    assert "BackTrack" in subject
    [link] = re.findall(r"http\S+/reset\?token=\S+", body)
    assert link.startswith(server.rstrip("/"))

    with fresh_page(browser, link) as opened:  # the link, tapped in the mail app
        expect(opened.get_by_text(RESET_TITLE)).to_be_visible(timeout=WAIT)
        new = opened.get_by_label("New password", exact=True)
        fill(new, "password12")
        opened.get_by_role("button", name="Save new password").click()
        expect(opened.get_by_text(TOO_EASY)).to_be_visible(timeout=WAIT)
        settle()
        assert_no_error_box(opened, "Reset password")
        opened.screenshot(path=str(SCREENS / "password-reset-phone.png"))
        retype(new, NEW_PASSWORD, clear=15)
        opened.get_by_role("button", name="Save new password").click()
        expect(opened.get_by_text(RESET_DONE)).to_be_visible(timeout=WAIT)
        sign_in(opened, "casey@example.com", NEW_PASSWORD)
        expect(opened.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)

    with fresh_page(browser, server) as again:  # the old password no longer works
        sign_in(again, "casey@example.com")
        expect(again.get_by_text(re.compile("don't match"))).to_be_visible(timeout=WAIT)

    with fresh_page(browser, link) as reused:  # the link is used up
        expect(reused.get_by_text(LINK_UNUSABLE)).to_be_visible(timeout=WAIT)


def test_alex_changes_her_password_and_her_other_browser_is_signed_out(
        phone: Page, browser: Browser, server: str) -> None:
    with fresh_page(browser, server) as other:
        sign_in(other, "alex@example.com")
        expect(other.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)

        sign_in(phone, "alex@example.com")
        expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
        go(phone, "Settings")
        change = phone.get_by_role("button", name="Change password")
        expect(change).to_be_attached(timeout=WAIT)
        current = phone.get_by_label("Current password", exact=True)
        scroll_to(phone, change, 915)
        fill(current, "not-my-password")
        fill(phone.get_by_label("New password", exact=True), NEW_PASSWORD)
        change.click()
        expect(phone.get_by_text(WRONG_CURRENT)).to_be_visible(timeout=WAIT)
        scroll_to(phone, change, 915)
        settle()
        assert_no_error_box(phone, "Settings, Password")
        phone.screenshot(path=str(SCREENS / "password-change-phone.png"))
        retype(current, "backtrack-demo", clear=20)
        change.click()
        expect(phone.get_by_text(CHANGED)).to_be_visible(timeout=WAIT)
        expect(phone.get_by_role("button", name="Sign out").first).to_be_attached()

        other.reload()  # the other browser's session ended
        wait_for_first_screen(other)
        expect(other.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)
