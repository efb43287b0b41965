"""Invitations on screen (issue 14): the admin's "Invite staff" card (on the Accounts
screen) and the therapist's "Invite a patient" card (on their home, beside "Add a patient"
by sharing code). The /join screen the invitee opens is join.py.

A code is shown once, right after Invite or Send again (only its digest is stored): the
link with a Copy button, the printed code, and for a patient a QR image of the link and a
printable appointment card to download. The pending list offers Send again (a new code,
the old one stops working) and Withdraw. Nothing typed is lost on a refusal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import flet as ft

from app.domain import policy
from app.domain.accounts import STAFF_ROLES, Account, Role
from app.domain.errors import DomainError, InvalidInput
from app.domain.invitations import VALID_FOR, Invitation
from app.domain.policy import Operation
from app.domain.tokens import valid_for_words
from app.services.invitation_card import appointment_card, card_file_name, qr_png
from app.services.invitations import Issued
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import choice_list, save_button, save_fields
from app.ui.frame import card, muted

if TYPE_CHECKING:
    from app.ui.shell import Shell

T = TypeVar("T")

STAFF_TITLE = "Invite staff"
PATIENT_TITLE = "Invite a patient"
ROLE_LABEL = "Invite as"
SHOWN_ONCE = ("The code is shown only now. Lost it? Use Send again in the list below: that "
              "makes a new code, and the old one stops working.")
NO_EMAIL = ("This clinic has no mail server set up, so nothing was emailed: give them the "
            "link or the code yourself.")


def staff_invitations(shell: Shell, admin: Account) -> ft.Control:
    """The admin's card: email and role, Invite; the new link to copy; pending staff
    invitations with Send again and Withdraw."""
    service = shell.services.invitations
    email = _email_field("Email address of the new staff member")
    role_field, role = choice_list(
        ROLE_LABEL, Role.THERAPIST.value,
        [ft.dropdown.Option(key=r.value, text=r.label) for r in STAFF_ROLES], expand=True)
    return _invitation_card(
        shell, title=STAFF_TITLE,
        intro=(f"They get a one-time link, valid for {valid_for_words(VALID_FOR)}, and choose "
               "their own password: nobody else ever sees it."),
        inputs=[ft.Row([email]), ft.Row([role_field])], email=email,
        invite=lambda: service.invite_staff(admin, email.value or "",
                                            Role(role.value or Role.THERAPIST.value)),
        pending=lambda: service.pending_staff(admin), actor=admin, for_patient=False,
        pending_title="Staff invitations waiting")


def patient_invitations(shell: Shell, clinician: Account) -> list[ft.Control]:
    """The therapist's (or admin's) card: a patient's email, Invite; the link, the code,
    a QR image and an appointment card; pending patient invitations. Nothing for a role
    that can't invite patients (the care team)."""
    if clinician.role not in policy.roles_allowed(Operation.INVITE_PATIENT):
        return []
    service = shell.services.invitations
    email = _email_field("Patient's email address")
    return [_invitation_card(
        shell, title=PATIENT_TITLE,
        intro=("A new patient gets a link and a code for their appointment card. When they "
               "join, they agree to share with you and appear here. A patient who already "
               "has an account shares with you by a sharing code instead."),
        inputs=[ft.Row([email])], email=email,
        invite=lambda: service.invite_patient(clinician, email.value or ""),
        pending=lambda: service.pending_patients(clinician), actor=clinician,
        for_patient=True, pending_title="Patient invitations waiting")]


def _email_field(label: str) -> ft.TextField:
    """Full width (in a Row): at its own width the label wrapped inside the box."""
    return ft.TextField(label=label, keyboard_type=ft.KeyboardType.EMAIL, error_max_lines=3,
                        autofill_hints=[ft.AutofillHint.EMAIL], expand=True)


