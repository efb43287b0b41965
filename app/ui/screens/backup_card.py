"""The admin's Backups card on the home screen (issue 15): when the last good backup was
made, the schedule (every so many hours, keep so many), and "Back up now".

Backups are made while BackTrack runs (saves go on meanwhile); the work runs off the
event loop. What the card says comes from app.services.backups.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.accounts import Account
from app.services.backups import BackupService
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import form_column, save_button, save_fields
from app.ui.frame import card, muted

if TYPE_CHECKING:
    from app.ui.shell import Shell

NO_BACKUP_WORDS = "No backup has been made yet."


def last_backup_words(backups: BackupService, viewer: Account) -> str:
    last = backups.last_good()
    if last is None:
        return NO_BACKUP_WORDS
    size = f"{last.size / 1_048_576:.1f} MB" if last.size >= 1_048_576 else \
        f"{max(1, round(last.size / 1024))} KB"
    return f"Last good backup: {fmt.when(last.at, viewer.timezone)} · {last.path.name} · {size}"


def failure_words(backups: BackupService, viewer: Account) -> str | None:
    failed = backups.last_failure
    if failed is None:
        return None
    return f"The last scheduled backup failed ({fmt.when(failed.at, viewer.timezone)}): " \
        f"{failed.reason}"


def backup_card(shell: Shell, admin: Account) -> ft.Control:
    backups = shell.services.backups
    schedule = backups.schedule()
    last = ft.Text(last_backup_words(backups, admin), size=14, weight=ft.FontWeight.W_600)
    failure = ft.Text(failure_words(backups, admin) or "", size=14, color=ft.Colors.ERROR,
                      visible=backups.last_failure is not None)
    every = ft.TextField(label="Back up every (hours; 0: no scheduled backups)",
                         value=str(schedule.every_hours), hint_text="24",
                         keyboard_type=ft.KeyboardType.NUMBER, error_max_lines=3)
    keep = ft.TextField(label="Keep the last (scheduled backups)", value=str(schedule.keep),
                        hint_text="7", keyboard_type=ft.KeyboardType.NUMBER,
                        error_max_lines=3)

    def show_state() -> None:
        last.value = last_backup_words(backups, admin)
        failure.value = failure_words(backups, admin) or ""
        failure.visible = backups.last_failure is not None

    async def save(_: Any) -> None:
        if await save_fields(shell.page, {"every_hours": every, "keep": keep},
                             lambda: backups.set_schedule(admin, every.value or "",
                                                          keep.value or "")):
            shell.toast("Backup schedule saved.")

    async def now(_: Any) -> None:
        now_button.disabled, busy_now.visible = True, True
        shell.page.update()
        try:
            made = await asyncio.to_thread(backups.back_up_now, admin)
        except Exception as exc:  # a full disk, a folder it may not write: say so
            failure.value, failure.visible = f"The backup failed: {exc}", True
        else:
            show_state()
            shell.toast(f"Backup written: {made.path.name}")
        now_button.disabled, busy_now.visible = False, False
        shell.page.update()

    button, busy = save_button("Save backup schedule", save)
    now_button = ft.OutlinedButton("Back up now", icon=ft.Icons.BACKUP_OUTLINED,
                                   height=theme.TOUCH, on_click=now)
    busy_now = ft.ProgressRing(width=24, height=24, visible=False)
    return form_column([card(
        ft.Text("Backups", size=18, weight=ft.FontWeight.W_600),
        last,
        failure,
        muted(f"Each backup is one file holding the whole clinic's records, in "
              f"{backups.folder}. It is made while BackTrack runs; nobody has to stop "
              f"working. Put it back with: python -m app restore FILE."),
        ft.Column([every, keep], spacing=12,
                  horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
        ft.Row([button, busy], wrap=True),
        ft.Row([now_button, busy_now], wrap=True),
        col={"xs": 12})])
