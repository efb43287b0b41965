"""The patient's everyday flows, in a real browser against the real server."""

from __future__ import annotations

import json
import re
import zipfile

from playwright.sync_api import Browser, Page, expect

from tests.e2e.flutter import fill, fresh_page, retype, settle
from tests.e2e.test_sign_in import sign_in

WAIT = 15_000


def go(page: Page, label: str) -> None:
    """Use the navigation (bottom bar on a phone, rail on a desktop) like a patient would."""
    tab = page.get_by_role("tab", name=label, exact=True)
    # The desktop rail names its buttons "Check in Tab 2 of 5".
    rail = page.get_by_role("button", name=re.compile(f"^{label} Tab "))
    tab.or_(rail).click()


def tap_score(page: Page, question: str, score: int) -> None:
    page.get_by_role("button", name=f"{question}: {score}", exact=True).click()


def test_first_check_in_is_saved_and_appears_in_history(phone: Page) -> None:
    sign_in(phone, "blair@example.com")
    expect(phone.get_by_text("Hello, Blair")).to_be_visible(timeout=WAIT)
    go(phone, "Check in")
    tap_score(phone, "Pain right now", 3)
    tap_score(phone, "Worst pain in the last 24 hours", 6)
    phone.get_by_role("button", name=re.compile("^Where does it hurt")).click()
    phone.get_by_role("checkbox", name="Lower back").click()
    fill(phone.get_by_label("Note (optional)"), "First check-in from the browser test")
    phone.get_by_role("button", name="Save check-in").click()
    expect(phone.get_by_text("Check-in saved. Thank you!")).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text("Pain now 3/10, worst in 24 hours 6/10.")).to_be_visible()
    phone.get_by_role("button", name="Back to Today").click()
    expect(phone.get_by_text("Checked in today")).to_be_visible(timeout=WAIT)
    go(phone, "History")
    expect(phone.get_by_text("Check-in: pain 3/10, worst 6/10").first).to_be_visible(
        timeout=WAIT)
    expect(phone.get_by_text(re.compile("First check-in from the browser test"))).to_be_visible()


def test_a_bad_value_is_refused_with_a_message_and_nothing_is_lost(phone: Page) -> None:
    sign_in(phone, "blair@example.com")
    expect(phone.get_by_text("Hello, Blair")).to_be_visible(timeout=WAIT)
    go(phone, "Check in")
    tap_score(phone, "Pain right now", 7)
    tap_score(phone, "Worst pain in the last 24 hours", 2)
    fill(phone.get_by_label("Note (optional)"), "keep this note")
    phone.get_by_role("button", name="Save check-in").click()
    expect(phone.get_by_text("Worst pain in the last 24 hours can't be lower than pain now.")
           ).to_be_visible(timeout=WAIT)
    # What was tapped and typed is still there: fix the one bad answer and save.
    expect(phone.get_by_role("button", name="Pain right now: 7 (selected)")).to_be_visible()
    tap_score(phone, "Worst pain in the last 24 hours", 8)
    phone.get_by_role("button", name="Save check-in").click()
    expect(phone.get_by_text("Check-in saved. Thank you!")).to_be_visible(timeout=WAIT)
    go(phone, "History")
    expect(phone.get_by_text(re.compile("keep this note"))).to_be_visible(timeout=WAIT)
    # Without a pain score the form explains what is missing.
    go(phone, "Today")
    go(phone, "Check in")
    phone.get_by_role("button", name="Save check-in").click()
    expect(phone.get_by_text("Tap a number for your pain right now.")).to_be_visible(
        timeout=WAIT)


def test_log_a_session_then_soreness_shows_hours_since(phone: Page) -> None:
    sign_in(phone, "casey@example.com")
    expect(phone.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Log a needling session").click()
    retype(phone.get_by_label("Time (HH:MM)"), "00:00")
    phone.get_by_role("checkbox", name="Lower back (lumbar)").click()
    phone.get_by_role("button", name="Save session").click()
    expect(phone.get_by_text("How sore is it now?", exact=True)).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text(re.compile(r"\d+ hours since this session"))).to_be_visible()
    tap_score(phone, "How sore is it now?", 4)
    phone.get_by_role("button", name="Save soreness").click()
    expect(phone.get_by_text("Soreness saved")).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text(re.compile(r"Soreness 4/10, \d+ hours after your session"))
           ).to_be_visible()


