"""Settings: name, time zone, appearance; for a patient also sharing, reminders (when,
email, the phone's calendar feed) and export my data; sign out."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.accounts import Role
from app.ui import theme
from app.ui.components import choice_list, form_column, save_button, save_fields
from app.ui.frame import muted, scaffold
from app.ui.screens import data_rights, password
from app.ui.screens.reminder_channels import calendar_feed, email_switch
from app.ui.screens.two_step import settings_section as two_step_section

if TYPE_CHECKING:
    from app.ui.shell import Shell

TIMEZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York",
             "America/Chicago", "America/Denver", "America/Los_Angeles", "Asia/Kolkata",
             "Asia/Tokyo", "Australia/Sydney")


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    name = ft.TextField(label="Your name", value=account.name)
    zones = TIMEZONES if account.timezone in TIMEZONES else (account.timezone, *TIMEZONES)
    zone_field, zone = choice_list("Time zone", account.timezone,
                                   [ft.dropdown.Option(key=z, text=z) for z in zones])
    appearance = ft.SegmentedButton(
        selected=[shell.theme_mode],
        segments=[ft.Segment(value="system", label=ft.Text("System")),
                  ft.Segment(value="light", label=ft.Text("Light")),
                  ft.Segment(value="dark", label=ft.Text("Dark"))],
        on_change=lambda e: shell.set_theme(e.control.selected[0]),
    )

    async def save(_: Any) -> None:
        if await save_fields(shell.page, {"name": name}, lambda: shell.services.accounts
                             .update_profile(account, name=name.value, timezone=zone.value)):
            shell.toast("Saved.")

    button, busy = save_button("Save", save)
    body: list[ft.Control] = [
        ft.Text("Profile", size=18, weight=ft.FontWeight.W_600), name, zone_field,
        ft.Row([button, busy]),
        ft.Divider(),
        ft.Text("Appearance", size=18, weight=ft.FontWeight.W_600), appearance,
    ]
    if account.role is Role.PATIENT:
        body += [
            ft.Divider(),
            ft.Text("Sharing", size=18, weight=ft.FontWeight.W_600),
            muted("Share your progress with your therapist, see who can see it, and who "
                  "looked."),
            ft.Row([ft.OutlinedButton("Sharing and who looked", icon=ft.Icons.PEOPLE_OUTLINE,
                                      height=theme.TOUCH,
                                      on_click=lambda _: shell.go("/sharing"))]),
        ]
        body += reminder_section(shell)
        body += data_rights.section(shell)  # download all my data; delete my account
    body += password.change_section(shell)  # change my password
    body += two_step_section(shell)  # two-step sign-in: status, set up, codes, off
    body += [ft.Divider(),
             ft.FilledTonalButton("Sign out", icon=ft.Icons.LOGOUT, height=theme.TOUCH,
                                  on_click=lambda _: shell.sign_out())]
    return scaffold(shell, "/settings", "Settings", [form_column(body)])


def reminder_section(shell: Shell) -> list[ft.Control]:
    account = shell.require_account()
    prefs = shell.services.logbook.reminders(account, account.id)
    daily = ft.Switch(label="Remind me to check in every day", value=prefs.daily_check_in)
    at = ft.TextField(label="Check-in reminder time (HH:MM)", value=prefs.check_in_time)
    # Switch labels don't wrap: short enough for a 360 px phone, the detail below.
    follow_ups = ft.Switch(label="Ask about soreness after sessions",
                           value=prefs.session_follow_ups)
    quiet_from = ft.TextField(label="Quiet from (HH:MM)", value=prefs.quiet_from, expand=True)
    quiet_until = ft.TextField(label="Quiet until (HH:MM)", value=prefs.quiet_until,
                               expand=True)
    fields = {"check_in_time": at, "quiet_from": quiet_from, "quiet_until": quiet_until}

    async def save(_: Any) -> None:
        wanted = replace(prefs, daily_check_in=bool(daily.value),
                         check_in_time=(at.value or "").strip(),
                         session_follow_ups=bool(follow_ups.value),
                         quiet_from=(quiet_from.value or "").strip(),
                         quiet_until=(quiet_until.value or "").strip())
        if await save_fields(shell.page, fields,
                             lambda: shell.services.logbook.set_reminders(account, wanted)):
            shell.toast("Reminder settings saved.")

    return [
        ft.Divider(),
        ft.Text("Reminders", size=18, weight=ft.FontWeight.W_600),
        daily, at, follow_ups,
        muted("24 h and 48 h after each needling session. No reminders during quiet "
              "hours; they wait until the quiet time ends."),
        ft.Row([quiet_from, quiet_until]),
        ft.Row([ft.OutlinedButton("Save reminders", height=theme.TOUCH, on_click=save)]),
        *email_switch(shell),
        *calendar_feed(shell),
    ]
