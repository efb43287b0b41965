"""Two-step sign-in in the browser, against the real server (issue 14).

The demo clinic signs in with the password alone, so Sam (admin) first turns on "Staff must
use two-step sign-in" on the clinic's home. Then Taylor (therapist) signs in: the right
password takes her through setting it up before anything else (the test reads the key
shown as text and makes codes with pyotp, as an authenticator app would), she sees her
ten recovery codes and says she saved them, signs out, and signs in again with a code
from the app. Jordan (care team) sets it up too and signs in with a recovery code, which
then works no more. An admin invites a therapist, who joins from the link and sets up
two-step sign-in right after, then signs in with a code.

Screenshots at 412x915 go to the shots folder (E2E_SHOTS=docs/screens for the docs):
two-step-enrol-phone.png (the set-up with its QR image) and two-step-code-phone.png (the
code step of the sign-in)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from app.ui.screens import two_step as screen
from tests.e2e.flutter import DESKTOP, PHONE, fill, fresh_page, settle, shots_folder
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_invitations import CHOSEN, _invite, _join
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import EMPTY_FORM, sign_in

WAIT = 20_000
SCREENS = shots_folder()
PASSWORD = "backtrack-demo"
RECOVERY = re.compile(r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$")
_LAST_STEP: dict[str, int] = {}  # secret → the last time step a code was made for


def fresh_code(secret: str) -> str:
    """A code the server has not seen: this 30 s step's, or the next one's if this one
    was used (the server takes one step either side, each step once)."""
    last = _LAST_STEP.get(secret, 0)
    while int(time.time() // 30) < last:  # this step and the next are used: wait
        time.sleep(31 - time.time() % 30)
    step = max(int(time.time() // 30), last + 1)
    _LAST_STEP[secret] = step
    return pyotp.TOTP(secret).at(step * 30)


def password_step(page: Page, email: str, password: str = PASSWORD) -> None:
    """Email and password on the sign-in card, up to the second step (typed again once
    if Flutter lost the keys: see test_sign_in.sign_in)."""
    for attempt in range(2):
        if attempt:
            page.get_by_label("Email", exact=True).click()
            page.keyboard.press("Control+A")
            page.keyboard.press("Backspace")
        fill(page.get_by_label("Email", exact=True), email)
        fill(page.get_by_label("Password", exact=True), password)
        page.get_by_role("button", name="Sign in").click()
        empty = page.get_by_text(EMPTY_FORM)
        next_step = page.get_by_text(screen.CODE_TITLE, exact=True).or_(
            page.get_by_text(screen.ENROL_TITLE, exact=True))
        empty.or_(next_step).first.wait_for(timeout=WAIT)
        if not empty.count():
            return
    raise AssertionError("the sign-in card did not take the email and password")


def labelled(page: Page, prefix: str) -> str:
    """The text of the node whose words (or screen-reader name) start with `prefix`."""
    node = page.get_by_text(re.compile(f"^{re.escape(prefix)}")).or_(
        page.locator(f'[aria-label^="{prefix}"]')).first
    node.wait_for(state="attached", timeout=WAIT)
    words = node.get_attribute("aria-label") or node.text_content() or ""
    return words[len(prefix):].strip()


def enrol(page: Page, email: str, shot: str | None = None,
          codes_shot: str | None = None) -> tuple[str, list[str]]:
    """From the password to the app: set up two-step sign-in; (secret, recovery codes)."""
    password_step(page, email)
    return set_up(page, shot, codes_shot)


def set_up(page: Page, shot: str | None = None,
           codes_shot: str | None = None) -> tuple[str, list[str]]:
    """On the set-up screen: read the key, type a code, read and save the recovery
    codes; (secret, recovery codes)."""
    expect(page.get_by_text(screen.ENROL_TITLE, exact=True)).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("img", name=re.compile("^QR code"))).to_be_attached()
    secret = labelled(page, f"{screen.KEY_LABEL}:").replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    if shot:
        settle()
        assert_no_error_box(page, "the two-step set-up")
        page.screenshot(path=str(SCREENS / shot))
    fill(page.get_by_label(screen.CODE_LABEL, exact=True), fresh_code(secret))
    page.get_by_role("button", name=screen.CONTINUE).click()
    expect(page.get_by_text(screen.CODES_TITLE, exact=True)).to_be_visible(timeout=WAIT)
    codes = labelled(page, f"{screen.CODES_TITLE}:").split(", ")
    assert len(codes) == 10 and all(RECOVERY.match(c) for c in codes), codes
    if codes_shot:
        settle()
        assert_no_error_box(page, "the recovery codes")
        page.screenshot(path=str(SCREENS / codes_shot))
    page.get_by_role("button", name=screen.SAVED).click()
    return secret, codes


def scroll_to(page: Page, target: Locator, size: tuple[int, int]) -> None:
    """Wheel over the middle of the screen (a desktop's navigation rail is on the left)
    until `target` is in view: a tap off screen reaches nothing."""
    for _ in range(30):
        box = target.bounding_box()
        if box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size[1] - 90:
            return
        page.mouse.move(size[0] // 2, size[1] // 2)
        page.mouse.wheel(0, 250)
        settle(0.3)
    raise AssertionError("could not scroll to the control")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)


def second_step(page: Page, code: str) -> None:
    fill(page.get_by_label(re.compile(f"^({screen.CODE_LABEL}|{screen.RECOVERY_LABEL})$")),
         code)
    page.get_by_role("button", name=screen.VERIFY).click()


@pytest.fixture(scope="module")
def clinic_requires_it(browser: Browser, server: str) -> Iterator[None]:
    """Sam turns on "Staff must use two-step sign-in" on the clinic's home."""
    with fresh_page(browser, server, DESKTOP) as desktop:
        sign_in(desktop, "admin@example.com")
        switch = desktop.get_by_role("switch", name=screen.CLINIC_SWITCH).or_(
            desktop.get_by_role("checkbox", name=screen.CLINIC_SWITCH)).first
        expect(switch).to_be_attached(timeout=WAIT)
        assert switch.get_attribute("aria-checked") == "false"  # the demo: off
        switch.click()
        expect(switch).to_have_attribute("aria-checked", "true", timeout=WAIT)
        expect(desktop.get_by_text(re.compile(f"^{re.escape(screen.STAFF_REQUIRED)}"))
               ).to_be_visible(timeout=WAIT)
        scroll_to(desktop, desktop.get_by_text(re.compile(
            "^Anyone on the staff who has not set it up")), DESKTOP)
        settle()
        assert_no_error_box(desktop, "the admin's home with the two-step card")
        desktop.screenshot(path=str(SCREENS / "two-step-clinic-desktop.png"))
    yield


def test_a_therapist_sets_it_up_then_signs_in_with_a_code(
        clinic_requires_it: None, browser: Browser, server: str) -> None:
    with fresh_page(browser, server, PHONE) as phone:
        secret, _ = enrol(phone, "taylor@example.com", shot="two-step-enrol-phone.png",
                          codes_shot="two-step-recovery-codes-phone.png")
        expect(phone.get_by_text("Signed in as Therapist")).to_be_visible(timeout=WAIT)
        sign_out(phone)

        password_step(phone, "taylor@example.com")
        expect(phone.get_by_text(screen.CODE_TITLE, exact=True)).to_be_visible(timeout=WAIT)
        expect(phone.get_by_text("Signed in as Therapist")).to_have_count(0)
        settle()
        assert_no_error_box(phone, "the code step")
        phone.screenshot(path=str(SCREENS / "two-step-code-phone.png"))
        second_step(phone, "000000" if fresh_code(secret) != "000000" else "111111")
        expect(phone.get_by_text(re.compile("code didn't work"))).to_be_visible(
            timeout=WAIT)
        second_step(phone, fresh_code(secret))
        expect(phone.get_by_text("Signed in as Therapist")).to_be_visible(timeout=WAIT)


def test_a_recovery_code_signs_in_once(clinic_requires_it: None, browser: Browser,
                                       server: str) -> None:
    with fresh_page(browser, server, PHONE) as phone:
        _, codes = enrol(phone, "jordan@example.com")
        expect(phone.get_by_text("Signed in as Care team")).to_be_visible(timeout=WAIT)
        sign_out(phone)
        for attempt, works in ((codes[0], True), (codes[0], False)):
            password_step(phone, "jordan@example.com")
            phone.get_by_role("button", name=screen.USE_RECOVERY).click()
            expect(phone.get_by_label(screen.RECOVERY_LABEL, exact=True)).to_be_attached(
                timeout=WAIT)
            second_step(phone, attempt.lower())
            if works:
                expect(phone.get_by_text("Signed in as Care team")).to_be_visible(
                    timeout=WAIT)
                sign_out(phone)
            else:
                expect(phone.get_by_text(re.compile("code didn't work"))).to_be_visible(
                    timeout=WAIT)
                expect(phone.get_by_text("Signed in as Care team")).to_have_count(0)


def test_an_invited_therapist_joins_sets_it_up_and_signs_in_with_a_code(
        clinic_requires_it: None, browser: Browser, server: str) -> None:
    """The issue's bar: an admin invites a therapist, who accepts and signs in with a code
    from an authenticator app."""
    with fresh_page(browser, server, DESKTOP) as desktop:
        enrol(desktop, "admin@example.com")  # the clinic requires it of admins too
        expect(desktop.get_by_text("Hello, Sam")).to_be_visible(timeout=WAIT)
        go(desktop, "Accounts")
        link = _invite(desktop, "Email address of the new staff member", "avery@example.com")
    with fresh_page(browser, link, PHONE) as phone:
        expect(phone.get_by_text(re.compile(r"invited you to join as Therapist\.$"))
               ).to_be_visible(timeout=WAIT)
        _join(phone, "Avery Quinn")
        phone.get_by_role("button", name="Join", exact=True).click()
        secret, _ = set_up(phone)  # straight after joining, before any other screen
        expect(phone.get_by_text("Hello, Avery")).to_be_visible(timeout=WAIT)
        expect(phone.get_by_text("Signed in as Therapist")).to_be_visible()
        sign_out(phone)
        password_step(phone, "avery@example.com", CHOSEN)
        expect(phone.get_by_text(screen.CODE_TITLE, exact=True)).to_be_visible(timeout=WAIT)
        second_step(phone, fresh_code(secret))
        expect(phone.get_by_text("Hello, Avery")).to_be_visible(timeout=WAIT)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_patient_turns_it_on_in_settings(browser: Browser, server: str,
                                           size: tuple[int, int]) -> None:
    """Optional for patients: Alex (or Blair) turns it on in Settings; from then on her
    sign-in asks for a code."""
    email = "alex@example.com" if size == PHONE else "blair@example.com"
    with fresh_page(browser, server, size) as page:
        sign_in(page, email)
        go(page, "Settings")
        start = page.get_by_role("button", name=screen.ENROL_TITLE)
        expect(start).to_be_attached(timeout=WAIT)
        scroll_to(page, start, size)
        start.click()
        key = page.get_by_text(re.compile(f"^{screen.KEY_LABEL}:")).or_(
            page.locator(f'[aria-label^="{screen.KEY_LABEL}:"]')).first
        expect(key).to_be_attached(timeout=WAIT)
        secret = labelled(page, f"{screen.KEY_LABEL}:").replace(" ", "")
        turn_on = page.get_by_role("button", name="Turn on", exact=True)
        scroll_to(page, turn_on, size)
        settle()
        assert_no_error_box(page, "Settings' two-step card")
        name = "phone" if size == PHONE else "desktop"
        page.screenshot(path=str(SCREENS / f"two-step-settings-{name}.png"))
        fill(page.get_by_label(screen.CODE_LABEL, exact=True), fresh_code(secret))
        turn_on.click()
        expect(page.get_by_text(screen.CODES_TITLE, exact=True)).to_be_visible(timeout=WAIT)
        page.get_by_role("button", name=screen.SAVED).click()
        expect(page.get_by_text(re.compile("^On: signing in asks"))).to_be_attached(
            timeout=WAIT)
        sign_out(page)
        password_step(page, email)
        expect(page.get_by_text(screen.CODE_TITLE, exact=True)).to_be_visible(timeout=WAIT)
        second_step(page, fresh_code(secret))
        expect(page.get_by_role("button", name="Sign out").first).to_be_attached(
            timeout=WAIT)
