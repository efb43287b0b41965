"""The clinician's list of patients stays current while it is open: what a patient reports
on their phone shows on the therapist's screen without a reload or a tap (the list looks
every LIVE_SECONDS whether anything it shows changed). Looking is not activity: a list
left open past the idle timeout turns into the sign-in screen on its own, with the
reason on it (not in a toast gone before anyone is back), instead of showing patients'
data to whoever walks by."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from app.services.caseload import LIVE_SECONDS
from tests.e2e.flutter import DESKTOP, fresh_page, shots_folder
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.server import impatient_demo_server
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
# A look, the list worked out again and drawn: well within another LIVE_SECONDS.
LIVE_WAIT = int((2 * LIVE_SECONDS + 10) * 1000)
ASKED_TO_CALL = "Asked to contact the clinic"


def test_a_warning_sign_reaches_the_open_list_without_a_reload(phone: Page,
                                                              desktop: Page) -> None:
    sign_in(desktop, "taylor@example.com")
    expect(desktop.get_by_text("Hello, Taylor")).to_be_visible(timeout=WAIT)
    expect(desktop.get_by_role("button", name="Open Alex's progress")).to_be_visible(
        timeout=WAIT)
    asked = desktop.get_by_text(ASKED_TO_CALL, exact=True)
    unacknowledged = desktop.get_by_text("Not acknowledged yet", exact=True)
    before, waiting = asked.count(), unacknowledged.count()

    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Is this normal?").click()
    phone.get_by_role("checkbox", name="Short of breath or hard to breathe").click()
    phone.get_by_role("button", name="Check my symptoms").click()
    # (after Alex's lower-back session: "Contact the clinic today")
    expect(phone.get_by_text("Contact the clinic today")).to_be_visible(timeout=WAIT)

    # Nobody touches the therapist's screen: the list is drawn again on its own.
    expect(asked).to_have_count(before + 1, timeout=LIVE_WAIT)
    expect(unacknowledged).to_have_count(waiting + 1)
    expect(desktop.get_by_text("Hello, Taylor")).to_be_visible()
    assert_no_error_box(desktop, "the therapist's list drawn again")
    desktop.screenshot(path=str(shots_folder() / "live-caseload-desktop.png"))


IDLE_MINUTES = 0.4  # 24 s: time to sign in and see the list on a busy machine


@pytest.fixture(scope="module")
def impatient_server() -> Iterator[str]:
    """A server whose sign-ins end after IDLE_MINUTES without activity."""
    with impatient_demo_server(IDLE_MINUTES) as url:
        yield url


def test_a_list_left_open_signs_out_on_its_own(browser: Browser,
                                              impatient_server: str) -> None:
    with fresh_page(browser, impatient_server, DESKTOP) as page:
        sign_in(page, "taylor@example.com")
        expect(page.get_by_role("button", name="Open Alex's progress")).to_be_visible(
            timeout=WAIT)
        # The list keeps looking every LIVE_SECONDS; that must not keep the sign-in alive.
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(
            timeout=int((IDLE_MINUTES * 60 + 2 * LIVE_SECONDS + 10) * 1000))
        # Said on the sign-in screen itself, there when the person comes back.
        expect(page.get_by_text("You were signed out after a period of inactivity.")
               ).to_be_visible(timeout=WAIT)
        assert_no_error_box(page, "the sign-in screen after the idle timeout")
        page.screenshot(path=str(shots_folder() / "signed-out-idle-desktop.png"))
        expect(page.get_by_role("button", name="Open Alex's progress")).to_have_count(0)
        expect(page.get_by_text("Alex Morgan")).to_have_count(0)
