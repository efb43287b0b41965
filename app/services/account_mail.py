"""One-off emails about an account (a password reset link, an invitation): through the
clinic's mail server as the admin saved it at the moment of sending, sent off the
request's thread, a failure logged by the server's reason only (never the person)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from app.services.notifier import DeliveryFailed, Notifier, ReminderEmail

log = logging.getLogger(__name__)

Dispatch = Callable[[Callable[[], None]], None]


def in_background(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="account-email", daemon=True).start()


class AccountMail:
    def __init__(self, notifier_source: Callable[[], Notifier | None], what: str,
                 dispatch: Dispatch = in_background) -> None:
        """`notifier_source`: the clinic's mail server as saved now (None: none), asked at
        each sending; `what` names the emails in the log ("invitation"); `dispatch` runs
        a sending (tests: at once)."""
        self.notifier_source = notifier_source
        self.what = what
        self.dispatch = dispatch

    def server(self) -> Notifier | None:
        """The clinic's mail server now; None without one or with unusable settings."""
        try:
            return self.notifier_source()
        except ValueError:  # the settings file is damaged or readable by others
            log.warning("%s: the mail server settings are not usable", self.what)
            return None

    def available(self) -> bool:
        return self.server() is not None

    def send_later(self, message: ReminderEmail, server: Notifier | None = None) -> bool:
        """Hand `message` to the mail server (`server`, else the one saved now) off this
        thread; False, and nothing sent, when the clinic has none."""
        notifier = server if server is not None else self.server()
        if notifier is None:
            return False
        self.dispatch(lambda: self._send(notifier, message))
        return True

    def _send(self, notifier: Notifier, message: ReminderEmail) -> None:
        try:
            notifier.send(message)
        except DeliveryFailed as failed:  # the reason names the server, never the person
            log.warning("%s email not sent: %s", self.what, failed.reason)
