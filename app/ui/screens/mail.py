"""The admin's email settings card (issue 13): the clinic's mail server for reminder
emails, and a test email through it.

The password is never sent to the browser: the field stays empty, and says so when one is
saved (an empty field keeps it). The test email goes through the *saved* settings, so
it is refused while the form holds changes that are not saved yet: otherwise a test could
pass with what is on screen and reminders then fail with what was saved, or the other way.
Sending runs off the event loop (a server that does not answer takes up to 20 s) with a
progress ring; the answer is the mail server's one-line reason, never a traceback.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

import flet as ft

from app.domain.accounts import Account
from app.domain.errors import InvalidInput
from app.services.mail_settings import MailSettingsView
from app.services.notifier import DeliveryFailed, Security
from app.ui import theme
from app.ui.components import choice_list, form_column, save_button, save_fields
from app.ui.frame import card, muted

if TYPE_CHECKING:
    from app.ui.shell import Shell

SECURITY_CHOICES: Final = {
    Security.STARTTLS: "STARTTLS (usually port 587)",
    Security.TLS: "TLS from the start (usually port 465)",
    Security.NONE: "None (only a relay on this machine)",
}
PASSWORD_KEPT: Final = "A password is saved; leave empty to keep it"
NOT_SECURE: Final = ("Email is not a secure channel: reminder emails only say that there is "
                     "a reminder from the clinic, with a link to BackTrack. No scores, "
                     "symptoms or messages.")


def mail_card(shell: Shell, admin: Account) -> ft.Control:
    return _MailCard(shell, admin).control


class _MailCard:
    def __init__(self, shell: Shell, admin: Account) -> None:
        self.shell, self.admin = shell, admin
        self.mail = shell.services.mail
        unusable = ""
        try:
            self.saved = self.mail.current(admin)
        except ValueError as exc:  # smtp.json others may read, or damaged: say so
            self.saved, unusable = None, str(exc)
        saved = self.saved
        self.host = ft.TextField(label="Mail server", hint_text="smtp.example.com",
                                 value=saved.host if saved else "", col={"xs": 12, "md": 8})
        self.port = ft.TextField(label="Port", value=str(saved.port) if saved else "587",
                                 keyboard_type=ft.KeyboardType.NUMBER, col={"xs": 12, "md": 4})
        security_box, self.security = choice_list(
            "Security", (saved.security if saved else Security.STARTTLS).value,
            [ft.dropdown.Option(key=s.value, text=text) for s, text in SECURITY_CHOICES.items()],
            expand=True)
        self.user = ft.TextField(label="User name (if the server asks for one)",
                                 value=saved.user if saved else "")
        self.password = ft.TextField(label="Password", password=True,
                                     can_reveal_password=True)
        self.sender = ft.TextField(label="Sender address", hint_text="reminders@clinic.example",
                                   value=saved.sender if saved else "",
                                   keyboard_type=ft.KeyboardType.EMAIL)
        self._show_password_kept()
        self.fields = {"host": self.host, "port": self.port, "user": self.user,
                       "password": self.password, "sender": self.sender}
        save, self.saving = save_button("Save email settings", self._save)
        self.state = ft.Text(unusable or _state(saved), size=14,
                             color=ft.Colors.ERROR if unusable else None)

        self.to = ft.TextField(label="Send the test to", value=admin.email, expand=True,
                               keyboard_type=ft.KeyboardType.EMAIL)
        self.send = ft.OutlinedButton("Send a test email", icon=ft.Icons.OUTGOING_MAIL,
                                      height=theme.TOUCH, on_click=self._send_test)
        self.sending = ft.ProgressRing(width=24, height=24, visible=False,
                                       semantics_label="Sending the test email")
        self.outcome = ft.Text("", size=14, visible=False)
        self.control = form_column([card(
            ft.Text("Email for reminders", size=18, weight=ft.FontWeight.W_600),
            muted("The clinic's mail server. Reminders always reach patients in the app; "
                  "with a server saved here they also get an email, unless they turn it off."),
            self.state,
            ft.Column([ft.ResponsiveRow([self.host, self.port], spacing=12, run_spacing=12),
                       ft.Row([security_box]),  # a full-width row, as the fields
                       self.user, self.password, self.sender], spacing=12,
                      horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
            ft.Row([save, self.saving]),
            ft.Divider(),
            ft.Text("Test the saved settings", size=16, weight=ft.FontWeight.W_600),
            ft.Row([self.to]),
            ft.Row([self.send, self.sending], wrap=True),
            self.outcome,
            muted(NOT_SECURE, 13),
            col={"xs": 12})])

    # -- saving ------------------------------------------------------------------------

    async def _save(self, _: Any) -> None:
        self.saving.visible = True
        self.shell.page.update()
        try:
            saved = await save_fields(self.shell.page, self.fields, lambda: self.mail.save(
                self.admin, host=self.host.value or "", port=self.port.value or "",
                security=Security(self.security.value or Security.STARTTLS.value),
                sender=self.sender.value or "", user=self.user.value or "",
                password=self.password.value or None))
        finally:
            self.saving.visible = False
        if saved:
            self.saved = self.mail.current(self.admin)
            self.password.value = ""
            self._show_password_kept()
            self.state.value, self.state.color = _state(self.saved), None
            self.outcome.visible = False
            self.shell.page.update()
            self.shell.toast("Email settings saved.")

    def _show_password_kept(self) -> None:
        kept = self.saved is not None and self.saved.password_set
        self.password.helper = PASSWORD_KEPT if kept else None

    def _unsaved_changes(self) -> bool:
        saved = self.saved
        if saved is None:
            return False  # nothing saved: the service says to save first
        typed = (self.host.value or "", (self.port.value or "").strip(),
                 self.security.value, self.user.value or "", self.sender.value or "")
        held = (saved.host, str(saved.port), saved.security.value, saved.user, saved.sender)
        return [t.strip() if isinstance(t, str) else t for t in typed] != list(held) \
            or bool(self.password.value)

    # -- the test email ---------------------------------------------------------------

    async def _send_test(self, _: Any) -> None:
        self.to.error = None
        if self._unsaved_changes():
            self._say("Save the email settings first: the test uses the saved ones.",
                      failed=True)
            self.shell.page.update()
            return
        self.outcome.visible = False
        self.send.disabled, self.sending.visible = True, True
        self.shell.page.update()
        address = (self.to.value or "").strip()
        clinic = self.shell.services.clinic.current().name
        try:
            await asyncio.to_thread(self.mail.send_test, self.admin, address, clinic)
        except InvalidInput as exc:
            if "to" in exc.problems:
                self.to.error = exc.problems["to"]
            else:
                self._say(" ".join(exc.problems.values()), failed=True)
        except DeliveryFailed as exc:
            self._say(f"The test email was not sent: {exc.reason}.", failed=True)
        else:
            self._say(f"Test email sent to {address}. Check that it arrived (and not as "
                      "spam).", failed=False)
        finally:
            self.send.disabled, self.sending.visible = False, False
        self.shell.page.update()

    def _say(self, text: str, *, failed: bool) -> None:
        self.outcome.value = text
        self.outcome.color = ft.Colors.ERROR if failed else ft.Colors.TERTIARY
        self.outcome.weight = ft.FontWeight.W_600
        self.outcome.visible = True


def _state(saved: MailSettingsView | None) -> str:
    if saved is None:
        return "No mail server is saved: reminders go to the app only."
    return f"Reminder emails go out through {saved.host}:{saved.port} from {saved.sender}."
