"""The care team's Reminders screen (/care/reminders): schedule a reminder for one patient
or a group, preview it on each patient's own clock, and follow what was planned: each
plan with its next time, "Edit" and "Cancel reminder" while it has occurrences to come,
and what became of each one sent (Done, Not now, Opened, Not opened yet, Email failed).
Emails given up after every retry are listed on their own card.

Every read and save goes through the reminder services (checked and audited there) and
runs off the event loop: a group of patients is several reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.accounts import Account
from app.domain.errors import Conflict, InvalidInput
from app.domain.reminder_delivery import Delivery
from app.domain.reminder_plan import Reminder, Repeat
from app.domain.zones import patient_today, to_local
from app.services.reminder_overview import Group, PlanStatus, Reached, SentOccurrence
from app.services.reminders import PreviewLine
from app.ui import theme
from app.ui.components import icon_button, run_with_progress, save_button
from app.ui.confirm import confirm
from app.ui.frame import card, heading, muted, scaffold
from app.ui.screens.reminder_form import (
    ONE_PATIENT,
    TEMPLATES,
    WEEKDAYS,
    Draft,
    ReminderForm,
)

if TYPE_CHECKING:
    from app.services.facade import ScreenServices
    from app.ui.shell import Shell

ROUTE = "/care/reminders"
REACHED: dict[Reached, str] = {
    Reached.DONE: "Done",
    Reached.NOT_NOW: "Not now",
    Reached.OPENED: "Opened",
    Reached.NOT_OPENED: "Not opened yet",
    Reached.SKIPPED: "Not sent",
}
SENT_SHOWN = 5  # the newest occurrences on a card; older ones are counted
CHANGED_ELSEWHERE = ("This reminder was changed or cancelled elsewhere since this screen "
                     "was opened. Nothing was saved: open Reminders again to see it as it "
                     "is now.")


def build(shell: Shell) -> ft.View:
    actor = shell.require_account()
    overview = shell.services.reminder_overview
    patients = overview.group(actor, Group.ALL_SHARED)
    today = patient_today(shell.services.accounts.clock(), actor.timezone)
    form = ReminderForm(shell.page, patients, today)
    screen = _Screen(shell, actor, form, {p.id: p for p in patients})
    plans = overview.plans(actor)
    failed = overview.failed_deliveries(actor)
    body: list[ft.Control] = [
        ft.ResponsiveRow([card(
            heading("Schedule a reminder", 20),
            muted("Days and times are each patient's own clock (their time zone)."),
            ft.Column(form.controls, spacing=12,
                      horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
            screen.editing_note,
            ft.Row([screen.preview_button, screen.preview_busy,
                    screen.schedule_button, screen.schedule_busy, screen.stop_editing],
                   wrap=True, spacing=12, run_spacing=8,
                   vertical_alignment=ft.CrossAxisAlignment.CENTER),
            screen.preview,
            col={"xs": 12, "lg": 9, "xxl": 7})]),
    ]
    if failed:
        body.append(ft.ResponsiveRow([_failed_card(failed, screen.names, actor)]))
    body.append(ft.Row([heading("Planned reminders", 20),
                        # What patients did since the screen was drawn (it does not
                        # redraw by itself).
                        icon_button(ft.Icons.REFRESH, "Refresh the planned reminders",
                                    lambda _: shell.render())],
                       vertical_alignment=ft.CrossAxisAlignment.CENTER))
    body.append(ft.ResponsiveRow(
        [screen.plan_card(p) for p in plans]
        or [muted("Nothing scheduled yet for the patients who shared with you.")],
        spacing=16, run_spacing=16))
    return scaffold(shell, ROUTE, "Reminders", body)


class _Screen:
    """The screen's actions: preview, schedule (or save an edit), edit, cancel."""

    def __init__(self, shell: Shell, actor: Account, form: ReminderForm,
                 patients: dict[str, Account]) -> None:
        self.shell = shell
        self.actor = actor
        self.form = form
        self.names = {pid: p.name for pid, p in patients.items()}
        self.patients = patients
        self.editing_version = 0
        self.preview = ft.Column(spacing=4, visible=False)
        self.preview_button = ft.OutlinedButton("Preview", height=theme.TOUCH,
                                                on_click=self.show_preview)
        self.preview_busy = ft.ProgressRing(width=24, height=24, visible=False)
        self.schedule_button, self.schedule_busy = save_button("Schedule reminder",
                                                               self.save)
        self.stop_editing = ft.TextButton("Stop editing", height=theme.TOUCH, visible=False,
                                          on_click=lambda _: shell.go(ROUTE))
        self.editing_note = ft.Text("", size=15, weight=ft.FontWeight.W_600, visible=False)

    @property
    def services(self) -> ScreenServices:
        return self.shell.services

    def _zone(self) -> str:
        """Whose clock an appointment's day and time are on: the one patient's, else (a
        group) mine."""
        one = self.form.send_to.value == ONE_PATIENT
        patient = self.patients.get(self.form.patient.value or "") if one else None
        return patient.timezone if patient is not None else self.actor.timezone

    def _read(self) -> Draft | None:
        draft = self.form.read(self._zone())
        if draft is None:
            self.shell.page.update()
        return draft

    def _patients_of(self, draft: Draft) -> list[str]:
        ids = draft.patients(self.services.reminder_overview.group, self.actor)
        if not ids:
            raise InvalidInput.one("patients", "No patient is in this group right now.")
        return ids

    async def _busy(self, button: ft.Control, ring: ft.ProgressRing,
                    work: Callable[[], Any]) -> Any:
        def show(on: bool) -> None:
            ring.visible = on
            button.disabled = on

        return await run_with_progress(self.shell.page, work, show)

    async def show_preview(self, _: Any) -> None:
        draft = self._read()
        if draft is None:
            return

        def work() -> list[PreviewLine]:
            ids = [self.form.editing.patient_id] if self.form.editing else \
                self._patients_of(draft)
            return self.services.reminders.preview(
                self.actor, ids, template=draft.template, schedule=draft.schedule,
                message=draft.message, place=draft.place,
                appointment_at=draft.appointment_at)

        try:
            lines = await self._busy(self.preview_button, self.preview_busy, work)
        except InvalidInput as refused:
            self.form.show_refusal(refused)
            self.preview.visible = False
            self.shell.page.update()
            return
        shown: list[ft.Control] = [ft.Text("When each patient would get it, on their own "
                                           "clock:", size=15, weight=ft.FontWeight.W_600)]
        shown += [ft.Text(preview_line(line), size=15) for line in lines]
        self.preview.controls = shown
        self.preview.visible = True
        self.shell.page.update()

    async def save(self, _: Any) -> None:
        draft = self._read()
        if draft is None:
            return
        editing = self.form.editing
        reminders = self.services.reminders

        def work() -> int:
            if editing is not None:
                reminders.edit(self.actor, editing.id, expected_version=self.editing_version,
                               schedule=draft.schedule, message=draft.message,
                               place=draft.place, appointment_at=draft.appointment_at)
                return 1
            return len(reminders.schedule_for_group(
                self.actor, self._patients_of(draft), template=draft.template,
                schedule=draft.schedule, message=draft.message, place=draft.place,
                appointment_at=draft.appointment_at))

        try:
            count = await self._busy(self.schedule_button, self.schedule_busy, work)
        except InvalidInput as refused:
            self.form.show_refusal(refused)
            self.shell.page.update()
            return
        except Conflict:
            self.form.problem.value, self.form.problem.visible = CHANGED_ELSEWHERE, True
            self.shell.page.update()
            return
        self.shell.flash = ("Reminder changed." if editing is not None else
                            f"Reminder scheduled for {count} patient{'s' if count != 1 else ''}.")
        self.shell.go(ROUTE)

    async def edit(self, status: PlanStatus) -> None:
        self.form.fill_from(status.plan.value, status.patient.timezone)
        self.editing_version = status.plan.version
        self.editing_note.value = (f"Editing {status.patient.name}'s reminder: "
                                   f"{TEMPLATES[status.plan.value.template.value].lower()}")
        self.editing_note.visible = True
        self.schedule_button.content = "Save changes"
        self.stop_editing.visible = True
        self.preview.visible = False
        self.shell.page.update()
        await self.editing_note_focus()

    async def editing_note_focus(self) -> None:
        """Take the keyboard (and the screen reader) to the form being edited."""
        target = self.form.message if self.form.message.visible else self.form.at \
            if self.form.when_row.visible else self.form.repeat
        with contextlib.suppress(RuntimeError):  # a form not on a page (yet) has no focus
            await target.focus()

    def cancel(self, status: PlanStatus) -> None:
        plan = status.plan
        confirm(self.shell.page,
                title=f"Cancel this reminder for {status.patient.name}?",
                text="Nothing more of it is sent. What was sent already stays listed, with "
                     "what the patient did.",
                keep="Keep it", act="Cancel reminder",
                work=lambda: self._cancelled(plan.value.id, plan.version),
                then=self._after_cancel)

    def _cancelled(self, reminder_id: str, version: int) -> None:
        try:
            self.services.reminders.cancel(self.actor, reminder_id, expected_version=version)
            self.shell.flash = "Reminder cancelled."
        except Conflict:
            self.shell.flash = CHANGED_ELSEWHERE

    def _after_cancel(self) -> None:
        self.shell.go(ROUTE)

    # -- the planned list ------------------------------------------------------------

    def plan_card(self, status: PlanStatus) -> ft.Control:
        plan = status.plan.value
        zone = status.patient.timezone
        lines: list[ft.Control] = [
            ft.Text(f"{status.patient.name} · {TEMPLATES.get(plan.template.value, '')}",
                    size=17, weight=ft.FontWeight.W_600),
        ]
        if plan.message:
            lines.append(ft.Text(f"“{plan.message}”", size=15))
        lines.append(ft.Text(describe_when(plan, zone), size=14))
        if plan.cancelled:
            lines.append(ft.Text("Cancelled", size=14, weight=ft.FontWeight.W_600,
                                 color=ft.Colors.ON_SURFACE_VARIANT))
        elif status.next_due is not None:
            lines.append(muted(f"Next: {stamp(status.next_due, zone)} ({zone})", 14))
        else:
            lines.append(muted("Nothing more to send", 14))
        if status.sent:
            lines.append(ft.Text("Sent", size=14, weight=ft.FontWeight.W_600))
            lines += [occurrence_line(s, zone) for s in status.sent[:SENT_SHOWN]]
            if len(status.sent) > SENT_SHOWN:
                lines.append(muted(f"and {len(status.sent) - SENT_SHOWN} earlier", 13))
        if status.pending:
            async def edit(_: Any) -> None:
                await self.edit(status)

            lines.append(ft.Row([
                ft.OutlinedButton("Edit", icon=ft.Icons.EDIT_OUTLINED, height=theme.TOUCH,
                                  on_click=edit),
                ft.TextButton("Cancel reminder", height=theme.TOUCH,
                              on_click=lambda _: self.cancel(status)),
            ], wrap=True, spacing=8))
        return card(*lines)


