"""The patient's "Your data" card in Settings (issue 14, data rights): download everything
(the JSON export, and the CSV spreadsheet files), and delete the account and data.

Deleting asks once, in plain words, what goes (everything logged, the account, reminders,
sharing) and what stays (which clinicians looked and when, without health data: health-
records law usually requires it), and only acts once the patient typed DELETE. Then the
tab signs out and the sign-in screen says the account is gone (app.services.erasure does
the work and ends the account's sessions in every other tab and browser)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import flet as ft

from app.domain.errors import InvalidInput
from app.services.erasure import CONFIRM_WORD
from app.ui import theme
from app.ui.fhir_download import fhir_button
from app.ui.frame import muted

if TYPE_CHECKING:
    from app.ui.shell import Shell

DELETED: tuple[str, ...] = (
    "Everything you logged: check-ins, needling sessions, soreness, activities, "
    "questionnaires and \"Is this normal?\" answers, with their earlier versions",
    "Your account: your email can no longer sign in",
    "Your reminders and their history",
    "Your sharing: your therapist and care team no longer see you",
)
KEPT = ("A record of which clinicians looked at your data and when, without any health "
        "data, because health-records law usually requires the clinic to keep it.")
CLOSING_TITLE = "Your account is deleted"
CLOSING_TEXT = ("Everything you logged in BackTrack has been erased and you are signed out. "
                "Thank you for using BackTrack.")


def section(shell: Shell) -> list[ft.Control]:
    """The card's controls, for the patient's Settings screen."""
    account = shell.require_account()

    async def download(fmt: str, done: str) -> None:
        file = await asyncio.to_thread(shell.services.exports.export, account, account.id,
                                       fmt)
        await shell.file_picker.save_file(file_name=file.file_name, src_bytes=file.content)
        shell.toast(done)

    async def export_json(_: Any) -> None:
        await download("json", "Your data was exported as a JSON file.")

    async def export_csv(_: Any) -> None:
        await download("csv", "Your entries were exported as spreadsheet (CSV) files in a "
                              "ZIP.")

    return [
        ft.Divider(),
        ft.Text("Your data", size=18, weight=ft.FontWeight.W_600),
        muted("Download all your data: everything you logged, including earlier versions "
              "of corrected entries, as a JSON file you can keep or bring to another "
              "clinic; or your entries as CSV files for a spreadsheet; or your record as "
              "FHIR, the format health records systems read."),
        ft.Row([
            ft.OutlinedButton("Download all my data (JSON)", icon=ft.Icons.DOWNLOAD,
                              height=theme.TOUCH, on_click=export_json),
            ft.OutlinedButton("For spreadsheets (CSV)", icon=ft.Icons.TABLE_CHART,
                              height=theme.TOUCH, on_click=export_csv),
            fhir_button(shell, account, account.id),
        ], wrap=True, spacing=8, run_spacing=8),
        muted("You can delete your account and everything you logged. This cannot be "
              "undone."),
        ft.Row([ft.OutlinedButton(
            "Delete my account and data", icon=ft.Icons.DELETE_FOREVER_OUTLINED,
            height=theme.TOUCH, style=ft.ButtonStyle(color=ft.Colors.ERROR),
            on_click=lambda _: ask_to_delete(shell))]),
    ]


def _bullets(lines: tuple[str, ...]) -> list[ft.Control]:
    return [ft.Row([ft.Text("•", size=14), ft.Text(line, size=14, expand=True)],
                   vertical_alignment=ft.CrossAxisAlignment.START, spacing=8)
            for line in lines]


def ask_to_delete(shell: Shell) -> None:
    """The confirmation dialog; deleting signs out and says so on the sign-in screen."""
    account = shell.require_account()
    page = shell.page
    typed = ft.TextField(label=f"Type {CONFIRM_WORD} to confirm", error_max_lines=2,
                         autocorrect=False, enable_suggestions=False)
    delete = ft.FilledButton(
        "Delete everything", height=theme.TOUCH, disabled=True,
        # Red only once it can be pressed: a style that sets one colour for every state
        # drew the disabled button as ready.
        style=ft.ButtonStyle(
            bgcolor={ft.ControlState.DISABLED: ft.Colors.with_opacity(0.12,
                                                                     ft.Colors.ON_SURFACE),
                     ft.ControlState.DEFAULT: ft.Colors.ERROR},
            color={ft.ControlState.DISABLED: ft.Colors.with_opacity(0.38,
                                                                   ft.Colors.ON_SURFACE),
                   ft.ControlState.DEFAULT: ft.Colors.ON_ERROR}))
    done: list[bool] = []

    def changed(_: Any) -> None:
        delete.disabled = (typed.value or "").strip() != CONFIRM_WORD
        typed.error = None
        page.update()

    async def act(_: Any) -> None:
        try:
            await asyncio.to_thread(shell.services.erasure.delete_my_account, account,
                                    typed.value or "")
        except InvalidInput as exc:
            typed.error = next(iter(exc.problems.values()))
            page.update()
            return
        done.append(True)
        page.pop_dialog()

    def closed(_: Any) -> None:
        if done:  # the screen moves on only once this dialog is gone (see app.ui.confirm)
            say_goodbye_on_sign_in(shell)
            shell.sign_out()

    typed.on_change = changed
    delete.on_click = act
    page.show_dialog(ft.AlertDialog(
        modal=True,
        title=ft.Text("Delete your account and data?"),
        content=ft.Column([
            ft.Text("This deletes, for good:", size=14, weight=ft.FontWeight.W_600),
            *_bullets(DELETED),
            ft.Text("This is kept:", size=14, weight=ft.FontWeight.W_600),
            *_bullets((KEPT,)),
            muted("Download your data first if you want a copy."),
            typed,
        ], tight=True, spacing=8, width=480,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH),  # a full-width field
        scrollable=True,  # a small phone scrolls the text; the buttons stay put
        actions=[
            ft.TextButton("Keep my account", height=theme.TOUCH,
                          on_click=lambda _: page.pop_dialog()),
            delete,
        ],
        on_dismiss=closed,
    ))


def say_goodbye_on_sign_in(shell: Shell) -> None:
    """Show the closing message once the sign-in screen is drawn: a dialog shown before the
    route change (a round trip through the browser) was gone with the screen it was on, so
    it follows the shell's next route change, once."""
    page = shell.page
    previous = page.on_route_change

    def once(event: Any) -> None:
        page.on_route_change = previous
        if previous is not None:  # the shell's own handler takes the event
            cast(Callable[[Any], object], previous)(event)
        page.show_dialog(ft.AlertDialog(
            modal=True, title=ft.Text(CLOSING_TITLE), content=ft.Text(CLOSING_TEXT),
            actions=[ft.TextButton("OK", height=theme.TOUCH,
                                   on_click=lambda _: page.pop_dialog())]))

    page.on_route_change = once