def test_setting_up_psfs_activities(phone: Page) -> None:
    sign_in(phone, "casey@example.com")
    expect(phone.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="My activities").click()
    expect(phone.get_by_label("Activity 4")).to_be_visible(timeout=WAIT)
    fill(phone.get_by_label("Activity 4"), "Carrying the shopping")
    phone.get_by_role("button", name="Save activities").click()
    expect(phone.get_by_text("Your activities are saved.", exact=False)).to_be_visible(
        timeout=WAIT)
    go(phone, "Check in")
    expect(phone.get_by_text("Today, how well can you do: Carrying the shopping?",
                             exact=True)).to_be_visible(timeout=WAIT)


def test_a_correction_keeps_the_original_in_history(desktop: Page) -> None:
    sign_in(desktop, "alex@example.com")
    expect(desktop.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    go(desktop, "Check in")
    tap_score(desktop, "Pain right now", 5)
    fill(desktop.get_by_label("Note (optional)"), "typo entry")
    desktop.get_by_role("button", name="Save check-in").click()
    expect(desktop.get_by_text("Check-in saved. Thank you!")).to_be_visible(timeout=WAIT)
    go(desktop, "History")
    desktop.get_by_role("button", name="Correct Check-in: pain 5/10").first.click()
    expect(desktop.get_by_text("Correct this check-in.", exact=False)).to_be_visible(
        timeout=WAIT)
    tap_score(desktop, "Pain right now", 2)
    desktop.get_by_role("button", name="Save correction").click()
    expect(desktop.get_by_text("Corrected (2 versions)")).to_be_visible(timeout=WAIT)
    expect(desktop.get_by_text(re.compile("Version 1: pain 5 — “typo entry”"))).to_be_visible()
    expect(desktop.get_by_text(re.compile("Current: pain 2 — “typo entry”"))).to_be_visible()
    settle()


def test_a_dropdown_says_its_name_and_value_to_a_screen_reader(phone: Page) -> None:
    sign_in(phone, "blair@example.com")
    expect(phone.get_by_text("Hello, Blair")).to_be_visible(timeout=WAIT)
    go(phone, "Settings")
    field = phone.get_by_role("button", name=re.compile(r"^Time zone: "))
    expect(field).to_be_visible(timeout=WAIT)
    before = field.get_attribute("aria-label") or field.inner_text()
    field.click()
    choice = "Asia/Tokyo" if "Tokyo" not in before else "Europe/London"
    phone.get_by_text(choice, exact=True).last.click()
    expect(phone.get_by_role("button", name=f"Time zone: {choice}")).to_be_visible(
        timeout=WAIT)


def test_my_data_downloads_as_json_and_as_spreadsheets(phone: Page) -> None:
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    go(phone, "Settings")
    with phone.expect_download(timeout=WAIT) as download:
        phone.get_by_role("button", name="Download all my data (JSON)").click()
    document = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert document["patient"]["email"] == "alex@example.com"
    assert "$argon2" not in json.dumps(document)
    with phone.expect_download(timeout=WAIT) as download:
        phone.get_by_role("button", name="For spreadsheets (CSV)").click()
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.value.path()) as archive:
        check_ins = archive.read("check-ins.csv").decode("utf-8-sig").splitlines()
    assert check_ins[0].startswith("date,time,pain now (0-10)")
    assert len(check_ins) > 20  # eight weeks of demo check-ins


def test_a_refused_profile_save_keeps_the_answer_and_the_next_save_clears_it(
        browser: Browser, server: str) -> None:
    # Opened by its link: right after a bottom-bar tap, the first tap on a text field in
    # Flutter's accessibility tree does not focus it (a second one does).
    with fresh_page(browser, f"{server}/settings") as phone:
        sign_in(phone, "blair@example.com")
        expect(phone.get_by_text("Profile", exact=True)).to_be_visible(timeout=WAIT)
        name = phone.get_by_label("Your name")
        retype(name, " ", clear=40)
        phone.get_by_role("button", name="Save", exact=True).click()
        expect(phone.get_by_text("Please enter your name.")).to_be_visible(timeout=WAIT)
        retype(name, "Blair Chen", clear=40)
        phone.get_by_role("button", name="Save", exact=True).click()
        expect(phone.get_by_text("Please enter your name.")).to_have_count(0, timeout=WAIT)
