"""One door for every export format: ExportService checks the policy and audits once."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput, NotAllowed, NotFound
from app.main import Services
from app.services.export_formats import build_exports
from app.services.exports import ExportService

PASSWORD = "backtrack-test-pw"
FORMATS = ("json", "csv", "report", "fhir")


def exports_of(services: Services) -> ExportService:
    return build_exports(services.store, services.accounts, services.access,
                         services.logbook, services.progress, services.guidance,
                         services.accounts.clock)


@pytest.fixture
def exports(services: Services) -> ExportService:
    return exports_of(services)


@pytest.fixture
def alex(services: Services) -> Account:
    patient = services.accounts.create("alex@example.com", "Alex Morgan", PASSWORD,
                                       Role.PATIENT, "America/Los_Angeles")
    services.logbook.check_in(patient, patient.id, pain_now=6, note="=cmd|' /C calc'!A0")
    return patient


def make(services: Services, email: str, role: Role) -> Account:
    return services.accounts.create(email, email.split("@")[0].title(), PASSWORD, role)


def test_the_three_formats_are_one_list(exports: ExportService) -> None:
    assert exports.formats == list(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_patient_exports_their_own_record_unaudited(
        services: Services, exports: ExportService, alex: Account, fmt: str) -> None:
    file = exports.export(alex, alex.email, fmt)
    assert file.content
    assert file.file_name.startswith(f"backtrack-{fmt}-alex-2025-03-10")  # LA's day
    assert "morgan" not in file.file_name and "@" not in file.file_name
    assert services.access.audit_trail(alex, alex.id) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_clinicians_export_is_audited_exactly_once(
        services: Services, exports: ExportService, alex: Account, fmt: str) -> None:
    therapist = make(services, "taylor@example.com", Role.THERAPIST)
    services.access.grant(alex, therapist)
    exports.export(therapist, alex.id, fmt)  # by id as well as by email
    trail = services.access.audit_trail(alex, alex.id)
    assert [(e.actor_id, e.action) for e in trail] == [(therapist.id, f"export:{fmt}")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("who", ["therapist", "patient", "admin"])
def test_no_export_without_a_grant(services: Services, exports: ExportService,
                                   alex: Account, fmt: str, who: str) -> None:
    role = {"therapist": Role.THERAPIST, "patient": Role.PATIENT, "admin": Role.ADMIN}[who]
    stranger = make(services, f"{who}@example.com", role)
    with pytest.raises(NotAllowed):
        exports.export(stranger, alex.email, fmt)
    # Someone who does not exist gets the same answer as someone not shared with.
    with pytest.raises(NotFound, match="No such patient, or no access"):
        exports.export(stranger, "ghost@example.com", fmt)
    assert services.access.audit_trail(alex, alex.id) == []


def test_the_operator_exports_without_a_check_and_a_clinician_is_not_a_patient(
        services: Services, exports: ExportService, alex: Account) -> None:
    document = json.loads(exports.export(None, "ALEX@example.com", "json").content)
    assert document["patient"]["id"] == alex.id
    therapist = make(services, "taylor@example.com", Role.THERAPIST)
    with pytest.raises(NotFound):
        exports.export(None, therapist.email, "json")
    with pytest.raises(InvalidInput):
        exports.export(None, alex.email, "xml")


def test_each_format_is_what_it_says(exports: ExportService, alex: Account) -> None:
    as_json = exports.export(alex, alex.email, "json")
    assert as_json.media_type == "application/json"
    assert json.loads(as_json.content)["format"] == "backtrack.patient-export"
    as_csv = exports.export(alex, alex.email, "csv")
    with zipfile.ZipFile(io.BytesIO(as_csv.content)) as archive:
        assert "'=cmd" in archive.read("check-ins.csv").decode("utf-8-sig")
    report = exports.export(alex, alex.email, "report")
    assert report.media_type.startswith("text/html")
    assert report.content.startswith(b"<!doctype html>")


def test_the_old_json_entry_point_goes_through_the_same_door(
        services: Services, alex: Account) -> None:
    therapist = make(services, "taylor@example.com", Role.THERAPIST)
    services.access.grant(alex, therapist)
    services.portability.export_json(therapist, alex.email)
    assert [e.action for e in services.access.audit_trail(alex, alex.id)] == ["export:json"]
