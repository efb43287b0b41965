"""Ask once before something a patient cannot simply undo (stop sharing, withdraw an
entry): a modal dialog with a safe choice and the action. The action runs off the event
loop; the screen moves on only after the dialog has closed (replacing the screen under a
closing dialog left the dialog drawn on top)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import flet as ft

from app.ui import theme


def confirm(page: ft.Page, *, title: str, text: str, keep: str, act: str,
            work: Callable[[], object], then: Callable[[], None]) -> None:
    """Show the dialog; on `act`, run `work` in a thread, close, then call `then`."""
    done: list[bool] = []

    async def acted(_: Any) -> None:
        await asyncio.to_thread(work)
        done.append(True)
        page.pop_dialog()

    def closed(_: Any) -> None:
        if done:
            then()

    page.show_dialog(ft.AlertDialog(
        modal=True,
        title=ft.Text(title),
        content=ft.Text(text),
        actions=[
            ft.TextButton(keep, height=theme.TOUCH, on_click=lambda _: page.pop_dialog()),
            ft.FilledButton(act, height=theme.TOUCH, on_click=acted),
        ],
        on_dismiss=closed,
    ))
