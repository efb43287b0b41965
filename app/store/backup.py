"""Whole-store backup and restore for the JournalStore.

A backup is one .zip holding ``manifest.json`` (format, schema version, counts, sha256 of
the snapshot) and ``records.snapshot.json`` (a stock TinyDB JSON snapshot of the store as of
one moment, read from the data folder's files while BackTrack may go on saving there:
journal/capture.py; streamed, so memory stays bounded). It holds the whole clinic's
health data, so it is written 0600 (and a backups folder it creates, 0700), like the store.

Restore never lets a half-checked store go live: it checks the backup, builds the store
in a staging folder beside the live one (``<folder>.restoring-<ts>``), opens that copy
and checks it completely (every record, no version twice, the counts), and only then swaps
the two folders in one atomic rename (renameat2 RENAME_EXCHANGE). The previous data ends
up whole in ``<folder>.before-restore-<ts>`` (never deleted). On any failure before the
swap the live folder is untouched, and every message says where the data is.

Exceptions: BackupInvalid (a StoreError) for a file that is not a sound backup; StoreLocked
when a restore's data folder is open in a running BackTrack; StoreError for a disk failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import stat
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from app.store.interfaces import RecordStore, StoreCorrupt, StoreError
from app.store.journal import JournalStore
from app.store.journal.capture import PointInTime, point_in_time
from app.store.journal.files import (
    BEFORE_RESTORE_INFIX,
    RESTORING_INFIX,
    SNAPSHOT_FILE,
    TMP_SUFFIX,
    exchange_folders,
    fsync_dir,
    install_file,
    timestamp,
)
from app.store.journal.folder_lock import acquire_folder_lock, release_folder_lock
from app.store.journal.schema import SCHEMA_VERSION
from app.store.journal.snapshot import (
    SnapshotData,
    check_versions_crc,
    install_snapshot,
    parse_snapshot,
)
from app.store.memory import utc_now_iso

log = logging.getLogger(__name__)

BACKUP_FORMAT = "backtrack-backup"
MANIFEST_NAME = "manifest.json"
SNAPSHOT_NAME = SNAPSHOT_FILE
ASIDE_PREFIX = "before-restore-"


class BackupInvalid(StoreError):
    """The file is not a complete, intact BackTrack backup."""

    def __init__(self, path: Path, detail: str, outcome: str = "Nothing was changed.") -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path} is not a usable BackTrack backup: {detail}. {outcome}")


@dataclass(frozen=True)
class Restored:
    """What a restore did, and where the data that was there before is kept."""

    versions: int
    data_dir: Path
    previous: Path | None  # None when the folder held no data before

    def __str__(self) -> str:
        kept = (f" The data that was there before is kept in {self.previous}."
                if self.previous is not None else "")
        return f"Restored {self.versions} records into {self.data_dir}.{kept}"


@dataclass(frozen=True)
class BackupInfo:
    schema: int
    versions: int  # stored versions (Records); what restore returns
    records: int  # distinct record ids
    created_at: str


def backup(store_or_data_dir: JournalStore | Path, out_file: Path) -> Path:
    """Write the whole store into `out_file` (a .zip) atomically; returns its path.

    Works while BackTrack runs on the folder (or given its open store): the copy is the
    store as of one moment (journal/capture.py), saves go on meanwhile, and the file is
    streamed, so memory stays bounded whatever the store's size. An existing regular file
    at `out_file` is replaced; anything else there (a folder, a device, a pipe, a link) is
    refused with StoreError and left alone."""
    data_dir = (store_or_data_dir.data_dir if isinstance(store_or_data_dir, JournalStore)
                else Path(store_or_data_dir))
    return write_backup(out_file, lambda: point_in_time(data_dir))


def write_backup(out_file: Path,
                 moment: Callable[[], AbstractContextManager[PointInTime]]) -> Path:
    """The one way a backup file is written, whichever store it comes from: `moment()`
    gives the store as of one moment, streamed into `out_file`.tmp (0600, in a 0700 folder
    made if missing), installed whole, then read back (zip CRC and sha256); a file that
    does not read back is removed, so a backups folder holds good backups only (the
    admin's screen names the newest file there as the last good backup)."""
    out_file = Path(out_file)
    _check_replaceable(out_file)
    if not out_file.parent.exists():
        out_file.parent.mkdir(mode=0o700, parents=True)
    tmp = out_file.with_name(out_file.name + TMP_SUFFIX)
    try:
        with moment() as at:
            digest = _write_zip(tmp, at)
        install_file(tmp, out_file)  # 0600, whole or not at all
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    try:
        _read_back(out_file, digest)
    except BackupInvalid:
        with contextlib.suppress(OSError):
            out_file.unlink()
        raise
    return out_file


def backup_maker(store: RecordStore) -> Callable[[Path], Path]:
    """`backup` for this store, for the services' scheduled backups (they reach the store
    only through its interfaces); a store that keeps nothing on disk says so."""
    def make(out_file: Path) -> Path:
        from app.store.postgres.store import PostgresStore  # it imports this module

        if isinstance(store, PostgresStore):  # the same file format, from the database
            from app.store.postgres.backup import backup_database

            return backup_database(store, out_file)
        if not isinstance(store, JournalStore):
            raise StoreError("This store keeps nothing on disk, so there is nothing to "
                             "back up.")
        return backup(store, out_file)

    return make


def _write_zip(tmp: Path, moment: PointInTime) -> str:
    """The snapshot streamed into the zip, then the manifest; returns the snapshot's sha256."""
    digest = hashlib.sha256()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with archive.open(SNAPSHOT_NAME, "w", force_zip64=True) as member:
                for chunk in moment.snapshot_body():
                    digest.update(chunk)
                    member.write(chunk)
            manifest = {
                "format": BACKUP_FORMAT,
                "schema": SCHEMA_VERSION,
                "versions": moment.count.versions,
                "records": moment.count.records,
                "last_seq": moment.count.last_seq,
                "sha256": digest.hexdigest(),
                "created_at": utc_now_iso(),
            }
            archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2))
        handle.flush()
        os.fsync(handle.fileno())
    return digest.hexdigest()


