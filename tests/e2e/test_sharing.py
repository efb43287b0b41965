"""Sharing in the browser: a patient stops sharing with the care team, gives them a new
one-time code, the care team adds the patient with it, and the patient sees who looked."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.flutter import fill, retype
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
CODE = re.compile(r"^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$")


def open_sharing(page: Page) -> None:
    go(page, "Settings")
    page.get_by_role("button", name="Sharing and who looked").click()
    expect(page.get_by_text("Who can see your progress")).to_be_visible(timeout=WAIT)


def test_a_patient_shares_by_code_stops_sharing_and_sees_who_looked(phone: Page,
                                                                      desktop: Page) -> None:
    sign_in(phone, "blair@example.com")
    expect(phone.get_by_text("Hello, Blair")).to_be_visible(timeout=WAIT)
    open_sharing(phone)
    # Stopping asks once: "Keep sharing" changes nothing, "Stop sharing" stops.
    phone.get_by_role("button", name="Stop sharing with Jordan").click()
    expect(phone.get_by_text("Stop sharing with Jordan Patel?")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Keep sharing").click()
    expect(phone.get_by_text("Stop sharing with Jordan Patel?")).to_have_count(0,
                                                                              timeout=WAIT)
    phone.get_by_role("button", name="Stop sharing with Jordan").click()
    phone.get_by_role("button", name="Stop sharing", exact=True).click()
    expect(phone.get_by_role("button", name="Stop sharing with Jordan")).to_have_count(
        0, timeout=WAIT)
    expect(phone.get_by_role("button", name="Stop sharing with Taylor")).to_be_visible()

    phone.get_by_role("button", name="Get a sharing code").click()
    expect(phone.get_by_text("Your sharing code", exact=True)).to_be_visible(timeout=WAIT)
    # The code is spoken letter by letter ("A B C D - ..."); the screen shows it whole.
    spoken = phone.get_by_text(re.compile("^Your sharing code: ")).inner_text()
    code = spoken.removeprefix("Your sharing code: ").replace(" ", "")
    assert CODE.match(code), spoken

    sign_in(desktop, "jordan@example.com")
    expect(desktop.get_by_text("Hello, Jordan")).to_be_visible(timeout=WAIT)
    expect(desktop.get_by_text("Blair Chen")).to_have_count(0)
    fill(desktop.get_by_label("Sharing code from a patient"), "0000-0000-0000")
    desktop.get_by_role("button", name="Add", exact=True).click()
    expect(desktop.get_by_text(re.compile("That code is not valid"))).to_be_visible(
        timeout=WAIT)
    # Typed as heard: lower case, spaces for dashes.
    retype(desktop.get_by_label("Sharing code from a patient"), code.lower().replace("-", " "))
    desktop.get_by_role("button", name="Add", exact=True).click()
    expect(desktop.get_by_role("button", name="Open Blair's progress")).to_be_visible(
        timeout=WAIT)

    go(phone, "Today")
    open_sharing(phone)
    expect(phone.get_by_role("button", name="Stop sharing with Jordan")).to_be_visible()
    expect(phone.get_by_text("Jordan Patel (care team) looked at your progress").first
           ).to_be_visible()
