"""The "FHIR (for health records systems)" buttons (issue 16), in-process against the real
services: the patient's Settings card downloads their bundle; a clinician's button (on a
shared patient's Progress) downloads it through the same access check, audited."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest
from fhir.resources.R4B.bundle import Bundle

from app.domain.accounts import Account, Role
from app.domain.errors import NotAllowed, NotFound
from app.main import Services
from app.ui.fhir_download import LABEL, fhir_button
from app.ui.screens import data_rights
from tests.ui.test_patient_screens import StubShell, walk

PASSWORD = "backtrack-test-pw"


class Picker:
    def __init__(self) -> None:
        self.saved: list[tuple[str, bytes]] = []

    async def save_file(self, *, file_name: str, src_bytes: bytes) -> None:
        self.saved.append((file_name, src_bytes))


class DownloadShell(StubShell):
    def __init__(self, services: Services, account: Account) -> None:
        super().__init__(services, account)
        self.file_picker = Picker()
        self.toasts: list[str] = []

    def toast(self, message: str) -> None:
        self.toasts.append(message)


@pytest.fixture
def people(services: Services) -> tuple[Account, Account]:
    patient = services.accounts.create("alex@example.com", "Alex Morgan", PASSWORD,
                                       Role.PATIENT)
    taylor = services.accounts.create("taylor@example.com", "Taylor Brooks", PASSWORD,
                                      Role.THERAPIST)
    services.access.grant(patient, taylor)
    services.logbook.check_in(patient, patient.id, pain_now=4, regions=["lower_back"])
    return patient, taylor


def click(button: ft.OutlinedButton) -> None:
    handler: Any = button.on_click
    asyncio.run(handler(None))


def test_the_patients_settings_button_downloads_a_bundle_that_validates(
        services: Services, people: tuple[Account, Account]) -> None:
    patient, _ = people
    shell = DownloadShell(services, patient)
    card = data_rights.section(shell)  # type: ignore[arg-type]
    button = next(c for top in card for c in walk(top)
                  if isinstance(c, ft.OutlinedButton) and c.content == LABEL)
    click(button)
    [(name, content)] = shell.file_picker.saved
    assert name.startswith("backtrack-fhir-alex-") and name.endswith(".fhir.json")
    bundle = json.loads(content)
    Bundle.model_validate(bundle)
    assert bundle["entry"][0]["resource"]["telecom"][0]["value"] == patient.email
    assert shell.toasts == ["Your record was saved as a FHIR file for a health records "
                            "system."]
    assert services.access.audit_trail(patient, patient.id) == []  # one's own: no audit


def test_a_clinicians_button_is_checked_and_audited_like_a_read(
        services: Services, people: tuple[Account, Account]) -> None:
    patient, taylor = people
    shell = DownloadShell(services, taylor)
    click(fhir_button(shell, taylor, patient.id))  # type: ignore[arg-type]
    [(_, content)] = shell.file_picker.saved
    Bundle.model_validate(json.loads(content))
    assert [e.action for e in services.access.audit_trail(patient, patient.id)] == [
        "export:fhir"]
    stranger = services.accounts.create("sam@example.com", "Sam", PASSWORD, Role.THERAPIST)
    other = DownloadShell(services, stranger)
    with pytest.raises((NotAllowed, NotFound)):
        click(fhir_button(other, stranger, patient.id))  # type: ignore[arg-type]
    assert other.file_picker.saved == []


def test_the_clinicians_progress_view_offers_it_and_the_patients_own_does_not(
        services: Services, people: tuple[Account, Account]) -> None:
    from app.ui.screens import progress

    patient, taylor = people
    labels = {}
    for viewer, query in ((taylor, {"patient": patient.id}), (patient, {})):
        shell = DownloadShell(services, viewer)
        shell.query = query
        shell.page = SimpleNamespace(update=lambda: None, route="/progress", web=False,
                                     views=[], run_task=lambda _task: None)
        shell.theme_mode, shell.token = "light", None
        shell.patient_in_view = lambda v: patient if v.id != patient.id else None
        view = progress.build(shell)  # type: ignore[arg-type]
        labels[viewer.role] = [c.content for c in walk(view)
                               if isinstance(c, ft.OutlinedButton)]
    assert LABEL in labels[Role.THERAPIST]
    assert LABEL not in labels[Role.PATIENT]
