"""A patient's private calendar feed (ICS) of their reminders and appointments, which phone
calendars subscribe to so the phone alerts even when BackTrack is closed; and one
appointment as a single .ics file.

The feed's address carries a long secret token (256 bits). Only its SHA-256 is stored, so
a backup or an export never holds a working address; the patient sees the address once
when turning the feed on, and can get a new one (the old one stops) or turn it off.
An unknown token and a revoked one are refused the same way (NotFound, one lookup each).

What a feed says: the template's title and, for an appointment, the clinic's place. Never
scores, symptoms or a free message's text: calendars sync to other companies' servers.

Recurring plans become one event with an RRULE in the patient's zone (the phone applies
daylight saving as the scheduler does, RFC 5545); fixed moments become one event each.
Quiet hours are applied as the scheduler applies them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from app.domain.accounts import Account
from app.domain.errors import NotFound
from app.domain.kinds import CALENDAR_FEED as FEED
from app.domain.reminder_plan import Reminder, Repeat, Template, occurrences, wall_to_instant
from app.domain.reminders import ReminderPrefs
from app.domain.tokens import token_digest
from app.domain.zones import zone_of
from app.services.base import Clock, Collection, system_clock
from app.services.reminders import CHOOSE_CHANNELS, ReminderLinks, ReminderService
from app.store.interfaces import RecordStore

TOKEN_BYTES = 32
# How far the feed looks back and ahead for one-off events (recurring ones carry an RRULE).
FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=120)
REMINDER_EVENT_LENGTH = timedelta(minutes=15)
# The clinic does not tell us how long an appointment takes; an hour blocks the time.
APPOINTMENT_LENGTH = timedelta(hours=1)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
NO_SUCH_CALENDAR = "No such calendar."


@dataclass(frozen=True)
class CalendarFeed:
    id: str  # the patient's id: one feed per patient
    token_sha256: str
    created_at: datetime
    revoked: bool = False


class CalendarFeedService:
    def __init__(self, store: RecordStore, reminders: ReminderService, links: ReminderLinks,
                 clock: Clock = system_clock) -> None:
        self.feeds = Collection(store, FEED, CalendarFeed)
        self.reminders = reminders
        self.links = links
        self.clock = clock

    # -- the patient's switch ------------------------------------------------------------

    def turn_on(self, actor: Account, patient_id: str) -> str:
        """A new private feed address (any earlier one stops working). Shown once."""
        self._only_the_patient(actor, patient_id)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        feed = CalendarFeed(patient_id, token_digest(token), self.clock())
        held = self.feeds.get(patient_id)
        if held is None:
            self.feeds.add(feed, owner=patient_id)
        else:
            self.feeds.correct(feed, patient_id, held.version)
        return self.links.calendar_feed(token)

    def revoke(self, actor: Account, patient_id: str) -> None:
        self._only_the_patient(actor, patient_id)
        held = self.feeds.get(patient_id)
        if held is not None and not held.value.revoked:
            self.feeds.correct(CalendarFeed(patient_id, held.value.token_sha256,
                                            held.value.created_at, revoked=True),
                               patient_id, held.version)

    def is_on(self, actor: Account, patient_id: str) -> bool:
        self._only_the_patient(actor, patient_id)
        held = self.feeds.get(patient_id)
        return held is not None and not held.value.revoked

    def _only_the_patient(self, actor: Account, patient_id: str) -> None:
        """The feed is one of the patient's channels: their choice alone."""
        self.reminders.authorize(actor, patient_id, CHOOSE_CHANNELS)

    # -- serving ---------------------------------------------------------------------

    def feed(self, token: str) -> bytes:
        """The feed behind a token (no sign-in: the token is the proof). NotFound, with the
        same message, for a token never made, replaced or revoked."""
        found = self.feeds.find(None, token_sha256=token_digest(token))
        if not found or found[0].value.revoked:
            raise NotFound(NO_SUCH_CALENDAR)
        patient_id = found[0].value.id
        zone = self.reminders.access.accounts.get(patient_id).timezone
        now = self.clock()
        calendar = _calendar("BackTrack reminders")
        for plan, _ in self.reminders.plans_for_delivery(now - FEED_PAST, patient_id):
            for event in self._events(plan, zone, now):
                calendar.add_component(event)
        calendar.add_missing_timezones()
        return bytes(calendar.to_ical())

    def appointment_ics(self, actor: Account, reminder_id: str) -> bytes:
        """One appointment as a single .ics file (for "Add to calendar")."""
        held = self.reminders.plans.get(reminder_id)
        if held is None or held.value.template is not Template.APPOINTMENT \
                or held.value.appointment_at is None:
            raise NotFound("No such appointment.")
        plan = held.value
        self.reminders.planned(actor, plan.patient_id)  # the access check (audited)
        zone = self.reminders.access.accounts.get(plan.patient_id).timezone
        calendar = _calendar("Appointment")
        calendar.add_component(self._appointment(plan, zone))
        calendar.add_missing_timezones()
        return bytes(calendar.to_ical())

    # -- events ----------------------------------------------------------------------

    def _events(self, plan: Reminder, zone: str, now: datetime) -> list[Event]:
        if plan.template is Template.APPOINTMENT and plan.appointment_at is not None:
            return [self._appointment(plan, zone)]
        quiet = self.reminders.quiet_hours(plan.patient_id)
        if plan.schedule.repeat in (Repeat.DAILY, Repeat.WEEKDAYS):
            recurring = self._recurring(plan, zone, quiet)
            return [recurring] if recurring is not None else []
        found = occurrences(plan, zone, quiet, now - FEED_PAST, now + FEED_AHEAD)
        return [_reminder_event(f"{plan.id}-{o.key}", plan.template,
                                o.due.astimezone(zone_of(zone) or UTC), self.clock())
                for o in found]

    def _recurring(self, plan: Reminder, zone_name: str,
                   quiet: ReminderPrefs) -> Event | None:
        """One event with an RRULE, starting at the plan's first occurrence as the
        scheduler moves it (quiet hours can move it to another time or the next day)."""
        zone = zone_of(zone_name) or UTC
        first = occurrences(plan, zone_name, quiet, plan.created_at - timedelta(days=2),
                            plan.created_at + timedelta(days=400), limit=1)
        if not first:
            return None
        start = first[0].due.astimezone(zone)
        planned_day = first[0].planned.astimezone(zone).date()
        shift = (start.date() - planned_day).days
        rule: dict[str, object] = {"freq": "daily"}
        if plan.schedule.repeat is Repeat.WEEKDAYS:
            rule = {"freq": "weekly",
                    "byday": [_WEEKDAYS[(d + shift) % 7] for d in sorted(plan.schedule.weekdays)]}
        if plan.schedule.until is not None:
            last = wall_to_instant(plan.schedule.until + timedelta(days=shift), start.time(), zone)
            rule["until"] = last.astimezone(UTC)
        event = _reminder_event(plan.id, plan.template, start, self.clock())
        event.add("rrule", rule)
        return event

    def _appointment(self, plan: Reminder, zone_name: str) -> Event:
        assert plan.appointment_at is not None
        start = plan.appointment_at.astimezone(zone_of(zone_name) or UTC)
        event = Event()
        event.add("uid", f"{plan.id}@backtrack")
        event.add("dtstamp", self.clock().astimezone(UTC))
        event.add("dtstart", start)
        event.add("dtend", start + APPOINTMENT_LENGTH)
        event.add("summary", "Appointment at your clinic")
        if plan.place:
            event.add("location", plan.place)
        # The day before (nominal day: same wall-clock time, as the scheduler) and 2 h before.
        for before in (timedelta(days=1), timedelta(hours=2)):
            event.add_component(_alarm(-before, "Appointment at your clinic"))
        return event


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//BackTrack//Reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    return calendar


def _reminder_event(uid: str, template: Template, start: datetime, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@backtrack")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start)
    event.add("duration", REMINDER_EVENT_LENGTH)
    event.add("summary", template.label)
    event.add_component(_alarm(timedelta(0), template.label))
    return event


def _alarm(trigger: timedelta, text: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", trigger)
    alarm.add("description", text)
    return alarm
