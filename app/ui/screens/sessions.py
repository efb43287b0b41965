"""Log a needling session, and soreness in the days after one."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.accounts import Account
from app.domain.entries import NeedlingSession, SorenessEntry, hours_since
from app.domain.errors import Conflict, InvalidInput
from app.domain.regions import NEEDLING_REGIONS
from app.domain.zones import patient_today
from app.services.logbook import MILESTONE, SESSION, SORENESS
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import ChipChoice, choice_list, form_column, save_button
from app.ui.confirm import confirm
from app.ui.date_field import date_field as date_field_with_calendar
from app.ui.frame import card, muted, not_shared, scaffold
from app.ui.score_row import ScoreRow

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
    logbook = shell.services.logbook
    edit_id = shell.query.get("edit")
    current = logbook.get_entry(viewer, SESSION, edit_id) if edit_id and own else None
    existing = current.value if current is not None else None
    if not isinstance(existing, NeedlingSession):
        if edit_id and own:
            return _gone(shell, "/session", "Correct a session")
        existing = None
    now = fmt.local(existing.performed_at if existing else shell.services.accounts.clock(),
                    account.timezone)
    today = patient_today(shell.services.accounts.clock(), account.timezone)
    date_row, date_field = date_field_with_calendar(shell.page, "Date (YYYY-MM-DD)",
                                                    now.date(), today, expand=3)
    time_field = ft.TextField(label="Time (HH:MM)", value=f"{now:%H:%M}",
                              keyboard_type=ft.KeyboardType.DATETIME, expand=2)
    when_error = ft.Text("", color=ft.Colors.ERROR, visible=False)
    regions = ChipChoice("Which areas were needled?", NEEDLING_REGIONS,
                         existing.regions if existing else ())
    note = ft.TextField(label="Note (optional)", multiline=True, min_lines=2,
                        value=existing.note if existing else "")

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
        def store() -> object:
            if existing is not None and current is not None:
                return logbook.correct_session(
                    viewer, existing.id, expected_version=current.version,
                    regions=list(regions.selected), performed_at=performed, note=note.value)
            return logbook.log_session(viewer, account.id, regions=list(regions.selected),
                                       performed_at=performed, note=note.value)

        try:
            await asyncio.to_thread(store)
        except Conflict:
            when_error.value = CHANGED_ELSEWHERE
            when_error.visible = True
            button.disabled, busy.visible = False, False
            shell.page.update()
            return
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
        if existing is not None:
            shell.flash = "Session corrected — the original stays in your history."
            shell.go("/history?show=session")
        elif own:
            shell.flash = "Session saved. Log your soreness over the next days."
            shell.go("/soreness")
        else:
            shell.flash = f"Session recorded for {account.name}."
            shell.go(f"/progress?patient={account.id}")

    button, busy = save_button("Save correction" if existing else "Save session", save)
    actions: list[ft.Control] = [button, busy]
    if existing is not None and current is not None:
        actions.append(withdraw_button(shell, "session", SESSION, existing.id,
                                       current.version, "/history?show=session"))
    body: list[ft.Control] = [form_column([
        muted("Correct this session. The original stays in your history." if existing
              else "When was the session, and where were the needles?" if own else
              f"{account.name}'s session: when, in their time ({account.timezone}), and "
              f"where were the needles?"),
        ft.Row([date_row, time_field], vertical_alignment=ft.CrossAxisAlignment.START),
        when_error, regions, note,
        ft.Row(actions, wrap=True),
    ])]
    if existing is not None:
        return scaffold(shell, "/session", "Correct a session", body, back="/history")
    if own:
        return scaffold(shell, "/session", "Log a needling session", body, back="/")
    return scaffold(shell, "/session", f"Record a session · {account.name}", body,
                    back=f"/progress?patient={account.id}")


def build_soreness(shell: Shell) -> ft.View:
    account = shell.require_account()
    if shell.query.get("edit"):
        return _correct_soreness(shell, account, shell.query["edit"])
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
    labels = shell.services.rulebook.region_labels

    def describe(session_id: str) -> str:
        session = data.session(session_id) or recent[0].value
        regions = ", ".join(labels.get(r, r).lower() for r in session.regions)
        return (f"Needled: {regions}. {fmt.hours_ago(hours_since(session, now)).capitalize()}"
                f" — {int(hours_since(session, now))} hours since this session.")

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
            # The date only: with the areas too it was cut off at 360 px; the areas are
            # in the line below.
            text=fmt.when(s.value.performed_at, account.timezone))
            for s in recent],
        on_select=picked,
        expand=True,
    )
    soreness = ScoreRow("How sore is it now?", anchors={0: "Not sore", 10: "Worst "
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


CHANGED_ELSEWHERE = ("This entry was changed somewhere else. Go back to History and open it "
                     "again.")

# What each withdrawable kind is called on its button and in its dialog.
KIND_WORDS = {SESSION: "session", SORENESS: "soreness entry", MILESTONE: "milestone"}


def withdraw_button(shell: Shell, what: str, kind: str, entry_id: str, version: int,
                    then: str) -> ft.Control:
    """"Withdraw this …": asks once, then leaves a withdrawn version (kept in history)."""
    account = shell.require_account()

    def finished() -> None:
        shell.flash = f"The {what} is withdrawn. Its earlier versions stay in your history."
        shell.go(then)

    def ask(_: Any) -> None:
        confirm(shell.page, title=f"Withdraw this {what}?",
                text="It will no longer count in your guidance, charts or what your "
                     "therapist sees. Its earlier versions stay in your history.",
                keep="Keep it", act="Withdraw",
                work=lambda: shell.services.logbook.withdraw(account, kind, entry_id,
                                                             expected_version=version),
                then=finished)

    return ft.OutlinedButton(f"Withdraw this {what}", icon=ft.Icons.DELETE_OUTLINE,
                             height=theme.TOUCH, on_click=ask)


def _gone(shell: Shell, route: str, title: str) -> ft.View:
    body: list[ft.Control] = [card(
        ft.Text("Not found", size=18, weight=ft.FontWeight.W_600),
        muted("This entry was withdrawn or is not yours to change."),
        ft.FilledButton("Back to History", height=theme.TOUCH,
                        on_click=lambda _: shell.go("/history")),
    )]
    return scaffold(shell, route, title, body, back="/history")


def _correct_soreness(shell: Shell, account: Account, entry_id: str) -> ft.View:
    logbook = shell.services.logbook
    current = logbook.get_entry(account, SORENESS, entry_id)
    entry = current.value if current is not None else None
    if current is None or not isinstance(entry, SorenessEntry):
        return _gone(shell, "/soreness", "Correct soreness")
    data = logbook.load(account, account.id)
    session = data.session(entry.session_id)
    hours = int(hours_since(session, entry.recorded_at)) if session else 0
    regions = ", ".join(NEEDLING_REGIONS[r].lower() for r in session.regions) if session \
        else ""
    soreness = ScoreRow("How sore was it?", value=entry.soreness,
                           anchors={0: "Not sore", 10: "Worst imaginable"})
    problem = ft.Text("", color=ft.Colors.ERROR, visible=False)

    async def save(_: Any) -> None:
        soreness.show_error(None)
        problem.visible = False
        try:
            await asyncio.to_thread(logbook.correct_soreness, account, entry.id,
                                    expected_version=current.version,
                                    soreness=soreness.value, note=entry.note)
        except Conflict:
            problem.value, problem.visible = CHANGED_ELSEWHERE, True
            shell.page.update()
            return
        except InvalidInput as exc:
            soreness.show_error(next(iter(exc.problems.values())))
            shell.page.update()
            return
        shell.flash = "Soreness corrected — the original stays in your history."
        shell.go("/history?show=soreness")

    button, busy = save_button("Save correction", save)
    body: list[ft.Control] = [form_column([
        muted("Correct this soreness entry. The original stays in your history."),
        ft.Text(f"Logged {fmt.when(entry.recorded_at, account.timezone)}, {hours} hours "
                f"after the session" + (f" — {regions}." if regions else "."), size=16),
        soreness, problem,
        ft.Row([button, busy, withdraw_button(shell, "soreness entry", SORENESS, entry.id,
                                              current.version, "/history?show=soreness")],
               wrap=True),
    ])]
    return scaffold(shell, "/soreness", "Correct soreness", body, back="/history")
