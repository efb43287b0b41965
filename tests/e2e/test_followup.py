"""An emergency answer does not vanish (in a real browser): Casey's "Is this normal?"
answer from YESTERDAY (the demo dates it 20 h after her upper-back session the day before)
is followed up on her Today screen the next day, listed in her History, and her therapist
sees its details and acknowledges the flag with a note, which the caseload then shows.
Pixels are checked for Flutter's grey error box on every screen visited.

It relies on the fresh demo clinic each test file gets (tests/e2e/conftest.py): other
files (admin, guidance) ask "Is this normal?" as Casey today, and Today follows up the
newest urgent answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.e2e.flutter import fill
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
QUESTION = "Did you get help? How are you now?"


def yesterday_label() -> str:
    """Yesterday as the app prints a day ("Mon 30 Nov") in Casey's zone (the demo's UTC)."""
    return f"{datetime.now(UTC).date() - timedelta(days=1):%a %-d %b}"


def test_an_emergency_answer_is_followed_up_and_acknowledged(phone: Page,
                                                             desktop: Page) -> None:
    sign_in(phone, "casey@example.com")
    expect(phone.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text(QUESTION)).to_be_visible()
    # The next day: the answer followed up is yesterday's, in Casey's zone.
    yesterday = yesterday_label()
    expect(phone.get_by_text(re.compile(
        rf"^On {yesterday}, \d\d:\d\d you asked \"Is this normal\?\" and the answer was: "
        r"Get help now\.$"))).to_be_visible()
    assert_no_error_box(phone, "Today with a follow-up")
    phone.get_by_role("radio", name=re.compile("^Yes — emergency services")).click()
    phone.get_by_role("radio", name="Better", exact=True).click()
    fill(phone.get_by_label("Anything to add? (optional)"), "Checked at the ED, all clear")
    phone.get_by_role("button", name="Save my answer").click()
    expect(phone.get_by_text(QUESTION)).to_have_count(0, timeout=WAIT)
    expect(phone.get_by_text("Hello, Casey")).to_be_visible()

    go(phone, "History")
    phone.get_by_role("checkbox", name="Answers").click()
    expect(phone.get_by_text("“Is this normal?”: Get help now").first).to_be_visible(
        timeout=WAIT)
    assert_no_error_box(phone, "History of answers")

    sign_in(desktop, "taylor@example.com")
    expect(desktop.get_by_text("Hello, Taylor")).to_be_visible(timeout=WAIT)
    expect(desktop.get_by_text("Not acknowledged yet").first).to_be_visible()
    desktop.get_by_role("button", name="Open Casey's progress").click()
    expect(desktop.get_by_text("Acknowledge the flag")).to_be_visible(timeout=WAIT)
    expect(desktop.get_by_text(re.compile(
        r"^Reported: .*Short of breath.*; 20 hours after needling \(upper")).first
    ).to_be_visible()
    expect(desktop.get_by_text(re.compile(rf"^{yesterday}, \d\d:\d\d$")).first
           ).to_be_visible()
    expect(desktop.get_by_text(re.compile(
        r"got help — Yes — emergency services.*now better — “Checked at the ED, all clear”"
    )).first).to_be_visible()
    assert_no_error_box(desktop, "Casey's progress with answers")
    fill(desktop.get_by_label("Note: what you did (optional)"), "Phoned Casey, seen in ED")
    desktop.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(desktop.get_by_text(re.compile(
        r"^Acknowledged by Taylor Brooks, .*“Phoned Casey, seen in ED”")).first
    ).to_be_visible(timeout=WAIT)
    desktop.get_by_role("button", name="Back").click()
    expect(desktop.get_by_text(re.compile(
        r"^Acknowledged by Taylor Brooks, .*“Phoned Casey, seen in ED”")).first
    ).to_be_visible(timeout=WAIT)
    assert_no_error_box(desktop, "Caseload")
