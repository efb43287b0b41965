""""Is this normal?" in the browser: a breathing symptom after an upper-back session is an
emergency, with a one-tap call button."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_sign_in import sign_in

WAIT = 15_000


def test_breathing_symptom_after_upper_back_session_is_an_emergency(phone: Page) -> None:
    sign_in(phone, "casey@example.com")
    expect(phone.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Is this normal?").click()
    # Pre-filled from what the app knows: the last session, where, how long ago. (Another
    # test may have logged a lower-back session for Casey since; breathing trouble after
    # that is an emergency too.)
    expect(phone.get_by_text(re.compile(r"Your last needling session: .*hours ago"))
           ).to_be_visible(timeout=WAIT)
    phone.get_by_role("checkbox", name="Short of breath or hard to breathe").click()
    phone.get_by_role("button", name="Check my symptoms").click()
    expect(phone.get_by_text("Get help now")).to_be_visible(timeout=WAIT)
    call = phone.get_by_role("button", name=re.compile(r"^Call 911 now"))
    expect(call).to_be_visible()
    expect(phone.get_by_text(re.compile("emergency", re.I)).first).to_be_visible()


def test_no_symptoms_on_a_fresh_session_is_reassuring(phone: Page) -> None:
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Is this normal?").click()
    expect(phone.get_by_text("Do you have any of these right now?")).to_be_visible(
        timeout=WAIT)
    phone.get_by_role("button", name="How sore is it now?: 0", exact=True).click()
    phone.get_by_role("radio", name="Getting better").click()
    phone.get_by_role("button", name="Check my symptoms").click()
    expect(phone.get_by_text(re.compile("usual reaction|Contact the clinic today"))
           ).to_be_visible(timeout=WAIT)
    expect(phone.get_by_role("button", name=re.compile(r"^Call 911 now"))).to_have_count(0)


def test_the_education_page_uses_the_rulebooks_numbers(phone: Page) -> None:
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Is this normal?").click()
    phone.get_by_role("button", name="What is normal after dry needling?").click()
    expect(phone.get_by_text(re.compile(r"your soreness is 7 out of 10 or more after the "
                                        r"first day"))).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text(re.compile(r"\{"))).to_have_count(0)
