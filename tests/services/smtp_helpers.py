"""A real SMTP server on loopback for the email tests (aiosmtpd): a mailbox handler and a
free port to start it on."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import Message
from typing import Any

HOST = "127.0.0.1"


class Mailbox:
    """An aiosmtpd handler keeping each accepted message; `refuse` answers DATA with it."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.peers: list[object] = []  # the client's address per message: one per connection
        self.refuse: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        self.peers.append(session.peer)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
