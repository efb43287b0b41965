"""Backups on the clinic's schedule (issue 15): the admin sets how often and how many to
keep; a background job makes them while the server runs (the store's online backup:
saves go on meanwhile) and removes the oldest scheduled ones beyond that number; the
admin's screen says when the last good backup was made.

The backup itself is the store's (app.store.backup, handed in by the composition root as
`make_backup`): services reach the store only through its interfaces. A backup file is
there only once it was written whole and read back (the store renames it into place and
removes one that does not read back), so the newest `backtrack-*.zip` in the backups
folder is the last good backup, whether the schedule or `python -m app backup` made it.
A failure is kept for the admin's screen and logged without the store's content.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain import kinds, policy
from app.domain.account_audit import AccountAction
from app.domain.accounts import Account
from app.domain.backup_plan import SCHEDULE_ID, BackupSchedule, check_schedule
from app.domain.policy import Operation, Relation
from app.domain.validation import Problems
from app.services.account_audit import AccountAudit
from app.services.base import Clock, Collection, system_clock
from app.store.interfaces import RecordStore

log = logging.getLogger(__name__)

BACKUP_JOB = "backups"  # the server's job (app/main.py)
LOOK_EVERY_SECONDS = 60.0  # how often the job asks whether a backup is due
PREFIX = "backtrack-"  # every backup's file name (the command line's too)
SCHEDULED_PREFIX = "backtrack-auto-"  # only these are removed beyond `keep`


@dataclass(frozen=True)
class BackupMade:
    """A good backup in the backups folder."""

    path: Path
    at: datetime  # when it was written (the file's time)
    size: int  # bytes


@dataclass(frozen=True)
class BackupFailed:
    at: datetime
    reason: str  # the store's one-line message (names files, never records)


class BackupService:
    def __init__(self, store: RecordStore, make_backup: Callable[[Path], Path], folder: Path,
                 audit: AccountAudit, clock: Clock = system_clock) -> None:
        self.settings = Collection(store, kinds.CLINIC_SETTINGS, BackupSchedule)
        self.make_backup = make_backup
        self.folder = folder
        self.audit = audit
        self.clock = clock
        self.last_failure: BackupFailed | None = None
        self._running = threading.Lock()  # one backup at a time (job and "Back up now")

    def schedule(self) -> BackupSchedule:
        found = self.settings.get(SCHEDULE_ID)
        return found.value if found else BackupSchedule()

    def set_schedule(self, actor: Account, every_hours: str | int,
                     keep: str | int) -> BackupSchedule:
        """The admin's change (InvalidInput names the field); in the account log."""
        policy.require(actor.role, Operation.MANAGE_CLINIC, Relation.NONE)
        p = Problems()
        chosen = check_schedule(p, every_hours, keep)
        p.raise_if_any()
        found = self.settings.get(SCHEDULE_ID)
        if found is None:
            self.settings.add(chosen, owner=None)
        elif found.value != chosen:
            self.settings.correct(chosen, None, found.version)
        else:
            return chosen
        what = (f"every {chosen.every_hours} hours, keep {chosen.keep}" if chosen.on
                else "off")
        self.audit.record(actor.id, AccountAction.CLINIC_SETTING_CHANGED, "clinic",
                          f"scheduled backups: {what}")
        return chosen

    def last_good(self) -> BackupMade | None:
        """The newest backup file in the folder (see the module's note)."""
        made = self._made(PREFIX)
        return made[-1] if made else None

    def back_up_now(self, actor: Account) -> BackupMade:
        """The admin's "Back up now" (blocking: call it off the event loop)."""
        policy.require(actor.role, Operation.MANAGE_CLINIC, Relation.NONE)
        return self._back_up(PREFIX)  # named like the command line's: never pruned

    def run_due(self) -> BackupMade | None:
        """The job's turn: a backup when the schedule is on and the last good one is as
        old as its interval (or there is none), then the oldest scheduled ones beyond
        `keep` go. Returns the new backup, if one was made."""
        schedule = self.schedule()
        if not schedule.on:
            return None
        last = self.last_good()
        now = self.clock()
        if last is not None and now - last.at < timedelta(hours=schedule.every_hours):
            return None
        if self.last_failure is not None and now - self.last_failure.at < timedelta(minutes=15):
            return None  # a failing disk is not asked again every minute
        try:
            made = self._back_up(SCHEDULED_PREFIX)
        except Exception as exc:  # the job must go on; the admin's screen says what failed
            self._failed(exc)
            return None
        self._prune(schedule.keep)
        return made

    def _back_up(self, prefix: str) -> BackupMade:
        with self._running:
            now = self.clock()
            stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
            path = self.make_backup(self.folder / f"{prefix}{stamp}.zip")
            # The file's time is the service's clock's (the real one in production): the
            # next turn measures the interval with the same clock.
            os.utime(path, (now.timestamp(), now.timestamp()))
            self.last_failure = None
            return self._describe(path)

    def _failed(self, exc: Exception) -> None:
        self.last_failure = BackupFailed(self.clock(), str(exc) or type(exc).__name__)
        log.error("Scheduled backup failed (%s)", type(exc).__name__)

    def _prune(self, keep: int) -> None:
        for old in self._made(SCHEDULED_PREFIX)[:-keep]:
            try:
                old.path.unlink()
            except OSError as exc:
                log.warning("Could not remove an old scheduled backup (%s)", exc.strerror)

    def _made(self, prefix: str) -> list[BackupMade]:
        """Backup files with this prefix, oldest first."""
        try:
            paths = [p for p in self.folder.iterdir()
                     if p.name.startswith(prefix) and p.name.endswith(".zip") and p.is_file()]
        except FileNotFoundError:
            return []
        made = []
        for path in paths:
            try:
                made.append(self._describe(path))
            except OSError:
                continue  # removed meanwhile
        return sorted(made, key=lambda m: (m.at, m.path.name))

    @staticmethod
    def _describe(path: Path) -> BackupMade:
        info = path.stat()
        return BackupMade(path, datetime.fromtimestamp(info.st_mtime, UTC), info.st_size)
