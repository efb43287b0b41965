"""The clinic's mail server for reminder emails, set by the clinic's admin: reading it back
(never the password), saving it, and sending a test email.

The settings, password included, live in one file in the data folder that only the
server's user can read (0600), written atomically. Not in the record store: backups,
patient exports and the admin screen never carry the password back out. Reading the
file each time it is needed means a change on the admin screen applies to the next
scheduler run without a restart.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from app import paths
from app.domain import policy
from app.domain.accounts import Account
from app.domain.errors import InvalidInput
from app.domain.policy import Operation, Relation
from app.domain.validation import Problems
from app.services.notifier import (
    Notifier,
    Security,
    SmtpNotifier,
    SmtpSettings,
    reminder_email,
)

SMTP_FILE = paths.SMTP_FILE_NAME  # the file's name in the data folder (paths.smtp_file)


@dataclass(frozen=True)
class MailSettingsView:
    """What the admin screen shows: everything but the password."""

    host: str
    port: int
    security: Security
    user: str
    sender: str
    password_set: bool


def load_smtp_settings(path: Path) -> SmtpSettings | None:
    """The settings in `path`, or None if there is no file (email is off). ValueError,
    naming the file, if others may read it or it is not usable."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(f"{path} holds the mail server's password and must be readable by "
                         f"this user only (chmod 600 {path}).")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return SmtpSettings(host=str(raw["host"]), port=int(raw["port"]),
                            sender=str(raw["sender"]),
                            security=Security(raw.get("security", "starttls")),
                            user=str(raw.get("user", "")),
                            password=str(raw.get("password", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not usable mail server settings "
                         f"({type(exc).__name__}).") from None


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by this user only, all or nothing (a crash leaves the old one)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _port_number(port: object) -> object:
    """A port typed on the screen ("587") as a number; anything else as it is, for the
    range check to refuse."""
    typed = port.strip() if isinstance(port, str) else ""
    if typed.isascii() and typed.isdigit() and len(typed) <= 12:
        return int(typed)
    return port


def _looks_like_address(text: str) -> bool:
    """One address, local@domain, nothing a header could split on."""
    local, at, domain = text.partition("@")
    return bool(local and at and domain.strip(".")) and "@" not in domain \
        and not any(c.isspace() or c in ",;<>\"" for c in text) and len(text) <= 254


class MailSettingsService:
    def __init__(self, path: Path) -> None:
        self.path = path

    def current(self, actor: Account) -> MailSettingsView | None:
        self._admin_only(actor)
        smtp = load_smtp_settings(self.path)
        if smtp is None:
            return None
        return MailSettingsView(smtp.host, smtp.port, smtp.security, smtp.user, smtp.sender,
                                password_set=bool(smtp.password))

    def save(self, actor: Account, *, host: str, port: object, security: Security,
             sender: str, user: str = "", password: str | None = None) -> MailSettingsView:
        """Check and save. `password` None keeps the one saved before (the screen never
        has it to send back)."""
        self._admin_only(actor)
        p = Problems()
        clean_host = host.strip()
        if not clean_host or len(clean_host) > 253 or any(c.isspace() for c in clean_host):
            p.add("host", "Enter the mail server's name, like smtp.example.com.")
        number = p.score("port", _port_number(port), 1, 65535, "the port")
        clean_sender = sender.strip()
        if not _looks_like_address(clean_sender):
            p.add("sender", "Enter the address emails come from, like clinic@example.com.")
        p.raise_if_any()
        if password is None:
            held = load_smtp_settings(self.path)
            password = held.password if held is not None else ""
        _write_private(self.path, json.dumps({
            "host": clean_host, "port": number, "security": security.value,
            "user": user.strip(), "password": password, "sender": clean_sender}))
        view = self.current(actor)
        assert view is not None
        return view

    def send_test(self, actor: Account, to: str, clinic_name: str) -> None:
        """A test email through the saved server (the same wording as a reminder).
        InvalidInput for an unusable address or if nothing usable is saved;
        DeliveryFailed with the server's reason."""
        self._admin_only(actor)
        address = to.strip()
        if not _looks_like_address(address):
            raise InvalidInput.one("to", "Enter the address to send the test to, like "
                                         "you@example.com.")
        try:
            notifier = self.notifier()
        except ValueError as exc:  # smtp.json readable by others, or damaged
            raise InvalidInput.one("host", str(exc)) from None
        if notifier is None:
            raise InvalidInput.one("host", "Save the mail server's settings first.")
        notifier.send(reminder_email(to=address, clinic_name=clinic_name,
                                     link="(a link to BackTrack comes here)",
                                     unsubscribe_link="(an unsubscribe link comes here)",
                                     delivery_id="test"))

    def notifier(self) -> Notifier | None:
        """The notifier for the scheduler: None while no server is saved."""
        smtp = load_smtp_settings(self.path)
        return SmtpNotifier(smtp) if smtp is not None else None

    @staticmethod
    def _admin_only(actor: Account) -> None:
        policy.require(actor.role, Operation.MANAGE_CLINIC, Relation.NONE)
