"""A patient deletes her account in a real browser (issue 14, data rights): Blair opens
Settings, finds "Your data", opens "Delete my account and data", reads what goes and what
stays, types DELETE, and lands on the sign-in screen with the closing message; her email no
longer signs in; Taylor, her therapist, sees "Deleted at the patient's request" on his
caseload instead of her. Screenshots at 412x915 go to the shots folder
(E2E_SHOTS=docs/screens for the docs): the card, the dialog
and the closing message (data-rights-{card,dialog,closing}-phone.png), and Taylor's
caseload at 1280x800 (data-rights-caseload-desktop.png)."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from app.ui.screens.data_rights import CLOSING_TITLE
from tests.e2e.flutter import fill, fresh_page, settle, shots_folder
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_checkin_fits import scroll_to
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
SCREENS = shots_folder()  # E2E_SHOTS=docs/screens refreshes the docs' copies


def test_blair_deletes_her_account_and_taylor_sees_the_notice(phone: Page, browser: Browser,
                                                              server: str) -> None:
    sign_in(phone, "blair@example.com")
    expect(phone.get_by_text("Hello, Blair")).to_be_visible(timeout=WAIT)
    go(phone, "Settings")
    delete = phone.get_by_role("button", name="Delete my account and data")
    expect(delete).to_be_attached(timeout=WAIT)
    scroll_to(phone, delete, 915)
    expect(phone.get_by_role("button", name="Download all my data (JSON)")).to_be_visible()
    settle()
    assert_no_error_box(phone, "Settings, Your data")
    phone.screenshot(path=str(SCREENS / "data-rights-card-phone.png"))

    delete.click()
    expect(phone.get_by_text("Delete your account and data?")).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text("This is kept:")).to_be_visible()
    confirm = phone.get_by_role("button", name="Delete everything")
    expect(confirm).to_be_disabled()
    settle()
    phone.screenshot(path=str(SCREENS / "data-rights-dialog-phone.png"))
    fill(phone.get_by_label("Type DELETE to confirm"), "DELETE")
    expect(confirm).to_be_enabled(timeout=WAIT)
    confirm.click()

    expect(phone.get_by_text(CLOSING_TITLE)).to_be_visible(timeout=WAIT)
    settle()
    assert_no_error_box(phone, "the sign-in screen after deleting")
    phone.screenshot(path=str(SCREENS / "data-rights-closing-phone.png"))
    phone.get_by_role("button", name="OK").click()  # the sign-in screen is under it
    expect(phone.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text(CLOSING_TITLE)).to_have_count(0)

    sign_in(phone, "blair@example.com")
    expect(phone.get_by_text("That email and password don't match")).to_be_visible(
        timeout=WAIT)

    with fresh_page(browser, server, (1280, 800)) as desk:
        sign_in(desk, "taylor@example.com")
        expect(desk.get_by_text("Signed in as Therapist")).to_be_visible(timeout=WAIT)
        notice = desk.get_by_text("Deleted at the patient's request")
        expect(notice).to_be_attached(timeout=WAIT)
        expect(desk.get_by_text("Blair Chen")).to_have_count(0)
        scroll_to(desk, notice, 800)
        settle()
        assert_no_error_box(desk, "the caseload with the notice")
        desk.screenshot(path=str(SCREENS / "data-rights-caseload-desktop.png"))