def _invitation_card(shell: Shell, *, title: str, intro: str, inputs: list[ft.Control],
                     email: ft.TextField, invite: Callable[[], Issued],
                     pending: Callable[[], list[Invitation]], actor: Account,
                     for_patient: bool, pending_title: str) -> ft.Control:
    issued_panel = ft.Column(spacing=10, visible=False,
                             horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
    waiting = ft.Column(spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def show(issued: Issued) -> None:
        issued_panel.controls = _issued(shell, actor, issued, for_patient)
        issued_panel.visible = True
        draw_pending()

    def draw_pending() -> None:
        found = pending()
        waiting.controls = [ft.Text(pending_title, size=16, weight=ft.FontWeight.W_600),
                            *[_pending_row(shell, actor, i, show, draw_pending)
                              for i in found]] if found else []

    async def send(_: Any = None) -> None:
        made: list[Issued] = []
        if await save_fields(shell.page, {"email": email, "role": email},
                             lambda: made.append(invite())):
            email.value = ""
            show(made[0])
            shell.page.update()

    email.on_submit = send
    button, busy = save_button("Invite", send)
    draw_pending()
    return card(ft.Text(title, size=18, weight=ft.FontWeight.W_600), muted(intro),
                *inputs, ft.Row([button, busy]), issued_panel, waiting, col={"xs": 12})


def _issued(shell: Shell, actor: Account, issued: Issued, for_patient: bool) -> list[ft.Control]:
    """What the inviter sees once: to whom it went, the link to copy, the code, and for a
    patient the QR image and the appointment card."""
    invitation = issued.invitation
    expires = fmt.when(invitation.expires_at, actor.timezone)
    sent = (f"Emailed to {invitation.email}. You can also give them the link or the code."
            if issued.emailed else NO_EMAIL)
    controls: list[ft.Control] = [
        ft.Divider(),
        ft.Text(f"Invitation for {invitation.email} ({invitation.role.label})",
                size=16, weight=ft.FontWeight.W_600),
        ft.Text(sent, size=14),
        ft.Text("Code", size=14, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.SelectionArea(content=ft.Text(issued.code, size=26, weight=ft.FontWeight.BOLD,
                                         font_family="monospace")),
        ft.Text("Link", size=14, color=ft.Colors.ON_SURFACE_VARIANT),
        # Selectable by hand and read by screen readers (see reminder_channels.py).
        ft.Container(ft.SelectionArea(content=ft.Text(issued.link, size=14)), padding=12,
                     border_radius=8, bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST),
    ]
    buttons: list[ft.Control] = [ft.FilledButton(
        "Copy link", icon=ft.Icons.COPY, height=theme.TOUCH,
        action=ft.CopyToClipboard(issued.link),  # in the tap itself (Safari)
        on_click=lambda _: shell.toast("Link copied."))]
    if for_patient:
        controls.append(ft.Image(src=qr_png(issued.link), width=200, height=200,
                                 semantics_label=f"QR code of the link for "
                                                 f"{invitation.email}"))

        async def download(_: Any) -> None:
            clinic = shell.services.clinic.current().name
            page = appointment_card(
                clinic_name=clinic, inviter_name=actor.name, code=issued.code,
                link=issued.link, join_address=issued.link.split("?", 1)[0],
                valid_until=expires)
            await shell.file_picker.save_file(file_name=card_file_name(issued.code),
                                              src_bytes=page)
            shell.toast("Appointment card saved: open it and print it.")

        buttons.append(ft.OutlinedButton("Download appointment card", icon=ft.Icons.PRINT,
                                         height=theme.TOUCH, on_click=download))
    controls += [ft.Row(buttons, wrap=True, spacing=8, run_spacing=8),
                 muted(f"Works once, until {expires}. {SHOWN_ONCE}", 13)]
    return controls


def _pending_row(shell: Shell, actor: Account, invitation: Invitation,
                 show: Callable[[Issued], None], redraw: Callable[[], None]) -> ft.Control:
    service = shell.services.invitations
    now = service.clock()
    state = (f"expired {fmt.when(invitation.expires_at, actor.timezone)}"
             if invitation.expired(now)
             else f"valid until {fmt.when(invitation.expires_at, actor.timezone)}")
    label = "" if invitation.role is Role.PATIENT else f"{invitation.role.label} · "

    async def again(_: Any) -> None:
        issued = await _act(shell, lambda: service.resend(actor, invitation.id))
        if issued is not None:
            show(issued)
            shell.page.update()
            shell.toast(f"Sent again to {invitation.email}: a new code; the old one no "
                        f"longer works.")

    async def withdraw(_: Any) -> None:
        if await _act(shell, lambda: service.revoke(actor, invitation.id)) is not None:
            redraw()
            shell.page.update()
            shell.toast(f"Invitation for {invitation.email} withdrawn.")

    return ft.Container(
        padding=ft.Padding.symmetric(vertical=4),
        content=ft.Column([
            ft.Text(invitation.email, size=15, weight=ft.FontWeight.W_600),
            muted(f"{label}{state}", 13),
            ft.Row([
                ft.OutlinedButton("Send again", icon=ft.Icons.SEND, height=theme.TOUCH,
                                  tooltip=f"Send the invitation for {invitation.email} "
                                          f"again", on_click=again),
                ft.TextButton("Withdraw", icon=ft.Icons.CANCEL_OUTLINED, height=theme.TOUCH,
                              tooltip=f"Withdraw the invitation for {invitation.email}",
                              on_click=withdraw),
            ], wrap=True, spacing=8),
        ], spacing=4))


async def _act(shell: Shell, work: Callable[[], T]) -> T | None:
    """Run a change off the event loop; a refusal becomes a message, not a crash."""
    try:
        return await asyncio.to_thread(work)
    except InvalidInput as refused:
        shell.toast(next(iter(refused.problems.values())))
    except DomainError as refused:
        shell.toast(str(refused))
    return None