def _read_back(out_file: Path, sha256: str) -> None:
    """Read what landed on disk back in blocks (zip's CRC-32 and our sha256): bounded
    memory, unlike verify_backup's complete check, which restore runs before it changes
    anything."""
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(out_file) as archive, archive.open(SNAPSHOT_NAME) as member:
            while block := member.read(1 << 20):
                digest.update(block)
            manifest = json.loads(archive.read(MANIFEST_NAME))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise BackupInvalid(out_file, f"it does not read back ({exc})",
                            "It was removed; make another backup.") from exc
    if digest.hexdigest() != sha256 or manifest.get("sha256") != sha256:
        raise BackupInvalid(out_file, "it does not read back as written",
                            "It was removed; make another backup.")


def _check_replaceable(out_file: Path) -> None:
    """The backup is renamed into place, which replaces whatever has that name: a device
    (`--out /dev/full` replaced the device node), a pipe or a link would be lost, and a
    folder cannot be replaced at all. Only a regular file (or nothing) may be there."""
    try:
        mode = os.lstat(out_file).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"Could not check {out_file} ({exc}). Nothing was written.") from exc
    if stat.S_ISREG(mode):
        return
    what = ("a folder" if stat.S_ISDIR(mode) else "a link" if stat.S_ISLNK(mode)
            else "a device, pipe or socket")
    raise StoreError(
        f"{out_file} is {what}, not a regular file: a backup would replace it. Nothing was "
        "written. Give the path of a new .zip file (or of an old backup to replace).")


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
        where = f"{backup_file}:{SNAPSHOT_NAME}"
        snapshot = parse_snapshot(json.loads(body), where)
        check_versions_crc(body, snapshot, where)
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


