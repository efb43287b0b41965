"""`python -m app migrate-store --to postgresql://...` (or `--from`): move a clinic's
records between the embedded journal and a PostgreSQL database, exactly.

Both directions go through the backup format both stores read and write (app/store/
backup.py, app/store/postgres/backup.py): every version with its saved_at, tombstones
included, in the order the source store accepted them. The target must hold no records:
a copy is never merged into other data, and a refusal writes nothing. The copy's file is
kept in a 0700 folder beside the data folder while it runs and removed afterwards (it
holds the clinic's health data). The source folder must not be open in a running BackTrack
(refused, StoreLocked): saves made after the copy's moment would not be in the target.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from app import paths
from app.settings import Settings
from app.store.backup import backup, restore
from app.store.interfaces import StoreError
from app.store.journal import JOURNAL_FILE, SNAPSHOT_FILE
from app.store.journal.folder_lock import acquire_folder_lock, release_folder_lock
from app.store.postgres import PostgresStore
from app.store.postgres.backup import backup_database, restore_database


def holds_records(store_dir: Path) -> bool:
    """Whether a data folder's store has files (a snapshot or a journal)."""
    return (store_dir / SNAPSHOT_FILE).exists() or (store_dir / JOURNAL_FILE).exists()


def to_database(settings: Settings, url: str) -> str:
    """The data folder's journal into an empty database; what was done, in one line."""
    store_dir = paths.store_dir(settings.data_dir)
    if not holds_records(store_dir):
        raise StoreError(f"There are no records in {store_dir} to copy. Nothing was "
                         f"written. Name the data folder with --data-dir.")
    # Held to the end: a BackTrack still serving the folder would go on saving where the
    # copy no longer looks (StoreLocked names it), and none may start on it meanwhile.
    lock_fd = acquire_folder_lock(store_dir)
    try:
        with tempfile.TemporaryDirectory(dir=store_dir.parent,
                                         prefix=".migrate-store-") as tmp:
            copy = backup(store_dir, Path(tmp) / "copy.zip")
            with PostgresStore.open(url) as target:
                done = restore_database(copy, target)
    finally:
        release_folder_lock(lock_fd)
    return (f"Copied {done.versions} versions of {done.records} records from {store_dir} "
            f"into the database at {done.location}.")


def from_database(settings: Settings, url: str) -> str:
    """A database's records into an empty data folder; what was done, in one line."""
    store_dir = paths.store_dir(settings.data_dir)
    if holds_records(store_dir):
        raise StoreError(f"{store_dir} already holds records; BackTrack only copies a "
                         f"whole store into an empty data folder. Nothing was written. "
                         f"Name another folder with --data-dir.")
    store_dir.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if store_dir.is_dir() and not any(store_dir.iterdir()):
        store_dir.rmdir()  # an empty folder: the restore puts the new one in its place
    with tempfile.TemporaryDirectory(dir=store_dir.parent, prefix=".migrate-store-") as tmp:
        with PostgresStore.open(url) as source:
            copy = backup_database(source, Path(tmp) / "copy.zip")
            where = source.location
        done = restore(copy, store_dir)
    return f"Copied {done.versions} versions from the database at {where} into {store_dir}."
