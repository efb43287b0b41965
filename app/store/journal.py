"""The durable RecordStore: an fsynced append-only journal, periodic TinyDB snapshots, and
an in-memory TinyDB index for queries.

On disk (one data folder, owned by one process at a time)::

    records.lock            fcntl.flock target; holds the owner's pid for the error message
    records.snapshot.json   stock TinyDB JSON: table "meta" (doc 1) + table "versions"
                            (doc id = sequence number, doc = Record.to_json()); atomic rename
    records.journal.jsonl   line 1 a header, then one version per line:
                            {"crc":"<crc32 of the rest>","seq":N,"rec":{...Record...}}
    records.journal.jsonl.torn-<ts>   bytes of an unacknowledged, torn last write, kept aside

Why this shape: TinyDB's own JSONStorage rewrites the whole file per insert (slow and not
atomic, see STACK.md). A save here is one append + fdatasync of one line, so its cost does
not depend on how much history exists. Every acknowledged version is in the journal or in
a snapshot that was fsynced and atomically renamed before the journal lines were dropped.

Files are linked by random "generation" ids: the journal header names the snapshot it
continues (`base_gen`), and each snapshot names the journal base it was compacted from
(`based_on`). That tells a half-finished compaction (replay the newer journal lines) from a
journal that belongs to another history (refuse: StoreCorrupt), without guessing.

What must not live here: services, UI or chart code (see pyproject import contracts).
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import gc
import json
import logging
import os
import shutil
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from tinydb import Query as TinyQuery
from tinydb import TinyDB
from tinydb.queries import QueryInstance
from tinydb.storages import JSONStorage, Storage

from app.store.interfaces import (
    JSONDict,
    Query,
    Record,
    StoreCorrupt,
    StoreError,
    StoreLocked,
)
from app.store.memory import matches, next_version, utc_now_iso

# --- File names (the store's only paths; app/store/paths.py decides the folder) -----------
SNAPSHOT_FILE = "records.snapshot.json"
JOURNAL_FILE = "records.journal.jsonl"
LOCK_FILE = "records.lock"
STORE_FILE_PREFIX = "records."  # every file the store writes starts with this
TMP_SUFFIX = ".tmp"
TORN_SUFFIX = ".torn-"  # JOURNAL_FILE + ".torn-<timestamp>"
PRE_MIGRATION_SUFFIX = ".schema-"  # <file> + ".schema-<old version>-<timestamp>"

SNAPSHOT_FORMAT = "backtrack-snapshot"
JOURNAL_FORMAT = "backtrack-journal"
SNAPSHOT_META_TABLE = "meta"
SNAPSHOT_VERSIONS_TABLE = "versions"

# Schema history: 1 = before tombstones (records had no "deleted"); 2 = current.
SCHEMA_VERSION = 2

DEFAULT_COMPACT_THRESHOLD = 5_000  # journal lines before a background snapshot
_SNAPSHOT_CHUNK = 2_000  # versions per write() so a compaction yields the GIL often

log = logging.getLogger(__name__)


def _v1_add_deleted(raw: JSONDict) -> JSONDict:
    """Schema 1 predates tombstones: every stored version was a live one."""
    return {**raw, "deleted": bool(raw.get("deleted", False))}


# MIGRATIONS[n] upgrades one stored record dict from schema n to n + 1. Files are upgraded
# on open; the old files are first copied aside (never overwritten in place).
MIGRATIONS: dict[int, Callable[[JSONDict], JSONDict]] = {1: _v1_add_deleted}


def migrate_record(raw: JSONDict, schema: int) -> JSONDict:
    for version in range(schema, SCHEMA_VERSION):
        raw = MIGRATIONS[version](raw)
    return raw


# --- Small durable-file helpers ------------------------------------------------------------


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def fsync_dir(directory: Path) -> None:
    """Make a create/rename/unlink in `directory` itself durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_file_atomically(path: Path, chunks: Iterable[bytes]) -> None:
    """tmp + fsync + rename + fsync(dir): readers see the old file or the whole new one."""
    tmp = path.with_name(path.name + TMP_SUFFIX)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            for chunk in chunks:
                _write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def _keep_aside(path: Path, suffix: str) -> Path:
    """Copy a file next to itself under a new name (fsynced) before it is rewritten."""
    aside = path.with_name(path.name + suffix)
    shutil.copyfile(path, aside)
    fd = os.open(aside, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    return aside


# --- Line format ---------------------------------------------------------------------------

_LINE_HEAD = b'{"crc":"'
_CRC_END = len(_LINE_HEAD) + 8  # 8 hex digits
_BODY_START = _CRC_END + 2  # after '",'


# allow_nan=False: the files stay strict JSON, readable by any tool and by stock TinyDB.
# One shared encoder: json.dumps(**options) would build a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def _frame(body: str) -> bytes:
    raw = body.encode()
    return b'%s%08x",%s\n' % (_LINE_HEAD, zlib.crc32(raw), raw)


def journal_line(seq: int, rec_json: str) -> bytes:
    """One journal line for one version; `rec_json` is the compact JSON of Record.to_json()."""
    return _frame(f'"seq":{seq},"rec":{rec_json}}}')


def header_line(*, schema: int, base_gen: str, base_seq: int) -> bytes:
    header = {
        "format": JOURNAL_FORMAT,
        "schema": schema,
        "base_gen": base_gen,
        "base_seq": base_seq,
        "created_at": utc_now_iso(),
    }
    return _frame(f'"journal":{_dumps(header)}}}')


def _parse_line(line: bytes) -> JSONDict | None:
    """The line's object if its checksum holds, else None (torn or damaged)."""
    if not line.startswith(_LINE_HEAD) or line[_CRC_END:_BODY_START] != b'",':
        return None
    try:
        crc = int(line[len(_LINE_HEAD) : _CRC_END], 16)
    except ValueError:
        return None
    if zlib.crc32(line[_BODY_START:]) != crc:
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


# --- Snapshot and journal parsing ----------------------------------------------------------


class _Entry(NamedTuple):
    """One version as held for the next snapshot: its JSON is frozen at save time."""

    seq: int
    key: tuple[str, str]
    rec_json: str


@dataclass
class SnapshotData:
    """A parsed, validated snapshot."""

    schema: int
    gen: str
    based_on: str
    last_seq: int
    records: list[tuple[int, Record]]  # (seq, record) in seq order


def snapshot_chunks(
    entries: Sequence[_Entry], *, gen: str, based_on: str, last_seq: int
) -> Iterator[bytes]:
    """The snapshot as stock TinyDB JSON, in chunks (so a writer thread yields the GIL)."""
    meta = {
        "format": SNAPSHOT_FORMAT,
        "schema": SCHEMA_VERSION,
        "gen": gen,
        "based_on": based_on,
        "last_seq": last_seq,
        "versions": len(entries),
        "written_at": utc_now_iso(),
    }
    head = f'{{"{SNAPSHOT_META_TABLE}":{{"1":{_dumps(meta)}}},"{SNAPSHOT_VERSIONS_TABLE}":{{'
    yield head.encode()
    for start in range(0, len(entries), _SNAPSHOT_CHUNK):
        part = entries[start : start + _SNAPSHOT_CHUNK]
        text = ",".join(f'"{e.seq}":{e.rec_json}' for e in part)
        yield (("," if start else "") + text).encode()
    yield b"}}\n"


def _record_from(raw: Any, schema: int, where: str) -> Record:
    if not isinstance(raw, dict):
        raise StoreCorrupt(where, "a stored version is not a JSON object")
    try:
        record = Record.from_json(migrate_record(raw, schema))
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreCorrupt(where, f"a stored version is malformed: {exc!r}") from exc
    if not isinstance(record.data, dict) or record.version < 1:
        raise StoreCorrupt(where, f"version {record.version} of {record.id} is malformed")
    return record


def _check_schema(schema: Any, where: str) -> int:
    if not isinstance(schema, int) or schema < 1:
        raise StoreCorrupt(where, f"unknown schema version {schema!r}")
    if schema > SCHEMA_VERSION:
        raise StoreCorrupt(
            where,
            f"schema version {schema} was written by a newer BackTrack "
            f"(this one reads up to {SCHEMA_VERSION}); install the newer version",
        )
    return schema


def parse_snapshot(tables: Any, where: str) -> SnapshotData:
    """Validate a snapshot's decoded JSON completely (also used to check backups)."""
    if not isinstance(tables, dict):
        raise StoreCorrupt(where, "not a TinyDB JSON document")
    meta_table = tables.get(SNAPSHOT_META_TABLE)
    versions = tables.get(SNAPSHOT_VERSIONS_TABLE)
    if not isinstance(meta_table, dict) or not isinstance(versions, dict):
        raise StoreCorrupt(where, "the meta or versions table is missing")
    meta = meta_table.get("1")
    if not isinstance(meta, dict) or meta.get("format") != SNAPSHOT_FORMAT:
        raise StoreCorrupt(where, "not a BackTrack snapshot")
    schema = _check_schema(meta.get("schema"), where)
    last_seq = meta.get("last_seq")
    if not isinstance(last_seq, int) or last_seq < 0:
        raise StoreCorrupt(where, "meta.last_seq is missing")
    if meta.get("versions") is not None and meta.get("versions") != len(versions):
        raise StoreCorrupt(
            where, f"meta says {meta.get('versions')} versions, found {len(versions)}"
        )
    records: list[tuple[int, Record]] = []
    for doc_id, raw in versions.items():
        try:
            seq = int(doc_id)
        except ValueError as exc:
            raise StoreCorrupt(where, f"bad document id {doc_id!r}") from exc
        if seq < 1 or seq > last_seq:
            raise StoreCorrupt(where, f"document id {seq} is outside 1..{last_seq}")
        records.append((seq, _record_from(raw, schema, where)))
    records.sort(key=lambda pair: pair[0])
    return SnapshotData(
        schema=schema,
        gen=str(meta.get("gen", "")),
        based_on=str(meta.get("based_on", "")),
        last_seq=last_seq,
        records=records,
    )


def read_snapshot(path: Path) -> SnapshotData:
    # Read through TinyDB's own JSONStorage: the snapshot is a stock TinyDB database.
    try:
        storage = JSONStorage(str(path), access_mode="r")
        try:
            tables = storage.read()
        finally:
            storage.close()
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise StoreCorrupt(str(path), f"not valid JSON: {exc}") from exc
    except OSError as exc:
        raise StoreCorrupt(str(path), f"cannot be read: {exc}") from exc
    return parse_snapshot(tables, str(path))


@dataclass
class _JournalData:
    schema: int
    base_gen: str
    base_seq: int
    records: list[tuple[int, Record]]
    good_length: int  # bytes up to the end of the last intact line
    torn: bytes  # what follows it (an unacknowledged write), usually b""


def _read_journal(path: Path) -> _JournalData:
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreCorrupt(where, f"cannot be read: {exc}") from exc
    lines = raw.split(b"\n")
    fragment = lines.pop()  # bytes after the last newline: b"" unless the last write tore
    parsed: list[JSONDict] = []
    offset = 0
    bad: tuple[int, int] | None = None  # (line number, byte offset) of the first bad line
    for number, line in enumerate(lines, start=1):
        obj = _parse_line(line)
        if obj is None:
            if bad is None:
                bad = (number, offset)
        elif bad is not None:
            # Only the last write can tear. Damage followed by intact lines is not a crash.
            raise StoreCorrupt(
                where, f"line {bad[0]} is damaged but line {number} after it is intact"
            )
        else:
            parsed.append(obj)
        offset += len(line) + 1
    if fragment and bad is None:
        bad = (len(lines) + 1, offset)
    good_length = bad[1] if bad is not None else len(raw)
    if not parsed or not isinstance(parsed[0].get("journal"), dict):
        raise StoreCorrupt(where, "the journal header is missing or damaged")
    header = parsed[0]["journal"]
    if header.get("format") != JOURNAL_FORMAT:
        raise StoreCorrupt(where, "not a BackTrack journal")
    schema = _check_schema(header.get("schema"), where)
    base_seq = header.get("base_seq")
    if not isinstance(base_seq, int) or base_seq < 0:
        raise StoreCorrupt(where, "header.base_seq is missing")
    records: list[tuple[int, Record]] = []
    expected = base_seq + 1
    for obj in parsed[1:]:
        seq = obj.get("seq")
        if seq != expected:
            raise StoreCorrupt(where, f"sequence number {seq!r} where {expected} was expected")
        records.append((seq, _record_from(obj.get("rec"), schema, where)))
        expected += 1
    return _JournalData(
        schema=schema,
        base_gen=str(header.get("base_gen", "")),
        base_seq=base_seq,
        records=records,
        good_length=good_length,
        torn=raw[good_length:],
    )


# --- Locking -------------------------------------------------------------------------------


def acquire_folder_lock(data_dir: Path) -> int:
    """flock the folder's lock file; the fd holds the lock until closed. Raises StoreLocked."""
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise StoreLocked(
            f"The data folder {data_dir} is already open in another BackTrack process "
            f"(pid {holder}). Close that one first; only one may use a data folder."
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def release_folder_lock(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextlib.contextmanager
def folder_lock(data_dir: Path) -> Iterator[None]:
    fd = acquire_folder_lock(data_dir)
    try:
        yield
    finally:
        release_folder_lock(fd)


def install_snapshot(data_dir: Path, records: Sequence[tuple[int, Record]], last_seq: int) -> None:
    """Make `records` the whole content of a (locked) data folder: new snapshot, then a fresh
    journal. A crash between the two leaves a journal of another generation, which open()
    discards if it holds nothing newer and otherwise refuses loudly (never mixes histories)."""
    entries = [_Entry(seq, (r.kind, r.id), _dumps(r.to_json())) for seq, r in records]
    gen = uuid.uuid4().hex
    write_file_atomically(
        data_dir / SNAPSHOT_FILE,
        snapshot_chunks(entries, gen=gen, based_on="restored", last_seq=last_seq),
    )
    write_file_atomically(
        data_dir / JOURNAL_FILE,
        [header_line(schema=SCHEMA_VERSION, base_gen=gen, base_seq=last_seq)],
    )


# --- The TinyDB query index ----------------------------------------------------------------


class _LiveIndexStorage(Storage):
    """A TinyDB storage over the store's own dict of latest versions, one table per kind.

    The store updates that dict in O(1) per save; going through TinyDB's insert/update
    would copy the whole table on every write (Table._update_table). TinyDB only reads
    here, and query caching is off, so it always sees the current data.
    """

    def __init__(self, tables: dict[str, dict[str, JSONDict]]) -> None:
        self._tables = tables

    def read(self) -> dict[str, dict[str, Any]] | None:
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        raise StoreError("the query index is read-only; save through the store")


def _data_equals(key: str, value: Any) -> QueryInstance:
    # Same rule as memory.matches: a missing key reads as None.
    return TinyQuery().data.test(lambda data: data.get(key) == value)


def _tiny_condition(query: Query) -> QueryInstance:
    parts: list[QueryInstance] = []
    if query.owner is not None:
        parts.append(TinyQuery().owner == query.owner)
    if not query.include_deleted:
        parts.append(TinyQuery().deleted.test(lambda deleted: not deleted))
    parts.extend(_data_equals(key, value) for key, value in query.where.items())
    condition = TinyQuery().noop()
    for part in parts:
        condition = condition & part
    return condition


# --- The store -----------------------------------------------------------------------------


class JournalStore:
    """Durable RecordStore. Thread-safe; one process per data folder (StoreLocked otherwise)."""

    def __init__(
        self, data_dir: Path, lock_fd: int, compact_threshold: int, compact_on_close: bool
    ) -> None:
        self.data_dir = data_dir
        self._lock_fd = lock_fd
        self._compact_threshold = max(1, compact_threshold)
        self._compact_on_close = compact_on_close
        self._lock = threading.RLock()  # guards memory state and journal appends
        self._compact_lock = threading.Lock()  # one snapshot writer at a time (compact/purge)
        self._compactor: threading.Thread | None = None
        self._versions: dict[tuple[str, str], list[Record]] = {}
        self._ordinals: dict[tuple[str, str], int] = {}  # insertion order = first-save order
        self._keys_by_ordinal: dict[int, tuple[str, str]] = {}
        self._ordinal_counter = 0
        self._log: list[_Entry] = []  # every version in seq order: the next snapshot
        self._seq = 0
        self._tables: dict[str, dict[str, JSONDict]] = {}  # kind -> {ordinal: latest doc}
        self._index = TinyDB(self._tables, storage=_LiveIndexStorage)
        # (kind, owner of the latest version) -> ordinals in first-save order: a patient's
        # records without scanning every patient's (find with an owner).
        self._by_owner: dict[tuple[str, str | None], list[int]] = {}
        self._journal_fd = -1
        self._journal_size = 0
        self._journal_lines = 0
        self._journal_gen = ""  # base_gen of the journal being appended to
        self._failed: str | None = None
        self._closed = False

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        compact_threshold: int = DEFAULT_COMPACT_THRESHOLD,
        compact_on_close: bool = True,
    ) -> JournalStore:
        data_dir = Path(data_dir)
        if not data_dir.exists():
            data_dir.mkdir(parents=True)
            fsync_dir(data_dir.parent)
        lock_fd = acquire_folder_lock(data_dir)
        store = cls(data_dir, lock_fd, compact_threshold, compact_on_close)
        try:
            store._load()
        except BaseException:
            store._release()
            raise
        # Move everything loaded so far out of the cyclic GC's reach: with 100,000 versions
        # in memory a full collection took ~240 ms, a pause every thread (and save) would
        # feel. Records hold no reference cycles, so refcounting still frees them.
        gc.freeze()
        return store

    def _load(self) -> None:
        snapshot_path = self.data_dir / SNAPSHOT_FILE
        journal_path = self.data_dir / JOURNAL_FILE
        for stale in (snapshot_path, journal_path):
            # Half-written by a process that died; never renamed, so never part of the store.
            stale.with_name(stale.name + TMP_SUFFIX).unlink(missing_ok=True)
        snapshot = read_snapshot(snapshot_path) if snapshot_path.exists() else None
        journal = _read_journal(journal_path) if journal_path.exists() else None
        needs_compaction = False

        if journal is not None and journal.torn:
            self._set_torn_tail_aside(journal_path, journal)

        last_seq = snapshot.last_seq if snapshot else 0
        replay: list[tuple[int, Record]] = []
        if journal is None:
            needs_compaction = snapshot is not None  # e.g. a restore stopped half-way
        elif snapshot is None:
            if journal.base_seq != 0:
                raise StoreCorrupt(
                    str(snapshot_path), f"missing, but {JOURNAL_FILE} continues from it"
                )
            replay = journal.records
        elif journal.base_gen == snapshot.gen:
            if journal.base_seq != snapshot.last_seq:
                raise StoreCorrupt(str(journal_path), "its base does not match the snapshot")
            replay = journal.records
        elif journal.base_gen == snapshot.based_on and journal.base_seq <= snapshot.last_seq:
            # A compaction stopped between renaming the snapshot and the fresh journal:
            # the snapshot holds this journal's older lines; replay only the newer ones.
            replay = [(seq, r) for seq, r in journal.records if seq > snapshot.last_seq]
            needs_compaction = True
        elif all(seq <= snapshot.last_seq for seq, _ in journal.records):
            # A journal from before a restore with nothing newer: superseded.
            needs_compaction = True
        else:
            raise StoreCorrupt(
                str(journal_path),
                "it belongs to a different snapshot than "
                f"{SNAPSHOT_FILE} and holds versions that are in neither",
            )

        for seq, record in snapshot.records if snapshot else []:
            self._apply(seq, record)
        self._seq = max(self._seq, last_seq)
        for seq, record in replay:
            self._apply(seq, record)

        migrated = [
            (path, data.schema)
            for path, data in ((snapshot_path, snapshot), (journal_path, journal))
            if data is not None and data.schema < SCHEMA_VERSION
        ]
        for path, schema in migrated:
            kept = _keep_aside(path, f"{PRE_MIGRATION_SUFFIX}{schema}-{_timestamp()}")
            log.warning(
                "Upgrading %s from schema %d; the old file is kept as %s", path, schema, kept
            )
        if migrated or (journal is None and snapshot is None):
            needs_compaction = True
        if journal is not None and len(journal.records) >= self._compact_threshold:
            needs_compaction = True

        if needs_compaction:
            self._compact_now()
        else:
            assert journal is not None
            self._journal_gen = journal.base_gen
            self._journal_lines = len(journal.records)
            self._open_journal_for_append()

    def _set_torn_tail_aside(self, journal_path: Path, journal: _JournalData) -> None:
        """The last write never completed, so it was never acknowledged: keep its bytes in a
        side file, then cut the journal back to its last intact line so appends can go on."""
        aside = journal_path.with_name(journal_path.name + TORN_SUFFIX + _timestamp())
        write_file_atomically(aside, [journal.torn])
        fd = os.open(journal_path, os.O_WRONLY)
        try:
            os.ftruncate(fd, journal.good_length)
            os.fsync(fd)
        finally:
            os.close(fd)
        log.warning(
            "Dropped %d bytes of an unfinished write at the end of %s (kept in %s)",
            len(journal.torn),
            journal_path,
            aside,
        )

    def _open_journal_for_append(self) -> None:
        path = self.data_dir / JOURNAL_FILE
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        if self._journal_fd >= 0:
            os.close(self._journal_fd)
        self._journal_fd = fd
        self._journal_size = os.fstat(fd).st_size

    # -- in-memory state -------------------------------------------------------------------

    def _apply(self, seq: int, record: Record, rec_json: str | None = None) -> None:
        """Add one version to memory (caller holds the lock or is still opening)."""
        key = (record.kind, record.id)
        versions = self._versions.get(key)
        owner_before = versions[-1].owner if versions else None
        if versions is None:
            versions = self._versions[key] = []
            # Ordinals are never reused (purged records leave gaps), so each kind's table
            # keeps first-save order, which is the order find() must return.
            self._ordinal_counter += 1
            ordinal = self._ordinal_counter
            self._ordinals[key] = ordinal
            self._keys_by_ordinal[ordinal] = key
            self._by_owner.setdefault((record.kind, record.owner), []).append(ordinal)
        if not versions or versions[-1].version < record.version:
            versions.append(record)
        else:
            if any(v.version == record.version for v in versions):
                log.warning("Ignoring a duplicate of %s %s v%d", *key, record.version)
                return
            bisect.insort(versions, record, key=lambda v: v.version)
        if rec_json is None:
            rec_json = _dumps(record.to_json())
        self._log.append(_Entry(seq, key, rec_json))
        self._seq = max(self._seq, seq)
        newest = versions[-1]
        if newest.owner != owner_before and len(versions) > 1:
            self._move_owner(key, owner_before, newest.owner)
        self._tables.setdefault(newest.kind, {})[str(self._ordinals[key])] = {
            "owner": newest.owner,
            "deleted": newest.deleted,
            "data": newest.data,
        }

    def _move_owner(self, key: tuple[str, str], before: str | None, after: str | None) -> None:
        """A record whose latest version names another owner moves in the owner index."""
        ordinal = self._ordinals[key]
        self._by_owner[(key[0], before)].remove(ordinal)
        bisect.insort(self._by_owner.setdefault((key[0], after), []), ordinal)

    def _check_usable(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")
        if self._failed is not None:
            raise StoreError(
                f"the store stopped accepting writes after a disk error ({self._failed}); "
                "restart BackTrack"
            )

    # -- writing ---------------------------------------------------------------------------

    def _append(self, payload: bytes) -> None:
        """Append whole lines and fdatasync; on failure cut the partial write back off so
        the journal never holds a damaged line followed by good ones."""
        start = self._journal_size
        try:
            _write_all(self._journal_fd, payload)
            os.fdatasync(self._journal_fd)
        except OSError as exc:
            try:
                os.ftruncate(self._journal_fd, start)
                os.fsync(self._journal_fd)
            except OSError as undo_exc:
                self._failed = f"{exc}; could not undo: {undo_exc}"
            else:
                # After a failed fsync the kernel may have dropped dirty pages: trust
                # nothing written since open (fsyncgate). Reopening re-reads the file.
                self._failed = str(exc)
            raise StoreError(f"could not write {self.data_dir / JOURNAL_FILE}: {exc}") from exc
        self._journal_size = start + len(payload)

    def save(
        self,
        kind: str,
        record_id: str,
        data: JSONDict,
        *,
        owner: str | None = None,
        expected_version: int | None = None,
        deleted: bool = False,
    ) -> Record:
        with self._lock:
            self._check_usable()
            versions = self._versions.get((kind, record_id))
            draft = next_version(kind, record_id, versions[-1] if versions else None, data,
                                 owner=owner, expected_version=expected_version,
                                 deleted=deleted)
            rec_json = _dumps(draft.to_json())
            # Parse back: memory then holds exactly what a restart would read (a deep copy;
            # tuples become lists), so nothing differs before and after a restart.
            record = Record.from_json(json.loads(rec_json))
            seq = self._seq + 1
            self._append(journal_line(seq, rec_json))
            self._apply(seq, record, rec_json)
            self._journal_lines += 1
            self._maybe_compact_in_background()
            return record

    def import_versions(self, records: Iterable[Record]) -> int:
        with self._lock:
            self._check_usable()
            present = {
                (key, v.version) for key, versions in self._versions.items() for v in versions
            }
            batch: list[tuple[int, Record, str]] = []
            seq = self._seq
            for incoming in records:
                rec_json = _dumps(incoming.to_json())
                record = Record.from_json(json.loads(rec_json))
                marker = ((record.kind, record.id), record.version)
                if marker in present:
                    continue
                present.add(marker)
                seq += 1
                batch.append((seq, record, rec_json))
            if not batch:
                return 0
            # One write + one fdatasync for the whole import. A crash part-way keeps a prefix
            # of it; importing again completes it (already present versions are skipped).
            self._append(b"".join(journal_line(s, js) for s, _, js in batch))
            for s, record, js in batch:
                self._apply(s, record, js)
            self._journal_lines += len(batch)
            self._maybe_compact_in_background()
            return len(batch)

    def purge_owner(self, owner: str) -> int:
        with self._compact_lock, self._lock:
            self._check_usable()
            doomed = {
                key for key, versions in self._versions.items() if versions[-1].owner == owner
            }
            if not doomed:
                return 0
            kept = [entry for entry in self._log if entry.key not in doomed]
            # The new snapshot (without the owner) replaces the old one atomically; then a
            # fresh journal replaces the old one, which still held the owner's lines.
            self._write_snapshot_and_swap(kept, self._seq, len(self._log), purge=True)
            count = 0
            for key in doomed:
                count += len(self._versions.pop(key))
                ordinal = self._ordinals.pop(key)
                del self._keys_by_ordinal[ordinal]
                self._tables[key[0]].pop(str(ordinal), None)
                self._by_owner[(key[0], owner)].remove(ordinal)
            self._log = kept
            return count

    # -- compaction ------------------------------------------------------------------------

    def _maybe_compact_in_background(self) -> None:
        if self._journal_lines < self._compact_threshold:
            return
        if self._compactor is not None and self._compactor.is_alive():
            return
        self._compactor = threading.Thread(
            target=self._compact_in_background, name="backtrack-compaction", daemon=True
        )
        self._compactor.start()

    def _compact_in_background(self) -> None:
        if not self._compact_lock.acquire(blocking=False):
            return  # a purge or another compaction is writing a snapshot right now
        try:
            if self._closed or self._failed is not None:
                return
            self._compact_locked()
        except Exception:
            # The journal still holds everything; the next trigger or close() retries.
            log.exception("Background compaction of %s failed", self.data_dir)
        finally:
            self._compact_lock.release()

    def compact(self) -> None:
        """Write a snapshot and start a fresh journal now (also done on close)."""
        with self._compact_lock:
            self._check_usable()
            self._compact_locked()

    def _compact_now(self) -> None:
        with self._compact_lock:
            self._compact_locked()

    def _compact_locked(self) -> None:
        # Only the capture holds the main lock: `_log` is append-only (purge replaces it,
        # but purge needs the compaction lock), so the first n entries stay put while the
        # snapshot is written and saves go on appending to the old journal.
        with self._lock:
            count = len(self._log)
            last_seq = self._seq
        entries = self._log[:count]
        self._write_snapshot_and_swap(entries, last_seq, count, purge=False)

    def _write_snapshot_and_swap(
        self, entries: Sequence[_Entry], last_seq: int, captured: int, *, purge: bool
    ) -> None:
        gen = uuid.uuid4().hex
        write_file_atomically(
            self.data_dir / SNAPSHOT_FILE,
            snapshot_chunks(entries, gen=gen, based_on=self._journal_gen, last_seq=last_seq),
        )
        with self._lock:
            # Versions saved while the snapshot was written go into the fresh journal.
            tail = [] if purge else self._log[captured:]
            lines = [header_line(schema=SCHEMA_VERSION, base_gen=gen, base_seq=last_seq)]
            lines.extend(journal_line(e.seq, e.rec_json) for e in tail)
            write_file_atomically(self.data_dir / JOURNAL_FILE, lines)
            self._journal_gen = gen
            self._journal_lines = len(tail)
            self._open_journal_for_append()

    # -- reading ---------------------------------------------------------------------------

    def latest(self, kind: str, record_id: str) -> Record | None:
        with self._lock:
            versions = self._versions.get((kind, record_id))
            return versions[-1] if versions else None

    def history(self, kind: str, record_id: str) -> list[Record]:
        with self._lock:
            return list(self._versions.get((kind, record_id), []))

    def find(self, query: Query) -> list[Record]:
        with self._lock:
            if query.owner is not None:
                # One patient's records through the owner index, the same test as the
                # in-memory store applies.
                ordinals = self._by_owner.get((query.kind, query.owner), ())
                latest = (self._versions[self._keys_by_ordinal[o]][-1] for o in ordinals)
                return [record for record in latest if matches(record, query)]
            table = self._index.table(query.kind, cache_size=0)
            docs = table.search(_tiny_condition(query))
            return [self._versions[self._keys_by_ordinal[doc.doc_id]][-1] for doc in docs]

    def owner_history(self, owner: str) -> list[Record]:
        with self._lock:
            everything = [v for key in self._ordinals for v in self._versions[key]]
        return sorted((r for r in everything if r.owner == owner), key=lambda r: r.saved_at)

    def stats(self) -> dict[str, int]:
        """Counts for backups and diagnostics."""
        with self._lock:
            return {
                "records": len(self._versions),
                "versions": sum(len(v) for v in self._versions.values()),
                "journal_lines": self._journal_lines,
                "last_seq": self._seq,
            }

    def consistent_snapshot(self) -> tuple[bytes, int, int]:
        """(stock TinyDB JSON of every version, version count, last seq) as of one instant,
        for backups. Saves are blocked only while the position is captured."""
        with self._compact_lock:
            with self._lock:
                self._check_usable()
                count = len(self._log)
                last_seq = self._seq
                based_on = self._journal_gen
            entries = self._log[:count]
            body = b"".join(
                snapshot_chunks(entries, gen=uuid.uuid4().hex, based_on=based_on, last_seq=last_seq)
            )
            return body, count, last_seq

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        compactor = self._compactor
        if compactor is not None:
            compactor.join()
        with self._compact_lock, self._lock:
            if self._closed:
                return
            try:
                if self._compact_on_close and self._journal_lines and self._failed is None:
                    self._compact_locked()
            finally:
                self._closed = True
                self._release()

    def _release(self) -> None:
        if self._journal_fd >= 0:
            os.close(self._journal_fd)
            self._journal_fd = -1
        if self._lock_fd >= 0:
            release_folder_lock(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> JournalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
