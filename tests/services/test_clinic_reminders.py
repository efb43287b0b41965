"""The clinic's automatic-reminder settings: when soreness check-ins follow a needling
session and after how many days without a check-in a patient is nudged. Only an admin
sets them, by the same rules typed or as numbers; settings saved before they existed read
as the defaults; and the scheduler uses a change from its next run, without a restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.domain.accounts import Account, Role
from app.domain.codec import from_json, to_json
from app.domain.errors import InvalidInput, NotAllowed
from app.domain.kinds import CLINIC_SETTINGS
from app.domain.reminder_plan import Template
from app.domain.reminders import FOLLOW_UP_HOURS, ReminderPrefs
from app.main import Services
from app.reminders_wiring import ReminderServices, build_reminder_services
from app.services.clinic import ClinicSettings
from app.store.interfaces import Change
from tests.conftest import FakeClock
from tests.services.reminder_helpers import People, make_people

NY = ZoneInfo("America/New_York")
NUMBERS = {"name": "Riverside", "phone": "+1 555 0100", "emergency_number": "911"}


def ny(month: int, day: int, hour: int) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=NY).astimezone(UTC)


@pytest.fixture
def people(services: Services) -> People:
    return make_people(services)


@pytest.fixture
def built(services: Services, clock: FakeClock, tmp_path: Path) -> ReminderServices:
    """The reminder services as the app wires them (over the app's ClinicService)."""
    return build_reminder_services(services.store, services.access, services.clinic,
                                   data_dir=tmp_path, base_url="https://clinic.example",
                                   clock=clock)


def run_until(built: ReminderServices, clock: FakeClock, until: datetime) -> None:
    """The scheduler once an hour up to `until`."""
    while clock.now <= until:
        built.delivery.run_due()
        clock.advance(hours=1)


def due_times(built: ReminderServices, patient: Account, template: Template) -> list[datetime]:
    return sorted(i.delivery.due_at for i in built.reminders.inbox(patient, patient.id)
                  if i.delivery.template is template)


# -- the settings --------------------------------------------------------------------

def test_defaults_are_24_and_48_hours_and_3_days(services: Services) -> None:
    current = services.clinic.current()
    assert (current.soreness_check_hours, current.nudge_after_days) == ((24, 48), 3)
    assert current.soreness_check_hours == FOLLOW_UP_HOURS


def test_an_admin_sets_them_typed_or_as_numbers_and_other_saves_keep_them(
        services: Services, people: People) -> None:
    services.clinic.update(people.admin, **NUMBERS, soreness_check_hours=" 12, 36 ",
                           nudge_after_days=" 2 ")
    assert (services.clinic.current().soreness_check_hours,
            services.clinic.current().nudge_after_days) == ((12, 36), 2)
    services.clinic.update(people.admin, **NUMBERS, soreness_check_hours=(6, 24, 72, 168),
                           nudge_after_days=14)
    assert services.clinic.current().soreness_check_hours == (6, 24, 72, 168)
    # A caller that only changes the name (as before these settings) keeps them.
    services.clinic.update(people.admin, name="Harbour", phone="+1 555 0100",
                           emergency_number="911")
    current = services.clinic.current()
    assert (current.name, current.soreness_check_hours, current.nudge_after_days) == (
        "Harbour", (6, 24, 72, 168), 14)


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST, Role.CARE_TEAM])
def test_nobody_but_an_admin_changes_them(services: Services, role: Role) -> None:
    someone = services.accounts.create("x@example.com", "X", "backtrack-test-pw", role)
    with pytest.raises(NotAllowed):
        services.clinic.update(someone, **NUMBERS, soreness_check_hours="1",
                               nudge_after_days="1")
    assert services.clinic.current() == ClinicSettings()


