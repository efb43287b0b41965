"""The patient's reminders in a real browser: Casey (the demo delivered her the care team's
message and one or two soreness checks after her session) sees the count on the bell and on
Today, opens the inbox, answers "Done" to one and "Not now" to another, and the count is
gone; her answers are still there after a reload. In Settings she turns on the calendar
feed: its private address is shown once, and a calendar app fetching it gets the feed."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.flutter import wait_for_first_screen
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_checkin_fits import scroll_to
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
FEED_ADDRESS = re.compile(r"^http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]{40,}\.ics$")


def words(page: Page, text: str) -> Locator:
    """Text on screen that is not a button's name ("Done" is both): a text node is a span
    in its own semantics node, a button's name is the node's own text."""
    return page.locator("flt-semantics:not([role=button]) > span",
                        has_text=re.compile(f"^{re.escape(text)}$"))


def bell(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def test_casey_answers_her_reminders_and_the_count_goes(phone: Page) -> None:
    sign_in(phone, "casey@example.com")
    expect(phone.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)
    # How many soreness checks the demo has delivered depends on the hour it was seeded
    # (her session's 24 h and 48 h checks): the message and one or two of them.
    counted = phone.get_by_role("button", name=re.compile(r"^Reminders: \d+ new$"))
    expect(counted).to_be_visible(timeout=WAIT)
    name = counted.evaluate("e => e.getAttribute('aria-label') || e.textContent")
    new = int(re.findall(r"\d+", name)[0])
    assert new in (2, 3), name
    expect(phone.get_by_text(f"You have {new} new reminders", exact=True)).to_be_attached()
    # The badge on Today is a picture only: the tab keeps its name.
    expect(phone.get_by_role("tab", name="Today", exact=True)).to_be_visible()
    assert_no_error_box(phone, "Today with new reminders")

    open_button = phone.get_by_role("button", name="Open reminders", exact=True)
    scroll_to(phone, open_button, 915)
    open_button.click()
    expect(phone.get_by_text("A message from your clinic", exact=True)).to_be_attached(
        timeout=WAIT)
    expect(phone.get_by_text("Please bring your home-exercise sheet to your next visit.")
           ).to_be_attached()
    dones = phone.get_by_role("button", name="Done", exact=True)
    expect(dones).to_have_count(new)
    expect(phone.get_by_role("button", name="Log soreness", exact=True)).to_have_count(
        new - 1)
    expect(words(phone, "New")).to_have_count(new)
    expect(bell(phone, "Reminders")).to_be_visible()  # shown is read
    assert_no_error_box(phone, "the inbox")

    dones.first.click()
    expect(words(phone, "Done")).to_have_count(1, timeout=WAIT)
    expect(dones).to_have_count(new - 1)
    phone.get_by_role("button", name="Not now", exact=True).first.click()
    expect(words(phone, "Not now")).to_have_count(1, timeout=WAIT)
    expect(phone.get_by_role("button", name="Not now", exact=True)).to_have_count(new - 2)
    expect(dones).to_have_count(new - 1)  # "Not now" keeps its "Done"

    go(phone, "Today")
    expect(phone.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)
    expect(bell(phone, "Reminders")).to_be_visible()
    expect(phone.get_by_text(re.compile("new reminder"))).to_have_count(0)

    # The answers were saved: the inbox drawn anew from the store shows them.
    bell(phone, "Reminders").click()
    expect(phone.get_by_text("A message from your clinic", exact=True)).to_be_attached(
        timeout=WAIT)
    phone.reload()
    wait_for_first_screen(phone)
    expect(words(phone, "Done")).to_have_count(1, timeout=WAIT)
    expect(words(phone, "Not now")).to_have_count(1)
    expect(words(phone, "New")).to_have_count(0)


def test_the_calendar_feed_address_is_shown_once_and_serves_the_feed(phone: Page) -> None:
    sign_in(phone, "casey@example.com")
    expect(phone.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)
    go(phone, "Settings")
    turn_on = phone.get_by_role("button", name="Turn on calendar feed", exact=True)
    expect(turn_on).to_be_attached(timeout=WAIT)
    scroll_to(phone, turn_on, 915)
    turn_on.click()
    address = phone.get_by_text(FEED_ADDRESS)
    expect(address).to_be_attached(timeout=WAIT)
    copy = phone.get_by_role("button", name="Copy address", exact=True)
    scroll_to(phone, copy, 915)
    assert_no_error_box(phone, "Settings with the calendar address")
    url = (address.text_content() or "").strip()
    feed = phone.request.get(url)
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in feed.text()

    # Shown once: the next visit says only that the feed is on.
    go(phone, "Today")
    go(phone, "Settings")
    expect(phone.get_by_text("Your calendar feed is on.", exact=True)).to_be_attached(
        timeout=WAIT)
    expect(phone.get_by_text(FEED_ADDRESS)).to_have_count(0)
