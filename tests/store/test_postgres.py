"""What the PostgreSQL store adds to the contract (tests/store/test_contract.py runs that on
it too): migrations, several stores (processes) on one database, owner stamps across them,
and no acknowledged save lost when the writer or the database server is killed. Always
against a real server (tests/postgres.py), never a mock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from app.store.interfaces import Query, Record, RecordRefused, StoreUnavailable, VersionConflict
from app.store.postgres import PostgresStore
from app.store.postgres.schema import apply_migrations, known_migrations, newest_known
from tests.postgres import PostgresServer
from tests.store.test_concurrency import race_for_each_version

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_stores(pg_url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one database: what two app servers hold."""
    first = PostgresStore.open(pg_url)
    second = PostgresStore.open(pg_url)
    yield first, second
    first.close()
    second.close()


def _eventually(check: Callable[[], bool], what: str, within: float = 20.0) -> None:
    """Wait for something another connection does (a notification); no timing asserted."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not so after {within} s: {what}")
        time.sleep(0.02)


# -- migrations -------------------------------------------------------------------------


def _recorded(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        return [(int(v), str(n)) for v, n in rows.fetchall()]


def test_migrations_apply_once_then_do_nothing(pg_url: str) -> None:
    known = [(m.version, m.name) for m in known_migrations()]
    assert known[0] == (1, "records")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert apply_migrations(conn) == [v for v, _ in known]
        assert apply_migrations(conn) == []
    assert _recorded(pg_url) == known
    PostgresStore.open(pg_url).close()  # opening again changes nothing either
    assert _recorded(pg_url) == known


_MIGRATE = """
import sys
import psycopg
from app.store.postgres.schema import apply_migrations
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    sys.stdin.readline()  # everyone starts together
    print(apply_migrations(conn))
"""


def test_processes_starting_at_once_apply_each_migration_once(pg_url: str) -> None:
    starters = [subprocess.Popen([sys.executable, "-c", _MIGRATE, pg_url], cwd=ROOT,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for starter in starters:
        assert starter.stdin is not None
        starter.stdin.write("go\n")
        starter.stdin.flush()
    results = [starter.communicate(timeout=120) for starter in starters]
    assert [s.returncode for s in starters] == [0] * 4, [err for _, err in results]
    applied = [int(v) for out, _ in results for v in out.strip(" []\n").split(",") if v]
    # Each migration ran in exactly one of them; the others found it recorded.
    assert sorted(applied) == [m.version for m in known_migrations()]
    assert [v for v, _ in _recorded(pg_url)] == [m.version for m in known_migrations()]


def test_a_newer_schema_stops_start_up_in_plain_words(pg_url: str) -> None:
    PostgresStore.open(pg_url).close()
    newer = newest_known() + 7
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, 'future')",
                     (newer,))
    with pytest.raises(StoreUnavailable) as refused:
        PostgresStore.open(pg_url)
    assert (f"This database was set up by a newer BackTrack (schema {newer}; this one "
            f"knows {newest_known()})") in str(refused.value)
    assert "Update BackTrack" in str(refused.value)
    assert [v for v, _ in _recorded(pg_url)][-1] == newer  # nothing else was touched


def test_an_unreachable_database_is_one_line_without_the_password() -> None:
    with pytest.raises(StoreUnavailable) as refused:
        PostgresStore.open("postgresql://clinic:s3cret-pw@127.0.0.1:1/backtrack")
    message = str(refused.value)
    assert message.startswith("Cannot reach the database at 127.0.0.1:1/backtrack: ")
    assert "s3cret-pw" not in message and "\n" not in message


# -- several stores on one database -----------------------------------------------------


def test_racing_expected_versions_across_stores_have_one_winner(
        two_stores: tuple[PostgresStore, PostgresStore]) -> None:
    race_for_each_version(two_stores, contenders=6, rounds=15)  # half in each "process"


def _race_first_saves(stores: tuple[PostgresStore, PostgresStore], rid: str,
                      expected: int | None) -> list[str]:
    """Both stores save record `rid` at the same moment; how each save ended."""
    barrier = threading.Barrier(2)
    outcome: dict[int, str] = {}

    def create(n: int) -> None:
        barrier.wait()
        try:
            stores[n].save("invite", rid, {"by": n}, expected_version=expected)
            outcome[n] = "saved"
        except VersionConflict:
            outcome[n] = "conflict"

    threads = [threading.Thread(target=create, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcome.values())


def test_first_saves_racing_from_two_stores(
        two_stores: tuple[PostgresStore, PostgresStore]) -> None:
    """Two servers creating one record (a sharing code redeemed twice): with
    expected_version 0 exactly one wins; without it both land, as versions 1 and 2."""
    for round_no in range(10):
        once, both = f"once-{round_no}", f"both-{round_no}"
        assert _race_first_saves(two_stores, once, 0) == ["conflict", "saved"]
        assert [r.version for r in two_stores[0].history("invite", once)] == [1]
        assert _race_first_saves(two_stores, both, None) == ["saved", "saved"]
        assert [r.version for r in two_stores[1].history("invite", both)] == [1, 2]


def _at_once(*actions: Callable[[], object]) -> None:
    """Run the actions on threads of their own, released at the same moment."""
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], object]) -> None:
        barrier.wait()
        action()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_an_erasure_racing_a_save_on_another_store_leaves_whole_records(
        two_stores: tuple[PostgresStore, PostgresStore]) -> None:
    """Store A erases a patient while store B saves a correction of their record: the
    record ends either gone (the save came first and was erased with the rest) or
    started again at version 1 (the erasure came first); never a version 4 with 1-3
    missing, never a latest row without its versions."""
    here, there = two_stores
    for round_no in range(12):
        rid = f"r{round_no}"
        for nrs in (5, 4, 3):
            here.save("pain_entry", rid, {"nrs": nrs}, owner="p1")
        _at_once(lambda: here.purge_owner("p1"),
                 lambda: there.save("pain_entry", rid, {"nrs": 2}, owner="p1"))  # noqa: B023
        versions = [r.version for r in there.history("pain_entry", rid)]
        assert versions in ([], [1]), versions
        latest = here.latest("pain_entry", rid)
        assert (latest.version if latest else None) == (versions[-1] if versions else None)
        here.purge_owner("p1")


def test_owner_stamp_follows_the_other_stores_writes(
        two_stores: tuple[PostgresStore, PostgresStore]) -> None:
    here, there = two_stores
    assert there.owner_stamp("p1") == 0
    here.save("pain_entry", "a", {"nrs": 4}, owner="p1")
    _eventually(lambda: there.owner_stamp("p1") > 0, "a save elsewhere moves the stamp")
    saved = there.owner_stamp("p1")
    here.save("audit", "x", {}, owner="p1")
    _eventually(lambda: there.owner_stamp("p1") > saved, "an audit entry elsewhere")
    assert there.owner_stamp("p1", ignoring=frozenset({"audit"})) == saved
    moved = there.owner_stamp("p1")
    here.purge_owner("p1")
    _eventually(lambda: there.owner_stamp("p1", ignoring=frozenset({"audit"})) > moved,
                "an erasure elsewhere moves every kind's stamp")
    # Nothing of p1 changes now: the stamp stays put (a save of p2 is seen first).
    settled = there.owner_stamp("p1")
    here.save("pain_entry", "b", {}, owner="p2")
    _eventually(lambda: there.owner_stamp("p2") > 0, "p2's save arrives")
    assert there.owner_stamp("p1") == settled
    assert there.find(Query("pain_entry", owner="p2"))[0].id == "b"


def test_every_stamp_moves_after_the_listener_reconnects(
        two_stores: tuple[PostgresStore, PostgresStore], pg_url: str) -> None:
    """A listener that lost its connection may have missed notifications: once back,
    every owner's stamp moves on, even one it never heard of."""
    _, there = two_stores
    before = there.owner_stamp("never-seen")
    with psycopg.connect(pg_url, autocommit=True) as admin:
        gone = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN backtrack_owner%%'"
        ).fetchall()
    assert len(gone) == 2  # both stores' listeners
    _eventually(lambda: there.owner_stamp("never-seen") > before, "the stamp moves on")


