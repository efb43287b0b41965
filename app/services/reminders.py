"""Reminders for one patient: scheduling, editing and cancelling plans, the patient's
channel choices, and the inbox (list, unread count, "Done" / "Not now").

Who may do what is decided in one place, `ReminderService.authorize`, which maps each
operation here onto the clinic's one policy (app.domain.policy, through
AccessService.authorize): the patient, and clinicians the patient shared with, every
clinician read audited. The care team's narrow scope ("reminders and logging only") is
a row of that policy: reading and scheduling reminders are inside it.

The reminders the app makes by itself (the patient's daily check-in from their
preferences, soreness check-ins after each needling session, a nudge after some days
without a check-in) are not stored as plans: they are derived from those records each
time, with ids taken from the patient, the session or the last check-in's day, so each
exists once (`plans_for_delivery`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from app.domain import entries as e
from app.domain.accounts import Account, Role
from app.domain.codec import to_json
from app.domain.errors import InvalidInput, NotFound
from app.domain.kinds import CHECK_IN, REMINDER_PREFS, SESSION
from app.domain.kinds import DELIVERY as DELIVERY
from app.domain.kinds import OUTCOME as OUTCOME
from app.domain.kinds import REMINDER as REMINDER
from app.domain.kinds import REMINDER_CHANNELS as CHANNELS
from app.domain.policy import Operation
from app.domain.reminder_delivery import (
    Answer,
    Channel,
    Delivery,
    Outcome,
    Status,
    outcome_id,
)
from app.domain.reminder_plan import (
    Occurrence,
    Reminder,
    Repeat,
    Schedule,
    Template,
    daily_check_in_reminder,
    logging_nudge_reminder,
    new_reminder,
    occurrences,
    session_of,
    soreness_reminder,
)
from app.domain.reminders import ReminderPrefs
from app.domain.tokens import token_digest
from app.domain.zones import patient_today, to_local
from app.services.access import AccessService
from app.services.base import Clock, Collection, Versioned, new_id, system_clock
from app.services.clinic import ClinicSettings
from app.store.interfaces import Change, RecordStore

# Operations on a patient's reminders. Reads are audited when a clinician does them.
SCHEDULE, READ_PLANS, READ_INBOX, READ_ACTIVITY, RESPOND, CHOOSE_CHANNELS = (
    "schedule", "read_plans", "read_inbox", "read_activity", "respond", "choose_channels")
# Each operation here as the policy knows it. The audit trail names reads in detail
# ("read:reminders:read_inbox").
POLICY_OPERATIONS: dict[str, Operation] = {
    SCHEDULE: Operation.SCHEDULE_REMINDERS,
    READ_PLANS: Operation.READ_REMINDERS,
    READ_INBOX: Operation.READ_REMINDERS,
    READ_ACTIVITY: Operation.READ_REMINDERS,  # whether they logged and responded
    RESPOND: Operation.RESPOND_REMINDER,
    CHOOSE_CHANNELS: Operation.CHOOSE_CHANNELS,
}


def audit_action(operation: str) -> str:
    """How a read of a patient's reminders is named in their audit trail."""
    return f"read:reminders:{operation}"


@dataclass(frozen=True)
class ReminderChannels:
    """A patient's channel choices. The in-app inbox is always on; email can be turned off
    (also by the unsubscribe link in every reminder email)."""

    id: str  # the patient's id
    email: bool = True


