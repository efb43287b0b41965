"""The care team's side of reminders, across the patients who shared with them: picking a
group to remind, who responded (sent / opened / done in the last days, days since the
last check-in), and emails given up after every retry.

Every figure here is about whether a patient logged and responded, never what they
logged: it stays inside the "reminders and logging only" scope. Each patient's data read
for these lists goes through ReminderService.authorize, so it is audited per patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from app.domain.accounts import Account
from app.domain.reminder_delivery import Answer, Channel, Delivery, Status, outcome_id
from app.domain.zones import patient_today
from app.services.base import Clock, system_clock
from app.services.reminders import READ_ACTIVITY, ReminderService

# "Those with a session in the last 2 days": the soreness follow-up window's first part.
RECENT_SESSION = timedelta(days=2)


class Group(StrEnum):
    ALL_SHARED = "all_shared"  # every patient who shared with me
    NOT_LOGGING = "not_logging"  # no check-in for N days (or never)
    RECENT_SESSION = "recent_session"  # a needling session in the last 2 days


@dataclass(frozen=True)
class ReminderActivity:
    patient: Account
    days_since_check_in: int | None  # None: never checked in
    sent: int  # in-app reminders delivered in the window
    opened: int
    done: int
    failed_emails: int


class ReminderOverview:
    def __init__(self, reminders: ReminderService, clock: Clock = system_clock) -> None:
        self.reminders = reminders
        self.access = reminders.access
        self.clock = clock

    def group(self, actor: Account, group: Group, days: int = 3) -> list[Account]:
        """The patients of a group, among those who shared with the actor."""
        now = self.clock()
        chosen = []
        for patient in self.access.shared_patients(actor):
            self.reminders.authorize(actor, patient.id, READ_ACTIVITY)
            if group is Group.NOT_LOGGING:
                since = self._days_since_check_in(patient)
                if since is None or since >= days:
                    chosen.append(patient)
            elif group is Group.RECENT_SESSION:
                if any(now - RECENT_SESSION <= at <= now
                       for at in self.reminders.session_times(patient.id)):
                    chosen.append(patient)
            else:
                chosen.append(patient)
        return chosen

    def activity(self, actor: Account, days: int = 14) -> list[ReminderActivity]:
        """Per patient who shared with the actor, most in need first: longest without a
        check-in, then fewest reminders done."""
        since = self.clock() - timedelta(days=days)
        rows = []
        for patient in self.access.shared_patients(actor):
            self.reminders.authorize(actor, patient.id, READ_ACTIVITY)
            delivered = [d.value for d in self.reminders.deliveries.find(patient.id)
                         if d.value.due_at >= since]
            in_app = [d for d in delivered
                      if d.channel is Channel.IN_APP and d.status is Status.DELIVERED]
            answers = {o.value.id: o.value.answer
                       for o in self.reminders.outcomes.find(patient.id)}
            rows.append(ReminderActivity(
                patient=patient,
                days_since_check_in=self._days_since_check_in(patient),
                sent=len(in_app),
                opened=sum(1 for d in in_app if d.opened_at is not None),
                done=sum(1 for d in in_app
                         if answers.get(outcome_id(d.reminder_id, d.occurrence_key))
                         is Answer.DONE),
                failed_emails=sum(1 for d in delivered if d.status is Status.FAILED)))
        never = 10**6
        return sorted(rows, key=lambda r: (
            -(never if r.days_since_check_in is None else r.days_since_check_in),
            r.done, r.patient.name))

    def failed_deliveries(self, actor: Account) -> list[Delivery]:
        """Emails given up after every retry, for the patients who shared with the actor,
        newest first (template, when, the server's reason: no health detail)."""
        failed = []
        for patient in self.access.shared_patients(actor):
            self.reminders.authorize(actor, patient.id, READ_ACTIVITY)
            failed += [d.value for d in self.reminders.deliveries.find(
                patient.id, status=Status.FAILED.value)]
        return sorted(failed, key=lambda d: d.due_at, reverse=True)

    def _days_since_check_in(self, patient: Account) -> int | None:
        last = self.reminders.last_check_in(patient.id)
        if last is None:
            return None
        now = self.clock()
        return (patient_today(now, patient.timezone)
                - patient_today(last, patient.timezone)).days
