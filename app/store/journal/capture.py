"""A point-in-time copy of a data folder's store, taken while BackTrack keeps saving in it.

Why this is consistent without stopping saves (or even asking the server): the snapshot
is only ever replaced whole (rename), the journal only grows between compactions, and a
compaction or erasure swaps the pair under the folder's swap lock (records.swap.lock). A
backup holds that lock for a moment to open both files (their contents stay readable
through the open descriptors after any later swap), to read the lock file's note of the
last acknowledged save and then the journal's length. The note is written after each
save's fdatasync and before the save returns, so every save acknowledged before that
moment is in the two files up to that entry; lines after it (not yet acknowledged) and a
write still under way are left out whole, a batch line all or nothing.

Memory: the snapshot's versions are streamed (snapshot_stream.py); only the journal's
bytes (at most a compaction's worth of lines) and a block are held. The same path backs up
a closed folder: the files are read as an open would read them (recovery.py), nothing is
written into the folder but the swap lock file.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.store.interfaces import Record, StoreCorrupt, StoreError
from app.store.journal.files import JOURNAL_FILE, SNAPSHOT_FILE
from app.store.journal.folder_lock import saved_note_of, swap_lock
from app.store.journal.journal_file import JournalData, parse_journal
from app.store.journal.lines import dumps
from app.store.journal.recovery import plan_recovery
from app.store.journal.snapshot import (
    VERSIONS_HEAD,
    SnapshotData,
    SnapshotSpan,
    check_versions_crc,
    entry_text,
    parse_snapshot,
    snapshot_end,
    snapshot_meta,
    versions_span,
)
from app.store.journal.snapshot_stream import StreamCount, stream_versions

_ENTRIES_PER_CHUNK = 2_000


@dataclass
class PointInTime:
    """The two files as they were at one moment, and the last save acknowledged then."""

    data_dir: Path
    snapshot_fd: int | None
    journal: bytes | None  # the journal's bytes up to that moment
    saved: int | None  # the lock file's note; None when there is none
    count: StreamCount = field(default_factory=StreamCount)

    def snapshot_body(self) -> Iterator[bytes]:
        """A snapshot (stock TinyDB JSON, the same layout as records.snapshot.json) of
        everything in this point in time, in chunks; `count` is complete once it ends."""
        snapshot_where = str(self.data_dir / SNAPSHOT_FILE)
        span: SnapshotSpan | None = None
        whole: SnapshotData | None = None
        if self.snapshot_fd is not None:
            span = versions_span(self.snapshot_fd, snapshot_where)
            if span is None:  # a layout from before the checksum: small stores, read whole
                whole = _read_whole_snapshot(self.snapshot_fd, snapshot_where)
        journal = (parse_journal(self.journal, str(self.data_dir / JOURNAL_FILE))
                   if self.journal is not None else None)
        head = span.meta if span is not None else whole
        plan = plan_recovery(self.data_dir, head, journal, self.saved)
        newer = [(seq, record) for seq, record in plan.replay
                 if self.saved is None or seq <= self.saved]
        crc = 0
        yield VERSIONS_HEAD
        if span is not None:
            assert self.snapshot_fd is not None
            for block in stream_versions(self.snapshot_fd, span, snapshot_where, self.count):
                crc = zlib.crc32(block, crc)
                yield block
        older = whole.records if whole is not None else []
        for chunk in self._entries(older + newer):
            crc = zlib.crc32(chunk, crc)
            yield chunk
        last_seq = max(self.count.last_seq, head.last_seq if head is not None else 0)
        meta = snapshot_meta(gen=uuid.uuid4().hex, based_on=_based_on(plan.journal_gen, journal),
                             generation=max(1, plan.generation), last_seq=last_seq,
                             versions=self.count.versions)
        self.count.last_seq = last_seq
        yield snapshot_end(meta, crc)

    def _entries(self, records: list[tuple[int, Record]]) -> Iterator[bytes]:
        for start in range(0, len(records), _ENTRIES_PER_CHUNK):
            part = records[start : start + _ENTRIES_PER_CHUNK]
            text = ",".join(entry_text(seq, dumps(record.to_json())) for seq, record in part)
            yield (("," if self.count.versions else "") + text).encode()
            for seq, record in part:
                self.count.versions += 1
                self.count.records += record.version == 1
                self.count.last_seq = max(self.count.last_seq, seq)


@contextlib.contextmanager
def point_in_time(data_dir: Path) -> Iterator[PointInTime]:
    """Capture the folder's store as of now (a moment under the swap lock)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise StoreError(f"{data_dir} holds no BackTrack data (there is no such folder). "
                         "Nothing was written.")
    snapshot_fd = journal_fd = None
    try:
        with swap_lock(data_dir):
            snapshot_fd = _open_if_there(data_dir / SNAPSHOT_FILE)
            journal_fd = _open_if_there(data_dir / JOURNAL_FILE)
            # The note first, the length after: the line of every save noted is written
            # before its note, so the length then covers it.
            saved = saved_note_of(data_dir)
            length = os.fstat(journal_fd).st_size if journal_fd is not None else 0
        journal = _read_prefix(journal_fd, length) if journal_fd is not None else None
        yield PointInTime(data_dir, snapshot_fd, journal, saved)
    finally:
        for fd in (snapshot_fd, journal_fd):
            if fd is not None:
                os.close(fd)


def _open_if_there(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None


def _read_prefix(fd: int, length: int) -> bytes:
    """The journal's first `length` bytes, cut after its last complete line."""
    raw = _read(fd, length)
    # A write still under way has no newline yet: it is not part of this moment.
    return raw[: raw.rfind(b"\n") + 1]


def _read(fd: int, length: int) -> bytes:
    parts: list[bytes] = []
    offset = 0
    while offset < length:
        part = os.pread(fd, min(1 << 24, length - offset), offset)
        if not part:
            break
        parts.append(part)
        offset += len(part)
    return b"".join(parts)


def _read_whole_snapshot(fd: int, where: str) -> SnapshotData:
    raw = _read(fd, os.fstat(fd).st_size)
    try:
        snapshot = parse_snapshot(json.loads(raw), where)
    except ValueError as exc:
        raise StoreCorrupt(where, f"not valid JSON: {exc}") from exc
    check_versions_crc(raw, snapshot, where)
    return snapshot


def _based_on(journal_gen: str, journal: JournalData | None) -> str:
    if journal_gen:
        return journal_gen
    return journal.base_gen if journal is not None else ""