@pytest.mark.parametrize(("hours", "days", "messages"), [
    ("", "3", {"soreness_check_hours": "Enter at least one time, like 24, 48."}),
    ("24, 48h", "3",
     {"soreness_check_hours": "Enter whole hours separated by commas, like 24, 48."}),
    ("24.5", "3",
     {"soreness_check_hours": "Enter whole hours separated by commas, like 24, 48."}),
    ("-1", "3",
     {"soreness_check_hours": "Enter whole hours separated by commas, like 24, 48."}),
    ("0, 24", "3", {"soreness_check_hours":
                    "Each check is from 1 to 168 hours (a week) after the session; 0 is not."}),
    ("24, 169", "3", {"soreness_check_hours":
                      "Each check is from 1 to 168 hours (a week) after the session; 169 "
                      "is not."}),
    ("9" * 5000, "3", {"soreness_check_hours":
                       "Each check is from 1 to 168 hours (a week) after the session; a "
                       "number far outside that is not."}),
    ("6, 12, 24, 48, 72", "3", {"soreness_check_hours":
                                "Up to 4 soreness checks after a session; you entered 5."}),
    ("48, 24", "3",
     {"soreness_check_hours": "List each hour once, earliest first, like 24, 48."}),
    ("24, 24", "3",
     {"soreness_check_hours": "List each hour once, earliest first, like 24, 48."}),
    ((24, True), "3",
     {"soreness_check_hours": "Enter whole hours separated by commas, like 24, 48."}),
    ("24, 48", "", {"nudge_after_days": "Enter a whole number of days from 1 to 14, like 3."}),
    ("24, 48", "two",
     {"nudge_after_days": "Enter a whole number of days from 1 to 14, like 3."}),
    ("24, 48", 2.5, {"nudge_after_days": "Enter a whole number of days from 1 to 14, like 3."}),
    ("24, 48", "0", {"nudge_after_days": "Choose from 1 to 14 days; you entered 0."}),
    ("24, 48", 15, {"nudge_after_days": "Choose from 1 to 14 days; you entered 15."}),
    ("48 24", "99", {"soreness_check_hours": "List each hour once, earliest first, like 24, 48.",
                     "nudge_after_days": "Choose from 1 to 14 days; you entered 99."}),
])
def test_refused_with_a_message_for_each_field_and_nothing_half_saved(
        services: Services, people: People, hours: object, days: object,
        messages: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.clinic.update(people.admin, name="Changed", phone="+1 555 0100",
                               emergency_number="911",
                               soreness_check_hours=hours,  # type: ignore[arg-type]
                               nudge_after_days=days)  # type: ignore[arg-type]
    assert caught.value.problems == messages
    assert services.clinic.current() == ClinicSettings()


@pytest.mark.parametrize(("hours", "days"), [
    ("1", "1"), ("168", "14"), ("1, 2, 3, 4", "7"), ("24 48", "3"), ("24,48", "3"),
])
def test_the_limits_themselves_are_allowed(services: Services, people: People, hours: str,
                                           days: str) -> None:
    saved = services.clinic.update(people.admin, **NUMBERS, soreness_check_hours=hours,
                                   nudge_after_days=days)
    assert saved == services.clinic.current()


def test_settings_stored_before_these_existed_read_as_the_defaults(
        services: Services) -> None:
    old = {"id": "clinic", "name": "Riverside", "phone": "+1 555 0100",
           "emergency_number": "112"}
    services.store.save_all([Change(CLINIC_SETTINGS, "clinic", old, owner=None,
                                    expected_version=0)])
    current = services.clinic.current()
    assert (current.name, current.soreness_check_hours, current.nudge_after_days) == (
        "Riverside", (24, 48), 3)


def test_the_hours_round_trip_through_the_store_as_a_tuple(services: Services,
                                                           people: People) -> None:
    services.clinic.update(people.admin, **NUMBERS, soreness_check_hours="12, 36",
                           nudge_after_days="2")
    raw = json.loads(json.dumps(to_json(services.clinic.current())))
    assert raw["soreness_check_hours"] == [12, 36]
    again = from_json(ClinicSettings, raw)
    assert again.soreness_check_hours == (12, 36)
    assert again == services.clinic.current()
    assert from_json(ClinicSettings, raw, strict=True) == again


# -- the scheduler, at its next run --------------------------------------------------

def test_soreness_checks_follow_the_clinic_hours_from_the_next_run(
        services: Services, people: People, built: ReminderServices,
        clock: FakeClock) -> None:
    services.logbook.set_reminders(people.patient, ReminderPrefs(
        people.patient.id, daily_check_in=False, quiet_from="00:00", quiet_until="00:00"))
    services.logbook.log_session(people.patient, people.patient.id, regions=["lumbar"],
                                 performed_at=ny(3, 10, 8))
    built.delivery.run_due()  # the scheduler has run with the defaults
    services.clinic.update(people.admin, **NUMBERS, soreness_check_hours="12, 36")
    run_until(built, clock, ny(3, 12, 20))
    assert due_times(built, people.patient, Template.SORENESS_CHECK) == [
        ny(3, 10, 20), ny(3, 11, 20)]  # 12 h and 36 h after 08:00 on the 10th


def test_a_nudge_after_the_clinic_days_without_a_check_in(
        services: Services, people: People, built: ReminderServices,
        clock: FakeClock) -> None:
    services.logbook.set_reminders(people.patient, ReminderPrefs(
        people.patient.id, daily_check_in=True, check_in_time="19:00",
        quiet_from="00:00", quiet_until="00:00"))
    services.logbook.check_in(people.patient, people.patient.id, pain_now=3)  # 10 March
    built.delivery.run_due()
    services.clinic.update(people.admin, **NUMBERS, nudge_after_days="2")
    run_until(built, clock, ny(3, 13, 20))
    assert due_times(built, people.patient, Template.LOGGING_NUDGE) == [ny(3, 12, 19)]


def test_with_the_defaults_the_checks_are_at_24_and_48_hours_and_the_nudge_after_3_days(
        services: Services, people: People, built: ReminderServices,
        clock: FakeClock) -> None:
    services.logbook.set_reminders(people.patient, ReminderPrefs(
        people.patient.id, daily_check_in=True, check_in_time="19:00",
        quiet_from="00:00", quiet_until="00:00"))
    services.logbook.check_in(people.patient, people.patient.id, pain_now=3)
    services.logbook.log_session(people.patient, people.patient.id, regions=["lumbar"],
                                 performed_at=ny(3, 10, 8))
    run_until(built, clock, ny(3, 13, 20))
    assert due_times(built, people.patient, Template.SORENESS_CHECK) == [
        ny(3, 11, 8), ny(3, 12, 8)]
    assert due_times(built, people.patient, Template.LOGGING_NUDGE) == [ny(3, 13, 19)]
    assert clock.now - ny(3, 10, 8) > timedelta(days=3)
