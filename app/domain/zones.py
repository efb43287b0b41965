"""The patient's own time zone: looking a name up, and moving a moment into it.

Pure (the zone database is the standard library's). A name that is not a known IANA zone
gives None / leaves the moment as it is; new names are checked on entry (validation.py).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_of(name: str) -> tzinfo | None:
    """The zone called `name`, or None for anything that is not one. The lookup reads a
    file named after the zone, so a very long name fails with OSError (file name too
    long) and a folder of the database ("America") with IsADirectoryError: unknown too."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def to_local(moment: datetime, name: str) -> datetime:
    """The same moment on the patient's wall clock (unchanged if naive or zone unknown)."""
    zone = zone_of(name)
    if zone is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(zone)


def patient_today(now: datetime, timezone: str) -> date:
    """The patient's own calendar day at `now`: the one rule for "today" (a milestone's
    date, "checked in today", reminders). At 18:00 in Los Angeles the server's UTC day is
    already tomorrow; the patient's is not."""
    return to_local(now, timezone).date()


def days_since(moment: datetime, now: datetime, timezone: str) -> int:
    """Whole calendar days from `moment` to `now` on the patient's own calendar ("last
    check-in 1 day ago" at 00:10 for a check-in at 23:50 the day before)."""
    return (patient_today(now, timezone) - patient_today(moment, timezone)).days