def test_many_threads_of_two_stores_saving_at_once(
        two_stores: tuple[PostgresStore, PostgresStore]) -> None:
    threads_n, saves = 12, 25
    start = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        store = two_stores[n % 2]
        start.wait()
        try:
            for i in range(saves):
                store.save("pain_entry", f"t{n}-{i}", {"n": n, "i": i}, owner=f"p{n % 3}")
                store.save("counter", "shared", {"last": n})  # one record, many writers
                if i % 5 == 0:
                    store.find(Query("pain_entry", owner="p1"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(two_stores[0].find(Query("pain_entry"))) == threads_n * saves
    versions = [r.version for r in two_stores[1].history("counter", "shared")]
    assert versions == list(range(1, threads_n * saves + 1))


# -- crashes ----------------------------------------------------------------------------

_WRITER = """
import sys
from app.store.postgres import PostgresStore
store = PostgresStore.open(sys.argv[1])
print("open", flush=True)
i = 0
while True:
    i += 1
    try:
        store.save("pain_entry", f"{sys.argv[2]}{i}", {"i": i, "pad": "x" * (i % 300)},
                   owner=f"p{i % 5}")
    except Exception as exc:
        print("failed", type(exc).__name__, flush=True)
        break
    print(i, flush=True)
"""


def _start_writer(url: str, prefix: str = "e") -> subprocess.Popen[str]:
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, url, prefix], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "open"
    return writer


def _output(writer: subprocess.Popen[str]) -> str:
    """Everything it printed after "open" (read through the same buffer as that line)."""
    assert writer.stdout is not None
    out = writer.stdout.read()
    writer.wait(timeout=30)
    return out


def _acknowledged(lines: str) -> list[int]:
    """Saves the writer said were done; a line cut off by the kill does not count."""
    return [int(line) for line in lines.splitlines()[:-1] if line.isdigit()]


def _wait_for_saves(writer: subprocess.Popen[str], url: str, at_least: int) -> None:
    def enough() -> bool:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM versions").fetchone()
        return row is not None and int(row[0]) >= at_least
    _eventually(enough, f"{at_least} saves", within=60)
    assert writer.poll() is None


def test_acknowledged_saves_survive_a_kill_9_of_the_writer(pg_url: str) -> None:
    for round_no in range(1, 4):
        writer = _start_writer(pg_url, f"r{round_no}-")
        _wait_for_saves(writer, pg_url, 50 * round_no)
        os.kill(writer.pid, signal.SIGKILL)
        out = _output(writer)
        acknowledged = _acknowledged(out)
        assert acknowledged, out[-500:]
        with PostgresStore.open(pg_url) as store:
            for i in acknowledged:
                latest = store.latest("pain_entry", f"r{round_no}-{i}")
                assert latest is not None and latest.data["i"] == i


def test_acknowledged_saves_survive_a_kill_9_of_the_database(
        postgres_server: PostgresServer, pg_url: str) -> None:
    writer = _start_writer(pg_url)
    _wait_for_saves(writer, pg_url, 100)
    postgres_server.kill()  # the postmaster and every backend, mid-save
    try:
        out = _output(writer)  # its next save fails: it stops
    finally:
        postgres_server.restart()
    assert "failed StoreUnavailable" in out
    acknowledged = _acknowledged(out)
    assert len(acknowledged) >= 100
    with PostgresStore.open(pg_url) as store:
        for i in acknowledged:
            latest = store.latest("pain_entry", f"e{i}")
            assert latest is not None and latest.data["i"] == i
        # ... and the store carries on after the crash.
        assert store.save("pain_entry", "after", {}, owner="p1").version == 1


def test_connections_dropped_by_the_server_are_replaced_unnoticed(pg_url: str) -> None:
    """The pool does not test a connection before each use (a round trip per read); one
    the server dropped meanwhile (a restart, an idle cut) costs a retry, not an error."""
    with PostgresStore.open(pg_url, pool_max=3) as store:
        store.save("pain_entry", "a", {"nrs": 1}, owner="p1")
        with psycopg.connect(pg_url, autocommit=True) as admin:
            cut = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND query NOT LIKE 'LISTEN%%'").fetchall()
        assert cut  # the pool's connections
        latest = store.latest("pain_entry", "a")
        assert latest is not None and latest.data == {"nrs": 1}
        cut_again(pg_url)
        assert store.save("pain_entry", "a", {"nrs": 2}, owner="p1").version == 2
        assert [r.id for r in store.find(Query("pain_entry", owner="p1"))] == ["a"]


def cut_again(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                      "AND query NOT LIKE 'LISTEN%%'")


@pytest.mark.slow  # a save while the server is down waits for the pool's timeout (10 s)
def test_a_store_carries_on_after_the_database_restarts(
        postgres_server: PostgresServer, pg_url: str) -> None:
    with PostgresStore.open(pg_url) as store:
        store.save("pain_entry", "before", {}, owner="p1")
        stamp = store.owner_stamp("p1")
        postgres_server.kill()
        with pytest.raises(StoreUnavailable, match="Cannot reach the database"):
            store.save("pain_entry", "while-down", {}, owner="p1")
        postgres_server.restart()
        assert store.save("pain_entry", "after", {}, owner="p1").version == 1
        assert [r.id for r in store.find(Query("pain_entry"))] == ["before", "after"]
        _eventually(lambda: store.owner_stamp("p9") > stamp,
                    "after the listener is back, every stamp moved on")


def test_the_admins_scheduled_backups_work_on_a_database(pg_url: str, tmp_path: Path) -> None:
    """The backups service makes its files through backup_maker: with PostgreSQL too."""
    from app.store.backup import backup_maker, verify_backup

    with PostgresStore.open(pg_url) as store:
        store.save("pain_entry", "a", {"nrs": 3}, owner="p1")
        store.save("pain_entry", "a", {"nrs": 2}, owner="p1")
        made = backup_maker(store)(tmp_path / "scheduled.zip")
    info = verify_backup(made)
    assert (info.versions, info.records) == (2, 1)


@pytest.mark.parametrize(("copy", "refusal"), [
    ([Record("note", "n", 1, {}), Record("note", "n", 3, {})], "gap in its versions"),
    ([Record("note", "n", 1, {"id": "other"})], "names another id"),
    ([Record("note", "n", 1, {}), Record("note", "n", 1, {"x": 1})], "twice"),
], ids=["gap", "other-id", "twice"])
def test_a_whole_store_copy_that_would_not_open_is_refused_whole(
        pg_url: str, copy: list[Record], refusal: str) -> None:
    """migrate-store and restore load through load_into_empty: what no store would open
    again rolls the whole copy back (a good version before it included)."""
    from app.store.interfaces import StoreError

    with PostgresStore.open(pg_url) as store:
        with pytest.raises((RecordRefused, StoreError), match=refusal):
            store.load_into_empty([Record("note", "fine", 1, {}), *copy])
        stats = store.stats()
        assert (stats["versions"], stats["records"]) == (0, 0)
        assert store.latest("note", "fine") is None
