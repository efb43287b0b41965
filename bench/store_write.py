"""Latency of one durable save: JournalStore vs PostgresStore vs stock TinyDB (JSONStorage)
vs the disk floor.

Run: .venv/bin/python bench/store_write.py [--samples 300] [--stores journal,postgres,tinydb]

For each store size the JournalStore is pre-filled in bulk (import_versions, one fsync,
then close() writes the snapshot), reopened, and timed on single save() calls. Stock
TinyDB is pre-filled with insert_multiple and timed on single insert() calls; it rewrites
the whole file per insert, so it gets fewer samples at larger sizes. The floor is the
same journal line appended to a plain file and fsynced, timed alternately with our
saves so that disk hiccups hit both alike.

PostgresStore runs on a throw-away local cluster (tests/postgres.py: Debian's PostgreSQL
binaries, fsync and synchronous commit on, loopback TCP), pre-filled in one transaction
(load_into_empty) and timed on single save() calls: a save there is a transaction of a
few round trips (record lock, latest row FOR UPDATE, insert, upsert, notify, commit with
its WAL flush).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tinydb import TinyDB

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.postgres, app

from app.store.interfaces import Record
from app.store.journal import JournalStore, journal_line
from app.store.postgres import PostgresStore
from tests.postgres import PostgresServer

SIZES = (1_000, 10_000, 100_000)
TINYDB_SAMPLES = {1_000: 50, 10_000: 20, 100_000: 5}


def entry(i: int) -> dict[str, object]:
    """A pain entry of realistic size (~150 bytes of data)."""
    return {"nrs": i % 11, "site": "low_back", "activity": "walking", "note": "after session"}


def timed(fn: Callable[[int], object], samples: int) -> list[float]:
    out = []
    for i in range(samples):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def prefilled_store(folder: Path, size: int, **options: int) -> JournalStore:
    store = JournalStore.open(folder)
    store.import_versions(
        Record("pain_entry", f"pre{i}", 1, entry(i), owner=f"p{i % 50}", saved_at="2024")
        for i in range(size)
    )
    store.close()
    # Let the bulk load's writeback finish: we time steady-state saves, not the aftermath
    # of writing tens of MB just before (ext4 commits would otherwise wait on it).
    os.sync()
    time.sleep(1)
    return JournalStore.open(folder, **options)  # type: ignore[arg-type]


FLOOR_LINE = journal_line(
    123456,
    '{"kind":"pain_entry","id":"new1","version":1,"owner":"p1","saved_at":'
    '"2024-06-01T10:00:00.000000+00:00","deleted":false,"data":{"nrs":3,"site":"low_back",'
    '"activity":"walking","note":"after session"}}',
)


def bench_journal(root: Path, size: int, samples: int) -> tuple[list[float], list[float], float]:
    """(our save latencies, floor latencies taken alternately with them, open seconds)."""
    store = prefilled_store(root / f"journal{size}", size)
    store.close()
    start = time.perf_counter()
    store = JournalStore.open(root / f"journal{size}")
    opened = time.perf_counter() - start
    fd = os.open(root / f"floor{size}", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def floor(_: int) -> None:
        os.write(fd, FLOOR_LINE)
        os.fsync(fd)

    ours: list[float] = []
    floors: list[float] = []
    for i in range(samples + 20):  # the first 20 of each are warm-up
        rid = f"new{i}"
        start = time.perf_counter()
        store.save("pain_entry", rid, entry(i), owner="p1")
        got = [(time.perf_counter() - start) * 1000]
        base = timed(floor, 1)
        if i >= 20:
            ours += got
            floors += base
    os.close(fd)
    store.close()
    return ours, floors, opened


def bench_compacting(root: Path, size: int, samples: int) -> list[float]:
    """Saves while background compactions (snapshot of `size` versions) keep running."""
    store = prefilled_store(root / f"compact{size}", size, compact_threshold=100)
    lat = timed(lambda i: store.save("pain_entry", f"c{i}", entry(i), owner="p1"), samples)
    store.close()
    return lat


def bench_postgres(server: PostgresServer, size: int, samples: int) -> tuple[list[float], float]:
    """(save latencies, open seconds) on a fresh database holding `size` versions."""
    url = server.fresh_database()
    with PostgresStore.open(url) as store:
        store.load_into_empty([
            Record("pain_entry", f"pre{i}", 1, entry(i), owner=f"p{i % 50}", saved_at="2024")
            for i in range(size)])
    start = time.perf_counter()
    store = PostgresStore.open(url)
    opened = time.perf_counter() - start
    try:
        lat = timed(lambda i: store.save("pain_entry", f"new{i}", entry(i), owner="p1"),
                    samples + 20)[20:]  # the first 20 are warm-up
    finally:
        store.close()
    return lat, opened


def bench_tinydb(root: Path, size: int, samples: int) -> list[float]:
    db = TinyDB(root / f"tiny{size}.json")
    db.insert_multiple(
        {"kind": "pain_entry", "id": f"pre{i}", "version": 1, "data": entry(i)} for i in range(size)
    )
    lat = timed(
        lambda i: db.insert({"kind": "pain_entry", "id": f"n{i}", "version": 1, "data": entry(i)}),
        samples,
    )
    db.close()
    return lat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--stores", default="journal,postgres,tinydb",
                        help="which to time, comma-separated (journal, postgres, tinydb)")
    args = parser.parse_args()
    n = args.samples
    stores = set(args.stores.split(","))
    ours: dict[int, tuple[list[float], list[float], float]] = {}
    compacting: list[float] = []
    tiny: dict[int, list[float]] = {}
    pg: dict[int, tuple[list[float], float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "journal" in stores:
            ours = {size: bench_journal(root, size, n) for size in SIZES}
            compacting = bench_compacting(root, SIZES[-1], n)
        if "postgres" in stores:
            server = PostgresServer().start()
            try:
                pg = {size: bench_postgres(server, size, n) for size in SIZES}
            finally:
                server.stop()
        if "tinydb" in stores:
            tiny = {size: bench_tinydb(root, size, TINYDB_SAMPLES[size]) for size in SIZES}

    row = "{:<44} {:>8} {:>8} {:>8} {:>8}"
    print(row.format("single durable save, ms", "samples", "p50", "p95", "max"))

    def show(label: str, values: list[float]) -> None:
        print(
            row.format(
                label,
                len(values),
                f"{pct(values, 0.5):.3f}",
                f"{pct(values, 0.95):.3f}",
                f"{max(values):.3f}",
            )
        )

    for size in SIZES if ours else ():
        show(f"floor: append + fsync, beside {size:,}", ours[size][1])
        show(f"JournalStore.save, {size:,} stored", ours[size][0])
    if compacting:
        show(f"JournalStore.save, {SIZES[-1]:,}, compacting every 100", compacting)
    for size in SIZES if pg else ():
        show(f"PostgresStore.save, {size:,} stored", pg[size][0])
    for size in SIZES if tiny else ():
        show(f"stock TinyDB insert, {size:,} stored", tiny[size])
    print()
    for size in SIZES if ours else ():
        print(f"JournalStore open (load snapshot) with {size:,} versions: {ours[size][2]:.2f} s")
    for size in SIZES if pg else ():
        print(f"PostgresStore open with {size:,} versions: {pg[size][1]:.2f} s")
    print()
    if ours:
        p95 = {size: pct(ours[size][0], 0.95) for size in SIZES}
        growth = p95[SIZES[-1]] / p95[SIZES[0]]
        vs_floor = max(p95[size] / pct(ours[size][1], 0.95) for size in SIZES)
        print(f"p95 growth 1,000 -> 100,000:      {growth:5.2f}x  (target <= 2x)")
        print(f"worst p95 / floor p95 (same size):  {vs_floor:5.2f}x  (target <= 5x)")
    if ours and tiny:
        speedup = pct(tiny[10_000], 0.5) / pct(ours[10_000][0], 0.5)
        print(f"stock TinyDB / ours at 10,000, p50: {speedup:5.1f}x  (target >= 10x)")
    if pg:
        growth = pct(pg[SIZES[-1]][0], 0.95) / pct(pg[SIZES[0]][0], 0.95)
        print(f"PostgresStore p95 growth 1,000 -> 100,000: {growth:5.2f}x")
    if tiny:
        print(f"stock TinyDB at 100,000 timed on {TINYDB_SAMPLES[100_000]} inserts only (slow).")


if __name__ == "__main__":
    main()
