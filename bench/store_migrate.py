"""Time of `migrate-store` both ways: a data folder's journal of N versions into an empty
PostgreSQL database, then back into an empty folder (app.commands.migrate_store), on a
throw-away local cluster (tests/postgres.py), with this process's peak memory after each
(the source is filled in a child process, so its memory is not counted).

Run: .venv/bin/python bench/store_migrate.py [--versions 100000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.postgres, app

from app import paths
from app.commands.migrate_store import from_database, to_database
from app.settings import Settings
from app.store.interfaces import Record
from app.store.journal import JournalStore
from tests.postgres import PostgresServer


def fill(data: Path, count: int) -> None:
    """The source folder, filled in a child process so its memory is not counted here."""
    with JournalStore.open(paths.store_dir(data)) as store:
        store.import_versions(
            Record("pain_entry", f"pre{i}", 1,
                   {"nrs": i % 11, "site": "low_back", "note": "after session"},
                   owner=f"p{i % 500}", saved_at="2024")
            for i in range(count))


def peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=100_000)
    count = parser.parse_args().versions
    server = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "source"
            child = multiprocessing.Process(target=fill, args=(data, count))
            child.start()
            child.join()
            url = server.fresh_database()
            before = peak_mib()
            start = time.perf_counter()
            print(to_database(Settings(data_dir=data), url))
            print(f"to the database: {time.perf_counter() - start:.1f} s, peak memory "
                  f"{peak_mib()} MiB (before: {before} MiB)")
            start = time.perf_counter()
            print(from_database(Settings(data_dir=Path(tmp) / "back"), url))
            print(f"back to a folder: {time.perf_counter() - start:.1f} s, peak memory "
                  f"{peak_mib()} MiB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
