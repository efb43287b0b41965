"""The admin's Backups card (issue 15): says when the last good backup was made (or that
there is none), saves the schedule with each refusal under its field, and "Back up now"
writes a backup while the store stays open, or says why it could not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import flet as ft
import pytest

from app.domain.accounts import Account, Role
from app.main import Services, build_services
from app.store.backup import verify_backup
from app.store.journal import JournalStore
from app.ui.screens import home
from app.ui.screens.backup_card import NO_BACKUP_WORDS
from tests.conftest import FAST_SETTINGS, FakeClock
from tests.ui.test_clinic_settings_card import AdminShell
from tests.ui.test_patient_screens import field, walk

EVERY = "Back up every (hours; 0: no scheduled backups)"
KEEP = "Keep the last (scheduled backups)"


@pytest.fixture
def on_disk(tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    """Services over a real data folder (a backup needs one)."""
    settings = replace(FAST_SETTINGS, data_dir=tmp_path / "data")
    built = build_services(settings, JournalStore.open(tmp_path / "data" / "store"), clock)
    yield built
    built.close()


def admin_of(services: Services) -> Account:
    return services.accounts.create("admin@example.com", "Sam Lee", "backtrack-test-pw",
                                    Role.ADMIN)


def draw(shell: AdminShell) -> ft.View:
    builder: Callable[..., ft.View] = home.build
    return builder(shell)


def words(view: ft.View) -> str:
    return " ".join(str(c.value) for c in walk(view) if isinstance(c, ft.Text) and c.value
                    and getattr(c, "visible", True) is not False)


def press(view: ft.View, kind: type, name: str) -> None:
    button: Any = next(c for c in walk(view)
                       if isinstance(c, kind) and getattr(c, "content", None) == name)
    handler: Any = button.on_click
    with ThreadPoolExecutor(1) as pool:  # a loop of its own (see test_clinic_settings_card)
        pool.submit(asyncio.run, handler(None)).result()


def test_back_up_now_writes_one_and_the_card_says_when(on_disk: Services) -> None:
    admin = admin_of(on_disk)
    shell = AdminShell(on_disk, admin)
    view = draw(shell)
    assert NO_BACKUP_WORDS in words(view)
    press(view, ft.OutlinedButton, "Back up now")
    last = on_disk.backups.last_good()
    assert last is not None and verify_backup(last.path).versions >= 1
    assert "Last good backup: " in words(view) and last.path.name in words(view)
    assert shell.toasts == [f"Backup written: {last.path.name}"]
    assert last.path.name in words(draw(AdminShell(on_disk, admin)))  # drawn again too


def test_the_schedule_is_saved_and_refusals_go_under_their_fields(
        services: Services) -> None:
    admin = admin_of(services)
    shell = AdminShell(services, admin)
    view = draw(shell)
    assert (field(view, EVERY).value, field(view, KEEP).value) == ("0", "7")
    field(view, EVERY).value, field(view, KEEP).value = "daily", "0"
    press(view, ft.FilledButton, "Save backup schedule")
    assert field(view, EVERY).error and "hours" in str(field(view, EVERY).error)
    assert field(view, KEEP).error and field(view, EVERY).value == "daily"  # nothing lost
    field(view, EVERY).value, field(view, KEEP).value = "24", "14"
    press(view, ft.FilledButton, "Save backup schedule")
    assert shell.toasts == ["Backup schedule saved."]
    schedule = services.backups.schedule()
    assert (schedule.every_hours, schedule.keep) == (24, 14)


def test_a_backup_that_cannot_be_made_says_why(services: Services) -> None:
    """The in-memory store of these tests has no files: the card says so, in red."""
    view = draw(AdminShell(services, admin_of(services)))
    press(view, ft.OutlinedButton, "Back up now")
    assert "The backup failed: This store keeps nothing on disk" in words(view)