def preview_line(line: PreviewLine) -> str:
    """'Casey Rivera · Europe/London: Tue 2 Dec 09:00, Wed 3 Dec 09:00'."""
    times = ", ".join(f"{t:%a %-d %b %H:%M}" for t in line.local_times)
    return f"{line.patient.name} · {line.patient.timezone}: {times or 'nothing would be sent'}"


def stamp(moment: datetime, zone: str) -> str:
    return f"{to_local(moment, zone):%a %-d %b %H:%M}"


def describe_when(plan: Reminder, zone: str) -> str:
    """The plan's schedule in words, on the patient's clock."""
    s = plan.schedule
    if plan.appointment_at is not None:
        where = f", {plan.place}" if plan.place else ""
        return (f"Appointment {stamp(plan.appointment_at, zone)}{where}; reminded the day "
                "before and 2 hours before")
    if s.repeat is Repeat.AT_MOMENTS:
        return "At " + ", ".join(stamp(m, zone) for m in sorted(s.moments))
    first = f"{s.first_day:%a %-d %b}" if s.first_day else ""
    until = f" until {s.until:%a %-d %b}" if s.until else ""
    if s.repeat is Repeat.ONCE:
        return f"Once, {first} at {s.at}"
    if s.repeat is Repeat.DAILY:
        return f"Every day at {s.at}, from {first}{until}"
    days = ", ".join(WEEKDAYS[str(d)] for d in s.weekdays)
    return f"{days} at {s.at}, from {first}{until}"


