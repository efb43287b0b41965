"""Passwords on screen (issue 14): a password field with show/hide, the Settings card to
change one's own password, the sign-in screen's "Forgot your password?" form, and the
screen a reset link opens (/reset?token=..., reachable signed out).

The policy (app.domain.passwords) says why a password is refused; its words go under the
field, and nothing typed is lost on a refusal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.passwords import MIN_CHARS
from app.services.password_reset import NO_EMAIL, LinkUnusable
from app.ui import theme
from app.ui.components import icon_button, save_button, save_fields
from app.ui.frame import muted

if TYPE_CHECKING:
    from app.ui.shell import Shell

HINT = (f"At least {MIN_CHARS} characters. A few unrelated words are easy to remember and "
        f"hard to guess.")
CHANGED = "Password changed. Any other device signed in to your account was signed out."
RESET_DONE = "Your new password is set. Sign in with it."
FORGOT_TITLE = "Forgot your password?"
RESET_TITLE = "Choose a new password"


def password_field(label: str, *, new: bool = False, autofocus: bool = False,
                   on_submit: Callable[[Any], Any] | None = None) -> ft.TextField:
    """A password field with our own show/hide button (Flet's can_reveal_password one
    has no name for a screen reader). `new`: the browser may offer to save it."""
    # The policy's reasons and the hint take two lines on a phone: shown whole.
    field = ft.TextField(label=label, password=True, autofocus=autofocus,
                         on_submit=on_submit, error_max_lines=3, helper_max_lines=3,
                         autofill_hints=[ft.AutofillHint.NEW_PASSWORD if new
                                         else ft.AutofillHint.PASSWORD])
    reveal = icon_button(ft.Icons.VISIBILITY_OUTLINED, f"Show {label.lower()}", None)

    def toggle(_: Any) -> None:
        field.password = not field.password
        verb = "Show" if field.password else "Hide"
        icon = ft.Icons.VISIBILITY_OUTLINED if field.password else \
            ft.Icons.VISIBILITY_OFF_OUTLINED
        reveal.icon = ft.Icon(icon, semantics_label=f"{verb} {label.lower()}")
        reveal.tooltip = f"{verb} {label.lower()}"
        field.update()

    reveal.on_click = toggle
    field.suffix_icon = reveal
    return field


def change_section(shell: Shell) -> list[ft.Control]:
    """The Settings card: current password, new password, Change password. Other
    sessions of the account end; this one stays."""
    current = password_field("Current password")
    new = password_field("New password", new=True)
    new.helper = HINT

    async def change(_: Any) -> None:
        token = shell.token or ""
        try:
            changed = await save_fields(
                shell.page, {"current": current, "new": new},
                lambda: shell.services.auth.change_password(token, current.value or "",
                                                            new.value or ""))
        except PermissionError:  # the session ended meanwhile: the sign-in screen
            shell.render()
            return
        if changed:
            current.value, new.value = "", ""
            shell.page.update()
            shell.toast(CHANGED)

    button = ft.OutlinedButton("Change password", height=theme.TOUCH, on_click=change)
    new.on_submit = change
    return [
        ft.Divider(),
        ft.Text("Password", size=18, weight=ft.FontWeight.W_600),
        current, new,
        ft.Row([button]),
    ]


def forgot_form(shell: Shell, email_typed: str, back: Callable[[], None]) -> list[ft.Control]:
    """The sign-in card's other face: ask for a reset link by email, or, when the clinic
    has no mail server, say to ask the clinic. `back` shows the sign-in form again."""
    title = ft.Text(FORGOT_TITLE, size=22, weight=ft.FontWeight.W_600)
    back_button = ft.TextButton("Back to sign in", icon=ft.Icons.ARROW_BACK,
                                height=theme.TOUCH, on_click=lambda _: back())
    if not shell.services.password_reset.email_available():
        return [title, ft.Text(NO_EMAIL, size=16), ft.Row([back_button])]
    email = ft.TextField(label="Email", value=email_typed, autofocus=True, error_max_lines=2,
                         keyboard_type=ft.KeyboardType.EMAIL,
                         autofill_hints=[ft.AutofillHint.EMAIL])
    answer = ft.Text("", size=16, visible=False)

    async def send(_: Any = None) -> None:
        typed = (email.value or "").strip()
        if not typed:
            email.error = "Enter the email address you sign in with."
            shell.page.update()
            return
        email.error = None
        button.disabled, busy.visible = True, True
        shell.page.update()
        answer.value = await asyncio.to_thread(shell.services.password_reset.request, typed,
                                               shell.client_address)
        answer.visible, button.disabled, busy.visible = True, False, False
        shell.page.update()

    button, busy = save_button("Send me a link", send)
    email.on_submit = send
    return [title,
            muted("Enter the email address you sign in with. We will email you a link to "
                  "choose a new password.", size=15),
            email, ft.Row([button, busy]), answer, ft.Row([back_button])]


def build_reset(shell: Shell) -> ft.View:
    """/reset?token=...: choose a new password, which uses the link up and signs the
    account out everywhere."""
    token = shell.query.get("token", "")
    title = ft.Text(RESET_TITLE, size=22, weight=ft.FontWeight.W_600)
    to_sign_in = ft.OutlinedButton("Go to sign in", height=theme.TOUCH,
                                   on_click=lambda _: shell.go("/login"))
    try:
        shell.services.password_reset.check(token)
    except LinkUnusable as dead:
        return signed_out_view("/reset", [title, ft.Text(str(dead), size=16),
                                           ft.Row([to_sign_in])])
    unusable = ft.Text("", size=16, visible=False)

    async def save(_: Any) -> None:
        try:
            done = await save_fields(shell.page, {"password": new},
                                     lambda: shell.services.password_reset.reset(
                                         token, new.value or ""))
        except LinkUnusable as dead:
            unusable.value, unusable.visible = str(dead), True
            shell.page.update()
            return
        if done:
            shell.flash = RESET_DONE
            if shell.token is not None:
                shell.sign_out()  # every session ended; this tab forgets its own too
            else:
                shell.go("/login")

    new = password_field("New password", new=True, autofocus=True, on_submit=save)
    new.helper = HINT
    button, busy = save_button("Save new password", save)
    return signed_out_view("/reset", [
        title, muted("Choose the password you will sign in with from now on. Saving it "
                     "signs your account out on every device.", size=15),
        new, unusable, ft.Row([button, busy]),
    ])


def signed_out_view(route: str, controls: list[ft.Control]) -> ft.View:
    """A centred card like the sign-in screen's (no navigation: nobody is signed in)."""
    card = ft.Container(width=theme.MAX_FORM_WIDTH, padding=24, content=ft.Column(
        tight=True, spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[ft.Row([ft.Image(src="/icons/icon-192.png", width=40, height=40,
                                   exclude_from_semantics=True),
                          ft.Text("BackTrack", size=30, weight=ft.FontWeight.BOLD)]),
                  *controls]))
    return ft.View(route=route, controls=[ft.SafeArea(content=card)],
                   horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                   vertical_alignment=ft.MainAxisAlignment.CENTER,
                   scroll=ft.ScrollMode.AUTO)
