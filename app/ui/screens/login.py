"""Sign in with email and password, then, for an account with two-step sign-in, a code
(or, for staff who must use it and have not set it up, setting it up: app.ui.screens
.two_step). All on the same card: nothing typed is lost going back."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import flet as ft

from app.services.accounts import SecondStep, SignInFailed
from app.ui import theme
from app.ui.components import icon_button
from app.ui.screens import two_step
from app.ui.screens.password import FORGOT_TITLE, forgot_form

if TYPE_CHECKING:
    from app.ui.shell import Shell

INVITED = "I have an invitation code"


def build(shell: Shell) -> ft.View:
    email = ft.TextField(label="Email", keyboard_type=ft.KeyboardType.EMAIL, autofocus=True,
                         autofill_hints=[ft.AutofillHint.EMAIL])
    password = ft.TextField(label="Password", password=True,
                            autofill_hints=[ft.AutofillHint.PASSWORD])
    # Our own show/hide button: Flet's can_reveal_password one has no name for a screen
    # reader.
    reveal = icon_button(ft.Icons.VISIBILITY_OUTLINED, "Show password", None)

    def toggle_reveal(_: Any) -> None:
        password.password = not password.password
        label = "Show password" if password.password else "Hide password"
        icon = ft.Icons.VISIBILITY_OUTLINED if password.password else \
            ft.Icons.VISIBILITY_OFF_OUTLINED
        reveal.icon, reveal.tooltip = ft.Icon(icon, semantics_label=label), label
        shell.page.update()

    reveal.on_click = toggle_reveal
    password.suffix_icon = reveal
    error = ft.Text("", color=ft.Colors.ERROR, visible=False)
    busy = ft.ProgressRing(width=20, height=20, visible=False)
    submit = ft.FilledButton("Sign in", height=theme.TOUCH, expand=True)

    async def sign_in(_: Any = None) -> None:
        if not (email.value or "").strip() or not password.value:
            error.value = "Enter your email and password."
            error.visible = True
            shell.page.update()
            return
        submit.disabled, busy.visible, error.visible = True, True, False
        shell.page.update()
        try:
            signed = await asyncio.to_thread(shell.services.auth.password_step,
                                             email.value or "", password.value or "",
                                             shell.client_address)
        except SignInFailed as exc:
            error.value = str(exc)
            error.visible = True
            password.value = ""
            submit.disabled, busy.visible = False, False
            shell.page.update()
            return
        if isinstance(signed, SecondStep):
            password.value = ""
            submit.disabled, busy.visible = False, False
            show_second_step(signed)
            return
        shell.signed_in(signed.token, signed.account)

    submit.on_click = sign_in
    password.on_submit = sign_in
    email.on_submit = lambda _: password.focus()
    demo = ft.Text(
        "Trying the demo? Sign in as alex@example.com with the password backtrack-demo.",
        size=13, color=ft.Colors.ON_SURFACE_VARIANT,
        visible=shell.services.accounts.by_email("alex@example.com") is not None,
    )
    header = ft.Row([ft.Image(src="/icons/icon-192.png", width=40, height=40,
                              exclude_from_semantics=True),  # the app icon
                     ft.Text("BackTrack", size=30, weight=ft.FontWeight.BOLD)])
    sign_in_form: list[ft.Control] = [
        header,
        ft.Text("Track your back-pain recovery between visits.", size=16),
        *_why_signed_out(shell),
        email,
        password,
        error,
        ft.Row([submit, busy]),
        ft.Row([ft.TextButton(FORGOT_TITLE, height=theme.TOUCH,
                              on_click=lambda _: show_forgot())]),
        # A patient holding the appointment card, or staff holding an emailed code.
        ft.Row([ft.TextButton(INVITED, height=theme.TOUCH,
                              on_click=lambda _: shell.go("/join"))]),
        demo,
    ]
    column = ft.Column(tight=True, spacing=16,
                       horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                       controls=sign_in_form)

    def show_forgot() -> None:  # the same card, its other face: nothing typed is lost
        column.controls = [header, *forgot_form(shell, (email.value or "").strip(),
                                                show_sign_in)]
        shell.page.update()

    def show_sign_in(message: str = "") -> None:
        two_step.forget_step(shell)
        column.controls = sign_in_form
        error.value, error.visible = message, bool(message)
        shell.page.update()

    def show(controls: list[ft.Control]) -> None:
        column.controls = [header, *controls]
        shell.page.update()

    def show_second_step(step: SecondStep) -> None:  # the code, or setting it up
        two_step.remember_step(shell, step)
        show(two_step.second_step_form(shell, step, show_sign_in, show))

    # A second step under way (or the shell's gate: set it up before anything else).
    pending = two_step.pending_step(shell)
    if pending is not None:
        column.controls = [header, *two_step.second_step_form(shell, pending, show_sign_in,
                                                              show)]

    card = ft.Container(width=theme.MAX_FORM_WIDTH, padding=24, content=column)
    return ft.View(
        route="/login",
        controls=[ft.SafeArea(content=card)],
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        vertical_alignment=ft.MainAxisAlignment.CENTER,
        scroll=ft.ScrollMode.AUTO,
    )


def _why_signed_out(shell: Shell) -> list[ft.Control]:
    """Why the last sign-in ended without the person signing out here, if it did."""
    if not shell.ended:
        return []
    return [ft.Container(
        ft.Row([ft.Icon(ft.Icons.INFO_OUTLINE, color=ft.Colors.ON_SECONDARY_CONTAINER),
                ft.Text(shell.ended, size=15, color=ft.Colors.ON_SECONDARY_CONTAINER,
                        expand=True)],
               spacing=12, vertical_alignment=ft.CrossAxisAlignment.START),
        bgcolor=ft.Colors.SECONDARY_CONTAINER, padding=12, border_radius=8)]
