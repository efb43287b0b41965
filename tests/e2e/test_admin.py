"""The clinic admin sets the clinic's name and numbers; a bad number is refused with the
answers kept; a patient's "Is this normal?" answer then offers the new numbers."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.flutter import retype
from tests.e2e.test_sign_in import sign_in

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
