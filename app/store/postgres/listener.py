"""Owner stamps that hold across app servers: every write of the PostgreSQL store sends
`NOTIFY backtrack_owner, '<owner>\t<kind>'` inside its transaction (an empty kind: the
owner's data was erased), and each store keeps one connection LISTENing on a daemon
thread that bumps its in-memory stamps when a notification arrives.

A store bumps its own stamps right after its commit (a process sees its own save at
once), so the payload ends with the sending store's id (`'<owner>\t<kind>\t<store id>'`)
and the listener skips its own: bumped twice, the second time a moment later, a stamp
would move after a caller read it although nothing changed since (a needless
recomputation, and not the contract's "stays put otherwise").

PostgreSQL delivers a notification only once its transaction committed, and to every
listener connected at that moment. A listener that lost its connection may have missed
some: after it reconnects, every stamp moves on (anything may have changed meanwhile).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable

import psycopg

from app.store.stamps import OwnerStamps

log = logging.getLogger(__name__)

CHANNEL = "backtrack_owner"
_EVERYONE = "\x00everyone"  # a stamp no real owner has: moved on after a reconnect
_POLL_SECONDS = 0.5  # how long a wait for notifications lasts before checking for close
_RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


def payload(owner: str, kind: str, sender: str) -> str:
    """The notification for one (owner, kind); kind "" = everything of the owner went."""
    return f"{owner}\t{kind}\t{sender}"


def payloads(changed: Iterable[tuple[str | None, str]], sender: str) -> list[str]:
    """One notification per distinct (owner, kind), clinic-level records (no owner) left
    out: nothing keeps a stamp for them."""
    return sorted({payload(owner, kind, sender) for owner, kind in changed
                   if owner is not None})


class SharedStamps:
    """OwnerStamps behind a lock, with a floor that lifts every owner's stamp at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamps = OwnerStamps()
        self._floor = 0

    def apply(self, note: str) -> None:
        owner, kind, _sender = note.rsplit("\t", 2)
        with self._lock:
            if kind:
                self._stamps.saved(owner, kind)
            else:
                self._stamps.purged(owner)

    def everyone(self) -> None:
        with self._lock:
            self._stamps.saved(_EVERYONE, "*")
            self._floor = self._stamps.stamp(_EVERYONE)

    def stamp(self, owner: str, ignoring: frozenset[str]) -> int:
        with self._lock:
            return max(self._stamps.stamp(owner, ignoring), self._floor)


class OwnerListener:
    """One LISTEN connection on a daemon thread; reconnects until closed."""

    def __init__(self, url: str, stamps: SharedStamps,
                 connect: Callable[[str], psycopg.Connection], sender: str) -> None:
        self._url = url
        self._own = f"\t{sender}"
        self._stamps = stamps
        self._connect_to = connect
        self._stop = threading.Event()
        self._conn: psycopg.Connection | None = None
        self._thread = threading.Thread(target=self._run, name="backtrack-pg-listener",
                                        daemon=True)

    def start(self) -> None:
        """Listen before the store serves anything, so no save after open goes unseen."""
        self._conn = self._connect()
        self._thread.start()

    def _connect(self) -> psycopg.Connection:
        conn = self._connect_to(self._url)
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def _run(self) -> None:
        while not self._stop.is_set():
            conn = self._conn
            try:
                if conn is None:
                    raise psycopg.OperationalError("not connected")
                for note in conn.notifies(timeout=_POLL_SECONDS):
                    if not note.payload.endswith(self._own):  # ours: bumped at commit
                        self._stamps.apply(note.payload)
            except psycopg.Error as exc:
                self._drop()
                if not self._stop.is_set():
                    log.warning("Lost the database's change notifications (%s); "
                                "reconnecting", type(exc).__name__)
                    self._reconnect()

    def _reconnect(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                self._conn = self._connect()
            except psycopg.Error:
                pause = _RECONNECT_SECONDS[min(attempt, len(_RECONNECT_SECONDS) - 1)]
                attempt += 1
                self._stop.wait(pause)
                continue
            # Saves made while we were away sent notifications nobody here heard.
            self._stamps.everyone()
            log.warning("Change notifications from the database are back")
            return

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._drop()
