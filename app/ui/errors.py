"""The error boundary's screens: what a person sees when a screen cannot be built.

`Shell.render` builds every screen through `build_safely`: a domain refusal (NotFound,
NotAllowed, InvalidInput) or a bad URL parameter shows a plain "Not found" screen — an
entry that is not yours looks the same as one that does not exist, so a link reveals
nothing — and anything else shows "Something went wrong" and is logged with the exception
type and the route's path only (never the query, a message or a value: they can carry
health data). Before this, Flet drew its red "Error running app" with the raw exception.

An event handler that fails (a tap whose code raises) reaches Flet, which logs it and
tells the browser the session crashed; the shell takes that report over
(`Shell._on_crash`) and shows "Something went wrong" instead, and `WithoutDetails` keeps
Flet's own log lines to the exception type (no message, no traceback with values).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.errors import InvalidInput, NotAllowed, NotFound
from app.ui import theme

if TYPE_CHECKING:
    from app.ui.shell import Shell

log = logging.getLogger(__name__)

NOT_FOUND_TITLE = "Not found"
NOT_FOUND_TEXT = "This page or entry does not exist, or it is not yours to open."
WENT_WRONG_TITLE = "Something went wrong"
WENT_WRONG_TEXT = "This screen could not be shown. Please try again in a moment."


class WithoutDetails(logging.Filter):
    """Turns a log record that carries an exception into one naming only its type."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage()} ({record.exc_info[0].__name__})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


# Flet's loggers that report a failing handler or session (with the exception).
FLET_LOGGERS = ("flet", "flet_web.fastapi")


def keep_flet_logs_free_of_details() -> None:
    for name in FLET_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, WithoutDetails) for f in logger.filters):
            logger.addFilter(WithoutDetails())


class BadParameter(ValueError):
    """A URL parameter the route cannot use (e.g. /history?limit=abc)."""


def build_safely(shell: Shell, path: str, build: Callable[[], ft.View]) -> ft.View:
    try:
        return build()
    except (NotFound, NotAllowed, InvalidInput, BadParameter):
        return message_view(shell, path, NOT_FOUND_TITLE, NOT_FOUND_TEXT)
    except Exception as exc:
        log.error("screen %s could not be built (%s)", path, type(exc).__name__)
        return message_view(shell, path, WENT_WRONG_TITLE, WENT_WRONG_TEXT, retry=True)


def message_view(shell: Shell, path: str, title: str, text: str,
                 retry: bool = False) -> ft.View:
    """A plain screen with a way on: home, or the same screen again. Deliberately
    built from nothing that can fail (no service call, no frame needing an account)."""

    def home(_: Any) -> None:
        shell.go("/")

    def again(_: Any) -> None:
        shell.render()

    actions: list[ft.Control] = [ft.FilledButton("Go to the start", on_click=home,
                                                 height=theme.TOUCH)]
    if retry:
        actions.insert(0, ft.OutlinedButton("Try again", on_click=again,
                                            height=theme.TOUCH))
    return ft.View(
        route=path,
        appbar=ft.AppBar(title=ft.Text(title), automatically_imply_leading=False),
        controls=[ft.Container(
            padding=24, width=theme.MAX_FORM_WIDTH,
            content=ft.Column([
                ft.Text(text, size=16),
                ft.Row(actions, wrap=True, spacing=12),
            ], spacing=16),
        )],
    )
