"""The FHIR download (issue 16) in a real browser against the real server: the patient's
Settings button and a therapist's button on a shared patient's Progress each download a
bundle that validates against the R4B models of fhir.resources."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import Page, expect

from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
BUTTON = "FHIR (for health records systems)"


def downloaded_bundle(page: Page) -> tuple[str, dict[str, Any]]:
    with page.expect_download(timeout=WAIT) as download:
        page.get_by_role("button", name=BUTTON).click()
    document: dict[str, Any] = json.loads(
        download.value.path().read_text(encoding="utf-8"))
    Bundle.model_validate(document)  # raises on anything the R4B models refuse
    return download.value.suggested_filename, document


def patient_of(bundle: dict[str, Any]) -> dict[str, Any]:
    [patient] = [e["resource"] for e in bundle["entry"]
                 if e["resource"]["resourceType"] == "Patient"]
    return patient


def test_the_patients_settings_button_downloads_a_bundle_that_validates(
        phone: Page) -> None:
    sign_in(phone, "alex@example.com")
    expect(phone.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
    go(phone, "Settings")
    name, bundle = downloaded_bundle(phone)
    assert name.startswith("backtrack-fhir-alex-") and name.endswith(".fhir.json")
    assert bundle["type"] == "collection"
    assert patient_of(bundle)["telecom"] == [{"system": "email",
                                              "value": "alex@example.com"}]
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Observation", "Procedure", "QuestionnaireResponse"} <= kinds
    # The toast that follows is checked in-process (tests/ui/test_fhir_buttons.py): here
    # it was not found within 20 s in one of three runs on a loaded machine (cause not
    # established: it may have come and gone before the check), while the file was right.


def test_a_therapists_button_on_a_shared_patient_downloads_their_bundle(
        desktop: Page) -> None:
    sign_in(desktop, "taylor@example.com")
    desktop.get_by_role("button", name="Open Blair's progress").click()
    expect(desktop.get_by_text("Blair Chen: no meaningful change")).to_be_visible(
        timeout=WAIT)
    _, bundle = downloaded_bundle(desktop)
    assert patient_of(bundle)["name"] == [{"text": "Blair Chen"}]
