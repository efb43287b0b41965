"""Shared set-up for the reminder tests: people, and the reminder services built over the
same store and clock as the rest of the app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.accounts import Account, Role
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.domain.reminders import ReminderPrefs
from app.main import Services
from app.services.base import Clock
from app.services.delivery import DeliveryService
from app.services.notifier import MemoryNotifier, Notifier
from app.services.reminders import ReminderLinks, ReminderService
from app.store.interfaces import RecordStore

PASSWORD = "backtrack-test-pw"
LINKS = ReminderLinks("https://clinic.example")


@dataclass
class People:
    patient: Account
    other_patient: Account
    therapist: Account
    care_team: Account
    admin: Account


def make_people(services: Services, zone: str = "America/New_York") -> People:
    make = services.accounts.create
    people = People(
        patient=make("alex@example.com", "Alex", PASSWORD, Role.PATIENT, zone),
        other_patient=make("blair@example.com", "Blair", PASSWORD, Role.PATIENT,
                           "Europe/London"),
        therapist=make("taylor@example.com", "Taylor", PASSWORD, Role.THERAPIST),
        care_team=make("jordan@example.com", "Jordan", PASSWORD, Role.CARE_TEAM),
        admin=make("admin@example.com", "Sam", PASSWORD, Role.ADMIN),
    )
    services.access.grant(people.patient, people.care_team)
    # Every patient has the daily check-in reminder by default; these tests count only
    # what they schedule, so their patients turned it off (test_default_daily_reminder
    # covers the default).
    for patient in (people.patient, people.other_patient):
        quiet_daily(services, patient)
    return people


def quiet_daily(services: Services, patient: Account) -> None:
    """The patient turned the daily check-in reminder off (Settings), nothing else."""
    services.logbook.set_reminders(patient, ReminderPrefs(patient.id, daily_check_in=False))


def reminder_services(services: Services, clock: Clock, store: RecordStore | None = None,
                      notifier: Notifier | None = None,
                      record_batch: int = 200) -> tuple[ReminderService, DeliveryService]:
    store = store if store is not None else services.store
    reminders = ReminderService(store, services.access, clock)
    delivery = DeliveryService(store, reminders, clinic_name=lambda: "Harbour Physio",
                               links=LINKS, notifier=notifier, clock=clock,
                               record_batch=record_batch)
    return reminders, delivery


def emailed_unsubscribe_token(services: Services, people: People,
                              clock: Clock) -> tuple[ReminderService, str]:
    """The care team's one reminder to the patient delivered by email: the reminder
    service that sent it, and the unsubscribe token from the email's link."""
    notifier = MemoryNotifier()
    reminders, delivery = reminder_services(services, clock, notifier=notifier)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "08:00"))
    delivery.run_due()
    [email] = notifier.sent
    return reminders, email.unsubscribe_link.rsplit("/", 1)[1]
