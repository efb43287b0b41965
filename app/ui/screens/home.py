"""Home screens: each role lands on its own. Clinicians see their caseload sorted by
need; the patient's Today screen lives in today.py."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput
from app.domain.followup import FEELING
from app.services.caseload import PatientStatus
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import form_column, save_button, save_fields
from app.ui.flags import flag_chip
from app.ui.frame import card, heading, muted, scaffold
from app.ui.screens.backup_card import backup_card
from app.ui.screens.caseload_list import caseload_section
from app.ui.screens.invitations import patient_invitations
from app.ui.screens.mail import mail_card
from app.ui.screens.two_step import clinic_two_step_card

if TYPE_CHECKING:
    from app.ui.shell import Shell



def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    if account.role is Role.PATIENT:
        from app.ui.screens.today import build as today

        return today(shell)
    body: list[ft.Control] = [
        heading(f"Hello, {account.name.split()[0]}"),
        muted(f"Signed in as {account.role.label}"),
    ]
    if account.role.is_clinician:
        body.append(_add_patient(shell, account))
        body += patient_invitations(shell, account)  # new patients, by invitation
        # Worked out off the event loop (issue 15); a progress ring until then.
        body += caseload_section(shell, account, _patient_card, _deleted_card)
    if account.role is Role.ADMIN:
        body.append(_clinic_settings(shell, account))
        body.append(clinic_two_step_card(shell, account))  # staff must use two-step
        mail = mail_card(shell, account)
        if mail is not None:
            body.append(mail)
        body.append(backup_card(shell, account))  # when the last good backup was made
    return scaffold(shell, "/", f"BackTrack · {account.role.label}", body)


def _patient_card(shell: Shell, viewer: Account, status: PatientStatus) -> ft.Control:
    if status.summary is None:
        return _logging_card(status)
    chips: list[ft.Control] = [flag_chip(flag) for flag in status.flags] or [
        muted("Nothing needs attention", 13)]
    return card(
        ft.Text(status.patient.name, size=18, weight=ft.FontWeight.W_600),
        muted(status.patient.email, 13),
        ft.Row(chips, wrap=True, spacing=6, run_spacing=6),
        *_urgent_answer_lines(viewer, status),
        ft.Text(fmt.clinician_numbers(status.summary), size=14),
        ft.OutlinedButton(
            f"Open {status.patient.name.split()[0]}'s progress", icon=ft.Icons.SHOW_CHART,
            height=theme.TOUCH,
            on_click=lambda _: shell.go(f"/progress?patient={status.patient.id}")),
    )


def _deleted_card(viewer: Account, at: datetime) -> ft.Control:
    """In place of a patient who deleted their account: no name, nothing they logged (it
    is erased), only that and when (app.services.erasure)."""
    return card(
        ft.Row([ft.Icon(ft.Icons.PERSON_OFF_OUTLINED, size=20),
                ft.Text("Deleted at the patient's request", size=18,
                        weight=ft.FontWeight.W_600, expand=True)], spacing=8),
        ft.Text(f"A patient who shared with you deleted their account and data on "
                f"{fmt.day(at, viewer.timezone)}.", size=14),
        muted("Their records are erased. The record of when you looked at them is kept, "
              "without health data.", 13),
    )


def _logging_card(status: PatientStatus) -> ft.Control:
    """A patient who shares "reminders and logging only": whether they logged, nothing of
    what they logged (no scores, no flags from them, no way into their progress)."""
    days = status.days_since_check_in
    logged = ("No check-in yet" if days is None else "Checked in today" if days == 0
              else "Last check-in yesterday" if days == 1
              else f"Last check-in {days} days ago")
    chips: list[ft.Control] = [flag_chip(flag) for flag in status.flags]
    return card(
        ft.Text(status.patient.name, size=18, weight=ft.FontWeight.W_600),
        muted(status.patient.email, 13),
        ft.Row([ft.Icon(ft.Icons.NOTIFICATIONS_OUTLINED, size=18),
                ft.Text(status.scope.label, size=14, weight=ft.FontWeight.W_600)],
               spacing=6),
        *([ft.Row(chips, wrap=True, spacing=6, run_spacing=6)] if chips else []),
        ft.Text(logged, size=14),
        muted("Shared with you for reminders: not their scores, notes or answers.", 13),
    )


def _urgent_answer_lines(viewer: Account, status: PatientStatus) -> list[ft.Control]:
    """The urgent answer behind a flag: when, whether the patient followed up, and who
    acknowledged it with what note (or that nobody has yet). `viewer` is the clinician
    the list is for (a list drawn again on its own must not count as their activity)."""
    record = status.urgent_answer
    if record is None:
        return []
    answer = record.answer
    lines: list[ft.Control] = [ft.Text(
        f"Answer of {fmt.when(answer.assessed_at, viewer.timezone)}"
        + (f" · followed up: {FEELING.get(record.follow_ups[-1].feeling, '').lower()}"
           if record.follow_ups else " · no follow-up yet"), size=14)]
    ack = record.acknowledgement
    if ack is None:
        lines.append(ft.Text("Not acknowledged yet", size=14, color=ft.Colors.ERROR,
                             weight=ft.FontWeight.W_600))
    else:
        lines.append(ft.Text(
            f"Acknowledged by {ack.clinician_name}, {fmt.when(ack.at, viewer.timezone)}"
            + (f": “{ack.note}”" if ack.note else ""), size=14, color=ft.Colors.TERTIARY))
    return lines


def _add_patient(shell: Shell, clinician: Account) -> ft.Control:
    """A patient's one-time sharing code (from their Sharing screen) adds them here."""
    code = ft.TextField(label="Sharing code from a patient", hint_text="ABCD-1234-EF56",
                        expand=True, capitalization=ft.TextCapitalization.CHARACTERS)

    async def add(_: Any) -> None:
        code.error = None
        try:
            patient = await asyncio.to_thread(shell.services.access.redeem_invite,
                                              clinician, code.value or "")
        except InvalidInput as exc:
            code.error = next(iter(exc.problems.values()))
            shell.page.update()
            return
        shell.flash = f"{patient.name} shared with you."
        shell.go("/")

    code.on_submit = add
    return card(ft.Text("Add a patient", size=18, weight=ft.FontWeight.W_600),
                # The button under the field: beside it, the label wrapped and was cut off
                # at 360 px.
                ft.Row([code]),  # a full-width row, like the cards below it
                ft.FilledButton("Add", height=theme.TOUCH, on_click=add),
                col={"xs": 12})


