"""Sending a reminder email: the message (what it may say), a `Notifier` protocol, the SMTP
implementation (stdlib smtplib, STARTTLS or TLS) and an in-memory twin for tests.

Email is not a secure channel: the message says only that there is a reminder from the
clinic, with a link into the app and an unsubscribe link. No scores, no symptoms, no
template name ("soreness check" is already health detail), no free-text message.

Exceptions::

    DeliveryFailed   the server could not be reached, refused the login or the message;
                     `reason` is one short line for the delivery record (never the body)
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate
from enum import StrEnum
from typing import Protocol


class DeliveryFailed(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())[:200]
        super().__init__(self.reason)


@dataclass(frozen=True)
class ReminderEmail:
    to: str
    subject: str
    body: str
    link: str
    unsubscribe_link: str
    message_id: str  # the same for every attempt of one delivery, so a mail client can
    # tell a repeat after a crash from a new reminder


def reminder_email(*, to: str, clinic_name: str, link: str, unsubscribe_link: str,
                   delivery_id: str) -> ReminderEmail:
    """The one wording of a reminder email (see the module docstring for what it leaves
    out on purpose)."""
    subject = f"A reminder from {clinic_name}"
    body = (
        f"Hello,\n\nThere is a reminder for you from {clinic_name} in BackTrack.\n"
        f"Open it here: {link}\n\n"
        f"You get these emails because email reminders are on. To stop them: "
        f"{unsubscribe_link}\n"
    )
    safe_id = "".join(c if c.isalnum() or c in ".-" else "." for c in delivery_id)
    return ReminderEmail(to, subject, body, link, unsubscribe_link,
                         f"<{safe_id}@reminders.backtrack>")


class Notifier(Protocol):
    def send(self, email: ReminderEmail) -> None:
        """Hand the message to the mail server; DeliveryFailed if it was not accepted."""
        ...

    def batch(self) -> AbstractContextManager[object]:
        """Several sends in a row (one connection for all of them, where that helps)."""
        ...


@dataclass
class MemoryNotifier:
    """The in-memory twin: keeps what was sent; `failures` makes the next sends fail with
    those reasons, one each (a server that is down, then back)."""

    sent: list[ReminderEmail] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def send(self, email: ReminderEmail) -> None:
        if self.failures:
            raise DeliveryFailed(self.failures.pop(0))
        self.sent.append(email)

    def batch(self) -> AbstractContextManager[object]:
        return nullcontext()


class Security(StrEnum):
    STARTTLS = "starttls"  # plain connection upgraded (port 587)
    TLS = "tls"  # TLS from the first byte (port 465)
    NONE = "none"  # only for a relay on the same machine


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    security: Security = Security.STARTTLS
    user: str = ""
    password: str = field(default="", repr=False)  # never shown back, never logged
    timeout_seconds: float = 20.0


class SmtpNotifier:
    def __init__(self, settings: SmtpSettings,
                 tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.tls_context = tls_context or ssl.create_default_context()
        self._batching = False
        self._open: smtplib.SMTP | None = None

    @contextmanager
    def batch(self) -> Iterator[object]:
        """Keep one connection open for the sends inside (a fresh one after a failure):
        connecting and greeting cost as much as sending a message."""
        self._batching = True
        try:
            yield self
        finally:
            self._batching = False
            self._close()

    def send(self, email: ReminderEmail) -> None:
        try:
            if self._open is None:
                self._open = self._session()
            self._open.send_message(self._message(email))
        except BaseException as exc:
            self._close()
            failure = _failure(exc)
            if failure is exc:
                raise
            raise failure from None
        if not self._batching:
            self._close()

    def _session(self) -> smtplib.SMTP:
        s = self.settings
        if s.security is Security.TLS:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds,
                                                  context=self.tls_context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        try:
            if s.security is Security.STARTTLS:
                smtp.starttls(context=self.tls_context)
            if s.user:
                smtp.login(s.user, s.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _close(self) -> None:
        smtp, self._open = self._open, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _message(self, email: ReminderEmail) -> EmailMessage:
        # Lines up to RFC 5322's 998 characters, so a long unsubscribe link stays one plain
        # header (folded, it was RFC 2047-encoded, which mail clients do not follow).
        message = EmailMessage(policy=SMTP_POLICY.clone(max_line_length=998))
        message["From"] = self.settings.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = email.message_id
        if email.unsubscribe_link:  # none on a one-off email (a password reset link)
            message["List-Unsubscribe"] = f"<{email.unsubscribe_link}>"
            # RFC 8058 one-click: the mail client POSTs to the link
            # (app/ui/reminder_routes.py takes that POST), with no page to open.
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(email.body)
        return message


def _failure(exc: BaseException) -> BaseException:
    """The one-line reason a send failed, as DeliveryFailed; anything that is not a mail or
    network error (a bug, the process stopping) is passed on as it is."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryFailed(f"the mail server answered {exc.smtp_code}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return DeliveryFailed("the mail server refused the recipient")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryFailed("the mail server does not offer what the settings ask for "
                              "(sign-in or STARTTLS): check Security and the user name")
    if isinstance(exc, smtplib.SMTPException):
        return DeliveryFailed(f"mail server error ({type(exc).__name__})")
    if isinstance(exc, ssl.SSLError):
        return DeliveryFailed(f"TLS failed ({exc.reason or 'handshake'})")
    if isinstance(exc, OSError):  # refused, unreachable, timed out, unknown host
        return DeliveryFailed(f"cannot reach the mail server ({exc.strerror or exc})")
    return exc
