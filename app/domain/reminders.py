"""A patient's reminder preferences and when the next reminder is due.

Reminders here are the patient's own: a daily check-in at a chosen local time and
soreness checks at fixed hours after each needling session, skipping quiet hours.
Pure: callers pass local times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from app.domain.entries import NeedlingSession
from app.domain.validation import Problems

# Soreness follow-ups after a session: it is usually strongest in the first day and
# settles within about 72 h (Martín-Pintado-Zugasti et al. 2016), so ask at 24 h and 48 h.
FOLLOW_UP_HOURS: tuple[int, ...] = (24, 48)


@dataclass(frozen=True)
class ReminderPrefs:
    id: str  # the patient's id: one set of preferences per patient
    daily_check_in: bool = True
    check_in_time: str = "19:00"  # local HH:MM
    session_follow_ups: bool = True
    quiet_from: str = "22:00"
    quiet_until: str = "07:00"


@dataclass(frozen=True)
class Due:
    at: datetime
    what: str


def parse_hhmm(problems: Problems, field: str, value: str) -> time:
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        problems.add(field, "Use a time like 19:00.")
        return time(0, 0)


def check_prefs(prefs: ReminderPrefs) -> ReminderPrefs:
    p = Problems()
    for field in ("check_in_time", "quiet_from", "quiet_until"):
        parse_hhmm(p, field, getattr(prefs, field))
    p.raise_if_any()
    return prefs


def in_quiet_hours(moment: datetime, prefs: ReminderPrefs) -> bool:
    p = Problems()
    start, end = parse_hhmm(p, "quiet_from", prefs.quiet_from), parse_hhmm(
        p, "quiet_until", prefs.quiet_until)
    now = moment.time()
    if start == end:
        return False
    return start <= now or now < end if start > end else start <= now < end


def after_quiet_hours(moment: datetime, prefs: ReminderPrefs) -> datetime:
    """Move a reminder that falls in quiet hours to the moment they end."""
    if not in_quiet_hours(moment, prefs):
        return moment
    until = parse_hhmm(Problems(), "quiet_until", prefs.quiet_until)
    candidate = moment.replace(hour=until.hour, minute=until.minute, second=0, microsecond=0)
    return candidate if candidate > moment else candidate + timedelta(days=1)


def next_due(prefs: ReminderPrefs, now: datetime, checked_in_today: bool,
             sessions: list[NeedlingSession]) -> Due | None:
    """The next reminder after `now` (a local, zone-aware time), or None."""
    candidates: list[Due] = []
    if prefs.daily_check_in:
        at_time = parse_hhmm(Problems(), "check_in_time", prefs.check_in_time)
        today = now.replace(hour=at_time.hour, minute=at_time.minute, second=0, microsecond=0)
        when = today if today > now and not checked_in_today else today + timedelta(days=1)
        candidates.append(Due(after_quiet_hours(when, prefs), "Daily check-in"))
    if prefs.session_follow_ups:
        for session in sessions:
            for hours in FOLLOW_UP_HOURS:
                when = session.performed_at.astimezone(now.tzinfo) + timedelta(hours=hours)
                if when > now:
                    candidates.append(Due(after_quiet_hours(when, prefs),
                                          f"Soreness check, {hours} h after your session"))
    return min(candidates, key=lambda d: d.at) if candidates else None
