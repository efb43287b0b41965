"""Reminders the care team (or the app itself) schedules for a patient, CareKit-style:
a *plan* (what, for whom, on which schedule) whose *occurrences* are computed, each with
an optional outcome ("no outcome = not done yet"). Stored are the plan and, per
occurrence, what happened (app/services); the occurrences themselves are never stored.

Times. A schedule is written in the patient's wall-clock time ("19:00 every day"); an
occurrence is an instant (UTC). Daylight saving follows RFC 5545 §3.3.5: a wall time that
does not exist that day (the spring-forward gap) happens the gap's length later (02:30
becomes 03:30); a wall time that happens twice (fall back) is the first of the two. Either
way a daily reminder happens exactly once a day.

Quiet hours move an occurrence to the moment they end; it is never dropped. The quiet-hours
rule itself is the one in app.domain.reminders (the patient's preferences).

What "late" and "stale" mean for a reminder that fell due while nobody could send it is
decided here (`fate`), so the scheduler and the command line cannot disagree.

Pure: no store, no UI; callers pass the clock's "now".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from itertools import pairwise

from app.domain.reminders import FOLLOW_UP_HOURS, ReminderPrefs, after_quiet_hours, parse_hhmm
from app.domain.validation import Problems
from app.domain.zones import zone_of

MESSAGE_MAX_CHARS = 500
PLACE_MAX_CHARS = 120
# A reminder sent this long after it fell due says so ("late"): a cron job every 5 minutes
# or a scheduler that was busy for a moment is still on time.
LATE_AFTER = timedelta(minutes=15)
# An appointment is reminded the day before (same wall-clock time) and this long before.
APPOINTMENT_SHORT_NOTICE = timedelta(hours=2)
# How long after it fell due a reminder still makes sense, when no later occurrence of the
# same plan has replaced it. A daily check-in asks about today; a message can wait a week.
# An appointment reminder is stale once the appointment has begun.
_STILL_USEFUL_FOR: dict[str, timedelta] = {
    "daily_check_in": timedelta(hours=18),
    "soreness_check": timedelta(hours=24),
    "home_exercise": timedelta(hours=18),
    "appointment": timedelta(days=2),
    "message": timedelta(days=7),
    "logging_nudge": timedelta(hours=18),
}
# A gentle nudge after this many days without a check-in (a clinic setting; issue 13's
# default).
NUDGE_AFTER_DAYS = 3
# The care team's groups to send to (issue 13): "not logged for N days" and "a session in
# the last 2 days" (the first part of the soreness follow-up window).
NOT_LOGGING_GROUP_DAYS = 3
RECENT_SESSION_GROUP_DAYS = 2
# What a clinic may set (ClinicSettings, checked by `check_soreness_hours` and
# `check_nudge_days` for every way in). Soreness after needling settles within about 72 h
# (the source is at FOLLOW_UP_HOURS), so a check more than a week after a session asks
# about nothing left; four checks cover "same evening, next day, day two, day three".
# A nudge later than two weeks comes after the patient has long stopped.
SORENESS_CHECKS_MAX = 4
SORENESS_CHECK_LATEST_HOURS = 168  # a week
NUDGE_DAYS_FEWEST, NUDGE_DAYS_MOST = 1, 14
# Nothing that fell due longer ago than this can still be sent: how far back the scheduler
# looks after downtime.
LONGEST_USEFUL = max(_STILL_USEFUL_FOR.values())


class Template(StrEnum):
    DAILY_CHECK_IN = "daily_check_in"
    SORENESS_CHECK = "soreness_check"
    HOME_EXERCISE = "home_exercise"
    APPOINTMENT = "appointment"
    MESSAGE = "message"
    LOGGING_NUDGE = "logging_nudge"

    @property
    def label(self) -> str:
        """The reminder's title as the patient reads it (no scores, no symptoms: it also
        shows in a phone's calendar)."""
        return {
            "daily_check_in": "Time for your daily check-in",
            "soreness_check": "How is the soreness after your session?",
            "home_exercise": "Time for your home exercises",
            "appointment": "Appointment reminder",
            "message": "A message from your clinic",
            "logging_nudge": "We have not heard from you for a few days: a quick check-in?",
        }[self.value]

    @property
    def action(self) -> str:
        """The route an inbox item leads to."""
        return {
            "daily_check_in": "/checkin",
            "soreness_check": "/soreness",
            "home_exercise": "/activities",
            "appointment": "/reminders",
            "message": "/reminders",
            "logging_nudge": "/checkin",
        }[self.value]