def occurrence_line(sent: SentOccurrence, zone: str) -> ft.Control:
    """'Tue 1 Dec 19:05: Done', and the email's failure under it."""
    state = REACHED[sent.reached]
    if sent.reached is Reached.SKIPPED and sent.skipped_because:
        state += f" ({sent.skipped_because})"
    late = " (sent late)" if sent.late and sent.reached is not Reached.SKIPPED else ""
    words: list[ft.Control] = [ft.Text(f"{stamp(sent.due_at, zone)}{late}: {state}",
                                       size=14)]
    if sent.email_failed:
        words.append(ft.Text(f"Email failed: {sent.email_failed}", size=14,
                             color=ft.Colors.ERROR))
    return ft.Column(words, spacing=2)


def _failed_card(failed: list[Delivery], names: dict[str, str], actor: Account) -> ft.Control:
    """Emails the mail server refused after every retry: who, which reminder, when, why."""
    rows: list[ft.Control] = [
        ft.Row([ft.Icon(ft.Icons.MAIL_OUTLINE, color=ft.Colors.ERROR),
                ft.Text("Emails that could not be sent", size=18,
                        weight=ft.FontWeight.W_600)], spacing=8),
        muted("The reminder is still in each patient's app; only the email did not go. "
              "Check the mail server on the admin's Clinic screen, or the patient's address."),
    ]
    for d in failed[:10]:
        what = TEMPLATES.get(d.template.value, d.template.label)
        rows.append(ft.Text(
            f"{names.get(d.patient_id, 'A patient')} · {what} · "
            f"{stamp(d.due_at, actor.timezone)}: Email failed: {d.last_error}", size=14))
    if len(failed) > 10:
        rows.append(muted(f"and {len(failed) - 10} more", 13))
    return card(*rows, col={"xs": 12, "lg": 9, "xxl": 7})

