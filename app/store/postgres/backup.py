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

import codecs
import contextlib
import hashlib
import json
import re
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.store.backup import (
    BACKUP_FORMAT,
    MANIFEST_NAME,
    SNAPSHOT_NAME,
    BackupInvalid,
    _load_backup,
    write_backup,
)
from app.store.interfaces import Record, StoreCorrupt
from app.store.journal.lines import dumps
from app.store.journal.schema import SCHEMA_VERSION, record_from
from app.store.journal.snapshot import (
    SNAPSHOT_META_TABLE,
    VERSIONS_HEAD,
    entry_text,
    snapshot_end,
    snapshot_meta,
)
from app.store.journal.snapshot_stream import StreamCount
from app.store.postgres.store import PostgresStore

_ENTRIES_PER_CHUNK = 2_000
_BLOCK = 1 << 20  # bytes of the zipped snapshot read at a time by a streamed restore
_LONGEST_ENTRY = 16 << 20  # an undecodable rest longer than this is damage, not a cut
_KEY = re.compile(r',?"(\d+)":')  # before each version: its seq
_META_AFTER_VERSIONS = f'}},"{SNAPSHOT_META_TABLE}":'


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
    # DatabaseMoment reads like the journal's PointInTime (one REPEATABLE READ transaction).
    return write_backup(out_file, lambda: contextlib.nullcontext(
        DatabaseMoment(store)))  # type: ignore[arg-type]


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
    checked before the commit; BackupInvalid or StoreError, nothing written, otherwise.
    A backup in the current layout is streamed from the zip (memory stays bounded: the
    sha256 and the counts are checked at its end, inside the transaction); older layouts
    are read whole, as the journal's restore reads them."""
    backup_file = Path(backup_file)
    manifest = _manifest(backup_file)
    if manifest is None:
        info, snapshot = _load_backup(backup_file)  # checked whole first
        added = store.load_into_empty((record for _, record in snapshot.records),
                                      expected=(info.versions, info.records))
        return RestoredDatabase(added, info.records, store.location)
    versions, records = int(manifest["versions"]), int(manifest["records"])
    added = store.load_into_empty(_streamed(backup_file, manifest),
                                  expected=(versions, records))
    return RestoredDatabase(added, records, store.location)


def _manifest(backup_file: Path) -> dict[str, Any] | None:
    """The manifest of a backup whose snapshot can be streamed (the current layout, with
    every count); None for anything else (read whole: _load_backup says what is wrong)."""
    try:
        with zipfile.ZipFile(backup_file) as archive:
            manifest = json.loads(archive.read(MANIFEST_NAME))
            with archive.open(SNAPSHOT_NAME) as member:
                head = member.read(len(VERSIONS_HEAD))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT \
            or not isinstance(manifest.get("schema"), int) \
            or not 1 <= manifest["schema"] <= SCHEMA_VERSION \
            or not all(isinstance(manifest.get(k), int) for k in ("versions", "records")) \
            or not isinstance(manifest.get("sha256"), str) or head != VERSIONS_HEAD:
        return None
    return manifest


def _streamed(backup_file: Path, manifest: dict[str, Any]) -> Iterator[Record]:
    """The snapshot's versions in seq order, decoded block by block (1 MiB) from the zip;
    BackupInvalid at the end (the load then rolls back) when its sha256 is not the
    manifest's, or on the way when an entry is malformed or out of order."""
    where = f"{backup_file}:{SNAPSHOT_NAME}"
    digest = hashlib.sha256()
    text = codecs.getincrementaldecoder("utf-8")()
    decoder = json.JSONDecoder()
    pending = ""
    last_seq = 0
    try:
        with zipfile.ZipFile(backup_file) as archive, archive.open(SNAPSHOT_NAME) as member:
            first = True
            while True:
                block = member.read(_BLOCK)
                digest.update(block)
                pending += text.decode(block, final=not block)
                if first:
                    pending = pending[len(VERSIONS_HEAD):]
                    first = False
                at = 0
                while (key := _KEY.match(pending, at)) is not None:
                    try:
                        raw, end = decoder.raw_decode(pending, key.end())
                    except ValueError:
                        break  # cut at the block's end
                    seq = int(key.group(1))
                    if seq <= last_seq:
                        raise BackupInvalid(backup_file, f"version {seq} is out of order")
                    last_seq = seq
                    yield record_from(raw, manifest["schema"], where)
                    at = end
                pending = pending[at:]
                if len(pending) > _LONGEST_ENTRY:
                    raise BackupInvalid(backup_file, f"the entry after {last_seq} is malformed")
                if not block:
                    break
    except (zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError) as exc:
        raise BackupInvalid(backup_file, f"it does not read back ({exc})") from exc
    except StoreCorrupt as exc:
        raise BackupInvalid(backup_file, exc.detail) from exc
    if digest.hexdigest() != manifest["sha256"]:
        raise BackupInvalid(backup_file, "the snapshot does not match its checksum")
    if not pending.startswith(_META_AFTER_VERSIONS):
        raise BackupInvalid(backup_file, "its versions end in the middle of an entry")