class Repeat(StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKDAYS = "weekdays"  # the chosen days of the week
    AT_MOMENTS = "at_moments"  # fixed instants: soreness checks, appointment reminders


@dataclass(frozen=True)
class Schedule:
    repeat: Repeat
    first_day: date | None = None  # the patient's local day of the first occurrence
    at: str = "09:00"  # local wall-clock HH:MM
    weekdays: tuple[int, ...] = ()  # 0 = Monday … 6 = Sunday (WEEKDAYS)
    until: date | None = None  # last local day included (DAILY, WEEKDAYS)
    moments: tuple[datetime, ...] = ()  # AT_MOMENTS, each zone-aware


@dataclass(frozen=True)
class Reminder:
    """One plan for one patient. A correction (edit, cancel) is a new version."""

    id: str
    patient_id: str
    template: Template
    schedule: Schedule
    created_by: str  # account id, or "automatic"
    created_at: datetime
    message: str = ""  # free message: shown in the app only, never in an email
    place: str = ""  # appointment
    appointment_at: datetime | None = None
    cancelled: bool = False


@dataclass(frozen=True)
class Occurrence:
    """One time a reminder happens. `key` names it for good within its reminder (the
    local day for calendar schedules, the UTC minute for fixed moments), so a delivery or
    an outcome can point at it even after the plan is edited: a daily reminder whose time
    changes is not sent twice that day, a moved appointment is reminded again."""

    reminder_id: str
    key: str
    planned: datetime  # UTC, as scheduled
    due: datetime  # UTC, after quiet hours (== planned outside them)
    expires: datetime  # UTC: from then on it no longer makes sense to send

    @property
    def moved_by_quiet_hours(self) -> bool:
        return self.due != self.planned


class Fate(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    STALE = "stale"


def fate(occurrence: Occurrence, now: datetime) -> Fate:
    """Whether an occurrence due by `now` is sent on time, sent marked late, or skipped."""
    if now >= occurrence.expires:
        return Fate.STALE
    return Fate.LATE if now - occurrence.due > LATE_AFTER else Fate.ON_TIME


def already_done(template: Template, due_local_day: date, check_in_days: set[date]) -> bool:
    """A check-in reminder for a day on which the patient has already checked in is not
    sent: it would ask for something done (CareKit would show the event as complete)."""
    return template in (Template.DAILY_CHECK_IN, Template.LOGGING_NUDGE) \
        and due_local_day in check_in_days


# -- building plans -------------------------------------------------------------------

def new_reminder(*, id: str, patient_id: str, template: Template, schedule: Schedule,
                 created_by: str, now: datetime, timezone: str, message: str = "",
                 place: str = "", appointment_at: datetime | None = None) -> Reminder:
    """A checked plan (InvalidInput names each wrong field). An appointment's schedule is
    made here from its time: the day before at the same wall-clock time, and 2 h before."""
    p = Problems()
    text = " ".join(message.split())
    if template is Template.MESSAGE and not text:
        p.add("message", "Please write the message.")
    if len(text) > MESSAGE_MAX_CHARS:
        p.add("message", f"Keep the message under {MESSAGE_MAX_CHARS} characters.")
    clean_place = " ".join(place.split())
    if len(clean_place) > PLACE_MAX_CHARS:
        p.add("place", f"Keep the place under {PLACE_MAX_CHARS} characters.")
    zone = zone_of(timezone) or UTC
    if template is Template.APPOINTMENT:
        if appointment_at is None or appointment_at.tzinfo is None:
            p.add("appointment_at", "Pick the appointment's date and time.")
        elif appointment_at <= now:
            p.add("appointment_at", "The appointment is in the past. Check the date.")
        else:
            schedule = appointment_schedule(appointment_at, zone)
    else:
        _check_schedule(p, schedule)
    p.raise_if_any()
    return Reminder(id=id, patient_id=patient_id, template=template, schedule=schedule,
                    created_by=created_by, created_at=now, message=text, place=clean_place,
                    appointment_at=appointment_at)


def _check_schedule(p: Problems, schedule: Schedule) -> None:
    if schedule.repeat is Repeat.AT_MOMENTS:
        if not schedule.moments or any(m.tzinfo is None for m in schedule.moments):
            p.add("schedule", "Pick at least one time.")
        return
    parse_hhmm(p, "at", schedule.at)
    if schedule.first_day is None:
        p.add("first_day", "Pick the first day.")
    if schedule.repeat is Repeat.WEEKDAYS and (
            not schedule.weekdays or any(not 0 <= d <= 6 for d in schedule.weekdays)):
        p.add("weekdays", "Pick at least one day of the week.")
    if schedule.until is not None and schedule.first_day is not None \
            and schedule.until < schedule.first_day:
        p.add("until", "The last day is before the first day.")


def appointment_schedule(appointment_at: datetime, zone: tzinfo) -> Schedule:
    local = appointment_at.astimezone(zone)
    day_before = wall_to_instant(local.date() - timedelta(days=1), local.time(), zone)
    short = appointment_at - APPOINTMENT_SHORT_NOTICE
    return Schedule(Repeat.AT_MOMENTS, moments=(day_before, short.astimezone(UTC)))


def soreness_reminder(*, session_id: str, patient_id: str, performed_at: datetime,
                      hours: tuple[int, ...] = FOLLOW_UP_HOURS) -> Reminder:
    """The automatic soreness check-ins after a needling session (clinic-configured hours,
    24 h and 48 h by default). Its id comes from the session, so it exists once."""
    moments = tuple((performed_at + timedelta(hours=h)).astimezone(UTC) for h in hours)
    return Reminder(id=f"{_SORENESS_PREFIX}{session_id}", patient_id=patient_id,
                    template=Template.SORENESS_CHECK,
                    schedule=Schedule(Repeat.AT_MOMENTS, moments=moments),
                    created_by="automatic", created_at=performed_at)


_SORENESS_PREFIX = "soreness-"


def session_of(reminder_id: str) -> str | None:
    """The needling session a soreness check-in follows (its logging screen opens on it)."""
    return reminder_id.removeprefix(_SORENESS_PREFIX) \
        if reminder_id.startswith(_SORENESS_PREFIX) else None


def daily_check_in_reminder(prefs: ReminderPrefs, since: datetime) -> Reminder | None:
    """The patient's own daily check-in reminder, from their preferences (None if off).
    Its id comes from the patient, so it exists once; `since` is when it took effect."""
    if not prefs.daily_check_in:
        return None
    return Reminder(id=f"daily-{prefs.id}", patient_id=prefs.id,
                    template=Template.DAILY_CHECK_IN,
                    schedule=Schedule(Repeat.DAILY, first_day=since.date(),
                                      at=prefs.check_in_time),
                    created_by="automatic", created_at=since)


def logging_nudge_reminder(prefs: ReminderPrefs, last_check_in_day: date, *,
                           after_days: int = NUDGE_AFTER_DAYS) -> Reminder | None:
    """A nudge `after_days` days after the patient's last check-in, at their check-in
    time (None if they turned check-in reminders off). Its id names that last day: a new
    check-in makes it another nudge, and this one is no longer derived (never sent)."""
    if not prefs.daily_check_in:
        return None
    day = last_check_in_day + timedelta(days=after_days)
    return Reminder(id=f"nudge-{prefs.id}-{last_check_in_day.isoformat()}",
                    patient_id=prefs.id, template=Template.LOGGING_NUDGE,
                    schedule=Schedule(Repeat.ONCE, first_day=day, at=prefs.check_in_time),
                    created_by="automatic",
                    created_at=datetime.combine(last_check_in_day, time(0), UTC))


# -- occurrences ----------------------------------------------------------------------

def wall_to_instant(day: date, at: time, zone: tzinfo) -> datetime:
    """The instant a wall-clock time happens in a zone (RFC 5545: a time in the gap moves
    forward by the gap, a repeated time is the first one)."""
    local = datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    return local.astimezone(UTC)


def occurrences(reminder: Reminder, timezone: str, quiet: ReminderPrefs | None,
                start: datetime, end: datetime, limit: int | None = None) -> list[Occurrence]:
    """Occurrences whose due time (after quiet hours) is in [start, end), in order, at most
    `limit` of them. None for a cancelled plan, and none before the plan was made."""
    if reminder.cancelled:
        return []
    zone = zone_of(timezone) or UTC
    found: list[Occurrence] = []
    planned = _planned(reminder, zone, start - timedelta(days=2))
    current = next(planned, None)
    while current is not None:
        following = next(planned, None)
        key, when = current
        due = _after_quiet(when, zone, quiet)
        if due >= end:
            break
        later = _after_quiet(following[1], zone, quiet) if following else None
        expires = _expiry(reminder, due, later)
        if due >= start and when >= reminder.created_at - timedelta(minutes=1):
            found.append(Occurrence(reminder.id, key, when, due, expires))
            if limit is not None and len(found) >= limit:
                break
        current = following
    return found


def _planned(reminder: Reminder, zone: tzinfo,
             from_moment: datetime) -> Iterator[tuple[str, datetime]]:
    schedule = reminder.schedule
    if schedule.repeat is Repeat.AT_MOMENTS:
        keys: set[str] = set()
        for moment in sorted(schedule.moments):
            # Keyed by the moment itself: a rescheduled appointment is reminded again.
            at_utc = moment.astimezone(UTC)
            key = at_utc.strftime("%Y%m%dT%H%MZ")
            # Two moments in one minute are one reminder (the same key twice made one
            # delivery run refuse its whole batch, for every patient).
            if at_utc >= from_moment and key not in keys:  # earlier ones cannot fall in
                keys.add(key)
                yield key, at_utc
        return
    assert schedule.first_day is not None  # checked by new_reminder
    at = parse_hhmm(Problems(), "at", schedule.at)
    local_start = from_moment.astimezone(zone).date()
    day = max(schedule.first_day, local_start)
    if schedule.repeat is Repeat.ONCE:
        if day == schedule.first_day:
            yield schedule.first_day.isoformat(), wall_to_instant(schedule.first_day, at, zone)
        return
    while schedule.until is None or day <= schedule.until:
        if schedule.repeat is Repeat.DAILY or day.weekday() in schedule.weekdays:
            yield day.isoformat(), wall_to_instant(day, at, zone)
        day += timedelta(days=1)


def _after_quiet(when: datetime, zone: tzinfo, quiet: ReminderPrefs | None) -> datetime:
    if quiet is None:
        return when
    local = when.astimezone(zone)
    moved = after_quiet_hours(local, quiet)
    if moved == local:
        return when
    return wall_to_instant(moved.date(), moved.time(), zone)  # the end may fall in a gap


def _expiry(reminder: Reminder, due: datetime, later_due: datetime | None) -> datetime:
    """When an occurrence stops making sense: once the next one of the same plan is due
    (yesterday's check-in is replaced by today's), after its template's useful time, or
    for an appointment once it has begun."""
    limits = [due + _STILL_USEFUL_FOR[reminder.template.value]]
    if later_due is not None:
        limits.append(later_due)
    if reminder.appointment_at is not None:
        limits.append(reminder.appointment_at.astimezone(UTC))
    return min(limits)


def next_occurrence(reminder: Reminder, timezone: str, quiet: ReminderPrefs | None,
                    now: datetime, horizon: timedelta = timedelta(days=400)) -> Occurrence | None:
    """The first occurrence due after `now` (a preview, or "next reminder" on Today)."""
    upcoming = occurrences(reminder, timezone, quiet, now, now + horizon, limit=1)
    return upcoming[0] if upcoming else None


# -- the clinic's automatic-reminder settings --------------------------------------------

def check_soreness_hours(problems: Problems, field: str,
                         value: str | Sequence[int]) -> tuple[int, ...]:
    """The hours after a session at which the patient is asked about soreness, as typed
    ("24, 48") or as numbers: 1 to SORENESS_CHECKS_MAX of them, each a whole number of
    hours from 1 to a week, earliest first and each once (the order they are sent in)."""
    if isinstance(value, str):
        words = [w for w in re.split(r"[,;\s]+", value.strip()) if w]
        if any(not w.isdecimal() for w in words):
            problems.add(field, "Enter whole hours separated by commas, like 24, 48.")
            return ()
        hours = [_whole(w) for w in words]
    else:
        if any(isinstance(h, bool) or not isinstance(h, int) for h in value):
            problems.add(field, "Enter whole hours separated by commas, like 24, 48.")
            return ()
        hours = list(value)
    if not hours:
        problems.add(field, "Enter at least one time, like 24, 48.")
    elif len(hours) > SORENESS_CHECKS_MAX:
        problems.add(field, f"Up to {SORENESS_CHECKS_MAX} soreness checks after a session; "
                            f"you entered {len(hours)}.")
    elif outside := [h for h in hours if not 1 <= h <= SORENESS_CHECK_LATEST_HOURS]:
        problems.add(field, f"Each check is from 1 to {SORENESS_CHECK_LATEST_HOURS} hours "
                            f"(a week) after the session; {_shown(outside[0])} is not.")
    elif any(later <= earlier for earlier, later in pairwise(hours)):
        problems.add(field, "List each hour once, earliest first, like 24, 48.")
    return tuple(hours)


def check_nudge_days(problems: Problems, field: str, value: str | int) -> int:
    """Days without a check-in before the patient gets a gentle nudge, as typed ("3") or as
    a number: a whole number from NUDGE_DAYS_FEWEST to NUDGE_DAYS_MOST."""
    wrong = (f"Enter a whole number of days from {NUDGE_DAYS_FEWEST} to "
             f"{NUDGE_DAYS_MOST}, like {NUDGE_AFTER_DAYS}.")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdecimal():
            problems.add(field, wrong)
            return NUDGE_AFTER_DAYS
        days = _whole(text)
    elif isinstance(value, bool) or not isinstance(value, int):
        problems.add(field, wrong)
        return NUDGE_AFTER_DAYS
    else:
        days = value
    if not NUDGE_DAYS_FEWEST <= days <= NUDGE_DAYS_MOST:
        problems.add(field, f"Choose from {NUDGE_DAYS_FEWEST} to {NUDGE_DAYS_MOST} days; "
                            f"you entered {_shown(days)}.")
    return days


_FAR_OUT = 10**6


def _whole(digits: str) -> int:
    """Typed digits as a number; a very long run of them as "far out of range" (Python
    refuses to convert more than 4,300 digits)."""
    return int(digits) if len(digits) <= 6 else _FAR_OUT


def _shown(number: int) -> str:
    return str(number) if number < _FAR_OUT else "a number far outside that"
