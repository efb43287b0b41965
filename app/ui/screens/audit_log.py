"""The admin's Audit log screen (/admin/audit, issue 14): what was done to accounts and
who opened which patient's record, newest first, filtered by who, what, whom and from/to
day, and downloaded as CSV (app.services.audit_log does the reading and the file).

Rows are cards on a phone and a table on a desktop. At most `SHOWN` rows are drawn (a
long log would make every update slow: Flet diffs the whole tree); the CSV has them all.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING, Any, Final

import flet as ft

from app.domain.audit_log import WHAT, LogFilter, LogRow
from app.domain.errors import DomainError
from app.domain.zones import patient_today
from app.services.audit_log import CSV_FILE_NAME
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import choice_list
from app.ui.frame import card, heading, muted, scaffold

if TYPE_CHECKING:
    from app.domain.accounts import Account
    from app.ui.shell import Shell

ROUTE: Final = "/admin/audit"
TITLE: Final = "Audit log"
SHOWN: Final = 200
EVERYTHING: Final = "all"
BAD_DAY: Final = "Enter a day as YYYY-MM-DD, like 2026-03-01, or leave it empty."


def build(shell: Shell) -> ft.View:
    admin = shell.require_account()
    return scaffold(shell, ROUTE, f"BackTrack · {TITLE}", _AuditLogScreen(shell, admin).body)


class _AuditLogScreen:
    def __init__(self, shell: Shell, admin: Account) -> None:
        self.shell, self.admin = shell, admin
        self.service = shell.services.audit_log
        self.who = ft.TextField(label="Who (name or email)", on_submit=self._show,
                                expand=True)
        what_box, self.what = choice_list(
            "What", EVERYTHING, [ft.dropdown.Option(key=EVERYTHING, text="Everything"),
                                 *(ft.dropdown.Option(key=k, text=v) for k, v in WHAT.items())],
            on_select=self._show_soon, expand=True)
        self.whom = ft.TextField(label="Whom (name or email)", on_submit=self._show,
                                 expand=True)
        self.since = ft.TextField(label="From day", hint_text="YYYY-MM-DD", expand=True,
                                  on_submit=self._show, keyboard_type=ft.KeyboardType.DATETIME)
        self.until = ft.TextField(label="To day", hint_text="YYYY-MM-DD", expand=True,
                                  on_submit=self._show, keyboard_type=ft.KeyboardType.DATETIME)
        self.count = muted("")
        self.rows = ft.Column(spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        download = ft.OutlinedButton("Download CSV", icon=ft.Icons.DOWNLOAD,
                                     height=theme.TOUCH, on_click=self._download)

        def cell(control: ft.Control, md: int) -> ft.Container:
            return ft.Container(ft.Row([control]), col={"xs": 12, "sm": 6, "md": md})

        self.body: list[ft.Control] = [
            heading(TITLE),
            muted("Changes to accounts, invitations and two-step sign-in, and clinicians "
                  "opening a patient's record. Names only: no health data."),
            ft.ResponsiveRow([cell(self.who, 4), cell(what_box, 4), cell(self.whom, 4),
                              cell(self.since, 3), cell(self.until, 3)],
                             spacing=12, run_spacing=12),
            ft.Row([ft.FilledButton("Show", icon=ft.Icons.FILTER_ALT_OUTLINED,
                                    height=theme.TOUCH, on_click=self._show),
                    download, self.count], wrap=True, spacing=12),
            self.rows,
        ]
        self.count.value = "Reading the log…"
        shell.page.run_task(self._show)  # after the screen is drawn, off the event loop

    # -- filtering ---------------------------------------------------------------------

    def _filter(self) -> LogFilter | None:
        """The filter on screen, or None after marking a day that is not one."""
        days: list[date | None] = []
        for field in (self.since, self.until):
            field.error = None
            text = (field.value or "").strip()
            try:
                days.append(date.fromisoformat(text) if text else None)
            except ValueError:
                field.error = BAD_DAY
                days.append(None)
        if self.since.error or self.until.error:
            return None
        what = self.what.value if self.what.value and self.what.value != EVERYTHING else ""
        return LogFilter(who=self.who.value or "", what=what, whom=self.whom.value or "",
                         since=days[0], until=days[1])

    def _show_soon(self, _: Any = None) -> None:
        """choice_list calls its handler as a plain function: the read runs as a task."""
        self.shell.page.run_task(self._show)

    async def _show(self, _: Any = None) -> None:
        """Read off the event loop: a long log takes a while (0.4 s for 20,000 record
        openings here) and the loop serves every connected browser."""
        wanted = self._filter()
        if wanted is not None:
            self._draw(await asyncio.to_thread(self.service.rows, self.admin, wanted))
        self.shell.page.update()

    def _draw(self, found: list[LogRow]) -> None:
        shown = found[:SHOWN]
        self.count.value = (f"{len(found)} entr{'y' if len(found) == 1 else 'ies'}"
                            + (f", the newest {SHOWN} shown" if len(found) > SHOWN else ""))
        if not found:
            self.rows.controls = [muted("Nothing matches. Clear a filter to see more.")]
        elif self.shell.is_wide:
            self.rows.controls = [self._table(shown)]
        else:
            self.rows.controls = [self._card(r) for r in shown]

    # -- drawing -----------------------------------------------------------------------

    def _when(self, row: LogRow) -> str:
        return fmt.when(row.at, self.admin.timezone)

    def _table(self, rows: list[LogRow]) -> ft.Control:
        def text(value: str) -> ft.DataCell:
            return ft.DataCell(ft.Text(value, size=14))

        return ft.Row([ft.DataTable(
            columns=[ft.DataColumn(label=ft.Text(name, weight=ft.FontWeight.W_600))
                     for name in ("When", "Who", "What", "Whom", "Detail")],
            rows=[ft.DataRow([text(self._when(r)), text(r.who.shown), text(r.what_label),
                              text(r.whom.shown), text(r.detail_shown)]) for r in rows],
            column_spacing=24, heading_row_height=44, data_row_min_height=40,
            data_row_max_height=60,
        )], scroll=ft.ScrollMode.AUTO)

    def _card(self, row: LogRow) -> ft.Control:
        return card(
            muted(self._when(row), 13),
            ft.Text(row.what_label, size=16, weight=ft.FontWeight.W_600),
            ft.Text(f"By {row.who.shown}", size=14),
            ft.Text(f"About {row.whom.shown}", size=14),
            *([muted(row.detail_shown, 13)] if row.detail else []),
            col={"xs": 12})

    # -- the file ----------------------------------------------------------------------

    async def _download(self, _: Any) -> None:
        wanted = self._filter()
        if wanted is None:
            self.shell.page.update()
            return
        try:
            data = await asyncio.to_thread(self.service.csv, self.admin, wanted)
        except DomainError as refused:
            self.shell.toast(str(refused))
            return
        today = patient_today(self.service.audit.clock(), self.admin.timezone)
        name = CSV_FILE_NAME.replace(".csv", f"-{today.isoformat()}.csv")
        await self.shell.file_picker.save_file(file_name=name, src_bytes=data)
        self.shell.toast("The audit log was downloaded as a CSV file.")
