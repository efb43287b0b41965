"""The shared state of several app servers in PostgreSQL (issue 17): the tables of
migrations/0002_shared_state.sql behind app.store.shared_state.SharedState.

Every operation is one statement, or one transaction holding a row lock, so two servers
get the same answers as two threads of one (no process-local lock decides anything):
taking a ticket is a DELETE ... RETURNING, a lease an INSERT ... ON CONFLICT DO UPDATE
... WHERE the lease is free or ours, a strike an upsert then a row lock.

Broadcasts are PostgreSQL's LISTEN/NOTIFY: one listener thread per instance holds its own
connection, LISTENs on the channels subscribed to and calls the callbacks. If that
connection drops, the thread connects again and LISTENs again; messages sent meanwhile
are lost, which is acceptable for what goes over it (a tab that misses "signed out"
finds its session gone at its next step).

Ended rows (expired tickets, pages and events, old reasons) are deleted as writes come,
at most once a minute per instance.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app.store.postgres.location import unreachable
from app.store.postgres.store import CONNECT_TIMEOUT_SECONDS, connect
from app.store.shared_state import ENDED_KEPT_FOR, HeldPage, Ticket, Unsubscribe

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS: Final = 60.0
STRIKES_KEPT_FOR: Final = timedelta(days=1)  # failures not followed by another are forgotten
_LISTEN_POLL_SECONDS: Final = 0.2  # how soon the listener takes a new subscription
_RECONNECT_SECONDS: Final = 1.0


class PostgresSharedState:
    """`SharedState` in the database at `url` (its schema applied by the store's
    migrations, app.store.postgres.schema). `pool_size`: connections this process keeps."""

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        self.url = url
        try:
            # Each connection is checked as it is handed out (one short round trip): a
            # connection the server dropped (a restart) is replaced, never used, since
            # these operations are not all safe to run again after an error.
            self._pool = ConnectionPool(url, min_size=1, max_size=pool_size,
                                        kwargs={"autocommit": True,
                                                "connect_timeout": CONNECT_TIMEOUT_SECONDS},
                                        open=True, check=ConnectionPool.check_connection,
                                        timeout=CONNECT_TIMEOUT_SECONDS,
                                        name="backtrack-shared-state")
            self._pool.wait(timeout=CONNECT_TIMEOUT_SECONDS)
        except (psycopg.Error, Exception) as exc:
            raise unreachable(url, exc) from exc
        self._last_sweep = -SWEEP_EVERY_SECONDS  # the first write sweeps
        self._sweep_lock = threading.Lock()
        self._listener: _Listener | None = None
        self._listener_lock = threading.Lock()

    def _run(self, query: str | sql.Composed, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._pool.connection() as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    # -- sessions ----------------------------------------------------------------------

    def open_session(self, key: str, account_id: str, now: datetime, *,
                     idle: timedelta) -> None:
        self._sweep(now)
        self._run("INSERT INTO shared_sessions (key, account_id, last_seen, idle) "
                  "VALUES (%s, %s, %s, %s)", (key, account_id, now, idle))

    def session(self, key: str, now: datetime, *, idle: timedelta, refresh: bool,
                idle_reason: str) -> str | None:
        with self._pool.connection() as conn, conn.transaction():
            ended = conn.execute(
                "DELETE FROM shared_sessions WHERE key = %s AND last_seen < %s "
                "RETURNING key", (key, now - idle)).fetchall()
            if ended:
                conn.execute(
                    "INSERT INTO shared_ended (key, reason, ended_at) VALUES (%s, %s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET reason = EXCLUDED.reason, "
                    "ended_at = EXCLUDED.ended_at", (key, idle_reason, now))
                return None
            if refresh:
                row = conn.execute(
                    "UPDATE shared_sessions SET last_seen = greatest(last_seen, %s) "
                    "WHERE key = %s RETURNING account_id", (now, key)).fetchone()
            else:
                row = conn.execute("SELECT account_id FROM shared_sessions WHERE key = %s",
                                   (key,)).fetchone()
        return str(row[0]) if row else None

    def end_session(self, key: str) -> bool:
        return bool(self._run("DELETE FROM shared_sessions WHERE key = %s RETURNING key",
                              (key,)))

    def end_sessions(self, account_id: str, *, keep: str | None, reason: str,
                     now: datetime) -> list[str]:
        rows = self._run(
            "WITH ended AS (DELETE FROM shared_sessions WHERE account_id = %s "
            "AND key IS DISTINCT FROM %s RETURNING key) "
            "INSERT INTO shared_ended (key, reason, ended_at) "
            "SELECT key, %s, %s FROM ended "
            "ON CONFLICT (key) DO UPDATE SET reason = EXCLUDED.reason, "
            "ended_at = EXCLUDED.ended_at RETURNING key", (account_id, keep, reason, now))
        return [str(row[0]) for row in rows]

    def ended_reason(self, key: str) -> str | None:
        rows = self._run("DELETE FROM shared_ended WHERE key = %s RETURNING reason", (key,))
        return str(rows[0][0]) if rows else None

    # -- tickets -------------------------------------------------------------------------

    def put_ticket(self, kind: str, key: str, ticket: Ticket, *, now: datetime,
                   one_per_holder: bool = False) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("DELETE FROM shared_tickets WHERE kind = %s AND (expires <= %s "
                         "OR (%s AND holder = %s))",
                         (kind, now, one_per_holder, ticket.holder))
            conn.execute(
                "INSERT INTO shared_tickets (kind, key, holder, payload, expires) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, key) DO UPDATE SET "
                "holder = EXCLUDED.holder, payload = EXCLUDED.payload, "
                "expires = EXCLUDED.expires",
                (kind, key, ticket.holder, Jsonb(ticket.payload), ticket.expires))

    def peek_ticket(self, kind: str, key: str, now: datetime) -> Ticket | None:
        rows = self._run("SELECT holder, payload, expires FROM shared_tickets "
                         "WHERE kind = %s AND key = %s AND expires > %s", (kind, key, now))
        return _ticket(rows[0]) if rows else None

    def take_ticket(self, kind: str, key: str, now: datetime) -> Ticket | None:
        rows = self._run("DELETE FROM shared_tickets WHERE kind = %s AND key = %s "
                         "RETURNING holder, payload, expires", (kind, key))
        if not rows or rows[0][2] <= now:
            return None
        return _ticket(rows[0])

    # -- counters ------------------------------------------------------------------------

    def strike(self, key: str, *, limit: int, pause: timedelta, now: datetime) -> bool:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("INSERT INTO shared_strikes (key, count, paused_until, last_at) "
                         "VALUES (%s, 0, NULL, %s) ON CONFLICT (key) DO NOTHING", (key, now))
            row = conn.execute("SELECT count, paused_until FROM shared_strikes "
                               "WHERE key = %s FOR UPDATE", (key,)).fetchone()
            count, until = (int(row[0]), row[1]) if row else (0, None)
            if until is not None and until <= now:
                count, until = 0, None
            count += 1
            started = count >= limit and until is None
            if started:
                until = now + pause
            conn.execute("UPDATE shared_strikes SET count = %s, paused_until = %s, "
                         "last_at = %s WHERE key = %s", (count, until, now, key))
        return started

    def paused_until(self, key: str, now: datetime) -> datetime | None:
        rows = self._run("SELECT paused_until FROM shared_strikes WHERE key = %s "
                         "AND paused_until > %s", (key, now))
        return rows[0][0] if rows else None

    def clear_strikes(self, key: str) -> None:
        self._run("DELETE FROM shared_strikes WHERE key = %s", (key,))

    def count_event(self, key: str, now: datetime, window: timedelta, *,
                    unless_at: int | None = None) -> int:
        self._sweep(now)
        with self._pool.connection() as conn, conn.transaction():
            # One key's events are counted and added by one caller at a time (advisory
            # lock on the key, released at commit), so a limit is never overshot.
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
            row = conn.execute("SELECT count(*) FROM shared_events WHERE key = %s "
                               "AND at > %s", (key, now - window)).fetchone()
            count = int(row[0]) if row else 0
            if unless_at is None or count < unless_at:
                conn.execute("INSERT INTO shared_events (key, at) VALUES (%s, %s)",
                             (key, now))
        return count

    def events(self, key: str, now: datetime, window: timedelta) -> int:
        rows = self._run("SELECT count(*) FROM shared_events WHERE key = %s AND at > %s",
                         (key, now - window))
        return int(rows[0][0]) if rows else 0

    # -- lease ---------------------------------------------------------------------------

    def try_lease(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        rows = self._run(
            "INSERT INTO shared_leases (name, holder, expires) VALUES (%s, %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, "
            "expires = EXCLUDED.expires "
            "WHERE shared_leases.holder = EXCLUDED.holder OR shared_leases.expires <= %s "
            "RETURNING holder", (name, holder, now + ttl, now))
        return bool(rows)

    def release_lease(self, name: str, holder: str) -> None:
        self._run("DELETE FROM shared_leases WHERE name = %s AND holder = %s",
                  (name, holder))

    # -- pages ---------------------------------------------------------------------------

    def keep_page(self, key: str, page: HeldPage, now: datetime) -> None:
        self._sweep(now)
        self._run("INSERT INTO shared_pages (key, body, state, data, holder, expires) "
                  "VALUES (%s, %s, %s, %s, %s, %s)",
                  (key, page.body, page.state, page.data, Jsonb(page.holder), page.expires))

    def settle_page(self, key: str, state: str, data: bytes) -> None:
        self._run("UPDATE shared_pages SET state = %s, data = %s "
                  "WHERE key = %s AND state = 'pending'", (state, data, key))

    def page(self, key: str, now: datetime) -> HeldPage | None:
        rows = self._run("SELECT body, state, data, holder, expires FROM shared_pages "
                         "WHERE key = %s AND expires > %s", (key, now))
        if not rows:
            return None
        body, state, data, holder, expires = rows[0]
        return HeldPage(bytes(body), str(state), bytes(data), dict(holder), expires)

    def drop_page(self, key: str) -> None:
        self._run("DELETE FROM shared_pages WHERE key = %s", (key,))

    # -- broadcasts ----------------------------------------------------------------------

    def publish(self, channel: str, message: str) -> None:
        self._run("SELECT pg_notify(%s, %s)", (channel, message))

    def subscribe(self, channel: str, callback: Callable[[str], None]) -> Unsubscribe:
        with self._listener_lock:
            if self._listener is None:
                self._listener = _Listener(self.url)
            listener = self._listener
        return listener.subscribe(channel, callback)

    # -- upkeep --------------------------------------------------------------------------

    def _sweep(self, now: datetime) -> None:
        """Delete what has ended, at most once a minute (by this process's monotonic
        clock: how often is an optimisation; what is deleted is decided by `now`)."""
        with self._sweep_lock:
            if time.monotonic() - self._last_sweep < SWEEP_EVERY_SECONDS:
                return
            self._last_sweep = time.monotonic()
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM shared_tickets WHERE expires <= %s", (now,))
            conn.execute("DELETE FROM shared_sessions WHERE last_seen + idle < %s", (now,))
            conn.execute("DELETE FROM shared_pages WHERE expires <= %s", (now,))
            conn.execute("DELETE FROM shared_ended WHERE ended_at < %s",
                         (now - ENDED_KEPT_FOR,))
            conn.execute("DELETE FROM shared_strikes WHERE last_at < %s AND "
                         "(paused_until IS NULL OR paused_until <= %s)",
                         (now - STRIKES_KEPT_FOR, now))
            # Every window in use is far shorter than a day.
            conn.execute("DELETE FROM shared_events WHERE at < %s",
                         (now - timedelta(days=1),))

    def close(self) -> None:
        with self._listener_lock:
            if self._listener is not None:
                self._listener.stop()
                self._listener = None
        self._pool.close()


def _ticket(row: tuple[Any, ...]) -> Ticket:
    holder, payload, expires = row
    return Ticket(str(holder), dict(payload), expires)


class _Listener:
    """One thread with its own connection: LISTENs on the subscribed channels and calls
    their callbacks with each notification's payload."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._callbacks: dict[str, dict[int, Callable[[str], None]]] = {}
        self._next = 0
        self._requests: queue.Queue[tuple[str, threading.Event]] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shared-state-listener",
                                        daemon=True)
        self._thread.start()

    def subscribe(self, channel: str, callback: Callable[[str], None]) -> Unsubscribe:
        with self._lock:
            number = self._next
            self._next += 1
            first = channel not in self._callbacks
            self._callbacks.setdefault(channel, {})[number] = callback
        if first:
            listening = threading.Event()
            self._requests.put((channel, listening))
            # Subscribed means listening: a message sent after this returns arrives.
            listening.wait(timeout=10)

        def unsubscribe() -> None:
            with self._lock:
                self._callbacks.get(channel, {}).pop(number, None)

        return unsubscribe

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with connect(self.url) as conn:
                    with self._lock:
                        channels = list(self._callbacks)
                    for channel in channels:  # again, after a reconnect
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self._listen(conn)
            except psycopg.Error:
                log.warning("shared state: the broadcast connection dropped; reconnecting")
                self._stopping.wait(_RECONNECT_SECONDS)

    def _listen(self, conn: psycopg.Connection) -> None:
        while not self._stopping.is_set():
            while True:
                try:
                    channel, listening = self._requests.get_nowait()
                except queue.Empty:
                    break
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                listening.set()
            for note in conn.notifies(timeout=_LISTEN_POLL_SECONDS):
                with self._lock:
                    callbacks = list(self._callbacks.get(note.channel, {}).values())
                for callback in callbacks:
                    try:
                        callback(note.payload)
                    except Exception:
                        log.exception("shared state: a broadcast callback failed")
