"""A date typed as YYYY-MM-DD, with a calendar button beside it (Flet's DatePicker) for
people who would rather tap a day than type one. The text field stays the source of the
value, so typing, pasting and the screen reader all keep working."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import flet as ft

from app.ui.components import icon_button

# How far back the calendar goes: a milestone or session from years ago is typed.
CALENDAR_YEARS = 3


def date_field(page: ft.Page, label: str, value: date, latest: date, *,
               expand: bool | int | None = None,
               width: float | None = None) -> tuple[ft.Row, ft.TextField]:
    """(what to put on the screen, the text field to read). `latest` is the patient's
    today: the calendar offers no later day."""
    field = ft.TextField(label=label, value=value.isoformat(), expand=True,
                         keyboard_type=ft.KeyboardType.DATETIME)

    def picked(event: Any) -> None:
        chosen = event.control.value
        if isinstance(chosen, datetime):
            # The calendar gives midnight of the day tapped; only its date counts.
            field.value = chosen.date().isoformat()
            field.error = None
            field.update()

    def open_calendar(_: Any) -> None:
        try:
            shown = date.fromisoformat((field.value or "").strip())
        except ValueError:
            shown = latest
        shown = min(shown, latest)
        page.show_dialog(ft.DatePicker(
            value=datetime.combine(shown, datetime.min.time()),
            first_date=datetime.combine(latest - timedelta(days=365 * CALENDAR_YEARS),
                                        datetime.min.time()),
            last_date=datetime.combine(latest, datetime.min.time()),
            current_date=datetime.combine(latest, datetime.min.time()),
            help_text=label, on_change=picked))

    named = label.split(" (")[0].lower()  # "Date (YYYY-MM-DD)" → "date"
    row = ft.Row([field, icon_button(ft.Icons.CALENDAR_MONTH, f"Pick the {named} on a "
                                                              f"calendar", open_calendar)],
                 expand=expand, width=width, spacing=4,
                 vertical_alignment=ft.CrossAxisAlignment.START)
    return row, field
