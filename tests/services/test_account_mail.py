"""One-off account emails: sent through the server saved now, off the caller's thread; a
failure is logged by the server's reason only, never the person's address."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from app.services.account_mail import AccountMail
from app.services.notifier import MemoryNotifier, ReminderEmail

MESSAGE = ReminderEmail("robin@example.com", "Your invitation", "Hello", "http://x/join",
                        "", "<id@backtrack>")


def at_once(work: Callable[[], None]) -> None:
    work()


def test_sent_through_the_server_saved_now() -> None:
    servers: list[MemoryNotifier | None] = [None]
    mail = AccountMail(lambda: servers[0], "invitation", at_once)
    assert not mail.available() and mail.send_later(MESSAGE) is False
    server = servers[0] = MemoryNotifier()
    assert mail.available() and mail.send_later(MESSAGE) is True
    assert server.sent == [MESSAGE]


def test_unusable_settings_mean_no_server() -> None:
    def damaged() -> MemoryNotifier:
        raise ValueError("the settings file is readable by others")

    assert AccountMail(damaged, "invitation", at_once).server() is None


def test_a_failure_is_logged_by_its_reason_not_the_address(
        caplog: pytest.LogCaptureFixture) -> None:
    mail = AccountMail(lambda: MemoryNotifier(failures=["the server answered 554"]),
                       "invitation", at_once)
    with caplog.at_level(logging.WARNING):
        assert mail.send_later(MESSAGE) is True
    assert "the server answered 554" in caplog.text
    assert "robin" not in caplog.text
