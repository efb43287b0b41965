"""The patient's Today screen: new reminders, check-in status, last session, progress in
one line, and the big actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.domain.entries import hours_since
from app.domain.regions import NEEDLING_REGIONS
from app.domain.reminders import Due, next_due
from app.domain.zones import patient_today
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import go_to
from app.ui.frame import card, heading, muted, scaffold, unread_reminders
from app.ui.screens.answers import follow_up_card

if TYPE_CHECKING:
    from datetime import datetime

    from app.ui.shell import Shell


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    data = shell.services.logbook.load(account, account.id)
    now = shell.services.accounts.clock()
    today = patient_today(now, account.timezone)
    todays = [c.value for c in data.check_ins
              if patient_today(c.value.recorded_at, account.timezone) == today]

    if todays:
        last = todays[-1]
        status = card(
            ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.GREEN_700),
                    ft.Text("Checked in today", size=18, weight=ft.FontWeight.W_600)]),
            muted(f"At {fmt.local(last.recorded_at, account.timezone):%H:%M}: "
                  f"pain {last.pain_now}/10."),
            ft.OutlinedButton("Check in again", height=theme.TOUCH,
                              on_click=go_to(shell, "/checkin")),
        )
    else:
        status = card(
            ft.Row([ft.Icon(ft.Icons.PENDING_ACTIONS, color=ft.Colors.PRIMARY),
                    ft.Text("Today's check-in", size=18, weight=ft.FontWeight.W_600)]),
            muted("Takes about 30 seconds."),
            ft.FilledButton("Check in now", height=theme.TOUCH, icon=ft.Icons.ADD,
                            on_click=go_to(shell, "/checkin")),
        )

    session = data.last_session
    if session is not None:
        regions = ", ".join(NEEDLING_REGIONS[r].lower() for r in session.regions)
        session_card = card(
            ft.Text("Last needling session", size=18, weight=ft.FontWeight.W_600),
            ft.Text(f"{fmt.when(session.performed_at, account.timezone)} — {regions}"),
            muted(fmt.hours_ago(hours_since(session, now)).capitalize() + "."),
            ft.Row([
                ft.FilledButton("Log soreness", height=theme.TOUCH,
                                on_click=go_to(shell, "/soreness")),
                ft.OutlinedButton("Is this normal?", height=theme.TOUCH,
                                  icon=ft.Icons.HEALTH_AND_SAFETY,
                                  on_click=go_to(shell, "/guidance")),
            ], wrap=True),
        )
    else:
        session_card = card(
            ft.Text("Needling sessions", size=18, weight=ft.FontWeight.W_600),
            muted("No session logged yet. After a session, log it here so the app can "
                  "follow your soreness."),
        )

    progress = card(
        ft.Text("Your progress", size=18, weight=ft.FontWeight.W_600),
        ft.Text(shell.services.progress.summary_of(data).headline, size=16),
        ft.TextButton("See charts", on_click=go_to(shell, "/progress")),
    )
    more = card(
        ft.Text("More", size=18, weight=ft.FontWeight.W_600),
        ft.Row([
            ft.OutlinedButton("Log a needling session", height=theme.TOUCH,
                              icon=ft.Icons.ADD_LOCATION_ALT_OUTLINED,
                              on_click=go_to(shell, "/session")),
            ft.OutlinedButton("Milestones", height=theme.TOUCH, icon=ft.Icons.FLAG_OUTLINED,
                              on_click=go_to(shell, "/milestones")),
            ft.OutlinedButton("My activities", height=theme.TOUCH,
                              icon=ft.Icons.DIRECTIONS_RUN,
                              on_click=go_to(shell, "/activities")),
        ], wrap=True),
    )
    prefs = shell.services.logbook.reminders(account, account.id)
    local_now = fmt.local(now, account.timezone)
    due = next_due(prefs, local_now, bool(todays), [s.value for s in data.sessions[-3:]])
    coming = shell.services.reminders.next_reminder(account, account.id)
    next_line = next_reminder_line(coming, due, local_now, prefs.daily_check_in)
    unread = unread_reminders(shell, account)
    new_reminders = [new_reminders_card(shell, unread)] if unread else []
    # An urgent "Is this normal?" answer is followed up for 72 h, above everything else.
    asked = shell.services.followups.due(account, account.id)
    follow_ups = [follow_up_card(shell, account, asked)] if asked else []
    body: list[ft.Control] = [
        heading(f"Hello, {account.name.split()[0]}"),
        *([ft.ResponsiveRow(follow_ups, spacing=16)] if follow_ups else []),
        *([ft.ResponsiveRow(new_reminders, spacing=16)] if new_reminders else []),
        # The line wraps beside the bell (a wrapping Row put the bell alone above it at 360 px).
        ft.Row([ft.Icon(ft.Icons.NOTIFICATIONS_OUTLINED, size=20, color=ft.Colors.PRIMARY),
                ft.Container(muted(next_line, 15), expand=True)]),
        ft.ResponsiveRow([status, session_card, progress, more], spacing=16, run_spacing=16),
    ]
    return scaffold(shell, "/", "Today", body, unread=unread)


def new_reminders_text(unread: int) -> str:
    return f"You have {unread} new reminder{'' if unread == 1 else 's'}"


def new_reminders_card(shell: Shell, unread: int) -> ft.Control:
    return card(
        ft.Row([ft.Icon(ft.Icons.NOTIFICATIONS_ACTIVE, color=ft.Colors.PRIMARY),
                ft.Container(ft.Text(new_reminders_text(unread), size=18,
                                     weight=ft.FontWeight.W_600), expand=True)]),
        ft.Row([ft.FilledButton("Open reminders", height=theme.TOUCH,
                                icon=ft.Icons.INBOX_OUTLINED,
                                on_click=go_to(shell, "/reminders"))]),
        col={"xs": 12, "md": 6, "xl": 4})


def next_reminder_line(coming: datetime | None, due: Due | None, local_now: datetime,
                       daily_on: bool) -> str:
    """When the next reminder really comes: the scheduler's answer (`coming`, which also
    knows the care team's reminders and the nudge). The patient's own preferences
    (`due`) only name it when they point at the same minute."""
    if coming is None:
        if not daily_on:
            return "Reminders are off. You can turn them on in Settings."
        return "No reminder is planned for the next days."
    coming = coming.astimezone(local_now.tzinfo)
    days_ahead = (coming.date() - local_now.date()).days
    day = {0: "today", 1: "tomorrow"}.get(days_ahead, f"{coming:%a %-d %b}")
    what = ""
    if due is not None and due.at.replace(second=0, microsecond=0) == \
            coming.replace(second=0, microsecond=0):
        what = f"{due.what.lower()}, "
    return f"Next reminder: {what}{day} at {coming:%H:%M}."
