"""Short-lived state that every app server of a clinic must see the same (issue 17).

What used to live in one process's memory: sign-in sessions, single-use tickets and links,
counters behind rate limits and lockouts, the lease that lets one process deliver the
reminders, the chart pages the Progress screen frames, and a broadcast channel (e.g. "this
session signed out"). With one process `MemorySharedState` keeps it in memory, as before;
with PostgreSQL, `app.store.postgres.shared_state.PostgresSharedState` keeps it in the
database, so a tab that reconnects to another process stays signed in and a lockout
counts every process's failures.

Nothing here knows what a session or a lockout means to a person: the services decide
(app.services.accounts, password_reset, invitations, two_step, delivery). Keys are
strings the services choose; a secret handed to a person arrives here only as its digest
(app.domain.tokens.token_digest). Every call that reads a time is given `now` by the
caller, so the services' clock (a fake one in tests) decides what has expired; several
servers must therefore keep their clocks in step (NTP), as they must for the records'
times anyway.

Each operation is atomic on its own: two servers (or two threads) taking the same ticket,
striking the same key or taking the same lease get exactly one winner.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

JSONDict = dict[str, Any]
Unsubscribe = Callable[[], None]

ENDED_KEPT_FOR: Final = timedelta(days=1)  # why a session ended, for a tab that asks later
_ENDED_KEPT: Final = 10_000  # in memory: at most this many reasons wait unread
_KEYS_KEPT: Final = 1000  # in memory: then counters whose events have all left go


@dataclass(frozen=True)
class Ticket:
    """A single-use ticket or link: whose it is and what it carries, until `expires`."""

    holder: str
    payload: JSONDict
    expires: datetime


@dataclass(frozen=True)
class HeldPage:
    """A rendered page kept under a token (the Progress screen's chart frame): its HTML,
    where its data stands ("pending", "ready", "failed"; "" for a page without a data
    route), the data, and `holder`, what the server checks before handing it out."""

    body: bytes
    state: str
    data: bytes
    holder: JSONDict
    expires: datetime


class SharedState(Protocol):
    """The state several app servers share. Thread-safe; every method is one atomic step."""

    # -- sessions ----------------------------------------------------------------------

    def open_session(self, key: str, account_id: str, now: datetime, *,
                     idle: timedelta) -> None:
        """A new session under `key` (the digest of its token). Sessions unused for
        longer than `idle` are swept away in time (tabs closed for good)."""
        ...

    def session(self, key: str, now: datetime, *, idle: timedelta, refresh: bool,
                idle_reason: str) -> str | None:
        """The account of a live session; None when there is none. A session unused for
        longer than `idle` ends here, with `idle_reason` kept for `ended_reason`.
        `refresh` counts this as activity."""
        ...

    def end_session(self, key: str) -> bool:
        """End one session (signed out: no reason kept). Whether it was open."""
        ...

    def end_sessions(self, account_id: str, *, keep: str | None, reason: str,
                     now: datetime) -> list[str]:
        """End every session of an account but `keep`; their keys. `reason` is kept for
        each (read once with `ended_reason`)."""
        ...

    def ended_reason(self, key: str) -> str | None:
        """Why this session ended, once (then forgotten); None when unknown."""
        ...

    # -- single-use tickets and links --------------------------------------------------

    def put_ticket(self, kind: str, key: str, ticket: Ticket, *, now: datetime,
                   one_per_holder: bool = False) -> None:
        """Keep a ticket of `kind` under `key` (a digest or a random id). With
        `one_per_holder`, the holder's other tickets of this kind end (a new link
        replaces the earlier one). Expired tickets of the kind are dropped."""
        ...

    def peek_ticket(self, kind: str, key: str, now: datetime) -> Ticket | None:
        """The ticket if it is there and not expired; it stays."""
        ...

    def take_ticket(self, kind: str, key: str, now: datetime) -> Ticket | None:
        """The ticket, taken: exactly one caller gets it, and only before it expires."""
        ...

    # -- counters behind rate limits and lockouts --------------------------------------

    def strike(self, key: str, *, limit: int, pause: timedelta, now: datetime) -> bool:
        """Count a failure under `key`; at the `limit`-th the key is paused for `pause`.
        True for the one strike that starts a pause. Strikes after a pause has run out
        count from one again."""
        ...

    def paused_until(self, key: str, now: datetime) -> datetime | None:
        """When the pause of `key` ends, if it is paused now."""
        ...

    def clear_strikes(self, key: str) -> None:
        """Forget the failures of `key` (e.g. after a right password)."""
        ...

    def count_event(self, key: str, now: datetime, window: timedelta, *,
                    unless_at: int | None = None) -> int:
        """How many events `key` had in the `window` before `now` (times later than now -
        window); then adds one at `now`, unless `unless_at` is given and the count has
        reached it."""
        ...

    def events(self, key: str, now: datetime, window: timedelta) -> int:
        """How many events `key` had in the `window` before `now`, adding none."""
        ...

    # -- a lease: one process does a job ------------------------------------------------

    def try_lease(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """Take the lease `name` for `holder` until now + ttl, or renew it if `holder`
        has it. False while another holder's lease has not expired."""
        ...

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only if `holder` has it), so another may take it at once."""
        ...

    # -- pages under a token (the Progress screen's chart frame) -------------------------

    def keep_page(self, key: str, page: HeldPage, now: datetime) -> None:
        """Keep a page under `key`; expired pages are dropped."""
        ...

    def settle_page(self, key: str, state: str, data: bytes) -> None:
        """A pending page's data came (`state` "ready") or will not ("failed"); a page
        that is gone or no longer pending is left alone."""
        ...

    def page(self, key: str, now: datetime) -> HeldPage | None:
        """The page, if it is there and not expired."""
        ...

    def drop_page(self, key: str) -> None: ...

    # -- broadcasts ----------------------------------------------------------------------

    def publish(self, channel: str, message: str) -> None:
        """Send `message` to every subscriber of `channel`, in every process (this one
        too). Short messages only (a digest, an id)."""
        ...

    def subscribe(self, channel: str, callback: Callable[[str], None]) -> Unsubscribe:
        """Call `callback(message)` for each message on `channel` (on another thread
        possibly: it must be quick and thread-safe) until the returned function is
        called."""
        ...

    def close(self) -> None: ...


# -- in memory: one process -----------------------------------------------------------


@dataclass
class _Strikes:
    count: int = 0
    paused_until: datetime | None = None


@dataclass
class _Channel:
    callbacks: dict[int, Callable[[str], None]] = field(default_factory=dict)


class MemorySharedState:
    """The shared state of a single process, in memory (the embedded journal's twin):
    gone at a restart, like the sessions always were."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[str, datetime]] = {}
        self._ended: OrderedDict[str, str] = OrderedDict()
        self._tickets: dict[tuple[str, str], Ticket] = {}
        self._strikes: dict[str, _Strikes] = {}
        self._events: dict[str, tuple[timedelta, list[datetime]]] = {}  # key -> window
        self._leases: dict[str, tuple[str, datetime]] = {}
        self._pages: dict[str, HeldPage] = {}
        self._channels: dict[str, _Channel] = {}
        self._next_subscriber = 0

    # -- sessions ----------------------------------------------------------------------

    def open_session(self, key: str, account_id: str, now: datetime, *,
                     idle: timedelta) -> None:
        with self._lock:
            if len(self._sessions) >= _KEYS_KEPT:  # tabs closed for good don't pile up
                self._sessions = {k: (a, seen) for k, (a, seen) in self._sessions.items()
                                  if now - seen <= idle}
            self._sessions[key] = (account_id, now)

    def session(self, key: str, now: datetime, *, idle: timedelta, refresh: bool,
                idle_reason: str) -> str | None:
        with self._lock:
            entry = self._sessions.get(key)
            if entry is None:
                return None
            account_id, last_seen = entry
            if now - last_seen > idle:
                del self._sessions[key]
                self._note_ended(key, idle_reason)
                return None
            if refresh:
                self._sessions[key] = (account_id, now)
            return account_id

    def end_session(self, key: str) -> bool:
        with self._lock:
            return self._sessions.pop(key, None) is not None

    def end_sessions(self, account_id: str, *, keep: str | None, reason: str,
                     now: datetime) -> list[str]:
        with self._lock:
            ended = [k for k, (held, _) in self._sessions.items()
                     if held == account_id and k != keep]
            for key in ended:
                del self._sessions[key]
                self._note_ended(key, reason)
        return ended

    def ended_reason(self, key: str) -> str | None:
        with self._lock:
            return self._ended.pop(key, None)

    def _note_ended(self, key: str, reason: str) -> None:
        """Under the lock. The oldest reasons go first when too many wait unread."""
        self._ended[key] = reason
        while len(self._ended) > _ENDED_KEPT:
            self._ended.popitem(last=False)

    # -- tickets -------------------------------------------------------------------------

    def put_ticket(self, kind: str, key: str, ticket: Ticket, *, now: datetime,
                   one_per_holder: bool = False) -> None:
        with self._lock:
            for old in [k for k, held in self._tickets.items() if k[0] == kind and (
                    held.expires <= now or (one_per_holder and held.holder == ticket.holder))]:
                del self._tickets[old]
            self._tickets[(kind, key)] = ticket

    def peek_ticket(self, kind: str, key: str, now: datetime) -> Ticket | None:
        with self._lock:
            held = self._tickets.get((kind, key))
        return held if held is not None and held.expires > now else None

    def take_ticket(self, kind: str, key: str, now: datetime) -> Ticket | None:
        with self._lock:
            held = self._tickets.pop((kind, key), None)
        return held if held is not None and held.expires > now else None

    # -- counters ------------------------------------------------------------------------

    def strike(self, key: str, *, limit: int, pause: timedelta, now: datetime) -> bool:
        with self._lock:
            held = self._strikes.setdefault(key, _Strikes())
            if held.paused_until is not None and held.paused_until <= now:
                held.count, held.paused_until = 0, None
            held.count += 1
            if held.count >= limit and held.paused_until is None:
                held.paused_until = now + pause
                return True
            return False

    def paused_until(self, key: str, now: datetime) -> datetime | None:
        with self._lock:
            held = self._strikes.get(key)
            until = held.paused_until if held is not None else None
        return until if until is not None and until > now else None

    def clear_strikes(self, key: str) -> None:
        with self._lock:
            self._strikes.pop(key, None)

    def count_event(self, key: str, now: datetime, window: timedelta, *,
                    unless_at: int | None = None) -> int:
        with self._lock:
            if key not in self._events and len(self._events) >= _KEYS_KEPT:
                # Typed addresses can't fill memory: keys whose events all left go.
                self._events = {k: (w, times) for k, (w, times) in self._events.items()
                                if now - times[-1] < w}
            recent = [t for t in self._events.get(key, (window, []))[1] if now - t < window]
            count = len(recent)
            if unless_at is None or count < unless_at:
                recent.append(now)
            if recent:
                self._events[key] = (window, recent)
            else:
                self._events.pop(key, None)
            return count

    def events(self, key: str, now: datetime, window: timedelta) -> int:
        with self._lock:
            times = self._events.get(key, (window, []))[1]
            return sum(1 for t in times if now - t < window)

    # -- lease ---------------------------------------------------------------------------

    def try_lease(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        with self._lock:
            held = self._leases.get(name)
            if held is not None and held[0] != holder and held[1] > now:
                return False
            self._leases[name] = (holder, now + ttl)
            return True

    def release_lease(self, name: str, holder: str) -> None:
        with self._lock:
            if name in self._leases and self._leases[name][0] == holder:
                del self._leases[name]

    # -- pages ---------------------------------------------------------------------------

    def keep_page(self, key: str, page: HeldPage, now: datetime) -> None:
        with self._lock:
            for old in [k for k, held in self._pages.items() if held.expires <= now]:
                del self._pages[old]
            self._pages[key] = page

    def settle_page(self, key: str, state: str, data: bytes) -> None:
        with self._lock:
            held = self._pages.get(key)
            if held is not None and held.state == "pending":
                self._pages[key] = HeldPage(held.body, state, data, held.holder,
                                            held.expires)

    def page(self, key: str, now: datetime) -> HeldPage | None:
        with self._lock:
            held = self._pages.get(key)
            if held is not None and held.expires <= now:
                del self._pages[key]
                return None
            return held

    def drop_page(self, key: str) -> None:
        with self._lock:
            self._pages.pop(key, None)

    # -- broadcasts ----------------------------------------------------------------------

    def publish(self, channel: str, message: str) -> None:
        with self._lock:
            found = self._channels.get(channel)
            callbacks = list(found.callbacks.values()) if found is not None else []
        for callback in callbacks:
            callback(message)

    def subscribe(self, channel: str, callback: Callable[[str], None]) -> Unsubscribe:
        with self._lock:
            number = self._next_subscriber
            self._next_subscriber += 1
            self._channels.setdefault(channel, _Channel()).callbacks[number] = callback

        def unsubscribe() -> None:
            with self._lock:
                found = self._channels.get(channel)
                if found is not None:
                    found.callbacks.pop(number, None)

        return unsubscribe

    def close(self) -> None:
        with self._lock:
            self._channels.clear()
