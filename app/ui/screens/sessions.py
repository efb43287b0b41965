"""Log a needling session, and soreness in the days after one."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.entries import hours_since
from app.domain.errors import InvalidInput
from app.domain.regions import NEEDLING_REGIONS
from app.ui import format as fmt
from app.ui.components import ChipChoice, ScorePicker, choice_list, form_column, save_button
from app.ui.frame import card, muted, not_shared, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell


def build_session(shell: Shell) -> ft.View:
    """The patient logs a session, or a clinician records one for a patient who shared
    with them (/session?patient=ID: times in the patient's time zone)."""
    viewer = shell.require_account()
    account = shell.patient_in_view(viewer)
    if account is None:
        return not_shared(shell, "/session", "Record a needling session")
    own = account.id == viewer.id
    now = fmt.local(shell.services.accounts.clock(), account.timezone)
    date_field = ft.TextField(label="Date (YYYY-MM-DD)", value=f"{now:%Y-%m-%d}",
                              keyboard_type=ft.KeyboardType.DATETIME, expand=True)
    time_field = ft.TextField(label="Time (HH:MM)", value=f"{now:%H:%M}",
                              keyboard_type=ft.KeyboardType.DATETIME, expand=True)
    when_error = ft.Text("", color=ft.Colors.ERROR, visible=False)
    regions = ChipChoice("Which areas were needled?", NEEDLING_REGIONS)
    note = ft.TextField(label="Note (optional)", multiline=True, min_lines=2)

    async def save(_: Any) -> None:
        note.error = None
        when_error.visible = False
        regions.show_error(None)
        try:
            performed = datetime.strptime(f"{date_field.value} {time_field.value}",
                                          "%Y-%m-%d %H:%M").replace(tzinfo=now.tzinfo)
        except ValueError:
            when_error.value = "Use a date like 2026-11-24 and a time like 09:30."
            when_error.visible = True
            shell.page.update()
            return
        button.disabled, busy.visible = True, True
        shell.page.update()
        try:
            await asyncio.to_thread(shell.services.logbook.log_session, viewer, account.id,
                                    regions=list(regions.selected), performed_at=performed,
                                    note=note.value)
        except InvalidInput as exc:
            for field, message in exc.problems.items():
                if field == "regions":
                    regions.show_error(message)
                elif field == "performed_at":
                    when_error.value, when_error.visible = message, True
                else:
                    note.error = message
            button.disabled, busy.visible = False, False
            shell.page.update()
            return
        if own:
            shell.flash = "Session saved. Log your soreness over the next days."
            shell.go("/soreness")
        else:
            shell.flash = f"Session recorded for {account.name}."
            shell.go(f"/progress?patient={account.id}")

    button, busy = save_button("Save session", save)
    body: list[ft.Control] = [form_column([
        muted("When was the session, and where were the needles?" if own else
              f"{account.name}'s session: when, in their time ({account.timezone}), and "
              f"where were the needles?"),
        ft.Row([date_field, time_field]), when_error, regions, note, ft.Row([button, busy]),
    ])]
    if own:
        return scaffold(shell, "/session", "Log a needling session", body, back="/")
    return scaffold(shell, "/session", f"Record a session · {account.name}", body,
                    back=f"/progress?patient={account.id}")


def build_soreness(shell: Shell) -> ft.View:
    account = shell.require_account()
    data = shell.services.logbook.load(account, account.id)
    now = shell.services.accounts.clock()
    recent = list(reversed(data.sessions))[:6]
    if not recent:
        body: list[ft.Control] = [card(
            ft.Text("No needling session yet", size=18, weight=ft.FontWeight.W_600),
            muted("Soreness is logged against a session. Log the session first."),
            ft.FilledButton("Log a needling session", on_click=lambda _: shell.go("/session")),
        )]
        return scaffold(shell, "/soreness", "Log soreness", body, back="/")

    chosen = {"id": shell.query.get("session") or recent[0].value.id}

    def describe(session_id: str) -> str:
        session = data.session(session_id) or recent[0].value
        return (f"{fmt.hours_ago(hours_since(session, now)).capitalize()} — "
                f"{int(hours_since(session, now))} hours since this session.")

    since = ft.Text(describe(chosen["id"]), size=16, weight=ft.FontWeight.W_600)

    def picked(event: Any) -> None:
        chosen["id"] = event.control.value
        since.value = describe(chosen["id"])
        shell.page.update()

    session_field, _ = choice_list(
        "Which session is this soreness from?",
        chosen["id"],
        [ft.dropdown.Option(
            key=s.value.id,
            text=f"{fmt.when(s.value.performed_at, account.timezone)} · "
                 + ", ".join(r.replace("_", " ") for r in s.value.regions))
            for s in recent],
        on_select=picked,
        expand=True,
    )
    soreness = ScorePicker("How sore is it now?", anchors={0: "Not sore", 10: "Worst "
                                                            "imaginable"})
    result = ft.Column(visible=False)

    async def save(_: Any) -> None:
        soreness.show_error(None)
        if soreness.value is None:
            soreness.show_error("Tap a number for how sore it is now.")
            shell.page.update()
            return
        button.disabled, busy.visible = True, True
        shell.page.update()
        try:
            saved = await asyncio.to_thread(
                shell.services.logbook.log_soreness, account, account.id,
                session_id=chosen["id"], soreness=soreness.value)
        except InvalidInput as exc:
            soreness.show_error(next(iter(exc.problems.values())))
            button.disabled, busy.visible = False, False
            shell.page.update()
            return
        session = data.session(chosen["id"])
        hours = hours_since(session, saved.value.recorded_at) if session else 0.0
        result.controls = [card(
            ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.GREEN_700),
                    ft.Text("Soreness saved", size=18, weight=ft.FontWeight.W_600)]),
            ft.Text(f"Soreness {saved.value.soreness}/10, {int(hours)} hours after your "
                    f"session."),
            *_verdict(shell, chosen["id"]),
            ft.Row([
                ft.FilledButton("Is this normal?", icon=ft.Icons.HEALTH_AND_SAFETY,
                                on_click=lambda _: shell.go(f"/guidance?session={chosen['id']}")),
                ft.TextButton("Done", on_click=lambda _: shell.go("/")),
            ], wrap=True),
            col={"xs": 12},
        )]
        result.visible = True
        button.disabled, busy.visible = False, False
        shell.page.update()

    button, busy = save_button("Save soreness", save)
    body = [form_column([
        ft.Row([session_field]), since, soreness, ft.Row([button, busy]), result,
    ])]
    return scaffold(shell, "/soreness", "Log soreness", body, back="/")


def _verdict(shell: Shell, session_id: str) -> list[ft.Control]:
    """The guidance verdict for the soreness just logged (see the guidance screen)."""
    from app.ui.screens.guidance import verdict_summary

    return verdict_summary(shell, session_id)
