"""The clinic's backup schedule: how often the server backs the whole store up by itself,
and how many of those backups it keeps (issue 15). Pure data and its rules; the service
(app.services.backups) saves it with the clinic's settings and runs it.

Not clinical numbers: a clinic that backs up every 24 hours and keeps 14 can go back two
weeks. Off (0 hours) until the admin sets it, so a clinic that backs up some other way is
not surprised by files it did not ask for.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.validation import Problems

SCHEDULE_ID = "backups"  # its record among the clinic's settings
EVERY_HOURS_MOST = 24 * 7  # at least once a week when on
KEEP_FEWEST, KEEP_MOST = 1, 100


@dataclass(frozen=True)
class BackupSchedule:
    id: str = SCHEDULE_ID
    every_hours: int = 0  # 0: the server makes none by itself
    keep: int = 7  # the scheduled backups kept; older ones are removed

    @property
    def on(self) -> bool:
        return self.every_hours > 0


def check_schedule(problems: Problems, every_hours: str | int,
                   keep: str | int) -> BackupSchedule:
    """The schedule as typed ("24", "7") or as numbers; problems under "every_hours" and
    "keep" (a default stands in for a wrong value)."""
    hours = _whole(every_hours)
    if hours is None or not 0 <= hours <= EVERY_HOURS_MOST:
        problems.add("every_hours", f"Enter a whole number of hours from 1 to "
                                    f"{EVERY_HOURS_MOST}, like 24, or 0 for no scheduled "
                                    "backups.")
        hours = 0
    kept = _whole(keep)
    if kept is None or not KEEP_FEWEST <= kept <= KEEP_MOST:
        problems.add("keep", f"Enter how many backups to keep, from {KEEP_FEWEST} to "
                             f"{KEEP_MOST}, like 7.")
        kept = BackupSchedule.keep
    return BackupSchedule(every_hours=hours, keep=kept)


def _whole(value: str | int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isdecimal() and len(text) <= 6 else None