def restore(backup_file: Path, data_dir: Path) -> Restored:
    """Replace the store in `data_dir` with the backup, or change nothing.

    The previous folder is kept whole as `<data_dir>.before-restore-<timestamp>`."""
    backup_file, data_dir = Path(backup_file), Path(data_dir)
    had_data = data_dir.exists()
    untouched = (f"Nothing was changed: the data is still in {data_dir}." if had_data
                 else "Nothing was changed.")
    try:
        info, snapshot = _load_backup(backup_file)
    except BackupInvalid as exc:
        raise BackupInvalid(exc.path, exc.detail, untouched) from exc
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    stamp = timestamp()
    staging = data_dir.with_name(data_dir.name + RESTORING_INFIX + stamp)
    # The live folder stays locked until the swap: a BackTrack running on it makes the
    # restore stop here (StoreLocked), and none can start on it half-way.
    lock_fd = acquire_folder_lock(data_dir) if had_data else None
    try:
        try:
            _stage(staging, backup_file, info, snapshot)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, BackupInvalid):
                raise BackupInvalid(exc.path, exc.detail, untouched) from exc
            if isinstance(exc, OSError | StoreError):
                raise StoreError(f"Could not restore {backup_file}: {exc}. {untouched}") from exc
            raise
        if had_data:
            previous: Path | None = _swap(staging, data_dir, stamp, untouched)
        else:
            previous = None
            _rename(staging, data_dir, f"Could not restore {backup_file}. {untouched}", staging)
    finally:
        if lock_fd is not None:
            release_folder_lock(lock_fd)
    return Restored(info.versions, data_dir, previous)


def _stage(staging: Path, backup_file: Path, info: BackupInfo, snapshot: SnapshotData) -> None:
    """Build the store in `staging` and check it as BackTrack would open it."""
    staging.mkdir(mode=0o700)
    install_snapshot(staging, snapshot.records, snapshot.last_seq)
    try:
        with JournalStore.open(staging, compact_on_close=False) as store:
            stats = store.stats()
    except StoreCorrupt as exc:
        raise BackupInvalid(
            backup_file, f"the restored copy does not open ({exc.detail})"
        ) from exc
    if (stats["versions"], stats["records"]) != (info.versions, info.records):
        raise BackupInvalid(
            backup_file,
            f"the restored copy holds {stats['versions']} versions of {stats['records']} "
            f"records, the backup lists {info.versions} of {info.records}",
        )


def _swap(staging: Path, data_dir: Path, stamp: str, untouched: str) -> Path:
    """Put the checked copy in place of the live folder; returns where the old one is."""
    aside = data_dir.with_name(data_dir.name + BEFORE_RESTORE_INFIX + stamp)
    try:
        exchanged = exchange_folders(staging, data_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise StoreError(f"Could not put the restored copy in place ({exc}). {untouched}") from exc
    if exchanged:
        fsync_dir(data_dir.parent)
        try:
            os.rename(staging, aside)  # `staging` now holds the previous data
        except OSError as exc:
            log.warning("The previous data stays in %s (%s)", staging, exc)
            return staging
        fsync_dir(data_dir.parent)
        return aside
    # No atomic exchange on this system: two renames. Between them no live folder exists,
    # and JournalStore.open refuses to start a new store while a staging folder is there.
    _rename(data_dir, aside, f"Could not move the live data aside. {untouched}", staging)
    try:
        os.rename(staging, data_dir)
    except OSError as exc:
        try:
            os.rename(aside, data_dir)
        except OSError:
            raise StoreError(
                f"Could not put the restored copy in place ({exc}). The previous data is in "
                f"{aside}; rename it back to {data_dir} to go on as before."
            ) from exc
        shutil.rmtree(staging, ignore_errors=True)
        raise StoreError(f"Could not put the restored copy in place ({exc}). {untouched}") \
            from exc
    fsync_dir(data_dir.parent)
    return aside


def _rename(source: Path, target: Path, failure: str, staging: Path) -> None:
    """A rename that, if it fails, drops the staging copy and says nothing changed."""
    try:
        os.rename(source, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise StoreError(f"{failure} ({exc})") from exc
    fsync_dir(target.parent)
