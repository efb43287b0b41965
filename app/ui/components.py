"""Reusable patient-facing controls: region chips and an inline field error (the 0–10
score is app/ui/score_row.py). Every control carries a screen-reader label."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import flet as ft

from app.domain.errors import InvalidInput
from app.ui import theme

if TYPE_CHECKING:
    from app.ui.shell import Shell

T = TypeVar("T")


class ChipChoice(ft.Column):
    """A wrap of filter chips for picking several keys from a labelled set."""

    def __init__(self, label: str, options: Mapping[str, str],
                 selected: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__(spacing=6)
        self.selected = list(selected)
        # Under the chips only while there is something to say (show_error): one control
        # less on every form that carries chips (issue 17).
        self.error = ft.Text("", color=ft.Colors.ERROR, size=14)
        self.chips: list[ft.Control] = [
            ft.Chip(label=ft.Text(text), data=key, selected=key in self.selected,
                    on_select=self._toggled, height=theme.TOUCH)
            for key, text in options.items()
        ]
        self.controls = [ft.Text(label, size=17, weight=ft.FontWeight.W_600),
                         ft.Row(self.chips, wrap=True, spacing=6, run_spacing=6)]

    def _toggled(self, event: Any) -> None:
        key = event.control.data
        if event.control.selected and key not in self.selected:
            self.selected.append(key)
        elif not event.control.selected and key in self.selected:
            self.selected.remove(key)
        self.show_error(None)
        self.update()

    def clear(self) -> None:
        """Nothing picked and no error, as a new form shows it."""
        self.selected = []
        for chip in self.chips:
            if isinstance(chip, ft.Chip):
                chip.selected = False
        self.show_error(None)

    def show_error(self, message: str | None) -> None:
        self.error.value = message or ""
        shown = any(c is self.error for c in self.controls)
        if message and not shown:
            self.controls.append(self.error)
        elif not message and shown:
            self.controls = [c for c in self.controls if c is not self.error]


def go_to(shell: Shell, route: str) -> Callable[[Any], None]:
    """A click that only opens another screen. The route change draws that screen; Flet's
    automatic update after the click would diff the whole page being left and find
    nothing to send (issue 17: CPU per check-in), so it is turned off for this click."""
    def clicked(_: Any) -> None:
        ft.context.disable_auto_update()
        shell.go(route)

    return clicked


def save_button(text: str, on_click: Any) -> tuple[ft.FilledButton, ft.ProgressRing]:
    busy = ft.ProgressRing(width=24, height=24, visible=False)
    button = ft.FilledButton(text, height=theme.TOUCH, on_click=on_click,
                             style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=32)))
    return button, busy


def form_body(controls: list[ft.Control]) -> ft.Column:
    """The column of a form: full width on a phone, a readable width on a desktop (when
    placed in a ResponsiveRow, as form_column does)."""
    return ft.Column(controls, spacing=20, col={"xs": 12, "lg": 9, "xxl": 7},
                     horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def form_column(controls: list[ft.Control]) -> ft.ResponsiveRow:
    return ft.ResponsiveRow([form_body(controls)])


def icon_button(icon: ft.IconData, label: str, on_click: Any) -> ft.IconButton:
    """An icon button a screen reader can name: the label goes on the icon's semantics
    (a tooltip alone labels a wrapper, not the button)."""
    return ft.IconButton(icon=ft.Icon(icon, semantics_label=label), tooltip=label,
                         on_click=on_click)


def choice_list(label: str, value: str | None, options: list[ft.dropdown.Option],
                on_select: Callable[[Any], None] | None = None,
                expand: bool | None = None) -> tuple[ft.Semantics, ft.Dropdown]:
    """A dropdown a screen reader can find and hear: Flet's exposes neither its label nor
    its value, so it sits in a Semantics node saying both ("Time zone: Europe/Dublin"),
    kept up to date. Returns (what to put on the screen, the dropdown to read)."""
    texts = {option.key: option.text or option.key for option in options}

    def spoken(chosen: str | None) -> str:
        return f"{label}: {texts.get(chosen, 'none chosen') if chosen else 'none chosen'}"

    wrapper = ft.Semantics(label=spoken(value), expand=expand)

    def selected(event: Any) -> None:
        wrapper.label = spoken(dropdown.value)
        if on_select is not None:
            on_select(event)
        wrapper.update()

    dropdown = ft.Dropdown(label=label, value=value, options=options, on_select=selected,
                           expand=expand)
    wrapper.content = dropdown
    return wrapper, dropdown


async def save_fields(page: ft.Page, fields: Mapping[str, ft.TextField],
                      work: Callable[[], object]) -> bool:
    """Run a save off the event loop. A refusal (InvalidInput) puts each message under
    its field (a problem no field is named for goes under the first), keeps what was
    typed and answers False; True once saved."""
    for field in fields.values():
        field.error = None
    try:
        await asyncio.to_thread(work)
    except InvalidInput as exc:
        first = next(iter(fields.values()))
        for key, message in exc.problems.items():
            fields.get(key, first).error = message
        page.update()
        return False
    page.update()  # the messages of an earlier refusal go
    return True


async def run_with_progress(page: ft.Page, work: Callable[[], T], show: Callable[[bool], None],
                            delay: float = 0.15) -> T:
    """Run blocking work off the event loop. Progress appears only if the work takes
    longer than `delay`: a quick save should not flash a spinner (or pay for the extra
    round trip to draw one)."""
    task = asyncio.ensure_future(asyncio.to_thread(work))
    done, _ = await asyncio.wait({task}, timeout=delay)
    if not done:
        show(True)
        page.update()
    try:
        return await task
    finally:
        if not done:
            show(False)
