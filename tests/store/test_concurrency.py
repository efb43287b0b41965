"""Many threads of one process saving at once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from app.store.interfaces import Query, Record, RecordStore, VersionConflict
from app.store.journal import JournalStore

THREADS = 16
SAVES_PER_THREAD = 50


def test_parallel_saves_all_land(tmp_path: Path) -> None:
    store = JournalStore.open(tmp_path, compact_threshold=300)  # compactions run meanwhile
    start = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        start.wait()
        try:
            for i in range(SAVES_PER_THREAD):
                store.save("pain_entry", f"t{n}-{i}", {"n": n, "i": i}, owner=f"p{n % 3}")
                if i % 10 == 0:
                    store.find(Query("pain_entry", owner="p1"))  # reads interleave with writes
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.find(Query("pain_entry"))) == THREADS * SAVES_PER_THREAD
    store.close()
    with JournalStore.open(tmp_path) as again:
        assert len(again.find(Query("pain_entry"))) == THREADS * SAVES_PER_THREAD


def race_for_each_version(stores: Sequence[RecordStore], contenders: int,
                          rounds: int) -> list[Record]:
    """Every round, `contenders` threads (spread over `stores`, which share one place)
    save the same record expecting the same version at the same moment: exactly one wins
    each round, nobody fails otherwise, and the history holds the winners in order.
    Returns that history (also for tests/store/test_postgres.py's two stores)."""
    winners: list[list[int]] = [[] for _ in range(rounds)]
    barrier = threading.Barrier(contenders)
    errors: list[BaseException] = []

    def contender(n: int) -> None:
        store = stores[n % len(stores)]
        for round_no in range(rounds):
            barrier.wait()  # everyone tries the same version at the same time
            try:
                store.save("account", "shared", {"by": n}, expected_version=round_no)
            except VersionConflict:
                pass
            except BaseException as exc:
                errors.append(exc)
            else:
                winners[round_no].append(n)

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(len(w) == 1 for w in winners), winners
    history = stores[-1].history("account", "shared")
    assert [r.version for r in history] == list(range(1, rounds + 1))
    assert [r.data["by"] for r in history] == [w[0] for w in winners]
    return history


def test_expected_version_has_exactly_one_winner(tmp_path: Path) -> None:
    store = JournalStore.open(tmp_path)
    history = race_for_each_version([store], contenders=8, rounds=25)
    store.close()
    with JournalStore.open(tmp_path) as again:
        assert again.history("account", "shared") == history
