"""Backups on the clinic's schedule (issue 15): off until the admin sets it, made by the
server's job when due, the oldest scheduled ones removed beyond "keep", the last good
backup named for the admin's screen, failures kept for it instead of stopping the job."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.domain.account_audit import AccountAction
from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput, NotAllowed
from app.services.account_audit import AccountAudit
from app.services.backups import SCHEDULED_PREFIX, BackupService
from app.store.backup import backup, verify_backup
from app.store.interfaces import StoreUnavailable
from app.store.journal import JournalStore
from tests.conftest import START, FakeClock

ADMIN = Account("a1", "admin@example.com", "Avery Admin", Role.ADMIN, "x", START)
THERAPIST = Account("t1", "taylor@example.com", "Taylor Brooks", Role.THERAPIST, "x", START)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JournalStore]:
    with JournalStore.open(tmp_path / "store") as opened:
        opened.save("pain_entry", "e1", {"nrs": 3}, owner="p1")
        yield opened


def service(store: JournalStore, folder: Path, clock: FakeClock) -> BackupService:
    return BackupService(store, lambda out: backup(store, out), folder,
                         AccountAudit(store, clock), clock)


def scheduled(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{SCHEDULED_PREFIX}*.zip"))


def test_off_until_the_admin_sets_it_then_made_when_due_and_pruned(
        store: JournalStore, tmp_path: Path, clock: FakeClock) -> None:
    folder = tmp_path / "backups"
    backups = service(store, folder, clock)
    assert backups.run_due() is None and backups.last_good() is None
    backups.set_schedule(ADMIN, "24", "2")
    first = backups.run_due()
    assert first is not None and verify_backup(first.path).versions >= 1
    assert backups.run_due() is None  # not due again yet
    for _ in range(3):
        store.save("pain_entry", "e1", {"nrs": 4}, owner="p1")
        clock.advance(hours=24)
        assert backups.run_due() is not None
    names = scheduled(folder)
    assert len(names) == 2  # keep 2: the oldest two went
    last = backups.last_good()
    assert last is not None and last.path.name == names[-1] and last.at == clock.now
    assert first.path.name not in names


def test_a_command_line_backup_counts_as_the_last_good_one_and_is_never_removed(
        store: JournalStore, tmp_path: Path, clock: FakeClock) -> None:
    folder = tmp_path / "backups"
    backups = service(store, folder, clock)
    backups.set_schedule(ADMIN, 1, 1)
    by_hand = backup(store, folder / "backtrack-20250310-100000.zip")
    two_hours_ago = (clock.now - timedelta(hours=2)).timestamp()
    os.utime(by_hand, (two_hours_ago, two_hours_ago))
    last = backups.last_good()
    assert last is not None and last.path == by_hand
    assert backups.run_due() is not None  # the hand-made one is 2 hours old
    clock.advance(hours=1)
    assert backups.run_due() is not None
    assert by_hand.exists() and len(scheduled(folder)) == 1


def test_only_the_admin_sets_it_and_wrong_values_are_named(
        store: JournalStore, tmp_path: Path, clock: FakeClock) -> None:
    backups = service(store, tmp_path / "backups", clock)
    with pytest.raises(NotAllowed):
        backups.set_schedule(THERAPIST, 24, 7)
    with pytest.raises(InvalidInput) as caught:
        backups.set_schedule(ADMIN, "every day", "0")
    assert set(caught.value.problems) == {"every_hours", "keep"}
    assert not backups.schedule().on


def test_a_change_is_in_the_account_log(store: JournalStore, tmp_path: Path,
                                        clock: FakeClock) -> None:
    backups = service(store, tmp_path / "backups", clock)
    backups.set_schedule(ADMIN, 12, 5)
    backups.set_schedule(ADMIN, 12, 5)  # no change, no line
    events = [e for e in backups.audit.all() if e.action is
              AccountAction.CLINIC_SETTING_CHANGED]
    assert [(e.actor_id, e.detail) for e in events] == [
        ("a1", "scheduled backups: every 12 hours, keep 5")]


def test_a_failing_backup_is_kept_for_the_admin_and_the_job_goes_on(
        store: JournalStore, tmp_path: Path, clock: FakeClock) -> None:
    def full_disk(out: Path) -> Path:
        raise StoreUnavailable(f"Could not write {out}: No space left on device.")

    backups = BackupService(store, full_disk, tmp_path / "backups",
                            AccountAudit(store, clock), clock)
    backups.set_schedule(ADMIN, 24, 7)
    assert backups.run_due() is None
    assert backups.last_failure is not None and "No space left" in backups.last_failure.reason
    assert backups.last_good() is None


def test_a_backup_that_does_not_read_back_is_removed(
        store: JournalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.store import backup as backup_module

    monkeypatch.setattr(backup_module.zipfile, "ZipFile", _WritesButReadsBadly(zipfile.ZipFile))
    out = tmp_path / "backups" / "backtrack-x.zip"
    with pytest.raises(backup_module.BackupInvalid, match="removed"):
        backup(store, out)
    assert not out.exists()


class _WritesButReadsBadly:
    """zipfile.ZipFile for writing, a failure for reading (a disk that garbles reads)."""

    def __init__(self, real: type[zipfile.ZipFile]) -> None:
        self.real = real

    def __call__(self, file: object, mode: str = "r", **kwargs: object) -> zipfile.ZipFile:
        if mode == "r":
            raise zipfile.BadZipFile("flipped bits")
        return self.real(file, mode, **kwargs)  # type: ignore[call-overload]
