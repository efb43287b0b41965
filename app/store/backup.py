"""Whole-store backup and restore for the JournalStore.

A backup is one .zip holding ``manifest.json`` (format, schema version, counts, sha256 of
the snapshot) and ``records.snapshot.json`` (a stock TinyDB JSON snapshot taken at one
instant under the store's lock, or from a closed data folder).

Restore validates the whole backup before touching the data folder, keeps every existing
store file in ``before-restore-<timestamp>/`` inside the folder (never deletes), installs
the backup and reopens it to check the count.

Exceptions: BackupInvalid (a StoreError) for a file that is not a sound backup; StoreLocked
when the data folder is open in a running BackTrack.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.store.interfaces import StoreCorrupt, StoreError
from app.store.journal import JournalStore
from app.store.journal.files import (
    JOURNAL_FILE,
    LOCK_FILE,
    SNAPSHOT_FILE,
    STORE_FILE_PREFIX,
    TMP_SUFFIX,
    fsync_dir,
)
from app.store.journal.folder_lock import folder_lock
from app.store.journal.schema import SCHEMA_VERSION
from app.store.journal.snapshot import SnapshotData, install_snapshot, parse_snapshot
from app.store.memory import utc_now_iso

BACKUP_FORMAT = "backtrack-backup"
MANIFEST_NAME = "manifest.json"
SNAPSHOT_NAME = SNAPSHOT_FILE
ASIDE_PREFIX = "before-restore-"


class BackupInvalid(StoreError):
    """The file is not a complete, intact BackTrack backup."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        super().__init__(f"{path} is not a usable BackTrack backup: {detail}. Nothing was changed.")


@dataclass(frozen=True)
class BackupInfo:
    schema: int
    versions: int  # stored versions (Records); what restore returns
    records: int  # distinct record ids
    created_at: str


def backup(store_or_data_dir: JournalStore | Path, out_file: Path) -> Path:
    """Write the whole store into `out_file` (a .zip) atomically; returns its path."""
    if isinstance(store_or_data_dir, JournalStore):
        body, versions, last_seq = store_or_data_dir.consistent_snapshot()
    else:
        # Opening takes the folder lock, so a running BackTrack makes this fail (StoreLocked)
        # instead of copying files that are changing.
        with JournalStore.open(Path(store_or_data_dir), compact_on_close=False) as store:
            body, versions, last_seq = store.consistent_snapshot()
    snapshot = parse_snapshot(json.loads(body), "the snapshot being backed up")
    manifest = {
        "format": BACKUP_FORMAT,
        "schema": SCHEMA_VERSION,
        "versions": versions,
        "records": len({(r.kind, r.id) for _, r in snapshot.records}),
        "last_seq": last_seq,
        "sha256": hashlib.sha256(body).hexdigest(),
        "created_at": utc_now_iso(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2))
        archive.writestr(SNAPSHOT_NAME, body)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(out_file.name + TMP_SUFFIX)
    with open(tmp, "wb") as handle:
        handle.write(buffer.getvalue())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, out_file)
    fsync_dir(out_file.parent)
    verify_backup(out_file)  # read back what landed on disk
    return out_file


def _load_backup(backup_file: Path) -> tuple[BackupInfo, SnapshotData]:
    backup_file = Path(backup_file)
    if not backup_file.is_file():
        raise BackupInvalid(backup_file, "no such file")
    try:
        with zipfile.ZipFile(backup_file) as archive:
            names = set(archive.namelist())
            if MANIFEST_NAME not in names or SNAPSHOT_NAME not in names:
                raise BackupInvalid(backup_file, f"it lacks {MANIFEST_NAME} or {SNAPSHOT_NAME}")
            manifest = json.loads(archive.read(MANIFEST_NAME))
            body = archive.read(SNAPSHOT_NAME)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise BackupInvalid(backup_file, f"not a readable zip file ({exc})") from exc
    except ValueError as exc:
        raise BackupInvalid(backup_file, f"the manifest is not JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise BackupInvalid(backup_file, "the manifest is not a BackTrack manifest")
    schema = manifest.get("schema")
    if not isinstance(schema, int) or schema > SCHEMA_VERSION:
        raise BackupInvalid(
            backup_file, f"schema {schema!r} is unknown or newer than this BackTrack"
        )
    if hashlib.sha256(body).hexdigest() != manifest.get("sha256"):
        raise BackupInvalid(backup_file, "the snapshot does not match its checksum")
    try:
        snapshot = parse_snapshot(json.loads(body), f"{backup_file}:{SNAPSHOT_NAME}")
    except ValueError as exc:
        raise BackupInvalid(backup_file, f"the snapshot is not JSON ({exc})") from exc
    except StoreCorrupt as exc:
        raise BackupInvalid(backup_file, exc.detail) from exc
    if len(snapshot.records) != manifest.get("versions"):
        raise BackupInvalid(
            backup_file,
            f"the manifest lists {manifest.get('versions')} versions, "
            f"the snapshot holds {len(snapshot.records)}",
        )
    info = BackupInfo(
        schema=schema,
        versions=len(snapshot.records),
        records=len({(r.kind, r.id) for _, r in snapshot.records}),
        created_at=str(manifest.get("created_at", "")),
    )
    return info, snapshot


def verify_backup(backup_file: Path) -> BackupInfo:
    """Check a backup completely without touching any data folder."""
    return _load_backup(backup_file)[0]


def restore(backup_file: Path, data_dir: Path) -> int:
    """Replace the store in `data_dir` with the backup; returns the number of versions.

    Existing store files end up in `data_dir/before-restore-<timestamp>/`.
    """
    info, snapshot = _load_backup(backup_file)  # everything is checked before any change
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with folder_lock(data_dir):
        existing = [
            path
            for path in sorted(data_dir.iterdir())
            if path.is_file() and path.name.startswith(STORE_FILE_PREFIX) and path.name != LOCK_FILE
        ]
        if existing:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            aside = data_dir / f"{ASIDE_PREFIX}{stamp}"
            aside.mkdir()
            # Link first, so there is no moment when the folder holds no store at all; the
            # install below then replaces snapshot and journal by atomic renames.
            for path in existing:
                os.link(path, aside / path.name)
            fsync_dir(aside)
            fsync_dir(data_dir)
        install_snapshot(data_dir, snapshot.records, snapshot.last_seq)
        for path in existing:
            if path.name not in (SNAPSHOT_FILE, JOURNAL_FILE):
                # Side files (torn tails, pre-migration copies) now live in the aside folder.
                path.unlink(missing_ok=True)
        fsync_dir(data_dir)
    with JournalStore.open(data_dir, compact_on_close=False) as store:
        restored = store.stats()["versions"]
    if restored != info.versions:
        raise StoreError(
            f"restored {restored} versions into {data_dir} but the backup holds {info.versions}"
        )
    return restored
