"""/join: accepting an invitation (issue 14), open while signed out.

The link carries the code (/join?code=K7QM-4XPD-9RTA); someone holding a printed card
types it (any case, with or without dashes). The screen then says who invited them, to
which clinic and as what, and asks for their name, a password of their own and their time
zone. A patient whose therapist invited them reads, in plain words, what sharing means and
ticks that they agree: on joining they are on that therapist's caseload. Joining signs
them in (the shell's gates, such as two-step set-up for staff, then take over).

A code that can't be used gets one message whatever the reason; nothing typed is lost
when something is refused.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.accounts import Role
from app.domain.errors import InvalidInput
from app.services.accounts import SecondStepNeeded, SignInFailed
from app.services.invitations import InvitationFor, InvitationUnusable
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import choice_list, save_button
from app.ui.frame import muted
from app.ui.screens.password import HINT, password_field, signed_out_view
from app.ui.screens.settings import TIMEZONES
from app.ui.screens.two_step import continue_sign_in

if TYPE_CHECKING:
    from app.ui.shell import Shell

TITLE = "Join BackTrack"
CODE_LABEL = "Invitation code"
WELCOME = "Welcome to BackTrack."
READY_SIGN_IN = "Your account is ready. Sign in with your email and the password you chose."
AGREE = "I agree to share my BackTrack record with {name}"


def sharing_explained(therapist: str) -> list[str]:
    """What sharing means, in plain words, before a patient agrees to it."""
    return [
        f"{therapist} will see what you record here: check-ins with your pain scores, "
        f"needling sessions, soreness, activities and questionnaires, your progress and "
        f"your \"Is this normal?\" answers. They can send you reminders.",
        "Nobody else at the clinic sees your record unless you share it with them too. "
        "Clinic admins never see it.",
        "You can share less, or stop sharing, at any time on the Sharing screen (in "
        "Settings). Each time someone opens your record, it is listed there for you.",
    ]


def build(shell: Shell) -> ft.View:
    service = shell.services.invitations
    code = ft.TextField(label=CODE_LABEL, value=shell.query.get("code", ""),
                        hint_text="K7QM-4XPD-9RTA", error_max_lines=3,
                        capitalization=ft.TextCapitalization.CHARACTERS)
    form = ft.Column(spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
    name = ft.TextField(label="Your name", error_max_lines=3,
                        autofill_hints=[ft.AutofillHint.NAME])
    password = password_field("Choose a password", new=True)
    password.helper = HINT
    agree = ft.Checkbox(value=False)
    problem = ft.Text("", color=ft.Colors.ERROR, visible=False, size=15)
    held: dict[str, str] = {}  # the time zone chosen, kept across a redraw
    look_button = ft.OutlinedButton("Continue", height=theme.TOUCH)

    def show_code_error(message: str) -> None:
        code.error = message
        form.controls = []
        look_button.visible = True

    async def look(_: Any = None) -> None:
        code.error = None
        try:
            found = await asyncio.to_thread(service.look_up, code.value or "",
                                            shell.client_address)
        except InvitationUnusable as refused:
            show_code_error(str(refused))
            shell.page.update()
            return
        draw(found)
        shell.page.update()

    def toggle_agree(_: Any) -> None:
        agree.value = not agree.value
        shell.page.update()

    def draw(found: InvitationFor) -> None:
        zone = held.setdefault("timezone", found.timezone)
        zones = TIMEZONES if zone in TIMEZONES else (zone, *TIMEZONES)
        zone_field, zone_choice = choice_list(
            "Time zone", zone, [ft.dropdown.Option(key=z, text=z) for z in zones],
            on_select=lambda _: held.update(timezone=zone_choice.value or zone), expand=True)
        role = "as a patient" if found.role is Role.PATIENT else f"as {found.role.label}"
        controls: list[ft.Control] = [
            ft.Text(f"{found.inviter_name} at {found.clinic_name} invited you to join "
                    f"{role}.", size=16, weight=ft.FontWeight.W_600),
            muted(f"Your account's email: {found.email}. The invitation works until "
                  f"{fmt.when(found.expires_at, zone)}.", 14),
            name, password, ft.Row([zone_field]),  # as wide as the fields above it
        ]
        if found.shares_with:
            words = AGREE.format(name=found.shares_with)
            agree.semantics_label = words
            controls += [
                ft.Text("Sharing with your therapist", size=16, weight=ft.FontWeight.W_600),
                *(ft.Text(line, size=14) for line in sharing_explained(found.shares_with)),
                # The words beside the box wrap (a Checkbox's own label is cut off on a
                # phone) and a tap on them ticks it, as on the box.
                ft.Row([agree, ft.Container(ft.Text(words, size=15), expand=True,
                                            on_click=toggle_agree)],
                       vertical_alignment=ft.CrossAxisAlignment.CENTER),
            ]
        controls += [problem, ft.Row([button, busy])]
        form.controls = controls
        look_button.visible = False

    async def join(_: Any = None) -> None:
        name.error, password.error, problem.visible = None, None, False
        button.disabled, busy.visible = True, True
        shell.page.update()
        typed_code, typed_password = code.value or "", password.value or ""
        try:
            account = await asyncio.to_thread(
                service.accept, typed_code, name.value or "", typed_password,
                held.get("timezone", "UTC"), bool(agree.value), shell.client_address)
        except InvitationUnusable as refused:
            show_problem(str(refused))
            return
        except InvalidInput as refused:
            fields = {"name": name, "password": password}
            other = [m for f, m in refused.problems.items() if f not in fields]
            for key, message in refused.problems.items():
                if key in fields:
                    fields[key].error = message
            show_problem(" ".join(other))
            return
        try:
            signed = await asyncio.to_thread(shell.services.auth.sign_in, account.email,
                                             typed_password, shell.client_address)
        except SecondStepNeeded as needed:  # two-step sign-in: set up (or a code) next
            continue_sign_in(shell, needed.step)
            return
        except SignInFailed:  # joined, but sign-in from here is paused for now
            shell.flash = READY_SIGN_IN
            shell.go("/login")
            return
        if shell.token is not None:  # someone was signed in on this browser: not now
            shell.services.auth.sign_out(shell.token)
        shell.flash = WELCOME
        shell.after_sign_in = "/"
        shell.signed_in(signed.token, signed.account)

    def show_problem(message: str) -> None:
        problem.value, problem.visible = message, bool(message)
        button.disabled, busy.visible = False, False
        shell.page.update()

    button, busy = save_button("Join", join)
    code.on_submit = look
    look_button.on_click = look
    intro = muted("Type the code from your invitation, or open the link you were sent.", 15)
    if code.value:
        try:
            draw(service.look_up(code.value, shell.client_address))
        except InvitationUnusable as refused:
            show_code_error(str(refused))
    return signed_out_view("/join", [
        ft.Text(TITLE, size=22, weight=ft.FontWeight.W_600), intro, code,
        ft.Row([look_button]), form,
    ])
