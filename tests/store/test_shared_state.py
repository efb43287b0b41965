"""The shared state of several app servers (issue 17): the same tests against the memory
twin and a real PostgreSQL (tests/postgres.py), then two PostgreSQL instances on one
database standing for two app servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from app.store.postgres.schema import apply_migrations
from app.store.postgres.shared_state import PostgresSharedState
from app.store.shared_state import HeldPage, MemorySharedState, SharedState, Ticket

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)


def migrated(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        apply_migrations(conn)
    return url


@pytest.fixture(params=["memory", "postgres"])
def shared(request: pytest.FixtureRequest) -> Iterator[SharedState]:
    made: SharedState
    if request.param == "memory":
        made = MemorySharedState()
    else:
        made = PostgresSharedState(migrated(request.getfixturevalue("pg_url")))
    yield made
    made.close()


@pytest.fixture
def two(pg_url: str) -> Iterator[tuple[PostgresSharedState, PostgresSharedState]]:
    """Two instances on one database: what two app servers hold."""
    url = migrated(pg_url)
    a, b = PostgresSharedState(url), PostgresSharedState(url)
    yield a, b
    a.close()
    b.close()


def later(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


# -- sessions --------------------------------------------------------------------------


def test_a_session_is_resumed_and_refreshed_until_idle(shared: SharedState) -> None:
    shared.open_session("s1", "ann", NOW, idle=IDLE)
    assert shared.session("s1", later(20), idle=IDLE, refresh=True, idle_reason="idle") == "ann"
    # Refreshed at 20: still there at 45 (25 idle), without refreshing.
    assert shared.session("s1", later(45), idle=IDLE, refresh=False,
                          idle_reason="idle") == "ann"
    # Not refreshed at 45: gone at 51 (31 idle), with the reason kept once.
    assert shared.session("s1", later(51), idle=IDLE, refresh=True, idle_reason="idle") is None
    assert shared.ended_reason("s1") == "idle"
    assert shared.ended_reason("s1") is None
    assert shared.session("unknown", NOW, idle=IDLE, refresh=True, idle_reason="x") is None


def test_ending_one_session_and_all_but_one(shared: SharedState) -> None:
    for key, account in (("a1", "ann"), ("a2", "ann"), ("a3", "ann"), ("b1", "bob")):
        shared.open_session(key, account, NOW, idle=IDLE)
    assert shared.end_session("a1") is True
    assert shared.end_session("a1") is False
    assert shared.ended_reason("a1") is None  # signed out: no reason kept
    assert sorted(shared.end_sessions("ann", keep="a2", reason="password", now=NOW)) == ["a3"]
    assert shared.session("a2", NOW, idle=IDLE, refresh=False, idle_reason="i") == "ann"
    assert shared.session("a3", NOW, idle=IDLE, refresh=False, idle_reason="i") is None
    assert shared.ended_reason("a3") == "password"
    assert shared.end_sessions("ann", keep=None, reason="off", now=NOW) == ["a2"]
    assert shared.session("b1", NOW, idle=IDLE, refresh=False, idle_reason="i") == "bob"


def test_sessions_of_tabs_closed_for_good_are_swept_from_memory() -> None:
    shared = MemorySharedState()
    for n in range(1000):
        shared.open_session(f"old-{n}", "ann", NOW, idle=IDLE)
    shared.open_session("new", "ann", later(31), idle=IDLE)
    assert shared.session("old-1", later(31), idle=IDLE, refresh=False,
                          idle_reason="idle") is None
    assert shared.ended_reason("old-1") is None  # swept, not found ended at a step
    assert shared.session("new", later(31), idle=IDLE, refresh=False,
                          idle_reason="idle") == "ann"


def test_sessions_of_tabs_closed_for_good_are_swept_from_the_database(pg_url: str) -> None:
    url = migrated(pg_url)
    first = PostgresSharedState(url)
    first.open_session("old", "ann", NOW, idle=IDLE)
    first.close()
    later_server = PostgresSharedState(url)  # its first write sweeps
    later_server.open_session("new", "ann", later(31), idle=IDLE)
    with psycopg.connect(url) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM shared_sessions")]
    later_server.close()
    assert keys == ["new"]


# -- tickets ---------------------------------------------------------------------------


def test_a_ticket_is_taken_once_and_not_after_it_expires(shared: SharedState) -> None:
    ticket = Ticket("ann", {"enrol": True}, later(5))
    shared.put_ticket("code", "t1", ticket, now=NOW)
    assert shared.peek_ticket("code", "t1", later(1)) == ticket
    assert shared.peek_ticket("other-kind", "t1", later(1)) is None
    assert shared.take_ticket("code", "t1", later(1)) == ticket
    assert shared.take_ticket("code", "t1", later(1)) is None
    assert shared.peek_ticket("code", "t1", later(1)) is None
    shared.put_ticket("code", "t2", ticket, now=NOW)
    assert shared.peek_ticket("code", "t2", later(5)) is None  # expired
    assert shared.take_ticket("code", "t2", later(5)) is None


def test_a_new_ticket_can_replace_the_holders_earlier_one(shared: SharedState) -> None:
    shared.put_ticket("reset", "old", Ticket("ann", {}, later(60)), now=NOW)
    shared.put_ticket("reset", "bob", Ticket("bob", {}, later(60)), now=NOW)
    shared.put_ticket("reset", "new", Ticket("ann", {}, later(60)), now=NOW,
                      one_per_holder=True)
    assert shared.peek_ticket("reset", "old", NOW) is None
    assert shared.peek_ticket("reset", "new", NOW) is not None
    assert shared.peek_ticket("reset", "bob", NOW) is not None


def test_only_one_of_many_threads_takes_a_ticket(shared: SharedState) -> None:
    shared.put_ticket("code", "t", Ticket("ann", {}, later(5)), now=NOW)
    start = threading.Barrier(8)

    def take(_: int) -> Ticket | None:
        start.wait()
        return shared.take_ticket("code", "t", NOW)

    with ThreadPoolExecutor(8) as pool:
        taken = [t for t in pool.map(take, range(8)) if t is not None]
    assert len(taken) == 1


# -- counters --------------------------------------------------------------------------


def test_strikes_pause_at_the_limit_and_start_again_after(shared: SharedState) -> None:
    pause = timedelta(minutes=15)
    assert [shared.strike("k", limit=3, pause=pause, now=NOW) for _ in range(2)] == [
        False, False]
    assert shared.paused_until("k", NOW) is None
    assert shared.strike("k", limit=3, pause=pause, now=NOW) is True
    assert shared.strike("k", limit=3, pause=pause, now=later(1)) is False  # already paused
    assert shared.paused_until("k", later(1)) == later(15)
    assert shared.paused_until("k", later(15)) is None
    assert shared.strike("k", limit=3, pause=pause, now=later(16)) is False  # counts from 1
    shared.clear_strikes("k")
    assert [shared.strike("k", limit=2, pause=pause, now=later(17)) for _ in range(2)] == [
        False, True]


def test_strikes_from_many_threads_start_one_pause(shared: SharedState) -> None:
    start = threading.Barrier(8)

    def strike(_: int) -> bool:
        start.wait()
        return shared.strike("k", limit=5, pause=timedelta(minutes=5), now=NOW)

    with ThreadPoolExecutor(8) as pool:
        started = list(pool.map(strike, range(8)))
    assert started.count(True) == 1


def test_events_in_a_sliding_window(shared: SharedState) -> None:
    window = timedelta(minutes=5)
    assert shared.count_event("c", NOW, window) == 0
    assert shared.count_event("c", later(1), window) == 1
    assert shared.events("c", later(1), window) == 2
    assert shared.events("c", later(5), window) == 1  # the first left the window
    assert shared.events("c", later(6), window) == 0
    # unless_at: a cooldown adds nothing while one event is in the window.
    assert shared.count_event("d", NOW, window, unless_at=1) == 0
    assert shared.count_event("d", later(4), window, unless_at=1) == 1
    assert shared.count_event("d", later(5), window, unless_at=1) == 0
    assert shared.events("d", later(5), window) == 1


def test_a_limit_on_events_holds_under_threads(shared: SharedState) -> None:
    start = threading.Barrier(8)

    def add(_: int) -> int:
        start.wait()
        return shared.count_event("once", NOW, timedelta(minutes=5), unless_at=1)

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(add, range(8)))
    assert counts.count(0) == 1
    assert shared.events("once", NOW, timedelta(minutes=5)) == 1


# -- lease -----------------------------------------------------------------------------


def test_a_lease_has_one_holder_until_it_expires_or_is_released(shared: SharedState) -> None:
    ttl = timedelta(seconds=60)
    assert shared.try_lease("reminders", "a", ttl, NOW)
    assert not shared.try_lease("reminders", "b", ttl, later(0.5))
    assert shared.try_lease("reminders", "a", ttl, later(0.5))  # renewed to 1.5
    assert not shared.try_lease("reminders", "b", ttl, later(1.4))
    assert shared.try_lease("reminders", "b", ttl, later(1.5))  # a stopped renewing
    shared.release_lease("reminders", "a")  # not a's any more: nothing happens
    assert not shared.try_lease("reminders", "a", ttl, later(1.6))
    shared.release_lease("reminders", "b")
    assert shared.try_lease("reminders", "a", ttl, later(1.6))


def test_one_of_many_threads_takes_a_free_lease(shared: SharedState) -> None:
    start = threading.Barrier(8)

    def take(n: int) -> bool:
        start.wait()
        return shared.try_lease("job", f"holder-{n}", timedelta(minutes=1), NOW)

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(take, range(8))).count(True) == 1


# -- pages -----------------------------------------------------------------------------


def test_a_page_is_kept_settled_once_and_expires(shared: SharedState) -> None:
    holder = {"session": "d", "viewer": "ann", "patient": "ann"}
    shared.keep_page("p", HeldPage(b"<html>", "pending", b"", holder, later(10)), NOW)
    shared.settle_page("p", "ready", b'{"charts": []}')
    shared.settle_page("p", "failed", b"")  # no longer pending: left alone
    held = shared.page("p", later(1))
    assert held is not None
    assert (held.body, held.state, held.data, held.holder) == (
        b"<html>", "ready", b'{"charts": []}', holder)
    assert shared.page("p", later(10)) is None
    shared.keep_page("q", HeldPage(b"x", "", b"", {}, later(10)), NOW)
    shared.drop_page("q")
    assert shared.page("q", NOW) is None
    shared.settle_page("gone", "ready", b"x")  # a page that is gone: nothing happens


# -- broadcasts ------------------------------------------------------------------------


def received_by(shared: SharedState, channel: str) -> tuple[list[str], threading.Event,
                                                              Callable[[], None]]:
    got: list[str] = []
    arrived = threading.Event()

    def on_message(message: str) -> None:
        got.append(message)
        arrived.set()

    return got, arrived, shared.subscribe(channel, on_message)


def test_a_broadcast_reaches_subscribers_until_they_unsubscribe(shared: SharedState) -> None:
    got, arrived, unsubscribe = received_by(shared, "signed_out")
    other, _, _ = received_by(shared, "elsewhere")
    shared.publish("signed_out", "digest-1")
    assert arrived.wait(10)
    assert got == ["digest-1"]
    assert other == []
    unsubscribe()
    arrived.clear()
    got2, arrived2, _ = received_by(shared, "signed_out")
    shared.publish("signed_out", "digest-2")
    assert arrived2.wait(10)
    assert got2 == ["digest-2"]
    assert got == ["digest-1"]


# -- two app servers on one database -----------------------------------------------------


def test_two_servers_share_sessions(two: tuple[PostgresSharedState, PostgresSharedState],
                                    ) -> None:
    a, b = two
    a.open_session("s", "ann", NOW, idle=IDLE)
    assert b.session("s", later(1), idle=IDLE, refresh=True, idle_reason="i") == "ann"
    a.open_session("s2", "ann", NOW, idle=IDLE)
    assert sorted(b.end_sessions("ann", keep=None, reason="off", now=later(2))) == [
        "s", "s2"]
    assert a.session("s", later(2), idle=IDLE, refresh=True, idle_reason="i") is None
    assert a.session("s2", later(2), idle=IDLE, refresh=True, idle_reason="i") is None
    assert a.ended_reason("s") == "off"


def test_a_lease_held_by_one_server_is_refused_to_the_other(
        two: tuple[PostgresSharedState, PostgresSharedState]) -> None:
    a, b = two
    ttl = timedelta(seconds=60)
    assert a.try_lease("reminders", "server-a", ttl, NOW)
    assert not b.try_lease("reminders", "server-b", ttl, later(0.9))
    assert b.try_lease("reminders", "server-b", ttl, later(1))  # a died: taken over
    assert not a.try_lease("reminders", "server-a", ttl, later(1.1))


def test_a_broadcast_from_one_server_reaches_the_other(
        two: tuple[PostgresSharedState, PostgresSharedState]) -> None:
    a, b = two
    got, arrived, _ = received_by(b, "signed_out")
    a.publish("signed_out", "digest")
    assert arrived.wait(10)
    assert got == ["digest"]


def test_strikes_count_across_servers(
        two: tuple[PostgresSharedState, PostgresSharedState]) -> None:
    a, b = two
    pause = timedelta(minutes=15)
    assert not a.strike("k", limit=2, pause=pause, now=NOW)
    assert b.strike("k", limit=2, pause=pause, now=NOW)
    assert a.paused_until("k", NOW) == later(15)


def test_connections_dropped_by_the_server_are_replaced(pg_url: str) -> None:
    """A database restart (or an idle timeout in between) drops the pool's connections:
    the next operations get fresh ones instead of failing."""
    shared = PostgresSharedState(migrated(pg_url))
    try:
        shared.open_session("s", "ann", NOW, idle=IDLE)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        assert shared.session("s", NOW, idle=IDLE, refresh=True, idle_reason="i") == "ann"
        assert shared.strike("k", limit=1, pause=IDLE, now=NOW)
    finally:
        shared.close()


def test_broadcasts_resume_after_the_listening_connection_drops(pg_url: str) -> None:
    shared = PostgresSharedState(migrated(pg_url))
    try:
        got, arrived, _ = received_by(shared, "signed_out")
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        # Sent while the listener is away, a message is lost; once it is back, they come.
        for _ in range(100):
            shared.publish("signed_out", "digest")
            if arrived.wait(0.2):
                break
        assert got and set(got) == {"digest"}
    finally:
        shared.close()
