"""Background work that one app server at a time does (issue 17): a shared lease
(app.store.shared_state) around each run of a job that every server schedules.

A run takes the lease, may renew it as it goes (`heartbeat`, at most every third of the
lease's time to live), and releases it when done, so whichever server's job ticks next
runs the next one; a server that dies mid-run holds the lease at most `ttl` longer. With
one process (the memory shared state) the lease is always this process's.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from app.services.base import Clock, system_clock
from app.store.shared_state import SharedState

T = TypeVar("T")
Heartbeat = Callable[[], None]
log = logging.getLogger(__name__)


class OneAtATime:
    def __init__(self, shared: SharedState, name: str, clock: Clock = system_clock, *,
                 ttl: timedelta, holder: str | None = None,
                 ticks: Callable[[], float] = time.monotonic) -> None:
        self.shared = shared
        self.name = name
        self.clock = clock
        self.ttl = ttl
        self.holder = holder or secrets.token_hex(8)  # this process, as the lease knows it
        self.ticks = ticks  # how often to renew is this process's business
        self._renewed = 0.0

    def run(self, work: Callable[[Heartbeat], T]) -> T | None:
        """`work(heartbeat)`'s result if this server got the lease; None while another
        server runs it."""
        if not self.shared.try_lease(self.name, self.holder, self.ttl, self.clock()):
            return None
        self._renewed = self.ticks()
        try:
            return work(self._renew)
        finally:
            self.shared.release_lease(self.name, self.holder)

    def _renew(self) -> None:
        if self.ticks() - self._renewed < self.ttl.total_seconds() / 3:
            return
        self._renewed = self.ticks()
        if not self.shared.try_lease(self.name, self.holder, self.ttl, self.clock()):
            log.warning("The lease %s was lost during a run.", self.name)
