"""The care team's side of reminders, across the patients who shared with them: picking a
group to remind, who responded (sent / opened / done in the last days, days since the
last check-in), and emails given up after every retry.

Every figure here is about whether a patient logged and responded, never what they
logged: it stays inside the "reminders and logging only" scope. Each patient's data read
for these lists goes through ReminderService.authorize, so it is audited per patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.accounts import Account
from app.domain.reminder_delivery import Answer, Channel, Delivery, Status, outcome_id
from app.domain.reminder_plan import (
    NOT_LOGGING_GROUP_DAYS,
    RECENT_SESSION_GROUP_DAYS,
    Reminder,
    occurrences,
)
from app.domain.zones import days_since
from app.services.base import Clock, Versioned, system_clock
from app.services.reminders import READ_ACTIVITY, ReminderService

# "Those with a session in the last 2 days" (the domain's number).
RECENT_SESSION = timedelta(days=RECENT_SESSION_GROUP_DAYS)


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


class Reached(StrEnum):
    """What became of one occurrence in the patient's inbox (CareKit: no outcome = not
    done yet)."""

    DONE = "done"
    NOT_NOW = "not_now"
    OPENED = "opened"  # opened, not answered
    NOT_OPENED = "not_opened"
    SKIPPED = "skipped"  # not sent: it no longer made sense, or was already done


@dataclass(frozen=True)
class SentOccurrence:
    due_at: datetime  # UTC
    reached: Reached
    late: bool = False
    skipped_because: str = ""
    email_failed: str = ""  # the mail server's reason, once the email was given up


@dataclass(frozen=True)
class PlanStatus:
    """One scheduled plan as the care team follows it: what comes next and what became
    of each occurrence already due."""

    patient: Account
    plan: Versioned[Reminder]
    next_due: datetime | None  # UTC; None: nothing more to come (or cancelled)
    sent: list[SentOccurrence]  # newest first

    @property
    def pending(self) -> bool:
        """Still has occurrences to come: it can be edited or cancelled."""
        return self.next_due is not None and not self.plan.value.cancelled


class ReminderOverview:
    def __init__(self, reminders: ReminderService, clock: Clock = system_clock) -> None:
        self.reminders = reminders
        self.access = reminders.access
        self.clock = clock

    def group(self, actor: Account, group: Group,
              days: int = NOT_LOGGING_GROUP_DAYS) -> list[Account]:
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

    def plans(self, actor: Account) -> list[PlanStatus]:
        """The scheduled plans of every patient who shared with the actor (read through
        ReminderService.planned: checked and audited per patient), those with something
        to come first (soonest first), then the finished ones, newest first."""
        now = self.clock()
        found: list[PlanStatus] = []
        for patient in self.access.shared_patients(actor):
            held = self.reminders.planned(actor, patient.id)
            if not held:
                continue
            deliveries = [d.value for d in self.reminders.deliveries.find(patient.id)]
            answers = {o.value.id: o.value.answer
                       for o in self.reminders.outcomes.find(patient.id)}
            quiet = self.reminders.quiet_hours(patient.id)
            for version in held:
                plan = version.value
                mine = [d for d in deliveries if d.reminder_id == plan.id]
                recorded = {d.occurrence_key for d in mine}
                # "Send now" is due at a minute that has begun: it is still to come
                # until the scheduler has recorded it.
                coming = [o for o in occurrences(plan, patient.timezone, quiet,
                                                 now - timedelta(minutes=1),
                                                 now + timedelta(days=400), limit=3)
                          if o.key not in recorded]
                found.append(PlanStatus(patient, version,
                                        coming[0].due if coming else None,
                                        _sent(mine, answers)))
        upcoming = sorted((p for p in found if p.pending),
                          key=lambda p: (p.next_due, p.patient.name))
        finished = sorted((p for p in found if not p.pending),
                          key=lambda p: p.plan.value.created_at, reverse=True)
        return upcoming + finished

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
        return None if last is None else days_since(last, self.clock(), patient.timezone)


def _sent(deliveries: list[Delivery], answers: dict[str, Answer]) -> list[SentOccurrence]:
    """Each recorded occurrence of one plan, from its in-app delivery (the inbox item),
    its outcome and its email's fate."""
    emails = {d.occurrence_key: d for d in deliveries if d.channel is Channel.EMAIL}
    sent = []
    for d in deliveries:
        if d.channel is not Channel.IN_APP:
            continue
        answer = answers.get(outcome_id(d.reminder_id, d.occurrence_key))
        if d.status is Status.SKIPPED:
            reached = Reached.SKIPPED
        elif answer is Answer.DONE:
            reached = Reached.DONE
        elif answer is Answer.NOT_NOW:
            reached = Reached.NOT_NOW
        else:
            reached = Reached.OPENED if d.opened_at is not None else Reached.NOT_OPENED
        email = emails.get(d.occurrence_key)
        sent.append(SentOccurrence(
            due_at=d.due_at, reached=reached, late=d.late,
            skipped_because=d.skipped_because,
            email_failed=email.last_error if email is not None
            and email.status is Status.FAILED else ""))
    return sorted(sent, key=lambda s: s.due_at, reverse=True)
