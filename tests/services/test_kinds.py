"""The kinds registry (app.domain.kinds) is the one list: every collection a service opens
is in it with the same type, and the exports follow it."""

from __future__ import annotations

import io
import zipfile

from app.domain import kinds
from app.domain.accounts import Role
from app.main import Services
from app.services.base import Collection
from app.services.calendar_feed import CalendarFeedService
from app.services.import_checks import KNOWN_KINDS, PATIENT_KINDS
from app.services.spreadsheet import export_csv_zip
from tests.conftest import FakeClock
from tests.services.reminder_helpers import LINKS, reminder_services


def collections(services: Services, clock: FakeClock) -> list[Collection[object]]:
    reminders, delivery = reminder_services(services, clock)
    feed = CalendarFeedService(services.store, reminders, LINKS, clock)
    owners = [getattr(services, name) for name in vars(services)] + [
        reminders, delivery, feed]
    return [value for owner in owners for value in vars(owner).values()
            if isinstance(value, Collection)]


def test_every_collection_a_service_opens_is_registered_with_its_type(
        services: Services, clock: FakeClock) -> None:
    found = collections(services, clock)
    assert len(found) > 15
    for collection in found:
        registered = kinds.kind(collection.kind)
        assert registered is not None, f"{collection.kind} is not in app.domain.kinds"
        if registered.entry is not None:
            assert registered.entry is collection.cls, collection.kind


def test_the_import_checks_exactly_the_kinds_the_export_sends() -> None:
    assert KNOWN_KINDS == kinds.EXPORTED
    assert set(PATIENT_KINDS) == kinds.EXPORTED - {kinds.ASSESSMENT}
    assert all(k.patient_record for k in kinds.KINDS if k.exported)


def test_the_csv_export_has_one_table_per_registered_kind(services: Services) -> None:
    patient = services.accounts.create("alex@example.com", "Alex", "backtrack-test-pw",
                                       Role.PATIENT)
    with zipfile.ZipFile(io.BytesIO(export_csv_zip(services.logbook, patient,
                                                   patient.id))) as archive:
        assert sorted(archive.namelist()) == sorted(kinds.CSV_TABLES.values())
