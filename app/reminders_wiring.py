"""The reminders part of the composition root: builds the reminder, delivery, calendar,
overview and mail-settings services over the app's store, and registers the scheduler as
a background job. app/main.py calls `build_reminder_services` (and the server
`schedule_delivery`); until it does, the `reminders run-due` command uses it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from app import paths
from app.jobs import Jobs
from app.services.access import AccessService
from app.services.base import Clock, system_clock
from app.services.calendar_feed import CalendarFeedService
from app.services.clinic import ClinicService
from app.services.delivery import DeliveryLease, DeliveryService
from app.services.mail_settings import MailSettingsService
from app.services.reminder_overview import ReminderOverview
from app.services.reminders import ReminderLinks, ReminderService
from app.store.interfaces import RecordStore

DELIVERY_JOB = "reminders"
# The scheduler looks for due reminders this often unless the settings say otherwise
# (Settings.reminder_interval_seconds); LATE_AFTER (15 min) leaves room.
DELIVERY_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class ReminderServices:
    reminders: ReminderService
    delivery: DeliveryService
    calendar: CalendarFeedService
    overview: ReminderOverview
    mail: MailSettingsService


def build_reminder_services(store: RecordStore, access: AccessService, clinic: ClinicService,
                            *, data_dir: Path, base_url: str, clock: Clock = system_clock,
                            ) -> ReminderServices:
    """`data_dir` holds the mail server's settings file (app.services.mail_settings);
    `base_url` is the clinic's public address (Settings.public_url), the base of every
    link in emails and of calendar feed addresses. The reminders read the clinic's
    settings (soreness check hours, days before a nudge) at each run, so what the admin
    saves on the Clinic screen applies from the next run."""
    links = ReminderLinks(base_url)
    mail = MailSettingsService(paths.smtp_file(data_dir))
    reminders = ReminderService(store, access, clock, clinic=clinic.current)
    delivery = DeliveryService(store, reminders, clinic_name=lambda: clinic.current().name,
                               links=links, notifier_source=mail.notifier, clock=clock)
    return ReminderServices(reminders, delivery,
                            CalendarFeedService(store, reminders, links, clock),
                            ReminderOverview(reminders, clock), mail)


def schedule_delivery(jobs: Jobs, delivery: DeliveryService,
                      every_seconds: float = DELIVERY_EVERY_SECONDS,
                      lease: DeliveryLease | None = None) -> None:
    """The scheduler as a background job: a run at start delivers what fell due while the
    server was down, then one every `every_seconds` (a minute in production). With
    `lease` (several app servers on one database), a tick runs only while this server
    holds it: one delivery at a time across all of them."""
    if lease is None:
        jobs.every(DELIVERY_JOB, every_seconds, delivery.run_due)
    else:
        jobs.every(DELIVERY_JOB, every_seconds, partial(lease.run_delivery, delivery))
