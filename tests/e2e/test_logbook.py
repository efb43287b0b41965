"""What a patient logs beyond the daily check-in, in a real browser: milestones (seen on
Progress), correcting or withdrawing a session (and the guidance that follows it). Each
screen is also checked from its pixels: Flutter's grey error box fails the test even when
the accessibility tree looks fine."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.flutter import CHART_FRAME, fill
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000


def test_a_milestone_is_recorded_and_shown_on_progress(phone: Page) -> None:
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Milestones").click()
    expect(phone.get_by_text("Record the moments that show you are moving better.")
           ).to_be_visible(timeout=WAIT)
    assert_no_error_box(phone, "Milestones")
    field = phone.get_by_label("What did you manage?")
    fill(field, "Carried the bins")
    phone.get_by_role("button", name="Add milestone").click()
    expect(phone.get_by_text("Carried the bins", exact=True)).to_be_visible(timeout=WAIT)
    assert_no_error_box(phone, "Milestones after saving")
    go(phone, "Progress")
    phone.wait_for_selector(CHART_FRAME, state="attached", timeout=WAIT)
    frame = phone.frame_locator(CHART_FRAME)
    expect(frame.locator(".annotation-text", has_text=re.compile("Carried the bins"))
           ).to_have_count(1, timeout=WAIT)
    assert_no_error_box(phone, "Progress")
