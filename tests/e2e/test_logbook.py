"""What a patient logs beyond the daily check-in, in a real browser: milestones (seen on
Progress), correcting or withdrawing a session (and the guidance that follows it). Each
screen is also checked from its pixels: Flutter's grey error box fails the test even when
the accessibility tree looks fine."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.e2e.flutter import CHART_FRAME, fill, retype
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
THIS_SESSION = re.compile(r"^Correct Needling session, .* 00:01$")


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


CHECK_IN_ROW = re.compile(r"^Check-in: pain")


def show_sessions(page: Page) -> None:
    """Filter History to sessions and wait until the filtered list is drawn.

    The chip shows itself ticked the moment it is tapped, before the server has answered
    with the filtered list, and the All list already holds soreness rows and this very
    session's pencil. Tapping that pencil on the stale list is lost (the server replaced
    those controls), so the next screen never came: seen once under load as a 30 s wait
    for "Withdraw this session". The filtered list is the one without check-in rows."""
    chip = page.get_by_role("checkbox", name="Sessions")
    chip.click()
    expect(chip).to_be_checked(timeout=WAIT)
    expect(page).to_have_url(re.compile(r"/history\?show=session$"), timeout=WAIT)
    expect(page.get_by_text(CHECK_IN_ROW)).to_have_count(0, timeout=WAIT)
    expect(page.get_by_text(re.compile(r"^Soreness \d+/10$")).first).to_be_visible()


def correct_this_session(page: Page) -> None:
    """Open this test's session from History and wait for its correction form."""
    page.get_by_role("button", name=THIS_SESSION).click()
    expect(page.get_by_text("Correct this session.", exact=False)).to_be_visible(
        timeout=WAIT)


def guidance_facts(page: Page) -> str:
    page.get_by_role("button", name="Is this normal?").click()
    facts = page.get_by_text(re.compile(r"^Your last needling session: "))
    expect(facts).to_be_visible(timeout=WAIT)
    return facts.inner_text()


def test_a_session_region_is_corrected_and_the_guidance_follows_then_it_is_withdrawn(
        phone: Page) -> None:
    sign_in(phone, "blair@example.com")
    expect(phone.get_by_text("Hello, Blair")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Log a needling session").click()
    retype(phone.get_by_label("Time (HH:MM)"), "00:01")  # a time no other session has
    phone.get_by_role("checkbox", name="Upper back (thoracic)").click()
    phone.get_by_role("button", name="Save session").click()
    expect(phone.get_by_text("How sore is it now?", exact=True)).to_be_visible(timeout=WAIT)
    go(phone, "Today")
    assert "(Upper or middle back)" in guidance_facts(phone)

    # Correct it from History: upper back was a slip, it was the lower back.
    go(phone, "History")
    show_sessions(phone)
    correct_this_session(phone)
    assert_no_error_box(phone, "Correct a session")
    phone.get_by_role("checkbox", name="Upper back (thoracic)").click()
    phone.get_by_role("checkbox", name="Lower back (lumbar)").click()
    phone.get_by_role("button", name="Save correction").click()
    expect(phone.get_by_text("Corrected (2 versions)")).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text("Version 1: Upper back (thoracic)")).to_be_visible()
    expect(phone.get_by_text("Current: Lower back (lumbar)")).to_be_visible()
    assert_no_error_box(phone, "History")
    go(phone, "Today")
    facts = guidance_facts(phone)
    assert "(Lower back)" in facts and "Upper" not in facts, facts

    # Withdraw it: the guidance goes back to the session before (lower back and hip).
    go(phone, "History")
    show_sessions(phone)
    correct_this_session(phone)
    phone.get_by_role("button", name="Withdraw this session").click()
    phone.get_by_role("button", name="Withdraw", exact=True).click()
    expect(phone.get_by_role("button", name=THIS_SESSION)).to_have_count(0, timeout=WAIT)
    expect(phone.get_by_role("checkbox", name="Sessions")).to_be_checked()
    # Still listed, marked withdrawn (the store keeps every version).
    expect(phone.get_by_text("Needling session (withdrawn)").first).to_be_visible()
    go(phone, "Today")
    assert "(Lower back, Hip)" in guidance_facts(phone)


def test_a_milestone_date_is_picked_on_a_calendar(phone: Page) -> None:
    today = datetime.now(UTC).date()  # Alex's time zone is UTC
    # A day other than today that the calendar offers (none after today).
    picked = today.replace(day=1) if today.day > 1 else \
        (today - timedelta(days=1)).replace(day=15)
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Milestones").click()
    fill(phone.get_by_label("What did you manage?"), "Picked on the calendar")
    phone.get_by_role("button", name="Pick the date on a calendar").click()
    if picked.month != today.month:
        phone.get_by_role("button", name="Previous month").click()
    phone.get_by_role("button", name=re.compile(f"^{picked.day}, ")).first.click()
    phone.get_by_role("button", name="OK").click()
    phone.get_by_role("button", name="Add milestone").click()
    expect(phone.get_by_text("Picked on the calendar", exact=True)).to_be_visible(
        timeout=WAIT)
    assert_no_error_box(phone, "Milestones after the calendar")
    go(phone, "History")
    expect(phone.get_by_role(
        "button", name=f"Correct Milestone: Picked on the calendar, "
                       f"{picked:%a %-d %b %Y}")).to_be_visible(timeout=WAIT)
