"""/setup?code=…: an empty clinic's first admin and the clinic's details, on screen
(issue 14). The server prints this link on its own terminal when it starts with no
account; the code in it is the proof of being at the server (app.services.first_run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.services.first_run import SetupClosed
from app.ui import theme
from app.ui.components import choice_list, save_button, save_fields
from app.ui.frame import muted
from app.ui.screens.password import HINT, password_field, signed_out_view
from app.ui.screens.settings import TIMEZONES

if TYPE_CHECKING:
    from app.ui.shell import Shell

TITLE = "Set up your clinic"
DONE = "Your clinic is set up. Sign in with the email and password you chose."


def build(shell: Shell) -> ft.View:
    code = shell.query.get("code", "")
    title = ft.Text(TITLE, size=22, weight=ft.FontWeight.W_600)
    try:
        shell.services.first_run.check(code)
    except SetupClosed as shut:
        return signed_out_view("/setup", [title, ft.Text(str(shut), size=16), ft.Row([
            ft.OutlinedButton("Go to sign in", height=theme.TOUCH,
                              on_click=lambda _: shell.go("/login"))])])
    clinic_name = ft.TextField(label="Clinic name", autofocus=True)
    phone = ft.TextField(label="Clinic phone number", keyboard_type=ft.KeyboardType.PHONE,
                         helper="Patients are told to call it when something needs a look.",
                         helper_max_lines=2)
    emergency = ft.TextField(label="Emergency number", value="911",
                             keyboard_type=ft.KeyboardType.PHONE)
    name = ft.TextField(label="Your name")
    email = ft.TextField(label="Your email", keyboard_type=ft.KeyboardType.EMAIL,
                         autofill_hints=[ft.AutofillHint.EMAIL])
    password = password_field("Password", new=True)
    password.helper = HINT
    zone_field, zone = choice_list("Time zone", "UTC",
                                   [ft.dropdown.Option(key=z, text=z) for z in TIMEZONES])
    taken = ft.Text("", size=16, visible=False)

    async def create(_: Any) -> None:
        fields = {"clinic_name": clinic_name, "phone": phone,
                  "emergency_number": emergency, "name": name, "email": email,
                  "password": password}
        try:
            done = await save_fields(shell.page, fields, lambda: shell.services.first_run
                                     .create_first_admin(
                                         code, clinic_name=clinic_name.value or "",
                                         phone=phone.value or "",
                                         emergency_number=emergency.value or "",
                                         name=name.value or "", email=email.value or "",
                                         password=password.value or "",
                                         timezone=zone.value or "UTC"))
        except SetupClosed as refused:  # someone else finished setup meanwhile
            taken.value, taken.visible = str(refused), True
            shell.page.update()
            return
        if done:
            shell.flash = DONE
            shell.go("/login")

    button, busy = save_button("Create the clinic", create)
    return signed_out_view("/setup", [
        title,
        muted("BackTrack has no accounts yet. Name the clinic and create the first admin "
              "account: you will invite therapists, the care team and patients from the "
              "Accounts screen afterwards.", size=15),
        ft.Text("The clinic", size=18, weight=ft.FontWeight.W_600),
        clinic_name, phone, emergency,
        ft.Text("You, the clinic's admin", size=18, weight=ft.FontWeight.W_600),
        name, email, password, zone_field, taken, ft.Row([button, busy]),
    ])