@dataclass(frozen=True)
class ReminderLinks:
    """Where links in emails and calendar feeds point (the clinic's public address)."""

    base_url: str

    def inbox(self) -> str:
        return f"{self.base_url.rstrip('/')}/reminders"

    def unsubscribe(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/reminders/unsubscribe/{token}"

    def calendar_feed(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/calendar/{token}.ics"


@dataclass(frozen=True)
class InboxItem:
    delivery: Delivery
    title: str
    action: str  # the route the item leads to
    message: str  # a free message's text (in the app only)
    outcome: Answer | None
    appointment_at: datetime | None = None  # on the patient's wall clock
    place: str = ""
    session_id: str | None = None  # a soreness check: the session it follows

    @property
    def unread(self) -> bool:
        return self.delivery.unread and self.outcome is None


@dataclass(frozen=True)
class SendNow:
    """The care team's "Send now": once, at the minute it is now on each patient's own
    clock (so it is due at once; quiet hours still move it to their end)."""


SEND_NOW = SendNow()
# An occurrence counts from the minute it falls in ("Send now" is due at a minute that has
# begun); how far ahead a preview and the "does it send anything" check look.
_STARTED_MINUTE = timedelta(minutes=1)
_HORIZON = timedelta(days=400)
When = Schedule | SendNow


@dataclass(frozen=True)
class PreviewLine:
    """When a draft reminder would reach one patient, on their own wall clock."""

    patient: Account
    local_times: list[datetime]


class ReminderService:
    def __init__(self, store: RecordStore, access: AccessService,
                 clock: Clock = system_clock,
                 clinic: Callable[[], ClinicSettings] = ClinicSettings) -> None:
        """`clinic` gives the clinic's settings as they are now (ClinicService.current
        in the app; the defaults if not given): the hours of the soreness checks after a
        session and the days before the "not logging" nudge are read at each run, so an
        admin's change applies from the next one."""
        self.store = store
        self.clinic = clinic
        self.access = access
        self.clock = clock
        self.plans = Collection(store, REMINDER, Reminder)
        self.deliveries = Collection(store, DELIVERY, Delivery)
        self.outcomes = Collection(store, OUTCOME, Outcome)
        self.channels = Collection(store, CHANNELS, ReminderChannels)
        self._prefs = Collection(store, REMINDER_PREFS, ReminderPrefs)
        self._sessions = Collection(store, SESSION, e.NeedlingSession)
        self._check_ins = Collection(store, CHECK_IN, e.CheckIn)

    # -- who may --------------------------------------------------------------------

    def authorize(self, actor: Account, patient_id: str, operation: str) -> None:
        """The one check for every operation on a patient's reminders (see the module
        docstring). NotAllowed for anyone but the patient and clinicians they shared with;
        answering a reminder and choosing channels are the patient's own."""
        mapped = POLICY_OPERATIONS[operation]
        self.access.authorize(actor, patient_id, mapped,
                              audit_action(operation) if mapped.is_read else None)

    # -- plans ----------------------------------------------------------------------

    def schedule(self, actor: Account, patient_id: str, *, template: Template,
                 schedule: When, message: str = "", place: str = "",
                 appointment_at: datetime | None = None) -> Reminder:
        return self.schedule_for_group(actor, [patient_id], template=template,
                                       schedule=schedule, message=message, place=place,
                                       appointment_at=appointment_at)[0]

    def schedule_for_group(self, actor: Account, patient_ids: Sequence[str], *,
                           template: Template, schedule: When, message: str = "",
                           place: str = "",
                           appointment_at: datetime | None = None) -> list[Reminder]:
        """One plan per patient, all saved at once or none (a refusal for one patient
        schedules nobody)."""
        if not patient_ids:
            raise InvalidInput.one("patients", "Pick at least one patient.")
        made: list[Reminder] = []
        now = self.clock()
        for patient_id in dict.fromkeys(patient_ids):
            self.authorize(actor, patient_id, SCHEDULE)
            zone = self._zone(patient_id)
            plan = new_reminder(
                id=new_id(), patient_id=patient_id, template=template,
                schedule=self._resolve(schedule, zone, now),
                created_by=actor.id, now=now, timezone=zone,
                message=message, place=place, appointment_at=appointment_at)
            self._check_something_is_sent(plan, zone, now)
            made.append(plan)
        self.store.save_all([Change(REMINDER, r.id, to_json(r), owner=r.patient_id,
                                    expected_version=0) for r in made])
        return made

    def edit(self, actor: Account, reminder_id: str, *, expected_version: int,
             schedule: When, message: str = "", place: str = "",
             appointment_at: datetime | None = None) -> Reminder:
        """A new version of a plan. Occurrences already delivered keep their delivery
        records (they are keyed by occurrence, not by version)."""
        held = self._plan(reminder_id)
        self.authorize(actor, held.patient_id, SCHEDULE)
        if held.cancelled:
            raise InvalidInput.one("reminder", "This reminder was cancelled.")
        now, zone = self.clock(), self._zone(held.patient_id)
        edited = new_reminder(
            id=held.id, patient_id=held.patient_id, template=held.template,
            schedule=self._resolve(schedule, zone, now), created_by=held.created_by,
            now=now, timezone=zone, message=message, place=place,
            appointment_at=appointment_at)
        self._check_something_is_sent(edited, zone, now)
        edited = replace(edited, created_at=held.created_at)
        self.plans.correct(edited, held.patient_id, expected_version)
        return edited

    def cancel(self, actor: Account, reminder_id: str, *, expected_version: int) -> None:
        """Nothing more of this plan is sent; what was sent stays with its record."""
        held = self._plan(reminder_id)
        self.authorize(actor, held.patient_id, SCHEDULE)
        self.plans.correct(replace(held, cancelled=True), held.patient_id, expected_version)

    def planned(self, actor: Account, patient_id: str) -> list[Versioned[Reminder]]:
        """The patient's scheduled plans (cancelled ones too, marked), newest first."""
        self.authorize(actor, patient_id, READ_PLANS)
        return sorted(self.plans.find(patient_id), key=lambda v: v.value.created_at,
                      reverse=True)

    def preview(self, actor: Account, patient_ids: Sequence[str], *, template: Template,
                schedule: When, message: str = "", place: str = "",
                appointment_at: datetime | None = None, count: int = 3) -> list[PreviewLine]:
        """The first `count` times a draft would reach each patient, on their wall clock
        (quiet hours applied). Nothing is saved."""
        lines = []
        now = self.clock()
        for patient_id in dict.fromkeys(patient_ids):
            self.authorize(actor, patient_id, SCHEDULE)
            zone = self._zone(patient_id)
            draft = new_reminder(id="preview", patient_id=patient_id, template=template,
                                 schedule=self._resolve(schedule, zone, now),
                                 created_by=actor.id, now=now,
                                 timezone=zone, message=message, place=place,
                                 appointment_at=appointment_at)
            found = occurrences(draft, zone, self.quiet_hours(patient_id),
                                now - _STARTED_MINUTE, now + _HORIZON, limit=count)
            lines.append(PreviewLine(self.access.accounts.get(patient_id),
                                     [to_local(o.due, zone) for o in found]))
        return lines

    @staticmethod
    def _resolve(schedule: When, zone: str, now: datetime) -> Schedule:
        """"Send now" as a plan: once, today at this minute on the patient's clock. The
        minute has begun already; the plan still owns it (an occurrence counts from a
        minute before the plan was made), so the next scheduler run delivers it."""
        if isinstance(schedule, Schedule):
            return schedule
        local = to_local(now, zone)
        return Schedule(Repeat.ONCE, first_day=local.date(), at=f"{local:%H:%M}")

    def _check_something_is_sent(self, plan: Reminder, zone: str, now: datetime) -> None:
        """Refuse a plan that would never send anything (a time today that has passed, a
        last day before today): saved, it would sit in the list and do nothing."""
        if occurrences(plan, zone, self.quiet_hours(plan.patient_id), now - _STARTED_MINUTE,
                       now + _HORIZON, limit=1):
            return
        name = self.access.accounts.get(plan.patient_id).name
        field = "appointment_at" if plan.template is Template.APPOINTMENT else "first_day"
        raise InvalidInput.one(field, f"That time has passed on {name}'s clock ({zone}): "
                                      "nothing would be sent.")

    def _plan(self, reminder_id: str) -> Reminder:
        found = self.plans.get(reminder_id)
        if found is None:
            raise NotFound("No such reminder.")
        return found.value

    # -- what the scheduler needs (system side, no actor) -----------------------------

    def _zone(self, patient_id: str) -> str:
        return self.access.accounts.get(patient_id).timezone

    def quiet_hours(self, patient_id: str) -> ReminderPrefs:
        found = self._prefs.get(patient_id)
        return found.value if found else ReminderPrefs(patient_id)

    def plans_for_delivery(self, since: datetime,
                           patient_id: str | None = None) -> list[tuple[Reminder, str]]:
        """Every live plan with its patient's zone (of one patient, or everyone's):
        scheduled ones (a clinician's while the patient still shares with them), each
        patient's daily check-in and nudge, and the soreness checks of sessions whose last
        check is after `since`."""
        zones: dict[str, str] = {}
        settings = self.clinic()  # once a run: one answer for every patient

        def zone(patient_id: str) -> str:
            if patient_id not in zones:
                zones[patient_id] = self._zone(patient_id)
            return zones[patient_id]

        # A clinician's reminders reach the patient only while the patient shares with
        # them: "stop sharing" also stops what that person scheduled.
        shared = {(g.value.patient_id, g.value.clinician_id)
                  for g in self.access.grants.find(patient_id, revoked=False)}
        found = [(v.value, zone(v.value.patient_id)) for v in self.plans.find(patient_id)
                 if not v.value.cancelled and (
                     v.value.created_by == v.value.patient_id
                     or (v.value.patient_id, v.value.created_by) in shared)]
        for patient in self._patients(patient_id):
            # A patient who never saved reminder settings has the defaults Settings shows
            # them (daily check-in on), not none.
            prefs = self.quiet_hours(patient.id)
            # The daily reminder counts from the patient's first day here (occurrences are
            # keyed by day, so changing its time never sends a day's reminder twice).
            daily = daily_check_in_reminder(prefs, patient.created_at)
            if daily is not None:
                found.append((daily, zone(daily.patient_id)))
            last = self.last_check_in(patient.id)
            if last is not None:
                nudge = logging_nudge_reminder(
                    prefs, patient_today(last, zone(patient.id)),
                    after_days=settings.nudge_after_days)
                if nudge is not None:
                    found.append((nudge, zone(nudge.patient_id)))
        window = max(settings.soreness_check_hours, default=0)
        for session in self._sessions.find(patient_id):
            s = session.value
            if s.performed_at + timedelta(hours=window) >= since and \
                    self.quiet_hours(s.patient_id).session_follow_ups:
                found.append((soreness_reminder(
                    session_id=s.id, patient_id=s.patient_id, performed_at=s.performed_at,
                    hours=settings.soreness_check_hours), zone(s.patient_id)))
        return found

    def _patients(self, patient_id: str | None) -> list[Account]:
        """The patient accounts automatic reminders are for: one, or every patient."""
        if patient_id is None:
            return self.access.accounts.with_role(Role.PATIENT)
        account = self.access.accounts.get(patient_id)
        return [account] if account.role is Role.PATIENT else []

    def last_check_in(self, patient_id: str) -> datetime | None:
        """When the patient last checked in (whether they log is within every scope that
        may see reminders; the scores are not read here)."""
        times = [v.value.recorded_at for v in self._check_ins.find(patient_id)]
        return max(times, default=None)

    def check_in_days(self, patient_id: str) -> set[date]:
        """The patient's own calendar days with a check-in (their zone)."""
        zone = self._zone(patient_id)
        return {patient_today(v.value.recorded_at, zone)
                for v in self._check_ins.find(patient_id)}

    def session_times(self, patient_id: str) -> list[datetime]:
        """When the patient's needling sessions were (for picking a group to remind)."""
        return [v.value.performed_at for v in self._sessions.find(patient_id)]

    def channels_of(self, patient_id: str) -> ReminderChannels:
        found = self.channels.get(patient_id)
        return found.value if found else ReminderChannels(patient_id)

    # -- the patient's side ---------------------------------------------------------

    def set_email(self, actor: Account, patient_id: str, on: bool) -> ReminderChannels:
        self.authorize(actor, patient_id, CHOOSE_CHANNELS)
        return self._save_channels(patient_id, on)

    def unsubscribe(self, token: str) -> bool:
        """Turn email reminders off for the patient whose reminder email carried this
        unsubscribe link (no sign-in: the link is the proof). False for a token no email
        carried."""
        matches = self.deliveries.find(None, unsubscribe_sha256=token_digest(token))
        if not matches or not token:
            return False
        self._save_channels(matches[0].value.patient_id, False)
        return True

    def _save_channels(self, patient_id: str, email: bool) -> ReminderChannels:
        found = self.channels.get(patient_id)
        current = found.value if found else ReminderChannels(patient_id)
        updated = replace(current, email=email)
        if found is None:
            self.channels.add(updated, owner=patient_id)
        else:
            self.channels.correct(updated, patient_id, found.version)
        return updated

    def inbox(self, actor: Account, patient_id: str) -> list[InboxItem]:
        """The patient's in-app reminders, newest first, each with its outcome."""
        self.authorize(actor, patient_id, READ_INBOX)
        return self._inbox(patient_id)

    def _inbox(self, patient_id: str) -> list[InboxItem]:
        delivered = [v.value for v in self.deliveries.find(
            patient_id, channel=Channel.IN_APP.value, status=Status.DELIVERED.value)]
        answers = {o.value.id: o.value.answer for o in self.outcomes.find(patient_id)}
        zone = self._zone(patient_id)
        items = []
        for d in delivered:
            found = self.plans.get(d.reminder_id)
            plan = found.value if found else None
            appointment = plan.appointment_at if plan else None
            items.append(InboxItem(
                delivery=d, title=d.template.label, action=d.template.action,
                message=plan.message if plan else "",
                outcome=answers.get(outcome_id(d.reminder_id, d.occurrence_key)),
                appointment_at=to_local(appointment, zone) if appointment else None,
                place=plan.place if plan else "", session_id=session_of(d.reminder_id)))
        return sorted(items, key=lambda i: i.delivery.due_at, reverse=True)

    def unread_count(self, actor: Account, patient_id: str) -> int:
        """For the badge on Today and the navigation: the patient's own, not audited as a
        clinician read (only the patient is shown a badge)."""
        self.authorize(actor, patient_id, RESPOND)
        return sum(1 for item in self._inbox(patient_id) if item.unread)

    def open_item(self, actor: Account, delivery_id: str) -> Delivery:
        """The patient opened an inbox item: it is read (no longer counted as unread)."""
        found = self.deliveries.get(delivery_id)
        if found is None or found.value.channel is not Channel.IN_APP:
            raise NotFound("No such reminder.")
        self.authorize(actor, found.value.patient_id, RESPOND)
        if found.value.opened_at is not None:
            return found.value
        opened = replace(found.value, opened_at=self.clock())
        self.deliveries.correct(opened, opened.patient_id, found.version)
        return opened

    def respond(self, actor: Account, delivery_id: str, answer: Answer) -> Outcome:
        """"Done" or "Not now" for one occurrence (a later answer replaces an earlier one;
        history keeps both)."""
        found = self.deliveries.get(delivery_id)
        if found is None or found.value.channel is not Channel.IN_APP:
            raise NotFound("No such reminder.")
        d = found.value
        self.authorize(actor, d.patient_id, RESPOND)
        outcome = Outcome(outcome_id(d.reminder_id, d.occurrence_key), d.reminder_id,
                          d.patient_id, d.occurrence_key, answer, self.clock())
        held = self.outcomes.get(outcome.id)
        if held is None:
            self.outcomes.add(outcome, owner=d.patient_id)
        else:
            self.outcomes.correct(outcome, d.patient_id, held.version)
        if d.opened_at is None:
            self.open_item(actor, delivery_id)
        return outcome

    def next_reminder(self, actor: Account, patient_id: str) -> datetime | None:
        """When the patient's next reminder comes (their wall clock), for Today."""
        self.authorize(actor, patient_id, READ_PLANS)
        now = self.clock()
        zone = self._zone(patient_id)
        quiet = self.quiet_hours(patient_id)
        soonest: list[Occurrence] = []
        for plan, _ in self.plans_for_delivery(now, patient_id):
            soonest += occurrences(plan, zone, quiet, now, now + timedelta(days=60), limit=1)
        first = min(soonest, key=lambda o: o.due, default=None)
        return to_local(first.due, zone) if first else None

