"""PSFS activities (3–5 the patient names) and movement milestones."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.entries import MILESTONE_SUGGESTIONS, PSFS_SUGGESTIONS
from app.domain.errors import Conflict, InvalidInput
from app.domain.scales import PSFS_MAX_ACTIVITIES, PSFS_MIN_ACTIVITIES
from app.domain.zones import patient_today
from app.services.logbook import MILESTONE
from app.ui import theme
from app.ui.components import form_column, icon_button, save_button
from app.ui.date_field import date_field
from app.ui.frame import card, muted, scaffold
from app.ui.screens.sessions import CHANGED_ELSEWHERE, withdraw_button

if TYPE_CHECKING:
    from app.ui.shell import Shell


def build_activities(shell: Shell) -> ft.View:
    account = shell.require_account()
    current = [a.name for a in shell.services.logbook.activities_of(account, account.id)]
    fields = [ft.TextField(label=f"Activity {i + 1}", value=current[i] if i < len(current)
                           else "") for i in range(PSFS_MAX_ACTIVITIES)]
    problem = ft.Text("", color=ft.Colors.ERROR, visible=False)

    def suggest(event: Any) -> None:
        empty = next((f for f in fields if not (f.value or "").strip()), None)
        if empty is None:
            problem.value = f"You already have {PSFS_MAX_ACTIVITIES} activities."
            problem.visible = True
        else:
            empty.value = event.control.data
        shell.page.update()

    async def save(_: Any) -> None:
        for f in fields:
            f.error = None
        problem.visible = False
        names = [(f.value or "").strip() for f in fields if (f.value or "").strip()]
        button.disabled, busy.visible = True, True
        shell.page.update()
        try:
            await asyncio.to_thread(shell.services.logbook.set_activities, account,
                                    account.id, names)
        except InvalidInput as exc:
            filled = [f for f in fields if (f.value or "").strip()]
            for key, message in exc.problems.items():
                if key.startswith("activity.") and int(key.split(".")[1]) < len(filled):
                    filled[int(key.split(".")[1])].error = message
                else:
                    problem.value, problem.visible = message, True
            button.disabled, busy.visible = False, False
            shell.page.update()
            return
        shell.flash = "Your activities are saved. Rate them at each check-in."
        shell.go("/")

    button, busy = save_button("Save activities", save)
    chips = ft.Row([ft.Chip(label=ft.Text(s), data=s, on_click=suggest, height=theme.TOUCH)
                    for s in PSFS_SUGGESTIONS], wrap=True, spacing=6, run_spacing=6)
    body: list[ft.Control] = [form_column([
        muted(f"Name {PSFS_MIN_ACTIVITIES} to {PSFS_MAX_ACTIVITIES} everyday activities that "
              f"your back makes hard. You will rate each from 0 (can't do it) to 10 (as "
              f"before the problem) when you check in."),
        *fields,
        ft.Text("Ideas", size=16, weight=ft.FontWeight.W_600),
        chips, problem, ft.Row([button, busy]),
    ])]
    return scaffold(shell, "/activities", "My activities", body, back="/")


def build_milestones(shell: Shell) -> ft.View:
    """Add a milestone, or correct / withdraw one (?edit=ID, from History or the list)."""
    account = shell.require_account()
    logbook = shell.services.logbook
    data = logbook.load(account, account.id)
    edit_id = shell.query.get("edit")
    current = next((m for m in data.milestones if m.value.id == edit_id), None)
    existing = current.value if current is not None else None
    today = patient_today(shell.services.accounts.clock(), account.timezone)
    text = ft.TextField(label="What did you manage?", value=existing.text if existing else "")
    day_row, day = date_field(shell.page, "Date (YYYY-MM-DD)",
                              existing.achieved_on if existing else today, today, width=280)

    def suggest(event: Any) -> None:
        text.value = event.control.data
        shell.page.update()

    async def save(_: Any) -> None:
        text.error = day.error = None
        try:
            achieved = date.fromisoformat((day.value or "").strip())
        except ValueError:
            day.error = "Use a date like 2026-11-24."
            shell.page.update()
            return

        def store() -> object:
            if existing is not None and current is not None:
                return logbook.correct_milestone(
                    account, existing.id, expected_version=current.version, text=text.value,
                    achieved_on=achieved, note=existing.note)
            return logbook.add_milestone(account, account.id, text=text.value,
                                         achieved_on=achieved)

        try:
            await asyncio.to_thread(store)
        except Conflict:
            text.error = CHANGED_ELSEWHERE
            shell.page.update()
            return
        except InvalidInput as exc:
            for key, message in exc.problems.items():
                if key == "achieved_on":
                    day.error = message
                else:
                    text.error = message
            shell.page.update()
            return
        shell.flash = ("Milestone corrected — the original stays in your history."
                       if existing else "Milestone saved — well done!")
        shell.go("/milestones")

    button, busy = save_button("Save correction" if existing else "Add milestone", save)
    actions: list[ft.Control] = [button, busy]
    if existing is not None and current is not None:
        actions.append(withdraw_button(shell, "milestone", MILESTONE, existing.id,
                                       current.version, "/milestones"))
    done: list[ft.Control] = [card(
        ft.Row([
            ft.Column([ft.Text(m.value.text, size=16, weight=ft.FontWeight.W_600),
                       muted(m.value.achieved_on.strftime("%a %-d %b %Y"))],
                      spacing=4, expand=True),
            icon_button(ft.Icons.EDIT, f"Correct milestone: {m.value.text}",
                        lambda _, i=m.value.id: shell.go(f"/milestones?edit={i}")),
        ], vertical_alignment=ft.CrossAxisAlignment.START))
        for m in reversed(data.milestones)]
    body: list[ft.Control] = [
        form_column([
            muted("Correct this milestone. The original stays in your history." if existing
                  else "Record the moments that show you are moving better."),
            # Not in a wrapping Row: an expanding field in a Wrap has no width to fill,
            # and Flutter drew the whole form as its grey error box.
            text, day_row,
            *([] if existing else [ft.Row(
                [ft.Chip(label=ft.Text(s), data=s, on_click=suggest, height=theme.TOUCH)
                 for s in MILESTONE_SUGGESTIONS], wrap=True, spacing=6, run_spacing=6)]),
            ft.Row(actions, wrap=True),
        ]),
    ]
    if existing is None:
        body += [ft.Text("Your milestones", size=18, weight=ft.FontWeight.W_600),
                 ft.ResponsiveRow(done or [muted("None yet.")], spacing=12, run_spacing=12)]
        return scaffold(shell, "/milestones", "Milestones", body, back="/")
    return scaffold(shell, "/milestones", "Correct a milestone", body, back="/milestones")
