""""Is this normal?" in the browser: breathing signs after an upper-back session are an
emergency, with the numbers to call printed as text; logging soreness leads through the
warning-sign checklist before any verdict."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_patient_app import tap_score
from tests.e2e.test_sign_in import sign_in

WAIT = 15_000
VERDICTS = re.compile("Get help now|Contact the clinic today|This looks like the usual reaction")


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


def test_pain_on_breathing_in_after_upper_back_session_is_get_help_now(phone: Page) -> None:
    sign_in(phone, "casey@example.com")
    expect(phone.get_by_text("Hello, Casey")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Is this normal?").click()
    expect(phone.get_by_text(re.compile(r"Your last needling session: .*hours ago"))
           ).to_be_visible(timeout=WAIT)
    phone.get_by_role(
        "checkbox", name="Sharp pain in the chest or upper back when you breathe in").click()
    phone.get_by_role("button", name="Check my symptoms").click()
    expect(phone.get_by_text("Get help now")).to_be_visible(timeout=WAIT)
    # The numbers are printed beside the call buttons (a tel: link does nothing on a desktop).
    expect(phone.get_by_text("Emergency number: 911")).to_be_visible()
    expect(phone.get_by_text("This is not a diagnosis.", exact=False).first).to_be_visible()
    expect(phone.get_by_role("button", name="Check again later")).to_have_count(0)
    expect(phone.get_by_text(re.compile("usual reaction|common and passes"))).to_have_count(0)


def test_logging_soreness_leads_through_the_checklist_before_any_verdict(phone: Page) -> None:
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Log soreness").click()
    tap_score(phone, "How sore is it now?", 2)
    phone.get_by_role("button", name="Save soreness").click()
    expect(phone.get_by_text("Soreness saved")).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text(re.compile("Answer a few questions about warning signs first"))
           ).to_be_visible()
    expect(phone.get_by_text("This is not a diagnosis.", exact=False).first).to_be_visible()
    expect(phone.get_by_text(VERDICTS)).to_have_count(0)
    phone.get_by_role("button", name="Is this normal?").click()
    expect(phone.get_by_text("Do you have any of these right now?")).to_be_visible(
        timeout=WAIT)
    expect(phone.get_by_role("checkbox", name="Something else worries me")).to_be_attached()
    expect(phone.get_by_text(VERDICTS)).to_have_count(0)
    tap_score(phone, "How bad is your back pain now?", 3)
    phone.get_by_role("radio", name="Getting better").click()
    phone.get_by_role("button", name="Check my symptoms").click()
    expect(phone.get_by_text(VERDICTS)).to_be_visible(timeout=WAIT)


def test_no_symptoms_on_a_fresh_session_is_reassuring(phone: Page) -> None:
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    phone.get_by_role("button", name="Is this normal?").click()
    expect(phone.get_by_text("Do you have any of these right now?")).to_be_visible(
        timeout=WAIT)
    tap_score(phone, "How sore is it now?", 0)
    phone.get_by_role("radio", name="Getting better").click()
    tap_score(phone, "How bad is your back pain now?", 3)
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
