"""Joining by invitation in the browser, against the real server (issue 14).

Taylor (therapist) invites a new patient from her home screen: the link, the printed code
and a QR image appear; the link opened in a browser of its own (the patient's phone)
shows /join with who invited them, the patient chooses a name and a password, reads what
sharing means, agrees and joins; she is signed in, and on Taylor's caseload.

Sam (admin) invites a care-team member from the Accounts screen; the code, typed on /join
elsewhere (lower case, without dashes), makes the account (the demo clinic does not
require two-step sign-in; helper C's tests cover that path), who is then signed in as
care team.

Screenshots at 412x915 go to the shots folder (E2E_SHOTS=docs/screens for the docs):
invitation-card-phone.png (the therapist's card with the code and QR image),
join-patient-phone.png (/join with the sharing explanation)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from app.services.invitations import NOT_USABLE
from app.ui.screens.invitations import ROLE_LABEL
from app.ui.screens.join import AGREE, CODE_LABEL
from app.ui.screens.login import INVITED
from tests.e2e.flutter import (
    PHONE,
    fill,
    fresh_page,
    settle,
    shots_folder,
    wait_for_first_screen,
)
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_checkin_fits import scroll_to
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
SCREENS = shots_folder()
LINK = re.compile(r"^https?://\S+/join\?code=[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
CHOSEN = "lantern orchard pebble"


def _invite(page: Page, email_label: str, email: str) -> str:
    """Type the address, tap Invite, and read the link the card shows."""
    field = page.get_by_label(email_label, exact=True)
    expect(field).to_be_attached(timeout=WAIT)
    scroll_to(page, field, page.viewport_size["height"] if page.viewport_size else 915)
    fill(field, email)
    invite = page.get_by_role("button", name="Invite", exact=True)
    invite.click()
    link = page.get_by_text(LINK)
    expect(link).to_be_attached(timeout=WAIT)
    return (link.text_content() or "").strip()


def _join(page: Page, name: str) -> None:
    fill(page.get_by_label("Your name", exact=True), name)
    fill(page.get_by_label("Choose a password", exact=True), CHOSEN)


def test_a_therapist_invites_a_patient_who_joins_and_is_on_her_caseload(
        phone: Page, browser: Browser) -> None:
    sign_in(phone, "taylor@example.com")
    expect(phone.get_by_text("Hello, Taylor")).to_be_visible(timeout=WAIT)
    link = _invite(phone, "Patient's email address", "robin@example.com")
    image = phone.get_by_role("img", name="QR code of the link for robin@example.com")
    expect(image).to_be_attached(timeout=WAIT)
    code = link.rsplit("=", 1)[1]
    expect(phone.get_by_text(code, exact=True)).to_be_attached()
    scroll_to(phone, phone.get_by_role("button", name="Download appointment card"), 915)
    settle()
    assert_no_error_box(phone, "Invite a patient, with the code")
    phone.screenshot(path=str(SCREENS / "invitation-card-phone.png"))

    with fresh_page(browser, link, PHONE) as patient:  # the link, on the patient's phone
        expect(patient.get_by_text(re.compile(
            r"^Taylor Brooks at .+ invited you to join as a patient\.$"))).to_be_visible(
            timeout=WAIT)
        _join(patient, "Robin Hale")
        agree = patient.get_by_role("checkbox", name=AGREE.format(name="Taylor Brooks"))
        scroll_to(patient, agree, 915)
        settle()
        assert_no_error_box(patient, "/join for a patient")
        patient.screenshot(path=str(SCREENS / "join-patient-phone.png"))
        join = patient.get_by_role("button", name="Join", exact=True)
        join.click()  # not agreed yet: refused, nothing typed lost
        expect(patient.get_by_text(re.compile("tick the box to agree"))).to_be_visible(
            timeout=WAIT)
        agree.click()
        join.click()
        expect(patient.get_by_text("Hello, Robin")).to_be_visible(timeout=WAIT)

    phone.reload()  # Taylor's caseload now has Robin
    wait_for_first_screen(phone)
    expect(phone.get_by_text("Robin Hale", exact=True)).to_be_attached(timeout=WAIT)

    with fresh_page(browser, link, PHONE) as again:  # used up
        expect(again.get_by_text(NOT_USABLE)).to_be_visible(timeout=WAIT)


def test_an_admin_invites_a_care_team_member_who_joins(desktop: Page,
                                                       browser: Browser) -> None:
    sign_in(desktop, "admin@example.com")
    expect(desktop.get_by_text("Hello, Sam")).to_be_visible(timeout=WAIT)
    go(desktop, "Accounts")
    chooser = desktop.get_by_role("button", name=re.compile(f"^{ROLE_LABEL}: "))
    expect(chooser).to_be_attached(timeout=WAIT)
    settle()
    chooser.click()
    desktop.get_by_role("button", name="Care team", exact=True).click()  # the menu's
    expect(desktop.get_by_role("button", name=f"{ROLE_LABEL}: Care team")).to_be_attached(
        timeout=WAIT)
    link = _invite(desktop, "Email address of the new staff member", "drew@example.com")
    expect(desktop.get_by_text("Invitation for drew@example.com (Care team)")).to_be_attached(
        timeout=WAIT)

    # Typed from paper this time, as people type: lower case, no dashes, reached from
    # the sign-in screen.
    typed = link.rsplit("=", 1)[1].replace("-", "").lower()
    with fresh_page(browser, link.split("/join", 1)[0], PHONE) as joining:
        joining.get_by_role("button", name=INVITED).click()
        fill(joining.get_by_label(CODE_LABEL, exact=True), typed)
        joining.get_by_role("button", name="Continue", exact=True).click()
        expect(joining.get_by_text(re.compile(
            r"^Sam Admin at .+ invited you to join as Care team\.$"))).to_be_visible(
            timeout=WAIT)
        expect(joining.get_by_role("checkbox")).to_have_count(0)  # staff share nothing
        _join(joining, "Drew Okafor")
        joining.get_by_role("button", name="Join", exact=True).click()
        expect(joining.get_by_text("Hello, Drew")).to_be_visible(timeout=WAIT)
        expect(joining.get_by_text("Signed in as Care team")).to_be_visible()
