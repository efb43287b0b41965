"""The patient's reminders inbox (/reminders): what the care team and the app sent, newest
first, each leading to its action (check in, log soreness, home exercises, an appointment
into the phone's calendar), with "Done" and "Not now".

Opening the inbox is reading it: the items shown are marked opened (the care team sees
"Opened"), so the unread badge is gone on this screen and after it. The items that were
new on arrival keep a "New" mark while the screen is open, so the patient still sees
which ones they had not seen before. An answer redraws its own item only (a whole-screen
redraw would drop those marks and costs a diff of the whole list).

Everything shown comes from ReminderService.inbox; this module only words it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.reminder_delivery import Answer
from app.domain.reminder_plan import Template
from app.services.reminders import InboxItem
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import form_column
from app.ui.frame import muted, scaffold

if TYPE_CHECKING:
    from app.domain.accounts import Account
    from app.ui.shell import Shell

ROUTE = "/reminders"
# Items drawn at first (and added by each "Show older reminders"): a year of daily
# reminders would otherwise be a control tree too big to diff on every tap.
PAGE_SIZE = 20
# The button each kind of item leads to, by its template's route (Template.action).
ACTION_LABELS = {"/checkin": "Check in", "/soreness": "Log soreness",
                 "/activities": "My activities"}
ADD_TO_CALENDAR = "Add to my calendar"
ANSWER_WORDS = {Answer.DONE: "Done", Answer.NOT_NOW: "Not now"}


def action_of(item: InboxItem) -> tuple[str, str] | None:
    """(button label, route) of an item's action; None for an appointment (a download, see
    `appointment_button`) and for a message (it has no action beyond reading it)."""
    label = ACTION_LABELS.get(item.action)
    if label is None:
        return None
    if item.action == "/soreness" and item.session_id:
        return label, f"/soreness?session={item.session_id}"
    return label, item.action


def arrived_line(item: InboxItem, timezone: str) -> str:
    """When the item arrived, in the patient's zone; a late one says so and when it was
    due (the server was down when it fell due)."""
    arrived = item.delivery.delivered_at or item.delivery.due_at
    line = f"Arrived {fmt.when(arrived, timezone)}"
    if item.delivery.late:
        due = item.delivery.due_at
        same_day = fmt.day(due, timezone) == fmt.day(arrived, timezone)
        line += f", late: it was due at {fmt.local(due, timezone):%H:%M}" if same_day \
            else f", late: it was due {fmt.when(due, timezone)}"
    return line + "."


def appointment_line(item: InboxItem) -> str | None:
    if item.appointment_at is None:
        return None
    when = f"{item.appointment_at:%a %-d %b, %H:%M}"
    return f"Appointment: {when}" + (f", {item.place}" if item.place else "") + "."


def next_reminder_line(shell: Shell, account: Account) -> str:
    due = shell.services.reminders.next_reminder(account, account.id)
    if due is None:
        return "No reminders are planned for you at the moment."
    return f"Your next reminder comes {fmt.when(due, account.timezone)}."


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    items = shell.services.reminders.inbox(account, account.id)
    if not items:
        body: list[ft.Control] = [
            ft.Text("Nothing here yet", size=18, weight=ft.FontWeight.W_600),
            muted("Reminders from your clinic and from the app show up here, such as "
                  "your daily check-in or a soreness check after a session.", 15),
            muted(next_reminder_line(shell, account), 15),
            _settings_link(shell),
        ]
        return scaffold(shell, ROUTE, "Reminders", [form_column(body)], back="/", unread=0)

    new = {i.delivery.id for i in items if i.unread}
    shown = items[:PAGE_SIZE]
    listing = ft.Column([_item_card(shell, account, i, i.delivery.id in new) for i in shown],
                        spacing=12)
    body = [listing]
    if len(items) > PAGE_SIZE:
        body.append(_show_older(shell, account, items, listing, new))
    body.append(_settings_link(shell))
    _mark_opened(shell, account, shown)
    # What is shown is read: the badge here counts only what is not drawn yet.
    unread = sum(1 for i in items[PAGE_SIZE:] if i.unread)
    return scaffold(shell, ROUTE, "Reminders", [form_column(body)], back="/", unread=unread)


def _mark_opened(shell: Shell, account: Account, shown: list[InboxItem]) -> None:
    """Record, off the event loop, that the patient saw these items."""
    unopened = [i.delivery.id for i in shown if i.delivery.opened_at is None]
    if not unopened:
        return

    def mark() -> None:
        for delivery_id in unopened:
            shell.services.reminders.open_item(account, delivery_id)

    async def run() -> None:
        await asyncio.to_thread(mark)

    shell.page.run_task(run)


def _show_older(shell: Shell, account: Account, items: list[InboxItem],
                listing: ft.Column, new: set[str]) -> ft.Control:
    async def more(_: Any) -> None:
        start = len(listing.controls)
        batch = items[start:start + PAGE_SIZE]
        listing.controls += [_item_card(shell, account, i, i.delivery.id in new)
                             for i in batch]
        button.visible = start + PAGE_SIZE < len(items)
        _mark_opened(shell, account, batch)
        shell.page.update(listing, button)

    button = ft.OutlinedButton("Show older reminders", height=theme.TOUCH, on_click=more)
    return ft.Row([button])


def _settings_link(shell: Shell) -> ft.Control:
    return ft.Row([ft.TextButton("Reminder settings", icon=ft.Icons.SETTINGS_OUTLINED,
                                 height=theme.TOUCH,
                                 on_click=lambda _: shell.go("/settings"))])


def _item_card(shell: Shell, account: Account, item: InboxItem, new: bool) -> ft.Container:
    """One reminder; redraws itself after "Done" or "Not now"."""
    box = ft.Container(
        padding=16, border_radius=16, bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        border=ft.Border.all(2 if new else 1,
                             ft.Colors.PRIMARY if new else ft.Colors.OUTLINE_VARIANT))
    state: dict[str, Answer | None] = {"outcome": item.outcome}

    async def answer(choice: Answer) -> None:
        await asyncio.to_thread(shell.services.reminders.respond, account,
                                item.delivery.id, choice)
        state["outcome"] = choice
        draw()
        shell.page.update(box)

    async def done(_: Any) -> None:
        await answer(Answer.DONE)

    async def not_now(_: Any) -> None:
        await answer(Answer.NOT_NOW)

    def draw() -> None:
        outcome = state["outcome"]
        title = ft.Text(item.title, size=17, weight=ft.FontWeight.W_600)
        head: list[ft.Control] = [ft.Icon(_icon(item), color=ft.Colors.PRIMARY),
                                  ft.Container(title, expand=True)]
        if new:
            head.append(_new_mark())
        lines: list[ft.Control] = [ft.Row(head, vertical_alignment=ft.CrossAxisAlignment.START)]
        if item.message:
            lines.append(ft.Text(item.message, size=16))  # selectable: no text for readers
        appointment = appointment_line(item)
        if appointment:
            lines.append(ft.Text(appointment, size=16))
        lines.append(muted(arrived_line(item, account.timezone)))
        if outcome is not None:
            lines.append(_answered(outcome))
        if outcome is not Answer.DONE:
            buttons = _action_buttons(shell, account, item)
            buttons.append(ft.FilledTonalButton("Done", icon=ft.Icons.CHECK,
                                                height=theme.TOUCH, on_click=done))
            if outcome is None:
                buttons.append(ft.OutlinedButton("Not now", height=theme.TOUCH,
                                                 on_click=not_now))
            lines.append(ft.Row(buttons, wrap=True, spacing=8, run_spacing=8))
        box.content = ft.Column(lines, spacing=8)

    draw()
    return box


def _icon(item: InboxItem) -> ft.IconData:
    return {
        Template.APPOINTMENT: ft.Icons.EVENT,
        Template.MESSAGE: ft.Icons.MAIL_OUTLINE,
        Template.HOME_EXERCISE: ft.Icons.DIRECTIONS_RUN,
        Template.SORENESS_CHECK: ft.Icons.HEALING,
    }.get(item.delivery.template, ft.Icons.NOTIFICATIONS_OUTLINED)


def _new_mark() -> ft.Control:
    """A "New" pill: words, not colour alone, so a screen reader says it too."""
    return ft.Container(
        ft.Text("New", size=13, weight=ft.FontWeight.W_600, color=ft.Colors.ON_PRIMARY),
        bgcolor=ft.Colors.PRIMARY, border_radius=10,
        padding=ft.Padding.symmetric(horizontal=8, vertical=2))


def _answered(outcome: Answer) -> ft.Control:
    icon = ft.Icons.CHECK_CIRCLE if outcome is Answer.DONE else ft.Icons.SCHEDULE
    colour = ft.Colors.GREEN_800 if outcome is Answer.DONE else ft.Colors.ON_SURFACE_VARIANT
    return ft.Row([ft.Icon(icon, color=colour, size=20),
                   ft.Text(ANSWER_WORDS[outcome], size=15, weight=ft.FontWeight.W_600)],
                  spacing=6)


def _action_buttons(shell: Shell, account: Account, item: InboxItem) -> list[ft.Control]:
    if item.delivery.template is Template.APPOINTMENT and item.appointment_at is not None:
        return [appointment_button(shell, account, item)]
    action = action_of(item)
    if action is None:
        return []
    label, route = action
    return [ft.FilledButton(label, height=theme.TOUCH, on_click=lambda _: shell.go(route))]


def appointment_button(shell: Shell, account: Account, item: InboxItem) -> ft.Control:
    """Downloads the appointment as one .ics file, which a phone opens in its calendar."""

    async def download(_: Any) -> None:
        content = await asyncio.to_thread(shell.services.calendar.appointment_ics, account,
                                          item.delivery.reminder_id)
        await shell.file_picker.save_file(file_name="appointment.ics", src_bytes=content)
        shell.toast("The appointment was saved as a calendar file (appointment.ics).")

    return ft.FilledButton(ADD_TO_CALENDAR, icon=ft.Icons.EVENT, height=theme.TOUCH,
                           on_click=download)
