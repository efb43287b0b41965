"""A 0–10 score as one row of eleven joined cells: the whole scale fits one line on a
360 px phone, so a check-in is one screen of questions, not three.

Each cell is a full-height (48 px) button and the cells touch, so every point of the bar
picks the nearest number (no dead gaps between small targets); at 360 px a cell is about
29 px wide, above WCAG 2.2's 24 px minimum target. A screen reader hears each cell as
"Pain right now: 3" (and "(selected)"), as with the wrapping picker it replaces on the
check-in. `value` is None until the patient taps one.

Kept small because a check-in form holds five of these and every visit to the form sends
all of it (issue 17: the server's CPU per check-in): the error line joins the row only
when there is an error, and the cells share their three button styles (Flet copies a
style before sending it, so a shared one is never changed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flet as ft

from app.ui import theme


class ScoreRow(ft.Column):
    def __init__(self, label: str, *, value: int | None = None, low: int = 0,
                 high: int = 10, anchors: Mapping[int, str] | None = None,
                 on_change: Callable[[int], None] | None = None) -> None:
        super().__init__(spacing=4)
        self.label = label
        self.value = value
        self.on_pick = on_change
        # Shown under the scale only while there is something to say (show_error).
        self.error = ft.Text("", color=ft.Colors.ERROR, size=14)
        self.cells: list[ft.Button] = [self._cell(score, low, high)
                                       for score in range(low, high + 1)]
        words = anchors or {}
        self.controls = [
            ft.Text(label, size=17, weight=ft.FontWeight.W_600),
            ft.Row(list[ft.Control](self.cells), spacing=2),
            ft.Row([ft.Text(f"{k} = {v}", size=13, color=ft.Colors.ON_SURFACE_VARIANT)
                    for k, v in words.items()],
                   alignment=ft.MainAxisAlignment.SPACE_BETWEEN),
        ]
        self._paint()

    def _cell(self, score: int, low: int, high: int) -> ft.Button:
        # Rounded only at the two ends: the row reads as one bar.
        style = _ENDS[0] if score == low else _ENDS[1] if score == high else _MIDDLE
        return ft.Button(
            content=ft.Text(str(score), size=15),
            data=score,
            expand=True,
            height=theme.TOUCH,
            style=style,
            on_click=self._picked,
        )

    def _picked(self, event: Any) -> None:
        before, self.value = self.value, int(event.control.data)
        had_error = any(c is self.error for c in self.controls)
        self.show_error(None)
        self._paint()
        if self.on_pick:
            self.on_pick(self.value)
        if had_error:  # the error line goes: the row changes
            self.update()
        else:  # only the old pick and the new one look different: diff those two cells
            self.page.update(*(c for c in self.cells if c.data in (before, self.value)))

    def _paint(self) -> None:
        for cell in self.cells:
            chosen = cell.data == self.value
            cell.bgcolor = ft.Colors.PRIMARY if chosen else ft.Colors.SURFACE_CONTAINER_HIGH
            cell.color = ft.Colors.ON_PRIMARY if chosen else ft.Colors.ON_SURFACE
            text = cell.content
            if isinstance(text, ft.Text):
                text.weight = ft.FontWeight.BOLD if chosen else None
                text.semantics_label = f"{self.label}: {cell.data}" + (
                    " (selected)" if chosen else "")

    def clear(self) -> None:
        """Nothing picked and no error, as a new form shows it."""
        self.value = None
        self.show_error(None)
        self._paint()

    def show_error(self, message: str | None) -> None:
        self.error.value = message or ""
        shown = any(c is self.error for c in self.controls)
        if message and not shown:
            self.controls.append(self.error)
        elif not message and shown:
            self.controls = [c for c in self.controls if c is not self.error]


def _style(left: int, right: int) -> ft.ButtonStyle:
    return ft.ButtonStyle(
        padding=0, elevation=0,
        shape=ft.RoundedRectangleBorder(radius=ft.BorderRadius.only(
            top_left=left, bottom_left=left, top_right=right, bottom_right=right)),
    )


_ENDS = (_style(12, 4), _style(4, 12))  # the first cell, the last
_MIDDLE = _style(4, 4)
