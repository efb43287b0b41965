"""The care team's adherence view (/care/adherence): per patient who shared with them, days
since the last check-in, reminders sent, opened and done in the last 14 days, and the
caseload's flags; most in need first (the overview's order), sortable by each column.

What each row holds is whether the patient logged and responded (ReminderOverview), never
what they logged. The flags are the caseload's, as the caseload gives them for each grant:
for a patient who shares "reminders and logging only" it leaves out the health-derived
ones (the row says so), and this screen shows only what it was given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.accounts import Scope
from app.domain.errors import NotAllowed
from app.services.caseload import FLAGS
from app.services.reminder_overview import ReminderActivity
from app.ui.flags import flag_chip
from app.ui.frame import muted, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell

ROUTE = "/care/adherence"
WINDOW_DAYS = 14
COLUMNS = ("Patient", "Days since check-in", "Sent", "Opened", "Done", "Flags")
_NEVER = 10**6  # never checked in sorts as the longest wait


@dataclass(frozen=True)
class Row:
    activity: ReminderActivity
    flags: tuple[str, ...]
    # False: the patient shares "reminders and logging only" with me; their health-derived
    # flags are not mine to see (only "Stopped logging" can show).
    health_shared: bool = True

    @property
    def flag_priority(self) -> int:
        return min((FLAGS[f][0] for f in self.flags), default=len(FLAGS))


# How each column sorts (ascending); ties keep the need-first order.
SORT_KEYS: tuple[Callable[[Row], Any], ...] = (
    lambda r: r.activity.patient.name.casefold(),
    lambda r: _NEVER if r.activity.days_since_check_in is None
    else r.activity.days_since_check_in,
    lambda r: r.activity.sent,
    lambda r: r.activity.opened,
    lambda r: r.activity.done,
    lambda r: r.flag_priority,
)


def rows_for(shell: Shell) -> list[Row]:
    """The overview's rows, most in need first, each with the flags the caseload gives."""
    actor = shell.require_account()
    activity = shell.services.reminder_overview.activity(actor, days=WINDOW_DAYS)
    try:
        statuses = {s.patient.id: s for s in shell.services.caseload.for_clinician(actor)}
    except NotAllowed:  # no flag this grant allows: the columns of activity still stand
        statuses = {}
    rows = []
    for a in activity:
        status = statuses.get(a.patient.id)
        rows.append(Row(a, status.flags if status else (),
                        status is not None and status.scope is Scope.FULL))
    return rows


def sorted_rows(rows: list[Row], column: int | None, ascending: bool) -> list[Row]:
    """None: the need-first order. Otherwise by the column; the need-first order breaks
    ties (Python's sort is stable)."""
    if column is None:
        return list(rows)
    return sorted(rows, key=SORT_KEYS[column], reverse=not ascending)


def _cells(row: Row) -> list[ft.DataCell]:
    a = row.activity
    days = "Never" if a.days_since_check_in is None else str(a.days_since_check_in)
    chips: list[ft.Control] = [flag_chip(f) for f in row.flags]
    if not row.health_shared:
        chips.append(muted("Health details not shared", 13))
    elif not chips:
        chips.append(muted("None", 13))
    return [
        ft.DataCell(ft.Text(a.patient.name, weight=ft.FontWeight.W_600)),
        ft.DataCell(ft.Text(days)),
        ft.DataCell(ft.Text(str(a.sent))),
        ft.DataCell(ft.Text(str(a.opened))),
        ft.DataCell(ft.Text(str(a.done))),
        ft.DataCell(ft.Row(chips, spacing=6)),
    ]


def build(shell: Shell) -> ft.View:
    shell.require_account()
    rows = rows_for(shell)
    if not rows:
        return scaffold(shell, ROUTE, "Adherence", [
            muted("No patient has shared with you yet.")])
    table = ft.DataTable(
        columns=[],
        rows=[ft.DataRow(_cells(r)) for r in rows],
        heading_text_style=ft.TextStyle(weight=ft.FontWeight.W_600),
        column_spacing=28,
        horizontal_margin=12,
    )

    def sort(event: ft.DataColumnSortEvent) -> None:
        table.sort_column_index = event.column_index
        table.sort_ascending = event.ascending
        table.rows = [ft.DataRow(_cells(r))
                      for r in sorted_rows(rows, event.column_index, event.ascending)]
        shell.page.update()

    table.columns = [ft.DataColumn(label=ft.Text(name), numeric=0 < i < 5, on_sort=sort,
                                   tooltip=f"Sort by {name.lower()}")
                     for i, name in enumerate(COLUMNS)]
    body: list[ft.Control] = [
        muted(f"Reminders in the last {WINDOW_DAYS} days for the patients who shared with "
              "you, most in need first: longest without a check-in, then fewest done. "
              "Tap a column's name to sort by it."),
        # A phone scrolls the table sideways rather than squeezing its columns; the
        # scrollbar stays drawn so the columns out of view are not a secret.
        ft.Row([ft.Container(table, padding=ft.Padding.only(bottom=16))],  # bar under it
               scroll=ft.ScrollMode.AUTO if shell.is_wide else ft.ScrollMode.ALWAYS),
    ]
    if not shell.is_wide:
        body.insert(1, muted("Swipe the table sideways for every column.", 13))
    return scaffold(shell, ROUTE, "Adherence", body)
