"""The reminders part of the composition root: builds the reminder, delivery and calendar
services over the app's store, reads the SMTP settings file, and registers the scheduler
as a background job. app/main.py calls `build_reminder_services` (and the server
`schedule_delivery`); until it does, the `reminders run-due` command uses it directly.

The SMTP settings (with the password) live in their own file in the data folder,
readable by the server's user only (0600): not in the store, so a backup, an export or
an admin screen never carries the password back out.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path

from app.domain.reminders import FOLLOW_UP_HOURS
from app.jobs import Jobs
from app.services.access import AccessService
from app.services.base import Clock, system_clock
from app.services.calendar_feed import CalendarFeedService
from app.services.clinic import ClinicService
from app.services.delivery import DeliveryService
from app.services.notifier import Notifier, Security, SmtpNotifier, SmtpSettings
from app.services.reminders import ReminderLinks, ReminderService
from app.store.interfaces import RecordStore

SMTP_FILE = "smtp.json"
DELIVERY_JOB = "reminders"
# The scheduler looks for due reminders this often; LATE_AFTER (15 min) leaves room.
DELIVERY_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class ReminderServices:
    reminders: ReminderService
    delivery: DeliveryService
    calendar: CalendarFeedService


def build_reminder_services(store: RecordStore, access: AccessService, clinic: ClinicService,
                            *, base_url: str, notifier: Notifier | None,
                            clock: Clock = system_clock,
                            soreness_hours: tuple[int, ...] = FOLLOW_UP_HOURS,
                            ) -> ReminderServices:
    links = ReminderLinks(base_url)
    reminders = ReminderService(store, access, clock, soreness_hours)
    delivery = DeliveryService(store, reminders, clinic_name=lambda: clinic.current().name,
                               links=links, notifier=notifier, clock=clock)
    return ReminderServices(reminders, delivery,
                            CalendarFeedService(store, reminders, links, clock))


def schedule_delivery(jobs: Jobs, delivery: DeliveryService,
                      every_seconds: float = DELIVERY_EVERY_SECONDS) -> None:
    """The scheduler as a background job: a run at start delivers what fell due while the
    server was down, then one a minute."""
    jobs.every(DELIVERY_JOB, every_seconds, delivery.run_due)


def load_smtp_settings(data_dir: Path) -> SmtpSettings | None:
    """The clinic's mail server from `<data dir>/smtp.json`, or None (email is off).
    ValueError, naming the file, if it is readable by others or not usable."""
    path = data_dir / SMTP_FILE
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(f"{path} holds the mail server's password and must be readable by "
                         f"this user only (chmod 600 {path}).")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return SmtpSettings(host=str(raw["host"]), port=int(raw["port"]),
                            sender=str(raw["sender"]),
                            security=Security(raw.get("security", "starttls")),
                            user=str(raw.get("user", "")),
                            password=str(raw.get("password", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not usable mail server settings "
                         f"({type(exc).__name__}: {exc}).") from None


def notifier_for(data_dir: Path) -> Notifier | None:
    smtp = load_smtp_settings(data_dir)
    return SmtpNotifier(smtp) if smtp is not None else None
