"""PSFS activities (3–5 the patient names) and movement milestones."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.entries import MILESTONE_SUGGESTIONS, PSFS_SUGGESTIONS
from app.domain.errors import InvalidInput
from app.domain.scales import PSFS_MAX_ACTIVITIES, PSFS_MIN_ACTIVITIES
from app.domain.zones import patient_today
from app.ui import theme
from app.ui.components import form_column, save_button
from app.ui.frame import card, muted, scaffold

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
    account = shell.require_account()
    data = shell.services.logbook.load(account, account.id)
    today = patient_today(shell.services.accounts.clock(), account.timezone)
    text = ft.TextField(label="What did you manage?")
    day = ft.TextField(label="Date (YYYY-MM-DD)", value=today.isoformat(), width=200)

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
        try:
            await asyncio.to_thread(shell.services.logbook.add_milestone, account, account.id,
                                    text=text.value, achieved_on=achieved)
        except InvalidInput as exc:
            for key, message in exc.problems.items():
                if key == "achieved_on":
                    day.error = message
                else:
                    text.error = message
            shell.page.update()
            return
        shell.flash = "Milestone saved — well done!"
        shell.go("/milestones")

    button, busy = save_button("Add milestone", save)
    done: list[ft.Control] = [card(ft.Text(m.value.text, size=16, weight=ft.FontWeight.W_600),
                 muted(m.value.achieved_on.strftime("%a %-d %b %Y")))
            for m in reversed(data.milestones)]
    body: list[ft.Control] = [
        form_column([
            muted("Record the moments that show you are moving better."),
            # Not in a wrapping Row: an expanding field in a Wrap has no width to fill,
            # and Flutter drew the whole form as its grey error box.
            text, day,
            ft.Row([ft.Chip(label=ft.Text(s), data=s, on_click=suggest, height=theme.TOUCH)
                    for s in MILESTONE_SUGGESTIONS], wrap=True, spacing=6, run_spacing=6),
            ft.Row([button, busy]),
        ]),
        ft.Text("Your milestones", size=18, weight=ft.FontWeight.W_600),
        ft.ResponsiveRow(done or [muted("None yet.")], spacing=12, run_spacing=12),
    ]
    return scaffold(shell, "/milestones", "Milestones", body, back="/")
