"""Settings → where reminders reach the patient besides the inbox: email on or off, and the
private calendar feed a phone's calendar subscribes to.

The feed's address is a secret: the service keeps only its hash, so it is shown once,
right after "Turn on calendar feed" or "Get a new address", with a copy button and how to
subscribe. Later visits say only that the feed is on. Copying is a client action
(ft.CopyToClipboard), done inside the tap itself: Safari refuses a clipboard write that
waits for the server's reply.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import flet as ft

from app.ui import theme
from app.ui.frame import muted

if TYPE_CHECKING:
    from app.ui.shell import Shell

FEED_PRIVACY = ("Anyone who has this address can see when your reminders and appointments "
                "are (never your scores or notes), so keep it to yourself. If it got out, "
                "get a new address: the old one stops working.")
# ">" rather than an arrow: the app's font has no arrow glyph (it drew an empty box).
HOW_TO_SUBSCRIBE = (
    "On an iPhone: Settings > Calendar > Accounts > Add Account > Other > Add Subscribed "
    "Calendar, then paste the address.",
    "On Android (Google Calendar): on a computer, open calendar.google.com > Other "
    "calendars > + > From URL and paste the address; it then shows on your phone.")


def email_switch(shell: Shell) -> list[ft.Control]:
    account = shell.require_account()
    reminders = shell.services.reminders
    switch = ft.Switch(label="Email reminders",
                       value=reminders.channels_of(account.id).email)

    async def changed(_: Any) -> None:
        on = bool(switch.value)
        await asyncio.to_thread(reminders.set_email, account, account.id, on)
        shell.toast("Email reminders are on." if on else "Email reminders are off.")

    switch.on_change = changed
    return [switch, muted("An email says only that there is a reminder from your clinic, "
                          "with a link to open it here: never your scores or symptoms.")]


def calendar_feed(shell: Shell) -> list[ft.Control]:
    account = shell.require_account()
    calendar = shell.services.calendar
    panel = ft.Column(spacing=12)

    def draw(is_on: bool, address: str | None = None) -> None:
        controls: list[ft.Control] = []
        if address is not None:
            controls += [
                ft.Text("Your calendar address (shown only now):", weight=ft.FontWeight.W_600),
                # Selectable by hand, and read out by screen readers: a SelectionArea keeps
                # the text's own semantics (selectable Text and a read-only field reach
                # them as an empty box).
                ft.Container(ft.SelectionArea(content=ft.Text(address, size=14)),
                             padding=12, border_radius=8,
                             bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST),
                ft.Row([ft.FilledButton("Copy address", icon=ft.Icons.COPY,
                                        height=theme.TOUCH,
                                        action=ft.CopyToClipboard(address),
                                        on_click=lambda _: shell.toast("Address copied."))]),
                *(muted(line) for line in HOW_TO_SUBSCRIBE),
            ]
        if is_on:
            if address is None:
                controls.append(ft.Row([
                    ft.Icon(ft.Icons.EVENT_AVAILABLE, color=ft.Colors.PRIMARY),
                    ft.Container(ft.Text("Your calendar feed is on."), expand=True)]))
            controls.append(ft.Row([
                ft.OutlinedButton("Get a new address", icon=ft.Icons.REFRESH,
                                  height=theme.TOUCH, on_click=new_address),
                ft.OutlinedButton("Turn off", icon=ft.Icons.EVENT_BUSY, height=theme.TOUCH,
                                  on_click=turn_off),
            ], wrap=True, spacing=8, run_spacing=8))
        else:
            controls.append(ft.Row([ft.FilledTonalButton(
                "Turn on calendar feed", icon=ft.Icons.CALENDAR_MONTH, height=theme.TOUCH,
                on_click=turn_on)]))
        panel.controls = controls

    async def turn_on(_: Any) -> None:
        address = await asyncio.to_thread(calendar.turn_on, account, account.id)
        draw(True, address)
        shell.page.update(panel)

    async def new_address(_: Any) -> None:
        address = await asyncio.to_thread(calendar.turn_on, account, account.id)
        draw(True, address)
        shell.page.update(panel)
        shell.toast("New address made. The old one no longer works.")

    async def turn_off(_: Any) -> None:
        await asyncio.to_thread(calendar.revoke, account, account.id)
        draw(False)
        shell.page.update(panel)
        shell.toast("Calendar feed is off. The address no longer works.")

    draw(calendar.is_on(account, account.id))
    return [
        ft.Text("Reminders in your phone's calendar", size=16, weight=ft.FontWeight.W_600),
        muted("Your phone's calendar can show your upcoming reminders and appointments and "
              "alert you even when BackTrack is closed."),
        muted(FEED_PRIVACY),
        panel,
    ]
