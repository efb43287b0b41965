"""The clinic admin sets the clinic's name and numbers; a bad number is refused with the
answers kept; a patient's "Is this normal?" answer then offers the new numbers. The admin
sets the clinic's mail server and sends a test email to a real SMTP server on loopback;
a wrong port fails with the server's reason and nothing typed is lost."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Locator, Page, expect

from tests.e2e.flutter import fill, retype, settle
from tests.e2e.test_sign_in import sign_in
from tests.services.smtp_helpers import HOST, Mailbox, free_port

WAIT = 20_000


def test_the_admin_sets_the_numbers_patients_are_told_to_call(desktop: Page,
                                                               phone: Page) -> None:
    sign_in(desktop, "admin@example.com")
    expect(desktop.get_by_text("Clinic settings", exact=True)).to_be_visible(timeout=WAIT)
    emergency = desktop.get_by_label("Emergency number")
    retype(emergency, "nine-one-one")
    desktop.get_by_role("button", name="Save clinic settings").click()
    expect(desktop.get_by_text("Enter the emergency number as 2 to 6 digits, like 911 or "
                               "112.")).to_be_visible(timeout=WAIT)
    retype(emergency, "911")
    retype(desktop.get_by_label(re.compile("^Clinic name")), "Riverside Physio", clear=40)
    desktop.get_by_role("button", name="Save clinic settings").click()
    # Saved: the message under the field goes with the same update (a toast may be gone
    # before a busy CI looks).
    expect(desktop.get_by_text(re.compile("^Enter the emergency number"))).to_have_count(
        0, timeout=WAIT)

    sign_in(phone, "casey@example.com")
    expect(phone.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Is this normal?").click()
    phone.get_by_role("checkbox", name="Short of breath or hard to breathe").click()
    phone.get_by_role("button", name="Check my symptoms").click()
    expect(phone.get_by_role("button", name=re.compile(r"^Call 911 now"))).to_be_visible(
        timeout=WAIT)
    expect(phone.get_by_role("button", name=re.compile(r"^Call Riverside Physio"))
           ).to_be_visible()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on loopback for the test email, and its port."""
    box = Mailbox()
    controller = Controller(box, hostname=HOST, port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def _into_view(page: Page, target: Locator) -> None:
    """Scroll Flutter's view (a wheel over the page) until `target` is well on screen:
    a click on a node off screen reaches nothing."""
    height = page.viewport_size["height"] if page.viewport_size else 800
    for _ in range(20):
        box = target.bounding_box()
        if box is not None and box["y"] >= 60 and box["y"] + box["height"] <= height - 20:
            return
        page.mouse.move(400, height // 2)
        page.mouse.wheel(0, 250 if box is None or box["y"] > 60 else -250)
        settle(0.3)
    raise AssertionError("could not scroll to the control")


def _text_in(page: Page, label: str) -> str:
    """What a text field holds, read from the editor Flutter opens on it (its semantics
    node only carries the value once typed into since the screen was drawn)."""
    field = page.get_by_label(label, exact=True)
    _into_view(page, field)
    field.click()
    settle(0.3)
    value = page.evaluate("document.activeElement && document.activeElement.value")
    page.keyboard.press("Tab")
    return str(value)


def test_the_admin_saves_the_mail_server_and_a_test_email_arrives(
        desktop: Page, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    wrong = free_port()  # nothing listens there
    sign_in(desktop, "admin@example.com")
    expect(desktop.get_by_text("Email for reminders")).to_be_attached(timeout=WAIT)
    host = desktop.get_by_label("Mail server", exact=True)
    _into_view(desktop, host)
    fill(host, HOST)
    retype(desktop.get_by_label("Port", exact=True), str(wrong), clear=6)
    desktop.get_by_role("button", name=re.compile("^Security: ")).click()
    desktop.get_by_role("button", name="None (only a relay on this machine)",
                         exact=True).click()
    fill(desktop.get_by_label("Sender address", exact=True), "reminders@clinic.example")
    desktop.get_by_role("button", name="Save email settings").click()
    expect(desktop.get_by_text(f"Reminder emails go out through {HOST}:{wrong} from "
                               "reminders@clinic.example.")).to_be_attached(timeout=WAIT)

    send = desktop.get_by_role("button", name="Send a test email")
    _into_view(desktop, send)
    send.click()
    expect(desktop.get_by_text(re.compile(
        r"^The test email was not sent: cannot reach the mail server"))).to_be_attached(
        timeout=WAIT)
    assert box.messages == []
    # Nothing typed is lost: the same settings are still on screen, saved.
    assert _text_in(desktop, "Mail server") == HOST
    assert _text_in(desktop, "Port") == str(wrong)
    assert _text_in(desktop, "Sender address") == "reminders@clinic.example"
    expect(desktop.get_by_role("button", name=re.compile("^Security: None"))).to_be_attached()

    port_field = desktop.get_by_label("Port", exact=True)
    _into_view(desktop, port_field)
    retype(port_field, str(port), clear=6)
    _into_view(desktop, send)
    send.click()  # with the change not saved yet, the test would use the old port
    expect(desktop.get_by_text("Save the email settings first: the test uses the saved "
                               "ones.")).to_be_attached(timeout=WAIT)
    desktop.get_by_role("button", name="Save email settings").click()
    expect(desktop.get_by_text(f"Reminder emails go out through {HOST}:{port} from "
                               "reminders@clinic.example.")).to_be_attached(timeout=WAIT)
    send.click()
    expect(desktop.get_by_text("Test email sent to admin@example.com. Check that it arrived "
                               "(and not as spam).")).to_be_attached(timeout=WAIT)
    deadline = time.monotonic() + 10  # accepted before the screen said so; a bound only
    while not box.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    [(recipients, message)] = box.messages
    assert recipients == ["admin@example.com"]
    assert message["From"] == "reminders@clinic.example"
    assert message["Subject"].startswith("A reminder from ")
