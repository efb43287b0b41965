"""Reading one patient's records in a clinic-sized store: JournalStore.find with an owner
vs the same query through stock TinyDB, on the same records, in the same run.

Run: .venv/bin/python bench/store_find.py [--patients 50 200 500] [--days 730]

Each patient has one check-in a day for `--days` days (the largest kind in practice). The
JournalStore is filled in bulk (import_versions) and reopened (its indexes are rebuilt on
open, as after a restart); stock TinyDB holds the same documents in memory (MemoryStorage,
so the baseline is not slowed by its file storage) and is asked the same question with
`Query().owner == X`. Printed: p50 and p95 over 30 lookups of random patients, for a plain
"all of this patient's check-ins" and for one with a data condition.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tinydb import Query as TinyQuery
from tinydb import TinyDB
from tinydb.storages import MemoryStorage

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # runnable as `python bench/store_find.py`
    sys.path.insert(0, str(REPO))

from app.store.interfaces import Query, Record  # noqa: E402
from app.store.journal import JournalStore  # noqa: E402

LOOKUPS = 30


def check_in(patient: int, day: int) -> dict[str, object]:
    return {"patient_id": f"p{patient}", "pain_now": (patient + day) % 11, "worst_24h": 7,
            "regions": ["lower_back"], "note": ""}


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):8.2f} ms   p95 {p95:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"One patient's check-ins ({args.days} each) among N patients; {LOOKUPS} lookups")
    for patients in args.patients:
        with tempfile.TemporaryDirectory() as folder:
            store = JournalStore.open(Path(folder))
            store.import_versions(
                Record("check_in", f"c{p}-{d}", 1, check_in(p, d), owner=f"p{p}",
                       saved_at="2026-01-01T00:00:00+00:00")
                for p in range(patients) for d in range(args.days))
            store.close()
            store = JournalStore.open(Path(folder))
            tiny = TinyDB(storage=MemoryStorage)
            tiny.table("check_in").insert_multiple(
                {"owner": f"p{p}", "deleted": False, "data": check_in(p, d)}
                for p in range(patients) for d in range(args.days))
            table = tiny.table("check_in", cache_size=0)
            who = [f"p{rng.randrange(patients)}" for _ in range(LOOKUPS)]
            ours, ours_where, stock, stock_where = [], [], [], []
            for owner in who:
                start = time.perf_counter()
                found = store.find(Query("check_in", owner=owner))
                ours.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                store.find(Query("check_in", owner=owner, where={"pain_now": 3}))
                ours_where.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                docs = table.search(TinyQuery().owner == owner)
                stock.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                table.search((TinyQuery().owner == owner) & (TinyQuery().data.pain_now == 3))
                stock_where.append((time.perf_counter() - start) * 1000)
                assert len(found) == len(docs) == args.days
            store.close()
            total = patients * args.days
            print(f"\n{patients} patients, {total:,} check-ins")
            print(f"  JournalStore.find(owner)          {ms(ours)}")
            print(f"  stock TinyDB search(owner)        {ms(stock)}")
            print(f"  JournalStore.find(owner, where)   {ms(ours_where)}")
            print(f"  stock TinyDB search(owner & data) {ms(stock_where)}")
            print(f"  -> {statistics.median(stock) / statistics.median(ours):.0f}x faster "
                  f"than stock TinyDB at p50")


if __name__ == "__main__":
    main()
