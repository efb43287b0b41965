"""Sharing in the browser: a patient stops sharing with the care team, gives them a new
one-time code, the care team adds the patient with it ("Reminders and logging only", the
care team's default: no scores, no way into the progress), the patient sees who looked,
then chooses "Everything" for the care team, who can then open the progress."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.flutter import fill, retype, settle
from tests.e2e.test_every_route import navigate
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
CODE = re.compile(r"^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$")
# What a clinician sees on a patient's screen the grant does not open.
CLOSED = re.compile("not shared with you|reminders and logging only with you")


def scroll_until(page: Page, target: Locator) -> None:
    """Scroll Flutter's view (a wheel over the page) until `target` is on screen: a node
    off screen is not in the accessibility tree at all."""
    height = page.viewport_size["height"] if page.viewport_size else 800
    for _ in range(20):
        if target.count():
            box = target.first.bounding_box()
            if box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height:
                return
        page.mouse.move(200, height // 2)
        page.mouse.wheel(0, 250)
        settle(0.3)
    raise AssertionError("could not scroll to it")


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
    # Each person's choice made the list taller: the code shows below the phone's fold.
    scroll_until(phone, phone.get_by_text(re.compile("^Your sharing code: ")))
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
    expect(desktop.get_by_text("Blair Chen", exact=True)).to_be_visible(timeout=WAIT)
    # The care team's default: whether Blair logged, not what she logged.
    expect(desktop.get_by_text("Reminders and logging only").first).to_be_visible()
    expect(desktop.get_by_role("button", name="Open Blair's progress")).to_have_count(0)

    go(phone, "Today")
    open_sharing(phone)
    expect(phone.get_by_role("button", name="Stop sharing with Jordan")).to_be_visible()
    expect(phone.get_by_text("What Jordan sees")).to_be_visible()
    expect(phone.get_by_text(
        "Jordan Patel (care team) looked at whether you logged and answered reminders"
    ).first).to_be_visible()
    # People are listed by name: Jordan's choice comes before Taylor's.
    everything = phone.get_by_role("radio", name="Everything").first
    expect(everything).not_to_be_checked()
    everything.click()
    expect(phone.get_by_text("Jordan now sees everything you share.")).to_be_visible(
        timeout=WAIT)

    go(desktop, "Settings")  # and back: the caseload is read again
    go(desktop, "Patients")
    expect(desktop.get_by_role("button", name="Open Blair's progress")).to_be_visible(
        timeout=WAIT)

    # Jordan opens Blair's progress; Blair narrows the grant again; Jordan's next look at
    # the same page finds it closed, with no number on it.
    desktop.get_by_role("button", name="Open Blair's progress").click()
    desktop.wait_for_url("**patient=*", timeout=WAIT)
    route = "/" + desktop.url.split("/", 3)[3]
    expect(desktop.get_by_text(CLOSED)).to_have_count(0, timeout=WAIT)
    phone.get_by_role("radio", name="Reminders and logging only").first.click()
    expect(phone.get_by_text("Jordan now sees reminders and logging only.")).to_be_visible(
        timeout=WAIT)
    go(desktop, "Patients")
    # Wait for the Patients screen itself: the progress screen has no such button either,
    # and a route pushed while the tab's own change is under way can be overtaken by it.
    desktop.wait_for_url(lambda url: "patient=" not in url, timeout=WAIT)
    expect(desktop.get_by_text(re.compile("^Patients who share with you"))).to_be_visible(
        timeout=WAIT)
    expect(desktop.get_by_role("button", name="Open Blair's progress")).to_have_count(
        0, timeout=WAIT)
    navigate(desktop, route)
    desktop.wait_for_url("**patient=*", timeout=WAIT)
    expect(desktop.get_by_text(CLOSED)).to_be_visible(timeout=WAIT)
    expect(desktop.get_by_text(re.compile(r"Pain \d"))).to_have_count(0)