def _clinic_settings(shell: Shell, admin: Account) -> ft.Control:
    """The clinic's name and the numbers patients are told to call (guidance answers), and
    when the app's own reminders go out (read by the scheduler at its next run)."""
    current = shell.services.clinic.current()
    name = ft.TextField(label="Clinic name", value=current.name)
    phone = ft.TextField(label="Clinic phone (shown on \"Call the clinic\")",
                         value=current.phone, keyboard_type=ft.KeyboardType.PHONE)
    emergency = ft.TextField(label="Emergency number", value=current.emergency_number,
                             keyboard_type=ft.KeyboardType.PHONE)
    # A refusal under these is a sentence: on a 412 px phone one line cut it off
    # (error_max_lines).
    soreness = ft.TextField(label="Soreness checks after a session (hours)",
                            value=", ".join(str(h) for h in current.soreness_check_hours),
                            hint_text="24, 48", error_max_lines=3)
    nudge = ft.TextField(label="Nudge after this many days without a check-in",
                         value=str(current.nudge_after_days),
                         keyboard_type=ft.KeyboardType.NUMBER, error_max_lines=3)
    fields = {"name": name, "phone": phone, "emergency_number": emergency,
              "soreness_check_hours": soreness, "nudge_after_days": nudge}

    async def save(_: Any) -> None:
        if await save_fields(shell.page, fields, lambda: shell.services.clinic.update(
                admin, name=name.value or "", phone=phone.value or "",
                emergency_number=emergency.value or "",
                soreness_check_hours=soreness.value or "",
                nudge_after_days=nudge.value or "")):
            shell.toast("Clinic settings saved.")

    button, busy = save_button("Save clinic settings", save)
    return form_column([card(
        ft.Text("Clinic settings", size=18, weight=ft.FontWeight.W_600),
        muted("Patients see these on every \"Is this normal?\" answer: the clinic's number "
              "to call, and the emergency number for urgent symptoms."),
        ft.Column([name, phone, emergency], spacing=12,
                  horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
        muted("Automatic reminders: after each needling session a patient records, they are "
              "asked how sore they are at these hours (up to 4, each within a week); a "
              "patient who has not checked in for this many days (1 to 14) gets a gentle "
              "nudge. A change applies from the next reminder run."),
        ft.Column([soreness, nudge], spacing=12,
                  horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
        ft.Row([button, busy]), col={"xs": 12})])
