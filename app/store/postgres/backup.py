"""Backups of the PostgreSQL store in the journal's own backup format (app/store/backup.py),
so one file moves a clinic between the two stores: `backup` with --database-url writes
the database as of one moment (a REPEATABLE READ transaction streamed into the zip: memory
stays bounded), and a restore puts such a file into an EMPTY database in one transaction,
checked before the commit (the counts the manifest lists), or writes nothing.

Why empty only: the journal's restore keeps the previous data whole beside the new one; a
database cannot be set aside like a folder, and replacing rows would lose it. The operator
creates a fresh database (createdb) and points BackTrack at it.
"""

from __future__ import annotations

import contextlib
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.store.backup import (
    BackupInvalid,
    _check_replaceable,
    _load_backup,
    _read_back,
    _write_zip,
)
from app.store.interfaces import Record
from app.store.journal.files import TMP_SUFFIX, install_file
from app.store.journal.lines import dumps
from app.store.journal.snapshot import VERSIONS_HEAD, entry_text, snapshot_end, snapshot_meta
from app.store.journal.snapshot_stream import StreamCount
from app.store.postgres.store import PostgresStore

_ENTRIES_PER_CHUNK = 2_000


@dataclass
class DatabaseMoment:
    """What app.store.backup's zip writer reads: the snapshot's bytes and their counts
    (the same duck type as the journal's PointInTime)."""

    store: PostgresStore
    count: StreamCount = field(default_factory=StreamCount)

    def snapshot_body(self) -> Iterator[bytes]:
        crc = 0
        yield VERSIONS_HEAD
        part: list[tuple[int, Record]] = []
        versions = self.store.every_version()
        try:
            for entry in versions:
                part.append(entry)
                if len(part) == _ENTRIES_PER_CHUNK:
                    chunk = self._chunk(part)
                    crc = zlib.crc32(chunk, crc)
                    yield chunk
                    part = []
            if part:
                chunk = self._chunk(part)
                crc = zlib.crc32(chunk, crc)
                yield chunk
        finally:
            versions.close()
        meta = snapshot_meta(gen=uuid.uuid4().hex, based_on="postgresql", generation=1,
                             last_seq=self.count.last_seq, versions=self.count.versions)
        yield snapshot_end(meta, crc)

    def _chunk(self, part: list[tuple[int, Record]]) -> bytes:
        text = ",".join(entry_text(seq, dumps(record.to_json())) for seq, record in part)
        chunk = (("," if self.count.versions else "") + text).encode()
        for seq, record in part:
            self.count.versions += 1
            self.count.records += record.version == 1
            self.count.last_seq = max(self.count.last_seq, seq)
        return chunk


def backup_database(store: PostgresStore, out_file: Path) -> Path:
    """The whole database as one backup .zip (the journal's format), written atomically
    (0600) beside a running BackTrack; returns its path. As app.store.backup.backup."""
    out_file = Path(out_file)
    _check_replaceable(out_file)
    if not out_file.parent.exists():
        out_file.parent.mkdir(mode=0o700, parents=True)
    tmp = out_file.with_name(out_file.name + TMP_SUFFIX)
    try:
        digest = _write_zip(tmp, DatabaseMoment(store))  # type: ignore[arg-type]
        install_file(tmp, out_file)
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


@dataclass(frozen=True)
class RestoredDatabase:
    versions: int
    records: int
    location: str

    def __str__(self) -> str:
        return (f"Restored {self.versions} versions of {self.records} records into the "
                f"database at {self.location}.")


def restore_database(backup_file: Path, store: PostgresStore) -> RestoredDatabase:
    """Put a backup (of either store) into the store's empty database in one transaction,
    checked before the commit; BackupInvalid or StoreError, nothing written, otherwise."""
    info, snapshot = _load_backup(Path(backup_file))  # checked whole first
    added = store.load_into_empty((record for _, record in snapshot.records),  # seq order
                                  expected=(info.versions, info.records))
    return RestoredDatabase(added, info.records, store.location)
